"""Callback data: short ``prefix:arg:arg`` strings, built and checked in one place.

Buttons are made by the services (notifications in the outbox) and by handlers; both use
:func:`make`, and every handler reads them with :func:`parse`. The prefixes in use are
listed here so that no two features take the same one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit for callback_data

# Prefixes in use (one feature each).
LANG = "lang"  # lang:<locale>
ACKNOWLEDGE = "ack"  # ack:<assignment id>          签收
DETAIL = "det"  # det:<item ref>                  详情
# Registration and approval (/new, 审核)
NEW_ITEM = "new"  # new:<step>:<value>           the /new conversation's choices
APPROVE = "apv"  # apv:<item ref>:<step>          审核通过
RETURN_DRAFT = "rtd"  # rtd:<item ref>:<step>     审核退回
RESUBMIT = "rsb"  # rsb:<item ref>                a returned draft, submitted again
CONFIRM_LOAD = "cfl"  # cfl:<item ref>            load control: dispatch anyway
# Execution (reports, decisions, leaders)
REPORT = "rep"  # rep:<item ref>:<kind>           start a report of a kind
CONFIRM = "cnf"  # cnf:<report id>                核签 by the unit head
DECLINE = "dcl"  # dcl:<report id>                the head sends it back
CLOSE = "cls"  # cls:<item ref>                   销号
RETURN = "ret"  # ret:<item ref>                  退回重办
EXTENSION_OK = "exy"  # exy:<report id>            同意延期
EXTENSION_NO = "exn"  # exn:<report id>            不同意延期
FOLLOW_UP = "fup"  # fup:<item ref>:<ok|reopen>    回头看
INSTRUCT = "ins"  # ins:<item ref>                批示
ARCHIVE = "arc"  # arc:<item ref>                 立卷归档
PAGE = "pg"  # pg:<view>:<page>                   paging of /items, /overdue
# The ladder (reminders and escalations)
URGE = "urg"  # urg:<item ref>                    督办 with the leader's name
TALK = "tlk"  # tlk:<item ref>                    约谈
CRITICISM = "crt"  # crt:<item ref>               通报批评
TALK_RECORD = "tkr"  # tkr:<talk id>               记录约谈 (the office)
REFERRAL = "acc"  # acc:<item ref>                提出问责建议
NOTICE = "ntc"  # ntc:<notice id>:<ok|edit|drop>  a draft 通报: confirm, edit, drop
PRAISE = "prs"  # prs:<unit key>                 通报表扬 of a unit (the bulletin's best)
# Complaints
COMPLAINT = "cmp"  # cmp:<step>:<value>           the /complain conversation
TRIAGE = "tri"  # tri:<complaint id>:<action>     the office's triage
REVIEW = "rvw"  # rvw:<rating id>:<reopen|uphold|assign>[:<unit id>]  异议复核: the office decides
_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")


class BadCallback(ValueError):
    """Callback data that this bot did not make, or that no longer fits."""


@dataclass(frozen=True)
class Callback:
    prefix: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str:
        try:
            return self.args[index]
        except IndexError:
            raise BadCallback(self.prefix) from None

    def int_arg(self, index: int) -> int:
        value = self.arg(index)
        if not value.isdigit() or len(value) > 12:
            raise BadCallback(self.prefix)
        return int(value)


def make(prefix: str, *args: object) -> str:
    parts = [prefix, *(str(arg) for arg in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"unfit callback part {part!r}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback data too long")
    return data


def parse(data: str | None, *, prefixes: frozenset[str] | None = None) -> Callback:
    if not data or len(data.encode()) > MAX_BYTES:
        raise BadCallback("empty or too long")
    parts = data.split(":")
    if not all(_PART.match(part) for part in parts):
        raise BadCallback("malformed")
    callback = Callback(parts[0], tuple(parts[1:]))
    if prefixes is not None and callback.prefix not in prefixes:
        raise BadCallback("unknown prefix")
    return callback
