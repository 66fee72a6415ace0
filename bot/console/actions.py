"""The console's forms (POST): sign-in and out, the office's decisions, complaint triage.

Each form is checked for its CSRF token by the console's middleware, then translated into one
service call; the services check authority again (the office only) and keep the rules.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.api.documents import file_response
from bot.console.middleware import COOKIE
from bot.console.pages import visible_item
from bot.console.request import PREFIX, form, is_https, office_viewer, render, runtime, viewer
from bot.keys import TELEGRAM
from domain.dates import find_date
from domain.deadlines import local_date
from domain.errors import InvalidInput
from domain.monthly_report import parse_month
from domain.talks import TalkRecord, TalkRecordIncomplete
from domain.vocabulary import Source, TimeClass
from handlers.complaint_triage import stamp_group_copies
from services import (
    complaint_triage,
    confidentiality,
    decisions,
    satisfaction,
    step_dates,
    talks,
    work_groups,
)
from services.documents.access import DocumentFile
from services.documents.issue import DOCX_TYPE
from services.documents.report import report_now
from services.items import ItemDraft, Origin
from services.views import find_item, item_view
from services.web_auth import (
    SignInInvalid,
    check_sign_in,
    redeem_sign_in,
    sign_out,
)
from texts import console as texts
from texts import groups as group_texts


async def sign_in_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        name = await check_sign_in(runtime(request), token)
    except SignInInvalid:
        return render(request, "sign_in.html", status=403, name=None, token=None)
    return render(request, "sign_in.html", name=name, token=token)


async def sign_in(request: web.Request) -> web.Response:
    try:
        signed = await redeem_sign_in(runtime(request), request.match_info["token"])
    except SignInInvalid:
        return render(request, "sign_in.html", status=403, name=None, token=None)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/"})
    response.set_cookie(
        COOKIE,
        signed.session_token,
        max_age=int(signed.expires_in.total_seconds()),
        path=PREFIX,
        httponly=True,
        secure=is_https(request),
        samesite="Lax",
    )
    return response


async def sign_out_action(request: web.Request) -> web.Response:
    who = viewer(request)
    await sign_out(runtime(request), who.session_token)
    response = render(request, "signed_out.html", bye=True)
    response.del_cookie(COOKIE, path=PREFIX)
    return response


def _text(request: web.Request, name: str) -> str:
    value = form(request).get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _back(ref: str, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{PREFIX}/items/{quote(ref)}?done={done}")


async def _office_item(request: web.Request) -> tuple[Origin, str]:
    """The office's origin and the item's ref; 404 if not visible, 403 if not the office."""
    who = viewer(request)
    view = await visible_item(request, who)
    if not who.office:
        raise web.HTTPForbidden()
    return Origin(who.actor), view.ref


async def close(request: web.Request) -> web.Response:
    origin, ref = await _office_item(request)
    await decisions.close_item(runtime(request), origin, ref, answer=_text(request, "answer"))
    raise _back(ref, "closed")


async def return_item(request: web.Request) -> web.Response:
    origin, ref = await _office_item(request)
    await decisions.return_completion(runtime(request), origin, ref, _text(request, "reason"))
    raise _back(ref, "returned")


async def extension(request: web.Request) -> web.Response:
    origin, ref = await _office_item(request)
    rt = runtime(request)
    report_id = await decisions.pending_extension(rt, ref)
    if report_id is None or str(report_id) != _text(request, "report"):
        raise web.HTTPConflict()
    approve = _text(request, "decision") == "approve"
    due_text = _text(request, "due")
    try:
        due = date.fromisoformat(due_text) if due_text else None
    except ValueError:
        raise InvalidInput(texts.BAD_DATE, field="due") from None
    await decisions.decide_extension(
        rt,
        origin,
        report_id,
        approve=approve,
        reason=_text(request, "reason") or None,
        due=due,
    )
    raise _back(ref, "extension_approved" if approve else "extension_refused")


async def steps(request: web.Request) -> web.Response:
    """The office sets new plan and/or first-feedback dates (调整时限); a date left as it was
    is not a change."""
    origin, ref = await _office_item(request)
    rt = runtime(request)
    async with rt.db.session() as session:
        view = await item_view(session, await find_item(session, ref), rt.clock.now(), rt.policy)
    given: dict[str, date] = {}
    for name, now in (("plan_by", view.plan_by), ("first_feedback_by", view.first_feedback_by)):
        typed = _text(request, name)
        if typed and (now is None or typed != local_date(now, rt.tz).isoformat()):
            given[name] = _date(request, name)
    await step_dates.move_steps(
        rt,
        origin,
        ref,
        plan_by=given.get("plan_by"),
        first_feedback_by=given.get("first_feedback_by"),
        reason=_text(request, "reason"),
    )
    raise _back(ref, "steps_moved")


async def confidential(request: web.Request) -> web.Response:
    """The office marks the item internal (内部: never to a work group) or open again."""
    origin, ref = await _office_item(request)
    value = _text(request, "confidential")
    if value not in ("on", "off"):
        raise web.HTTPBadRequest()
    await confidentiality.set_confidential(runtime(request), origin, ref, value == "on")
    raise _back(ref, "confidential" if value == "on" else "not_confidential")


async def record_talk(request: web.Request) -> web.Response:
    """The office records a talk that was held (约谈): when, where, who, the commitment."""
    origin, ref = await _office_item(request)
    rt = runtime(request)
    talk_id = request.match_info["id"]
    if not talk_id.isdigit() or (await talks.talk_record(rt, int(talk_id))).item_ref != ref:
        raise web.HTTPNotFound()
    held_time = _text(request, "held_time")
    try:
        at = time.fromisoformat(held_time) if held_time else None
    except ValueError:
        raise InvalidInput(texts.BAD_TIME, field="held_time") from None
    record = TalkRecord(
        held_on=_date(request, "held_on"),
        held_time=at,
        place=_text(request, "place"),
        attendees=_text(request, "attendees"),
        commitment=_text(request, "commitment"),
        commit_by=_date(request, "commit_by"),
    )
    if not all((record.place, record.attendees, record.commitment)):
        raise TalkRecordIncomplete()
    await talks.record_talk(rt, origin, int(talk_id), record)
    raise _back(ref, "talk_recorded")


def _date(request: web.Request, name: str) -> date:
    try:
        return date.fromisoformat(_text(request, name))
    except ValueError:
        raise InvalidInput(texts.BAD_DATE, field=name) from None


async def unbind_group(request: web.Request) -> web.Response:
    """The office undoes a group's binding (工作群)."""
    office_viewer(request)
    try:
        group_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    await work_groups.unbind_by_id(runtime(request), group_id)
    raise web.HTTPSeeOther(f"{PREFIX}/units?done=unbound")


