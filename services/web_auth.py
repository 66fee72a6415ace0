"""Signing in to the web console: one-time links sent by the bot, and browser sessions.

- ``/web`` in chat issues a link valid for ``SIGN_IN_MINUTES``, usable once, bound to the
  person who asked; a newer link replaces the person's unused older ones.
- Opening the link shows a page whose button (a POST) redeems it: the link is marked used in
  the same statement that checks it, and a *new* random session id is created (no session
  fixation). Only SHA-256 hashes of link tokens and session ids are stored.
- A session lasts ``SESSION_HOURS`` from sign-in; signing out revokes it. Each request checks
  that the person is still active and still has a console role.
- Every form carries a CSRF token derived from the session id (HMAC), so it is per session,
  costs no storage and dies with the session.

Who may use the console: the supervision office, the principal leader and deputy leaders.
Unit heads and contacts work in chat and are refused (they have no overview to gain and the
console would widen what a unit account can see).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DubanError, Forbidden
from domain.i18n import N_
from domain.tokens import hash_token
from domain.vocabulary import Role
from services.actors import Actor, load_actor
from services.runtime import Runtime
from services.stored_settings import remember_setting, stored_setting
from storage.models import Person, WebSession, WebSignIn, token_row

SIGN_IN_MINUTES = 10
SESSION_HOURS = 12
CONSOLE_ROLES = (Role.SUPERVISOR, Role.PRINCIPAL, Role.DEPUTY)
CONSOLE_URL = "console_url"


class ConsoleRefused(Forbidden):
    key = N_(
        "The web console is for the supervision office and the leaders. "
        "Units work in this chat: /items, /report."
    )


class SignInInvalid(DubanError):
    key = N_("This sign-in link is used, expired or unknown. Send /web to the bot for a new one.")
    status = 403


def may_use_console(actor: Actor) -> bool:
    return actor.has(*CONSOLE_ROLES)


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"duban-console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token).encode(), given.encode())


async def issue_sign_in(rt: Runtime, actor: Actor) -> str:
    """A new one-time sign-in token for this person (raw; only its hash is kept)."""
    if not may_use_console(actor):
        raise ConsoleRefused()
    now = rt.clock.now()
    token = secrets.token_urlsafe(32)
    async with rt.db.session() as session:
        await session.execute(
            update(WebSignIn)
            .where(WebSignIn.person_id == actor.person_id, WebSignIn.used_at.is_(None))
            .values(used_at=now)
        )
        lifetime = timedelta(minutes=SIGN_IN_MINUTES)
        session.add(token_row(WebSignIn, actor.person_id, token, now, lifetime))
        await session.commit()
    return token


_Held = TypeVar("_Held", WebSignIn, WebSession)


async def _held_by(
    session: AsyncSession, kind: type[_Held], token: str
) -> tuple[_Held, Person] | None:
    """The sign-in link or browser session stored for ``token``, with its person."""
    row = (
        await session.execute(
            select(kind, Person)
            .join(Person, Person.id == kind.person_id)
            .where(kind.token_hash == hash_token(token))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def check_sign_in(rt: Runtime, token: str) -> str:
    """The name of the person a still-valid link is for (nothing is used up); else refused."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        row = await _held_by(session, WebSignIn, token)
        if row is None:
            raise SignInInvalid()
        link, person = row
        if link.used_at is not None or now >= link.expires_at or not person.active:
            raise SignInInvalid()
        return person.name


@dataclass(frozen=True)
class SignedIn:
    session_token: str
    actor: Actor
    expires_in: timedelta


async def redeem_sign_in(rt: Runtime, token: str) -> SignedIn:
    """Use the link up (once) and open a new session for its person."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        link = await session.scalar(
            select(WebSignIn).where(WebSignIn.token_hash == hash_token(token))
        )
        if link is None:
            raise SignInInvalid()
        used = await session.execute(
            update(WebSignIn)
            .where(
                WebSignIn.id == link.id,
                WebSignIn.used_at.is_(None),
                WebSignIn.expires_at > now,
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            await session.rollback()
            raise SignInInvalid()
        person = await session.get_one(Person, link.person_id)
        actor = await load_actor(session, person)
        if not person.active or not may_use_console(actor):
            await session.rollback()
            raise SignInInvalid()
        session_token = secrets.token_urlsafe(32)
        lifetime = timedelta(hours=SESSION_HOURS)
        session.add(
            token_row(WebSession, person.id, session_token, now, lifetime, last_seen_at=now)
        )
        await session.commit()
    return SignedIn(session_token, actor, lifetime)


async def session_actor(rt: Runtime, session_token: str) -> Actor | None:
    """Who holds this session id, if it is valid and they may still use the console."""
    if not session_token or len(session_token) > 200:
        return None
    now = rt.clock.now()
    async with rt.db.session() as session:
        row = await _held_by(session, WebSession, session_token)
        if row is None:
            return None
        web_session, person = row
        if web_session.revoked_at is not None or now >= web_session.expires_at:
            return None
        if not person.active:
            return None
        actor = await load_actor(session, person)
        if not may_use_console(actor):
            return None
        if now - web_session.last_seen_at > timedelta(minutes=1):
            web_session.last_seen_at = now
            await session.commit()
        return actor


async def sign_out(rt: Runtime, session_token: str) -> None:
    async with rt.db.session() as session:
        await session.execute(
            update(WebSession)
            .where(
                WebSession.token_hash == hash_token(session_token),
                WebSession.revoked_at.is_(None),
            )
            .values(revoked_at=rt.clock.now())
        )
        await session.commit()


async def remember_console_url(rt: Runtime, url: str) -> None:
    """The web server's base URL as it was bound, for the links the bot sends."""
    await remember_setting(rt, CONSOLE_URL, url)


async def console_url(rt: Runtime) -> str | None:
    return await stored_setting(rt, CONSOLE_URL)


def sign_in_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/console/signin/{token}"
