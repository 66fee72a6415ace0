"""The authority matrix (issue 8): every chat button, command, API endpoint and console page
against every role. What a role must not do is refused, shows nothing of the item, and
changes no row of any table (a snapshot of the whole database before and after).

Buttons are pressed with forged callback data in the person's own chat: valid-looking data
naming another unit's assignment, another person's draft, a step not theirs, and tampered
data. One table lists every callback prefix, one every command, one every HTTP route; a test
fails when the running bot or web app has a prefix, command or route the tables lack.

Chat users here are the example county's people (see ``world.PEOPLE``) plus a stranger; on the
web: no session, a forged cookie, the principal's, each deputy's and the office's session, and
for the API no token, a wrong one, another scheme, and the right one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import func, select
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.app import Options, create_app
from bot.keys import TELEGRAM as TELEGRAM_APP
from bot.settings import Settings
from bot.webhook import HEADER, make_webhook_route, webhook_secret
from domain import callbacks
from storage.models import WebSession
from tests.conftest import EXAMPLES, Bench
from tests.e2e.console_helpers import browser, sign_in
from tests.e2e.console_helpers import web_link as ask_web_link
from tests.security.snapshot import changes, snapshot
from tests.security.world import (
    API_TOKEN,
    CONSOLE,
    EVERYONE,
    JOINED,
    OFFICE,
    STRANGER,
    TITLES,
    UNIT_PEOPLE,
    VIEWERS,
    World,
    build_world,
    close_sessions,
    matrix_bench,
    sign_in_all,
)
from texts import Translator
from texts.people import something_went_wrong

__all__ = ["matrix_bench"]  # the fixture, used by name

# The global error handler's answer: a refusal must never be an accident.
SORRY = something_went_wrong(Translator().text("zh_CN"))
NOBODY: frozenset[str] = frozenset()


# --- the chat: callback data -------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    prefix: str
    what: str
    data: Callable[[World], str]
    allowed: frozenset[str]
    item: str | None = None  # the item (key of TITLES) whose title the refused must not see
    proof: str | None = None  # who shows, after the refusals, that the data is right


CALLBACKS: list[Press] = [
    Press(callbacks.LANG, "choose a language", lambda w: "lang:en", EVERYONE),
    Press(
        callbacks.ACKNOWLEDGE,
        "acknowledge the lead unit's assignment",
        lambda w: f"ack:{w.assignment['lead']}",
        frozenset({"lina"}),
        "fresh",
        "lina",
    ),
    Press(
        callbacks.ACKNOWLEDGE,
        "acknowledge the co-unit's assignment (another unit's, for edu)",
        lambda w: f"ack:{w.assignment['co']}",
        frozenset({"caomin"}),
        "fresh",
        "caomin",
    ),
    Press(
        callbacks.DETAIL,
        "the item's card",
        lambda w: f"det:{w.refs['fresh']}",
        VIEWERS,
        "fresh",
        "huangwei",
    ),
    Press(callbacks.PAGE, "a page of /items", lambda w: "pg:items:1", JOINED, "fresh", "lina"),
    Press(callbacks.NEW_ITEM, "a /new choice outside /new", lambda w: "new:src:meeting", NOBODY),
    Press(callbacks.NEW_ITEM, "submit outside /new", lambda w: "new:submit", NOBODY),
    Press(
        callbacks.APPROVE,
        "approve step 1",
        lambda w: f"apv:{w.refs['pending']}:0",
        frozenset({"zhoujian"}),
        "pending",
        "zhoujian",
    ),
    Press(
        callbacks.APPROVE,
        "approve step 2 before step 1",
        lambda w: f"apv:{w.refs['pending']}:1",
        NOBODY,
        "pending",
    ),
    Press(
        callbacks.RETURN_DRAFT,
        "return the draft at step 1",
        lambda w: f"rtd:{w.refs['pending']}:0",
        frozenset({"zhoujian"}),
        "pending",
    ),
    Press(
        callbacks.RESUBMIT,
        "submit a returned draft again",
        lambda w: f"rsb:{w.refs['returned']}",
        OFFICE,
        "returned",
        "qian",
    ),
    Press(
        callbacks.CONFIRM_LOAD,
        "dispatch despite a load warning",
        lambda w: f"cfl:{w.refs['returned']}",
        OFFICE,
        "returned",
    ),
    Press(
        callbacks.REPORT,
        "start a progress report",
        lambda w: f"rep:{w.refs['fresh']}:progress",
        UNIT_PEOPLE,
        "fresh",
        "caomin",
    ),
    Press(
        callbacks.REPORT,
        "the report menu",
        lambda w: f"rep:{w.refs['fresh']}:start",
        UNIT_PEOPLE,
        "fresh",
        "huangwei",
    ),
    Press(
        callbacks.REPORT,
        "send lina's draft",
        lambda w: f"rep:{w.refs['fresh']}:send:{w.draft}",
        frozenset({"lina"}),
        "fresh",
    ),
    Press(
        callbacks.REPORT,
        "drop lina's draft",
        lambda w: f"rep:{w.refs['fresh']}:drop:{w.draft}",
        frozenset({"lina"}),
        "fresh",
        "lina",
    ),
    Press(
        callbacks.CONFIRM,
        "the head confirms a completion",
        lambda w: f"cnf:{w.report['head']}",
        frozenset({"zhangjun"}),
        "awaiting_head",
        "zhangjun",
    ),
    Press(
        callbacks.DECLINE,
        "the head declines a completion",
        lambda w: f"dcl:{w.report['head']}",
        frozenset({"zhangjun"}),
        "awaiting_head",
    ),
    Press(
        callbacks.CLOSE,
        "close",
        lambda w: f"cls:{w.refs['with_office']}",
        OFFICE,
        "with_office",
        "qian",
    ),
    Press(callbacks.RETURN, "return for rework", lambda w: f"ret:{w.refs['with_office']}", OFFICE),
    Press(
        callbacks.EXTENSION_OK,
        "approve an extension",
        lambda w: f"exy:{w.report['extension']}",
        OFFICE,
        "extension",
        "zhoujian",
    ),
    Press(
        callbacks.EXTENSION_NO,
        "refuse an extension",
        lambda w: f"exn:{w.report['extension']}",
        OFFICE,
        "extension",
    ),
    Press(
        callbacks.FOLLOW_UP,
        "follow-up: well done",
        lambda w: f"fup:{w.refs['followed']}:ok",
        OFFICE,
        "followed",
    ),
    Press(
        callbacks.FOLLOW_UP,
        "follow-up: reopen",
        lambda w: f"fup:{w.refs['followed']}:reopen",
        OFFICE,
        "followed",
    ),
    Press(
        callbacks.FOLLOW_UP,
        "follow-up in 3 months",
        lambda w: f"fup:{w.refs['followed']}:3m",
        OFFICE,
        "followed",
        "qian",
    ),
    Press(
        callbacks.ARCHIVE,
        "archive (立卷归档; the follow-up is still ahead)",
        lambda w: f"arc:{w.refs['followed']}",
        OFFICE,
        "followed",
    ),
    Press(
        callbacks.INSTRUCT,
        "write an instruction",
        lambda w: f"ins:{w.refs['fresh']}",
        frozenset({"zhao", "wang"}),
        "fresh",
        "wang",
    ),
    Press(
        callbacks.URGE,
        "urge",
        lambda w: f"urg:{w.refs['fresh']}",
        OFFICE | {"zhao", "wang"},
        "fresh",
        "wang",
    ),
    Press(
        callbacks.TALK,
        "order a talk",
        lambda w: f"tlk:{w.refs['fresh']}",
        OFFICE | {"zhao", "wang"},
        "fresh",
        "zhao",
    ),
    Press(
        callbacks.NOTICE,
        "edit a draft notice",
        lambda w: f"ntc:{w.notice}:edit",
        OFFICE | {"zhao"},
        None,
        "qian",
    ),
    Press(
        callbacks.NOTICE,
        "drop a draft notice",
        lambda w: f"ntc:{w.notice}:drop",
        OFFICE | {"zhao"},
    ),
    Press(
        callbacks.NOTICE,
        "confirm a draft notice",
        lambda w: f"ntc:{w.notice}:ok",
        OFFICE | {"zhao"},
    ),
    Press(
        callbacks.PRAISE,
        "draft a notice of praise",
        lambda w: "prs:edu",
        OFFICE | {"zhao"},
    ),
    Press(
        callbacks.REFERRAL,
        "propose accountability",
        lambda w: f"acc:{w.refs['fresh']}",
        OFFICE | {"zhao"},
        "fresh",
        "zhao",
    ),
    Press(
        callbacks.TALK_RECORD,
        "record a talk",
        lambda w: f"tkr:{w.talk}",
        OFFICE,
        "fresh",
        "qian",
    ),
    Press(
        callbacks.CRITICISM,
        "order a notice of criticism",
        lambda w: f"crt:{w.refs['fresh']}",
        OFFICE | {"zhao"},
        "fresh",
        # no proof here: the world already holds a draft for the fresh item (the notices' own
        # route rows need one), so the principal is shown that draft; tests/e2e/test_notices.py
        # orders one
    ),
    Press(
        callbacks.COMPLAINT,
        "add to a complaint never tracked",
        lambda w: "cmp:add",
        NOBODY,
    ),
    Press(callbacks.COMPLAINT, "submit a complaint never written", lambda w: "cmp:submit", NOBODY),
    Press(callbacks.COMPLAINT, "finish an addition", lambda w: "cmp:adddone", NOBODY),
    Press(
        callbacks.COMPLAINT, "rate a complaint never tracked", lambda w: "cmp:rate:basic", NOBODY
    ),
    Press(
        callbacks.REVIEW,
        "uphold a complaint's answer on review",
        lambda w: f"rvw:{w.review}:uphold",
        OFFICE,
        None,
        "qian",
    ),
    Press(
        callbacks.REVIEW,
        "reopen on a complaint's review (it has no item: refused even to the office)",
        lambda w: f"rvw:{w.review}:reopen",
        NOBODY,
    ),
    Press(
        callbacks.TRIAGE,
        "reject a complaint",
        lambda w: f"tri:{w.complaint}:rej",
        OFFICE,
    ),
    Press(
        callbacks.TRIAGE,
        "accept a complaint to a unit",
        lambda w: f"tri:{w.complaint}:u:{w.edu_unit}",
        OFFICE,
        None,
        "qian",
    ),
]

# Data no button ever carried (or no longer fits): refused for anyone, office included.
TAMPERED = [
    "",
    "ack",
    "ack:",
    "ack:999999",
    "ack:-1",
    "ack:999999:2:3",
    "det:2026-999",
    "pg:secret:1",
    "pg:items:x",
    "lang:xx",
    "new",
    "apv:2026-999:0",
    "apv:{pending}:x",
    "apv:{pending}",
    "rtd:{pending}:7",
    "rsb:2026-999",
    "cfl:2026-999",
    "rep:{fresh}:bogus",
    "rep:{fresh}:send:abc",
    "rep:{fresh}:send:999999",
    "cnf:999999",
    "dcl:abc",
    "cls:2026-999",
    "ret:",
    "exy:abc",
    "exn:99999999999999",
    "fup:{followed}:explode",
    "ins:2026-999",
    "urg:2026-999",
    "tlk:../x",
    "crt:2026 1",
    "tkr:999999",
    "acc:2026-999",
    "ntc:999999:ok",
    "ntc:1:explode",
    "prs:nowhere",
    "tkr:x",
    "cmp:",
    "cmp:!!",
    "cmp:cat:nonsense",
    "tri:x",
    "tri:{complaint}:u:zz",
    "tri:{complaint}:u:999999",
    "tri:{complaint}:explode",
    "tri:NOPE:rej",
    "rvw:999999:uphold",
    "rvw:{review}:explode",
    "rvw:x:reopen",
    "cmp:rate:nonsense",
    "zzz:1",
    "ack:" + "9" * 70,
]


async def respond(world: World, key: str, act: Callable[[], Any]) -> list[str]:
    """Do something as this person and return every answer and message it drew.

    The person then sends /lang; one chat's updates are handled in order, so the language
    menu's arrival means the action's handler has finished.
    """
    user = world.users[key]
    pressed = user.last
    mark, edits = pressed.message_id, len(pressed.edits)
    answered = len(user.callback_answers)
    await act()
    await user.send_text("/lang")
    barrier = await user.wait_message(
        lambda m: m.message_id > mark and "lang:en" in m.callback_data, timeout=15
    )
    said = [answer.text or "" for answer in user.callback_answers[answered:]]
    said += [
        m.plain_text
        for m in user.messages
        if m.message_id > mark and m.message_id != barrier.message_id
    ]
    if len(pressed.edits) > edits:  # the pressed message itself was edited
        said.append(pressed.plain_text)
    return said


async def press(world: World, key: str, data: str) -> list[str]:
    user = world.users[key]
    return await respond(world, key, lambda: user.press_data(user.last, data))


async def say(world: World, key: str, text: str) -> list[str]:
    return await respond(world, key, lambda: world.users[key].send_text(text))


def refusal_problems(said: list[str], item: str | None) -> list[str]:
    problems = []
    if not any(text.strip() for text in said):
        problems.append("no answer")
    if any(SORRY in text for text in said):
        problems.append(f"an error instead of a refusal: {said}")
    if item is not None and any(TITLES[item] in text for text in said):
        problems.append(f"shown the item: {said}")
    return problems


async def test_every_button_and_command_against_every_role(matrix_bench: Bench) -> None:
    world = await build_world(matrix_bench)
    rt = matrix_bench.rt
    refused = 0
    for row in CALLBACKS:
        data = row.data(world)
        who = sorted(EVERYONE - row.allowed)
        before = await snapshot(rt)
        said = await asyncio.gather(*(press(world, key, data) for key in who))
        for key, answers in zip(who, said, strict=True):
            problems = refusal_problems(answers, row.item)
            assert not problems, (row.what, data, key, problems)
        after = await snapshot(rt)
        assert after == before, (row.what, data, who, changes(before, after))
        refused += len(who)

    for template in TAMPERED:
        data = template.format(**world.refs, complaint=world.complaint, review=world.review)
        before = await snapshot(rt)
        who = ["qian", "lina", STRANGER]
        said = await asyncio.gather(*(press(world, key, data) for key in who))
        for key, answers in zip(who, said, strict=True):
            assert not refusal_problems(answers, None), (data, key, answers)
        after = await snapshot(rt)
        assert after == before, (data, changes(before, after))
        refused += len(who)

    for cmd in COMMANDS:
        text = cmd.text(world)
        who = sorted(EVERYONE - cmd.allowed)
        before = await snapshot(rt)
        heard = await asyncio.gather(*(say(world, key, text) for key in who))
        for key, answers in zip(who, heard, strict=True):
            problems = refusal_problems(answers, cmd.item)
            assert not problems, (cmd.what, text, key, problems)
        after = await snapshot(rt)
        assert after == before, (cmd.what, text, who, changes(before, after))
        refused += len(who)
    assert refused > 400, refused

    # The data was right: the people the table allows can act on it (read or write).
    for row in CALLBACKS:
        if row.proof is None:
            continue
        before = await snapshot(rt)
        seen = await press(world, row.proof, row.data(world))
        assert not any(SORRY in text for text in seen), (row.what, seen)
        shown = row.item is not None and any(TITLES[row.item] in text for text in seen)
        assert shown or await snapshot(rt) != before, (row.what, row.proof, seen)
    for cmd in COMMANDS:
        if cmd.proof is None:
            continue
        before = await snapshot(rt)
        reply = await say(world, cmd.proof, cmd.text(world))
        shown = cmd.item is not None and any(TITLES[cmd.item] in text for text in reply)
        assert shown or await snapshot(rt) != before, (cmd.what, cmd.proof, reply)


# --- the chat: commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    command: str
    what: str
    text: Callable[[World], str]
    allowed: frozenset[str]
    item: str | None = None
    proof: str | None = None


PUBLIC = EVERYONE
COMMANDS: list[Say] = [
    Say(
        "start",
        "join with someone else's (used) invite",
        lambda w: f"/start {w.invites['lina']}",
        NOBODY,
    ),
    Say("start", "join with a made-up invite", lambda w: "/start AAAAAAAAAAAAAAAAAAAAAAAA", NOBODY),
    Say("help", "help", lambda w: "/help", PUBLIC),
    Say("lang", "language menu", lambda w: "/lang", PUBLIC),
    Say("items", "my items", lambda w: "/items", JOINED, "fresh"),
    Say("overdue", "overdue items", lambda w: "/overdue", JOINED),
    Say("item", "an item's card", lambda w: f"/item {w.refs['fresh']}", VIEWERS, "fresh", "lina"),
    Say(
        "report",
        "report on an item",
        lambda w: f"/report {w.refs['fresh']}",
        UNIT_PEOPLE,
        "fresh",
        "caomin",
    ),
    Say("new", "register an item", lambda w: "/new", OFFICE),
    Say("stats", "statistics", lambda w: "/stats", CONSOLE),
    Say("web", "a console sign-in link", lambda w: "/web", CONSOLE, None, "chen"),
    Say("complain", "complain (the public's channel)", lambda w: "/complain", PUBLIC),
    Say(
        "track",
        "track a complaint with a wrong code",
        lambda w: "/track 0000-0000-0000-0000-0000",
        NOBODY,
    ),
    Say("cancel", "cancel", lambda w: "/cancel", PUBLIC),
    # Work groups: the one-time group links go to the office and unit heads only; /unbind in a
    # private chat unbinds nothing for anyone.
    Say("bind", "ask for group links", lambda w: "/bind", OFFICE | {"zhangjun", "huangwei"}),
    Say("unbind", "unbind a private chat", lambda w: "/unbind", NOBODY),
]


# --- the web: every route ----------------------------------------------------------------------

# Who calls. Console: no session, a made-up cookie, the principal's, each deputy's and the
# office's session; the office's session without its form token, with another session's, or
# from another site's page. API: no token, a wrong one, the right one as Basic, in the query,
# a console session instead, and the right bearer token. The public: a browser without the
# public forms' token.
ANON, FORGED = "anon", "forged-cookie"
SESSIONS = frozenset({"qian", "zhao", "wang", "chen"})
NO_CSRF, FOREIGN_CSRF, CROSS_SITE = "qian-no-csrf", "qian-with-zhao's-csrf", "qian-from-evil-site"
CONSOLE_CALLERS = frozenset({ANON, FORGED, *SESSIONS})
FORM_CALLERS = CONSOLE_CALLERS | {NO_CSRF, FOREIGN_CSRF, CROSS_SITE}
API_OK = "api-bearer"
API_CALLERS = frozenset(
    {"api-none", "api-wrong", "api-basic", "api-query", "api-session-cookie", API_OK}
)
TELEGRAM = "telegram-secret"
OFFICE_WEB = frozenset({"qian"})
EVIL = {"Origin": "https://evil.example"}


@dataclass(frozen=True)
class Route:
    method: str
    route: str  # as aiohttp names the resource
    path: Callable[[World], str]
    callers: frozenset[str]
    allowed: frozenset[str]
    item: str | None = None
    form: Callable[[World], dict[str, str]] | None = None
    upload: bool = False


def _console(path: str, allowed: frozenset[str] = SESSIONS, item: str | None = None) -> Route:
    return Route("GET", path, lambda w: path, CONSOLE_CALLERS, allowed, item)


def _api(method: str, route: str, path: Callable[[World], str]) -> Route:
    return Route(method, route, path, API_CALLERS, frozenset({API_OK}))


def _decision(w: World) -> dict[str, str]:
    return {"reason": "forged", "answer": "forged", "report": str(w.report["extension"])}


ROUTES: list[Route] = [
    Route("GET", "/healthz", lambda w: "/healthz", frozenset({ANON}), frozenset({ANON})),
    Route("GET", "/metrics", lambda w: "/metrics", frozenset({ANON}), frozenset({ANON})),
    # The public's complaint form and tracking: anyone, with the form's own token.
    Route("GET", "/complain", lambda w: "/complain", frozenset({ANON}), frozenset({ANON})),
    Route(
        "GET",
        "/complain/style.css",
        lambda w: "/complain/style.css",
        frozenset({ANON}),
        frozenset({ANON}),
    ),
    Route("GET", "/track", lambda w: "/track", frozenset({ANON}), frozenset({ANON})),
    Route(
        "POST",
        "/complain",
        lambda w: "/complain",
        frozenset({ANON}),
        NOBODY,
        form=lambda w: {"category": "other", "place": "x", "text": "没有令牌的投诉内容"},
    ),
    Route(
        "POST",
        "/track",
        lambda w: "/track",
        frozenset({ANON}),
        NOBODY,
        form=lambda w: {"code": "0000-0000-0000-0000-0000"},
    ),
    Route(
        "POST",
        "/track/add",
        lambda w: "/track/add",
        frozenset({ANON, "citizen-wrong-code"}),
        NOBODY,
        form=lambda w: {"code": "0000-0000-0000-0000-0000", "text": "补充一些情况说明"},
    ),
    Route(
        "POST",
        "/track/rate",
        lambda w: "/track/rate",
        frozenset({ANON, "citizen-wrong-code"}),
        NOBODY,
        form=lambda w: {"code": "0000-0000-0000-0000-0000", "rating": "satisfied"},
    ),
    Route(
        "POST",
        "/telegram/webhook",
        lambda w: "/telegram/webhook",
        frozenset({ANON, "webhook-wrong-secret"}),
        frozenset({TELEGRAM}),
    ),
    # The console's pages.
    Route(
        "GET",
        "/console/static/console.css",
        lambda w: "/console/static/console.css",
        CONSOLE_CALLERS,
        CONSOLE_CALLERS,
    ),
    _console("/console"),
    _console("/console/"),
    _console("/console/items"),
    _console("/console/items.xlsx"),
    Route(
        "GET",
        "/console/items/{ref}",
        lambda w: f"/console/items/{w.refs['fresh']}",
        CONSOLE_CALLERS,
        frozenset({"qian", "zhao", "wang"}),
        "fresh",
    ),
    Route(
        "GET",
        "/console/items/{ref}/files/{file}",
        lambda w: f"/console/items/{w.refs['with_office']}/files/{w.attachment}",
        CONSOLE_CALLERS,
        frozenset({"qian", "zhao", "wang"}),
    ),
    Route(
        "GET",
        "/console/items/{ref}/documents/{document}",
        lambda w: f"/console/items/{w.refs['fresh']}/documents/{w.document}",
        CONSOLE_CALLERS,
        frozenset({"qian", "zhao", "wang"}),
    ),
    _console("/console/stats"),
    _console("/console/units"),
    _console("/console/complaints", OFFICE_WEB),
    _console("/console/import", OFFICE_WEB),
    # Sign-in links: only a valid one opens (see the replay test); a made-up one never does.
    Route(
        "GET",
        "/console/signin/{token}",
        lambda w: "/console/signin/madeup",
        CONSOLE_CALLERS,
        NOBODY,
    ),
    Route(
        "POST",
        "/console/signin/{token}",
        lambda w: "/console/signin/madeup",
        CONSOLE_CALLERS,
        NOBODY,
        form=lambda w: {},
    ),
    # The console's forms.
    Route(
        "POST",
        "/console/signout",
        lambda w: "/console/signout",
        FORM_CALLERS,
        SESSIONS,
        form=lambda w: {},
    ),
    Route(
        "POST",
        "/console/items/{ref}/close",
        lambda w: f"/console/items/{w.refs['with_office']}/close",
        FORM_CALLERS,
        OFFICE_WEB,
        "with_office",
        form=_decision,
    ),
    Route(
        "POST",
        "/console/items/{ref}/return",
        lambda w: f"/console/items/{w.refs['with_office']}/return",
        FORM_CALLERS,
        OFFICE_WEB,
        "with_office",
        form=_decision,
    ),
    Route(
        "POST",
        "/console/items/{ref}/extension",
        lambda w: f"/console/items/{w.refs['extension']}/extension",
        FORM_CALLERS,
        OFFICE_WEB,
        "extension",
        form=lambda w: {**_decision(w), "decision": "approve"},
    ),
    Route(
        "POST",
        "/console/items/{ref}/steps",
        lambda w: f"/console/items/{w.refs['fresh']}/steps",
        FORM_CALLERS,
        OFFICE_WEB,
        "fresh",
        form=lambda w: {"first_feedback_by": "2026-12-31", "reason": "forged"},
    ),
    Route(
        "POST",
        "/console/complaints/{id}/{action}",
        lambda w: f"/console/complaints/{w.complaint}/reject",
        FORM_CALLERS,
        OFFICE_WEB,
        form=_decision,
    ),
    Route(
        "POST",
        "/console/import",
        lambda w: "/console/import",
        FORM_CALLERS,
        OFFICE_WEB,
        form=lambda w: {},
        upload=True,
    ),
    # The JSON API: the bearer token acts as the office, for every route.
    _api("GET", "/api/items", lambda w: "/api/items"),
    _api("POST", "/api/items", lambda w: "/api/items"),
    _api("GET", "/api/items/{ref}", lambda w: f"/api/items/{w.refs['fresh']}"),
    _api("POST", "/api/items/{ref}/approve", lambda w: f"/api/items/{w.refs['pending']}/approve"),
    _api("POST", "/api/items/{ref}/return", lambda w: f"/api/items/{w.refs['pending']}/return"),
    _api(
        "POST", "/api/items/{ref}/dispatch", lambda w: f"/api/items/{w.refs['returned']}/dispatch"
    ),
    _api("POST", "/api/items/{ref}/close", lambda w: f"/api/items/{w.refs['with_office']}/close"),
    _api("POST", "/api/items/{ref}/reopen", lambda w: f"/api/items/{w.refs['followed']}/reopen"),
    _api("POST", "/api/items/{ref}/extend", lambda w: f"/api/items/{w.refs['extension']}/extend"),
    _api("POST", "/api/items/{ref}/steps", lambda w: f"/api/items/{w.refs['fresh']}/steps"),
    _api("POST", "/api/items/{ref}/archive", lambda w: f"/api/items/{w.refs['followed']}/archive"),
    _api("POST", "/api/items/{ref}/answer", lambda w: f"/api/items/{w.refs['fresh']}/answer"),
    Route(
        "POST",
        "/console/items/{ref}/confidential",
        lambda w: f"/console/items/{w.refs['fresh']}/confidential",
        FORM_CALLERS,
        OFFICE_WEB,
        "fresh",
        form=lambda w: {"confidential": "on"},
    ),
    Route(
        "POST",
        "/console/items/{ref}/talks/{id}",
        lambda w: f"/console/items/{w.refs['fresh']}/talks/{w.talk}",
        FORM_CALLERS,
        OFFICE_WEB,
        "fresh",
        form=lambda w: {
            "held_on": "2026-12-01",
            "place": "县政府会议室",
            "attendees": "王立新、张军",
            "commitment": "按期整改",
            "commit_by": "2026-12-20",
        },
    ),
    Route(
        "POST",
        "/console/groups/{id}/unbind",
        lambda w: "/console/groups/1/unbind",
        FORM_CALLERS,
        OFFICE_WEB,
        form=lambda w: {},
    ),
    # The month's supervision report (督查专报), issued and downloaded by the office only.
    Route(
        "POST",
        "/console/reports",
        lambda w: "/console/reports",
        FORM_CALLERS,
        OFFICE_WEB,
        form=lambda w: {"month": "2026-11"},
    ),
    _api(
        "POST", "/api/items/{ref}/withdraw", lambda w: f"/api/items/{w.refs['followed']}/withdraw"
    ),
    _api("GET", "/api/items/{ref}/documents", lambda w: f"/api/items/{w.refs['fresh']}/documents"),
    _api("GET", "/api/documents/{id}", lambda w: f"/api/documents/{w.document}"),
    _api("POST", "/api/items/{ref}/talks", lambda w: f"/api/items/{w.refs['fresh']}/talks"),
    _api("GET", "/api/items/{ref}/talks", lambda w: f"/api/items/{w.refs['fresh']}/talks"),
    _api(
        "POST",
        "/api/items/{ref}/talks/{id}",
        lambda w: f"/api/items/{w.refs['fresh']}/talks/{w.talk}",
    ),
    _api("POST", "/api/items/{ref}/referrals", lambda w: f"/api/items/{w.refs['fresh']}/referrals"),
    _api("GET", "/api/items/{ref}/referrals", lambda w: f"/api/items/{w.refs['fresh']}/referrals"),
    _api("POST", "/api/items/{ref}/criticism", lambda w: f"/api/items/{w.refs['fresh']}/criticism"),
    _api("POST", "/api/notices", lambda w: "/api/notices"),
    _api("GET", "/api/notices/{id}", lambda w: f"/api/notices/{w.notice}"),
    _api("POST", "/api/notices/{id}/{action}", lambda w: f"/api/notices/{w.notice}/drop"),
    _api("GET", "/api/units", lambda w: "/api/units"),
    _api("GET", "/api/stats", lambda w: "/api/stats"),
    _api("GET", "/api/complaints", lambda w: "/api/complaints"),
    _api("GET", "/api/complaints/{id}", lambda w: f"/api/complaints/{w.complaint}"),
    _api(
        "POST",
        "/api/complaints/{id}/{action}",
        lambda w: f"/api/complaints/{w.complaint}/reject",
    ),
]
API_BODY = {
    "title": "伪造的事项",
    "body": "x",
    "source": "other",
    "class": "general",
    "lead_unit": "edu",
    "co_units": [],
    "leader": "wang",
    "dispatch": True,
    "reason": "伪造",
    "due": "2027-06-30",
}


async def call(world: World, route: Route, caller: str) -> tuple[int, str]:
    """One request to the route as this caller; its status and body."""
    url = world.url + route.path(world)
    headers: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    http = world.sessions.get(caller.split("-")[0]) if caller not in API_CALLERS else None
    own = http is None
    if caller == FORGED:
        http = aiohttp.ClientSession(cookies={"duban_session": "x" * 43})
    elif caller == "api-session-cookie":
        http = world.sessions["qian"]
        own = False
    elif http is None:
        http = aiohttp.ClientSession()
    if caller.startswith("api-"):
        token = {"api-wrong": "wrong-token", API_OK: API_TOKEN}.get(caller)
        if caller == "api-basic":
            headers["Authorization"] = f"Basic {API_TOKEN}"
        elif caller == "api-query":
            url += f"?token={API_TOKEN}"
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if route.method == "POST":
            kwargs["json"] = API_BODY
    elif caller == "webhook-wrong-secret":
        headers[HEADER] = "wrong"
    if route.form is not None:
        fields = dict(route.form(world))
        if caller in world.csrf and caller != NO_CSRF:
            fields["csrf"] = world.csrf[caller]
        if caller in (FOREIGN_CSRF, CROSS_SITE):
            fields["csrf"] = world.csrf["zhao" if caller == FOREIGN_CSRF else "qian"]
        if caller == CROSS_SITE:
            headers.update(EVIL)
        if caller == "citizen-wrong-code":
            fields["csrf"] = await public_csrf(world, http)
        if route.upload:
            body = FormData(fields)
            body.add_field("file", (EXAMPLES / "items.xlsx").read_bytes(), filename="items.xlsx")
            kwargs["data"] = body
        else:
            kwargs["data"] = fields
    try:
        async with http.request(
            route.method, url, headers=headers, allow_redirects=False, **kwargs
        ) as response:
            return response.status, await response.text(errors="replace")
    finally:
        if own:
            await http.close()


async def public_csrf(world: World, http: aiohttp.ClientSession) -> str:
    async with http.get(world.url + "/track") as response:
        html = await response.text()
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_every_route_against_every_caller(matrix_bench: Bench) -> None:
    world = await build_world(matrix_bench)
    rt = matrix_bench.rt
    await sign_in_all(world, frozenset(SESSIONS))
    try:
        refused = 0
        for route in ROUTES:
            if route.route == "/telegram/webhook":
                continue  # not mounted in polling mode: see the webhook test below
            for caller in sorted(route.callers):
                allowed = caller in route.allowed
                if allowed and route.method != "GET":
                    continue  # the allowed writes are the e2e tests' business
                before = await snapshot(rt)
                status, body = await call(world, route, caller)
                where = (route.method, route.route, caller, status)
                if allowed:
                    assert status in (200, 302), where
                    continue
                assert status in (401, 403, 404), (*where, body[:300])
                if route.item is not None:
                    assert TITLES[route.item] not in body, where
                after = await snapshot(rt)
                assert after == before, (*where, changes(before, after))
                refused += 1
        assert refused > 100, refused
        # The refused forms were well made: the office's own session and token do act.
        close = next(r for r in ROUTES if r.route == "/console/items/{ref}/close")
        status, _ = await call(world, close, "qian")
        assert status == 303
    finally:
        await close_sessions(world)


async def test_a_webhook_post_without_telegrams_secret_is_refused() -> None:
    """The webhook route (mounted only in webhook mode) checks the secret before anything."""
    app = web.Application()
    app.router.add_routes([make_webhook_route(webhook_secret("123:token"))])
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/help"}}
    async with TestClient(TestServer(app)) as client:
        for headers in ({}, {HEADER: "wrong"}, {HEADER: webhook_secret("456:other")}):
            response = await client.post("/telegram/webhook", json=update, headers=headers)
            assert response.status == 403, headers
        response = await client.post(
            "/telegram/webhook", json=update, headers={HEADER: webhook_secret("123:token")}
        )
        assert response.status == 503  # the secret passes; no bot runs in this app


# --- sign-in links: one use, ten minutes, nothing else ------------------------------------------


async def test_a_sign_in_link_replayed_or_expired_opens_nothing(matrix_bench: Bench) -> None:
    world = await build_world(matrix_bench)
    rt = matrix_bench.rt

    async def sessions() -> int:
        async with rt.db.session() as session:
            return int(await session.scalar(select(func.count(WebSession.id))) or 0)

    link = await ask_web_link(world.users["qian"])
    async with browser() as first:
        assert (await sign_in(first, link)).status == 303
    assert await sessions() == 1
    before = await snapshot(rt)
    for attempt in range(2):  # the same link again, from other browsers
        async with browser() as other:
            assert (await sign_in(other, link)).status == 403, attempt
            async with other.get(link) as response:
                assert response.status == 403
            async with other.get(f"{world.url}/console/") as response:
                assert response.status == 401
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    async with browser() as other:
        assert (await sign_in(other, tampered)).status == 403
    assert await snapshot(rt) == before

    late = await ask_web_link(world.users["zhao"])
    matrix_bench.clock.advance(timedelta(minutes=10, seconds=1))
    before = await snapshot(rt)
    async with browser() as other:
        assert (await sign_in(other, late)).status == 403
        async with other.get(late) as response:
            assert response.status == 403
    assert await snapshot(rt) == before and await sessions() == 1


# --- the tables cover everything the running product has ---------------------------------------


def _prefixes() -> set[str]:
    return {
        value
        for name, value in vars(callbacks).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    }


def _handlers(found: list[BaseHandler[Any, Any, Any]]) -> list[BaseHandler[Any, Any, Any]]:
    flat: list[BaseHandler[Any, Any, Any]] = []
    for handler in found:
        if isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            for state in handler.states.values():
                nested += state
            flat += _handlers(nested)
        else:
            flat.append(handler)
    return flat


def _settings() -> Settings:
    return Settings(_env_file=None, bot_token=SecretStr("123:token"), api_token=SecretStr("x"))


async def test_the_tables_cover_every_prefix_command_and_route(matrix_bench: Bench) -> None:
    # Callback prefixes: the registry in domain.callbacks, and what the handlers claim.
    registry = _prefixes()
    assert registry == {row.prefix for row in CALLBACKS}, registry ^ {r.prefix for r in CALLBACKS}
    application = matrix_bench.app[TELEGRAM_APP]
    registered = _handlers([h for group in application.handlers.values() for h in group])
    patterns = [h.pattern for h in registered if isinstance(h, CallbackQueryHandler) and h.pattern]
    for prefix in registry:
        assert any(p.match(f"{prefix}:x") for p in patterns), prefix  # type: ignore[union-attr]
    # Commands: every command any handler answers.
    commands = {c for h in registered if isinstance(h, CommandHandler) for c in h.commands}
    assert commands == {row.command for row in COMMANDS}, commands ^ {r.command for r in COMMANDS}
    # Routes: the web app in webhook mode (which adds the webhook route to the others).
    app = create_app(
        _settings(), options=Options(webhook_url="https://example.org/telegram/webhook")
    )
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    table = {(row.method, row.route) for row in ROUTES}
    assert routes == table, {"not in the table": routes - table, "gone": table - routes}
    # Every caller kind a table names is one the request code knows.
    for row in ROUTES:
        assert row.allowed <= row.callers | {TELEGRAM}, row.route