async def monthly_report(request: web.Request) -> web.Response:
    """The office issues a month's supervision report (督查专报) now and downloads it."""
    who = office_viewer(request)
    rt = runtime(request)
    month = parse_month(_text(request, "month"))
    if month is None or month.start > rt.clock.now().astimezone(rt.tz).date():
        raise InvalidInput(texts.BAD_MONTH, field="month")
    info, data = await report_now(rt, month, actor_id=who.actor.person_id)
    return file_response(DocumentFile(info.name, data, DOCX_TYPE))


def _complaint_origin(request: web.Request) -> Origin:
    who = office_viewer(request)
    return Origin(who.actor)


TRIAGED_HOW = {
    "reject": group_texts.TRIAGE_REJECTED,
    "answer": group_texts.TRIAGE_ANSWERED,
    "accept": group_texts.TRIAGE_ACCEPTED,
}


def _triaged(done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{PREFIX}/complaints?done={done}")


async def complaint_action(request: web.Request) -> web.Response:
    origin = _complaint_origin(request)
    rt = runtime(request)
    public_id = request.match_info["id"]
    action = request.match_info["action"]
    if action == "reject":
        await complaint_triage.reject_complaint(rt, origin, public_id, _text(request, "reason"))
    elif action == "answer":
        await complaint_triage.answer_complaint(rt, origin, public_id, _text(request, "answer"))
    elif action == "accept":
        draft = _draft_from_form(request)
        await complaint_triage.accept_complaint(rt, origin, public_id, draft)
    elif action in ("reopen", "uphold", "assign"):
        await _decide_review(request, origin, action)
    else:
        raise web.HTTPNotFound()
    application, how = request.app.get(TELEGRAM), TRIAGED_HOW.get(action)
    if application is not None and origin.actor is not None and how is not None:
        # Its message in the office's group says who handled it, as when triaged in chat.
        await stamp_group_copies(rt, application.bot, public_id, origin.actor.name, how)
    raise _triaged(action)


async def _decide_review(request: web.Request, origin: Origin, action: str) -> None:
    """A complainant's request for review (异议复核): reopen the item (the new due date, more
    problems one per line), assign a complaint without one to a unit (the item's draft), or
    uphold the answer (the reason)."""
    rt = runtime(request)
    review = _text(request, "review")
    if not review.isdigit() or len(review) > 12:
        raise web.HTTPBadRequest()
    if action == "uphold":
        await satisfaction.uphold_answer(rt, origin, int(review), _text(request, "reason"))
        return
    if action == "assign":
        await satisfaction.assign_for_review(rt, origin, int(review), _draft_from_form(request))
        return
    today = local_date(rt.clock.now(), rt.tz)
    due = find_date(_text(request, "due"), today)
    problems = [line for line in _text(request, "problems").splitlines() if line.strip()]
    await satisfaction.reopen_for_review(rt, origin, int(review), due, problems)


def _draft_from_form(request: web.Request) -> ItemDraft:
    values: dict[str, Any] = {name: _text(request, name) for name in ("title", "body", "unit")}
    time_class = _text(request, "class") or str(TimeClass.GENERAL)
    if time_class not in {str(c) for c in TimeClass}:
        raise InvalidInput(texts.BAD_CLASS, field="class")
    return ItemDraft(
        title=values["title"],
        body=values["body"],
        source=Source.COMPLAINT,
        time_class=TimeClass(time_class),
        lead_unit=values["unit"],
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/signin/{{token}}", sign_in_page)
    app.router.add_post(f"{PREFIX}/signin/{{token}}", sign_in)
    app.router.add_post(f"{PREFIX}/signout", sign_out_action)
    app.router.add_post(f"{PREFIX}/items/{{ref}}/close", close)
    app.router.add_post(f"{PREFIX}/items/{{ref}}/return", return_item)
    app.router.add_post(f"{PREFIX}/items/{{ref}}/extension", extension)
    app.router.add_post(f"{PREFIX}/items/{{ref}}/steps", steps)
    app.router.add_post(f"{PREFIX}/items/{{ref}}/confidential", confidential)
    app.router.add_post(f"{PREFIX}/items/{{ref}}/talks/{{id}}", record_talk)
    app.router.add_post(f"{PREFIX}/complaints/{{id}}/{{action}}", complaint_action)
    app.router.add_post(f"{PREFIX}/groups/{{id}}/unbind", unbind_group)
    app.router.add_post(f"{PREFIX}/reports", monthly_report)
