"""The deployment's policy: time limits, reminders, the escalation ladder, quiet hours and the rest.

Every number DESIGN.md names is a default here; a deployment changes it in its policy file
(``DUBAN_POLICY_FILE``, YAML). ``examples/policy.yaml`` is the full default policy with every key
explained. A partial file overrides only what it names: mappings are merged key by key over the
defaults, while lists, scalars and the one-rule mappings ``resolve`` and ``reports`` replace the
default whole (so ``resolve: {rule: year_end}`` does not inherit a default ``amount``), as does
the assessment's ``scheme`` (a scheme names its own base and weights).

The model is frozen and rejects unknown keys, so a typo in the file fails at start-up with the
file, the key path and the reason on one line (:class:`PolicyError`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.errors import DubanError
from domain.i18n import N_
from domain.scoring import Assessment
from domain.vocabulary import GroupKind, GroupTopic, TimeClass


class PolicyError(DubanError):
    """The policy file cannot be read or does not describe a valid policy."""

    key = N_("Policy file {file}: {path}: {reason}")
    status = 500


# --- small value types ---------------------------------------------------------------------------

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _parse_time_of_day(value: object) -> object:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and (match := _HHMM.fullmatch(value)):
        return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"expected a time of day as HH:MM (e.g. '08:30'), got {value!r}")


TimeOfDay = Annotated[
    time,
    BeforeValidator(_parse_time_of_day),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]
"""A local clock time written ``HH:MM`` (24-hour)."""

NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]


class Recipient(StrEnum):
    """Who a reminder or an escalation goes to, resolved per item by the services."""

    DEPUTY_LEADER = "deputy_leader"  # 分管领导 of the item
    PRINCIPAL = "principal"  # 主要领导
    OFFICE = "office"  # 督查室
    UNIT_HEAD = "unit_head"  # 单位主要负责人
    UNIT_CONTACT = "unit_contact"  # 专人


Recipients = Annotated[tuple[Recipient, ...], Field(min_length=1)]


class LadderAction(StrEnum):
    """What a leader can do from an escalation message (DESIGN §3)."""

    URGE = "urge"  # 督办
    INSTRUCT = "instruct"  # 批示
    TALK = "talk"  # 约谈
    CRITICISM = "criticism"  # 通报批评
    REFERRAL = "referral"  # 问责建议


class ResolveRuleKind(StrEnum):
    DAYS = "days"  # N (calendar or working) days after dispatch
    MONTHS = "months"  # same day of month N months later, clamped to the month's end
    YEAR_END = "year_end"  # 31 December of the dispatch year
    OPEN_ENDED = "open_ended"  # no end date (常态化事项)
    GIVEN_DATE = "given_date"  # the date given when the item is registered


class ReportEvery(StrEnum):
    MONTH = "month"  # 常态化事项: every month on a given day
    QUARTER = "quarter"  # 年度重点工作: on a given day of given months
    AFTER_RESOLVE = "after_resolve"  # 建议提案: within N days after the answer


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _strictly_increasing(values: list[int], what: str) -> None:
    for index in range(1, len(values)):
        if values[index] <= values[index - 1]:
            raise ValueError(
                f"[{index}].{what} ({values[index]}) must be greater than "
                f"[{index - 1}].{what} ({values[index - 1]})"
            )


# --- time limits per class (DESIGN §2) -----------------------------------------------------------


class ResolveRule(_Model):
    """When an item of a class must be resolved (办结时限)."""

    rule: ResolveRuleKind
    amount: PositiveInt | None = None

    @model_validator(mode="after")
    def _amount_fits_rule(self) -> Self:
        needs_amount = self.rule in (ResolveRuleKind.DAYS, ResolveRuleKind.MONTHS)
        if needs_amount and self.amount is None:
            raise ValueError(f"rule {self.rule.value!r} needs an amount")
        if not needs_amount and self.amount is not None:
            raise ValueError(f"rule {self.rule.value!r} takes no amount")
        return self


class ReportSchedule(_Model):
    """Reports a class owes besides the deadlines: monthly, quarterly, or after the answer."""

    every: ReportEvery
    day: Annotated[int, Field(ge=1, le=31)] | None = None
    months: tuple[Annotated[int, Field(ge=1, le=12)], ...] | None = None
    days: PositiveInt | None = None

    @model_validator(mode="after")
    def _fields_fit_schedule(self) -> Self:
        wanted = {
            ReportEvery.MONTH: {"day"},
            ReportEvery.QUARTER: {"day", "months"},
            ReportEvery.AFTER_RESOLVE: {"days"},
        }[self.every]
        for name in ("day", "months", "days"):
            given = getattr(self, name) is not None
            if name in wanted and not given:
                raise ValueError(f"reports every {self.every.value!r} need {name!r}")
            if name not in wanted and given:
                raise ValueError(f"reports every {self.every.value!r} take no {name!r}")
        if self.months is not None:
            if not self.months:
                raise ValueError("months must not be empty")
            if list(self.months) != sorted(set(self.months)):
                raise ValueError("months must be listed once each, in calendar order")
        return self


class ClassPolicy(_Model):
    """The time limits of one time-limit class, counted from the dispatch date."""

    acknowledge_days: NonNegativeInt = 1
    plan_days: NonNegativeInt | None = None
    first_feedback_days: NonNegativeInt | None = None
    resolve: ResolveRule
    working_days: bool = False
    reports: ReportSchedule | None = None

    @model_validator(mode="after")
    def _steps_before_due(self) -> Self:
        """The plan and the first feedback come before the due date, the plan not after the
        first feedback: a step the class cannot reach is refused, not silently moved."""
        longest = _longest_days(self.resolve)
        for name in ("plan_days", "first_feedback_days"):
            days = getattr(self, name)
            if days is not None and longest is not None and days > longest:
                raise ValueError(
                    f"{name} ({days}) falls after the due date ({_describe(self.resolve)})"
                )
        plan, feedback = self.plan_days, self.first_feedback_days
        if plan is not None and feedback is not None and plan > feedback:
            raise ValueError(
                f"plan_days ({plan}) falls after first_feedback_days ({feedback}): the work is "
                "deployed (研究部署) before its first feedback"
            )
        return self


def _longest_days(rule: ResolveRule) -> int | None:
    """The fewest days the rule can give (None: no bound known in advance)."""
    if rule.rule is ResolveRuleKind.DAYS:
        return rule.amount
    if rule.rule is ResolveRuleKind.MONTHS:
        assert rule.amount is not None
        return 28 * rule.amount
    return None


def _describe(rule: ResolveRule) -> str:
    return f"resolve: {rule.amount} {rule.rule.value}"


def _days(n: int) -> ResolveRule:
    return ResolveRule(rule=ResolveRuleKind.DAYS, amount=n)


class Classes(_Model):
    """One entry per :class:`TimeClass`; look one up with ``policy.classes[time_class]``."""

    general: ClassPolicy = ClassPolicy(plan_days=1, first_feedback_days=7, resolve=_days(10))
    major: ClassPolicy = ClassPolicy(
        plan_days=1,
        first_feedback_days=7,
        resolve=ResolveRule(rule=ResolveRuleKind.MONTHS, amount=1),
    )
    routine: ClassPolicy = ClassPolicy(
        resolve=ResolveRule(rule=ResolveRuleKind.OPEN_ENDED),
        reports=ReportSchedule(every=ReportEvery.MONTH, day=25),
    )
    instruction: ClassPolicy = ClassPolicy(plan_days=1, first_feedback_days=7, resolve=_days(30))
    proposal: ClassPolicy = ClassPolicy(
        resolve=ResolveRule(rule=ResolveRuleKind.MONTHS, amount=3),
        reports=ReportSchedule(every=ReportEvery.AFTER_RESOLVE, days=20),
    )
    meeting: ClassPolicy = ClassPolicy(resolve=_days(30))
    annual: ClassPolicy = ClassPolicy(
        resolve=ResolveRule(rule=ResolveRuleKind.YEAR_END),
        reports=ReportSchedule(every=ReportEvery.QUARTER, months=(1, 4, 7, 10), day=15),
    )
    custom: ClassPolicy = ClassPolicy(resolve=ResolveRule(rule=ResolveRuleKind.GIVEN_DATE))

    def __getitem__(self, time_class: TimeClass) -> ClassPolicy:
        policy: ClassPolicy = getattr(self, time_class.value)
        return policy


# --- reminders before a deadline (DESIGN §3) -----------------------------------------------------


class ReceiptChase(_Model):
    """A receipt (签收) still missing this many hours after dispatch is chased to these people."""

    after_hours: PositiveInt
    recipients: Recipients


class Reminders(_Model):
    time_of_day: TimeOfDay = time(9, 0)
    recipients: Recipients = (Recipient.UNIT_CONTACT,)
    receipt_chase: tuple[ReceiptChase, ...] = (
        ReceiptChase(after_hours=24, recipients=(Recipient.UNIT_CONTACT,)),
        ReceiptChase(after_hours=48, recipients=(Recipient.UNIT_HEAD,)),
    )
    before_due_days: tuple[NonNegativeInt, ...] = (3, 1, 0)
    monthly_report_days_before: tuple[NonNegativeInt, ...] = (3,)
    quarterly_report_days_before: tuple[NonNegativeInt, ...] = (5,)

    @field_validator("receipt_chase")
    @classmethod
    def _chase_in_order(cls, steps: tuple[ReceiptChase, ...]) -> tuple[ReceiptChase, ...]:
        _strictly_increasing([step.after_hours for step in steps], "after_hours")
        return steps

    @field_validator(
        "before_due_days", "monthly_report_days_before", "quarterly_report_days_before"
    )
    @classmethod
    def _distinct_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(days)) != len(days):
            raise ValueError("each number of days may appear only once")
        return days


# --- chasing what is owed before the due date (催报) ---------------------------------------------

UNIT_ROLES = frozenset({Recipient.UNIT_CONTACT, Recipient.UNIT_HEAD})
ITEM_ROLES = frozenset({Recipient.DEPUTY_LEADER, Recipient.PRINCIPAL, Recipient.OFFICE})


def _roles_within(roles: tuple[Recipient, ...], allowed: frozenset[Recipient], step: str) -> None:
    for role in roles:
        if role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ValueError(f"{role.value!r} is not told at the {step}; use one of: {names}")


class Chase(_Model):
    """How a missed deadline is chased: the unit's people on the first working day after it
    (``chase_recipients``), then, still missing ``notify_after_days`` working days later, the
    item's people (``notify_recipients``)."""

    chase_recipients: Recipients = (Recipient.UNIT_CONTACT, Recipient.UNIT_HEAD)
    notify_after_days: NonNegativeInt = 2
    notify_recipients: Recipients = (Recipient.DEPUTY_LEADER, Recipient.OFFICE)

    @model_validator(mode="after")
    def _roles_fit_steps(self) -> Self:
        _roles_within(self.chase_recipients, UNIT_ROLES, "chase (chase_recipients)")
        _roles_within(self.notify_recipients, ITEM_ROLES, "notice (notify_recipients)")
        return self


class MilestoneChase(Chase):
    """A deadline of the item's class (研究部署, 首次反馈): also reminded ``remind_days_before``
    days before it, at ``reminders.time_of_day``, to ``reminders.recipients``."""

    remind_days_before: tuple[NonNegativeInt, ...] = (0,)

    @field_validator("remind_days_before")
    @classmethod
    def _distinct_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(days)) != len(days):
            raise ValueError("each number of days may appear only once")
        return days


class Chases(_Model):
    """The deadlines chased besides the receipt and the due date (DESIGN §2's table)."""

    plan: MilestoneChase = MilestoneChase(remind_days_before=(0,))
    first_feedback: MilestoneChase = MilestoneChase(remind_days_before=(1,))
    periodic_report: Chase = Chase(notify_recipients=(Recipient.DEPUTY_LEADER,))
    proposal_report: MilestoneChase = MilestoneChase(remind_days_before=(3,))
    proposal_follow_up: MilestoneChase = MilestoneChase(remind_days_before=(5,))
    rectification_plan: MilestoneChase = MilestoneChase(remind_days_before=(1,))
    # 约谈承诺: the date a unit committed to at a talk (约谈), reminded the day before.
    talk_commitment: MilestoneChase = MilestoneChase(remind_days_before=(1,))


class Proposals(_Model):
    """建议提案 after the proposer is answered: an answer of class B (列入计划逐步解决) owes a
    follow-up report every ``follow_up_months`` months after it, until the unit reports the
    matter solved (a completion report, or a later answer of class A)."""

    follow_up_months: PositiveInt = 3


class Rectification(_Model):
    """整改 after a follow-up check (回头看) reopens an item: the unit's rectification plan
    (整改方案) is due ``plan_days`` days after the reopening (working days when
    ``working_days``), never after the new due date."""

    plan_days: PositiveInt = 5
    working_days: bool = False


class Dispatch(_Model):
    """What happens when an item goes out."""

    copy_to_leader: bool = True  # 同时报分管领导: the deputy leader gets a short copy


# --- the escalation ladder (DESIGN §3) -----------------------------------------------------------


class LadderLevel(_Model):
    """One step of the ladder: who is told how many days after the due date; what they can do."""

    level: PositiveInt
    after_days: NonNegativeInt
    recipients: Recipients
    actions: tuple[LadderAction, ...] = ()
    urging_notice: bool = False
    inspection_item: bool = False
    quiet_hours: bool = True
    # Only after a talk (约谈) on the item, and not before the end of the day the unit committed
    # to at it: the item remains undone after the talk (问责).
    after_talk: bool = False


class Ladder(_Model):
    levels: tuple[LadderLevel, ...] = (
        LadderLevel(
            level=1,
            after_days=0,
            recipients=(Recipient.DEPUTY_LEADER, Recipient.OFFICE),
            actions=(LadderAction.URGE, LadderAction.INSTRUCT, LadderAction.TALK),
        ),
        LadderLevel(
            level=2,
            after_days=3,
            recipients=(Recipient.UNIT_HEAD, Recipient.UNIT_CONTACT, Recipient.OFFICE),
            urging_notice=True,
        ),
        LadderLevel(
            level=3,
            after_days=7,
            recipients=(Recipient.PRINCIPAL, Recipient.OFFICE),
            actions=(LadderAction.TALK, LadderAction.CRITICISM),
            inspection_item=True,
        ),
        LadderLevel(
            level=4,
            after_days=15,
            recipients=(Recipient.PRINCIPAL, Recipient.OFFICE),
            actions=(LadderAction.REFERRAL,),
            after_talk=True,
        ),
    )

    @field_validator("levels")
    @classmethod
    def _levels_in_order(cls, levels: tuple[LadderLevel, ...]) -> tuple[LadderLevel, ...]:
        _strictly_increasing([level.level for level in levels], "level")
        _strictly_increasing([level.after_days for level in levels], "after_days")
        return levels

    def get(self, number: int) -> LadderLevel | None:
        return next((level for level in self.levels if level.level == number), None)


class QuietHours(_Model):
    """Local hours in which nothing is sent; what falls inside waits for ``end``."""

    enabled: bool = True
    start: TimeOfDay = time(22, 0)
    end: TimeOfDay = time(8, 0)
    escalations: bool = True

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.enabled and self.start == self.end:
            raise ValueError("start and end are equal; set enabled: false to turn quiet hours off")
        return self


# --- what people see -----------------------------------------------------------------------------


class Lights(_Model):
    warning_window_days: NonNegativeInt = 3

    @property
    def warning_window(self) -> timedelta:
        return timedelta(days=self.warning_window_days)


class Digest(_Model):
    time: TimeOfDay = time(8, 30)


class Bulletin(_Model):
    weekday: Weekday = "monday"
    time: TimeOfDay = time(9, 0)

    @property
    def weekday_number(self) -> int:
        """Monday is 0, as ``date.weekday()`` counts."""
        return WEEKDAYS.index(self.weekday)


class Notices(_Model):
    """Notices of criticism and praise (通报, ``domain.notices``): who is copied, how long a
    draft waits for confirmation, and by how many days a criticised unit must answer."""

    copy_deputy_leaders: bool = True  # every deputy leader (分管领导)
    copy_organisations: bool = True  # the roster's organisations to copy (县委办, 人大办, 政协办)
    confirm_within_hours: PositiveInt = 48
    reply_within_days: PositiveInt = 5


# --- approval, load control, delivery, codes -----------------------------------------------------


ApprovalStep = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]


class Approval(_Model):
    """Approval steps (审核) an item passes before dispatch; each names who may approve it.

    An entry equal to a roster role name (``supervisor``, ``principal``, ...) admits everyone with
    that role; any other entry is a roster person key. No steps: items go out without approval.
    """

    steps: tuple[ApprovalStep, ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.steps)

    def may_approve(self, step: int, person_key: str, roles: Iterable[str]) -> bool:
        """Whether this person (by key or by a role) may approve step ``step`` (0-based)."""
        if not 0 <= step < len(self.steps):
            return False
        allowed = set(self.steps[step])
        return person_key in allowed or not allowed.isdisjoint(str(role) for role in roles)


class Load(_Model):
    """Load control (基层减负): when dispatching should warn the office first."""

    open_items_per_unit: PositiveInt = 15
    title_similarity: Annotated[float, Field(gt=0, le=1)] = 0.8


class Delivery(_Model):
    """Telegram send limits and retries of the outbox sender."""

    per_chat_per_second: Annotated[float, Field(gt=0)] = 1.0
    group_per_minute: Annotated[float, Field(gt=0)] = 20
    overall_per_second: Annotated[float, Field(gt=0)] = 30
    max_attempts: PositiveInt = 8
    backoff_base_seconds: Annotated[float, Field(gt=0)] = 2.0
    backoff_max_seconds: Annotated[float, Field(gt=0)] = 3600.0

    def retry_delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based): doubling, capped."""
        exponent = min(max(attempt - 1, 0), 60)
        seconds = min(self.backoff_base_seconds * 2**exponent, self.backoff_max_seconds)
        return timedelta(seconds=seconds)


class GroupRoute(_Model):
    """Where one kind of message goes besides the people themselves: the work group of
    ``group`` (None: no group), and whether each person still gets it privately."""

    group: GroupKind | None
    private: bool = False


def _route(group: GroupKind | None, *, private: bool = False) -> GroupRoute:
    return GroupRoute(group=group, private=private)


class Groups(_Model):
    """What goes to work groups (工作群). A message sent to a bound group is not also sent to
    each person privately unless ``private`` says so; with no group bound (or the bot removed
    from it) the people get it privately as before."""

    dispatch: GroupRoute = _route(GroupKind.UNIT, private=True)
    reminder: GroupRoute = _route(GroupKind.UNIT, private=True)
    urging: GroupRoute = _route(GroupKind.UNIT, private=True)
    complaint: GroupRoute = _route(GroupKind.OFFICE)
    verification: GroupRoute = _route(GroupKind.OFFICE)
    extension: GroupRoute = _route(GroupKind.OFFICE)
    delivery_failure: GroupRoute = _route(GroupKind.OFFICE)
    bulletin: GroupRoute = _route(GroupKind.LEADERS)
    # The supervision report is addressed (主送) to the principal leader and is the office's
    # own record: both keep their copy when the leaders' group gets it too.
    monthly_report: GroupRoute = _route(GroupKind.LEADERS, private=True)
    link_hours: PositiveInt = 24  # how long a group link (?startgroup=) stays valid

    def route(self, topic: GroupTopic) -> GroupRoute:
        route: GroupRoute = getattr(self, topic.value)
        return route


class Evidence(_Model):
    """Evidence files (佐证材料) attached to reports: size limits and the near-duplicate test."""

    max_photo_bytes: PositiveInt = 20 * 1024 * 1024
    max_document_bytes: PositiveInt = 20 * 1024 * 1024
    phash_distance: Annotated[int, Field(ge=0, le=64)] = 6


_CODE_FIELDS = frozenset({"year", "seq"})
_REF_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _check_template(template: str) -> str:
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from None
    if fields != _CODE_FIELDS:
        raise ValueError(
            f"template {template!r} must use exactly the placeholders {{year}} and {{seq}}"
        )
    try:
        template.format(year=2026, seq=17)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from None
    return template


class Codes(_Model):
    """Templates of the numbers the office gives out; ``{year}`` and ``{seq}`` are filled in."""

    item: str = "督〔{year}〕{seq}号"
    ref: str = "{year}-{seq}"
    urging_notice: str = "催〔{year}〕{seq}号"
    dispatch_sheet: str = "督办〔{year}〕{seq}号"
    talk_notice: str = "约谈〔{year}〕{seq}号"
    criticism_notice: str = "督通〔{year}〕{seq}号"
    register_sheet: str = "督登〔{year}〕{seq}号"
    monthly_report: str = "督查专报〔{year}〕{seq}号"

    @field_validator(
        "item",
        "ref",
        "urging_notice",
        "dispatch_sheet",
        "talk_notice",
        "criticism_notice",
        "register_sheet",
        "monthly_report",
    )
    @classmethod
    def _placeholders(cls, template: str) -> str:
        return _check_template(template)

    @field_validator("ref")
    @classmethod
    def _ref_is_ascii(cls, template: str) -> str:
        sample = template.format(year=2026, seq=17)
        if not _REF_CHARS.fullmatch(sample):
            raise ValueError(
                f"ref template {template!r} gives {sample!r}; a ref must be ASCII letters, "
                "digits, '.', '_' or '-' (it is typed in commands and URLs)"
            )
        return template

    def item_code(self, year: int, seq: int) -> str:
        return self.item.format(year=year, seq=seq)

    def item_ref(self, year: int, seq: int) -> str:
        return self.ref.format(year=year, seq=seq)

    def urging_notice_code(self, year: int, seq: int) -> str:
        return self.urging_notice.format(year=year, seq=seq)

    def document_number(self, kind: str, year: int, seq: int) -> str:
        """The number of a document of ``kind`` (a ``DocumentKind`` value)."""
        template: str = getattr(self, _DOCUMENT_CODES[kind])
        return template.format(year=year, seq=seq)


_DOCUMENT_CODES = {
    "dispatch": "dispatch_sheet",
    "urging": "urging_notice",
    "talk": "talk_notice",
    "criticism": "criticism_notice",
    "praise": "criticism_notice",  # one 通报 sequence
    "register": "register_sheet",
    "report": "monthly_report",
}


class MonthlyReportSchedule(_Model):
    """When the month's supervision report (督查专报) on the month before is issued and sent:
    on the ``working_day``-th working day of the month (the work calendar's), at ``time``."""

    enabled: bool = True
    working_day: Annotated[int, Field(ge=1, le=10)] = 1
    time: TimeOfDay = time(9, 0)


class Documents(_Model):
    """Official documents (公文): who issues them, where a deployment's own templates are, and
    the dates they set."""

    issuer: Annotated[str, Field(min_length=1, max_length=60)] = "××县人民政府督查室"
    templates: str | None = None  # a folder of the deployment's own .docx templates
    pdf: bool = True  # also send each document as PDF where LibreOffice is installed
    copy_to: tuple[Annotated[str, Field(min_length=1)], ...] = ()  # 抄送
    criticism_recipient: Annotated[str, Field(min_length=1)] = "各乡镇人民政府，县直各单位"
    criticism_copy_to: tuple[Annotated[str, Field(min_length=1)], ...] = (
        "县委办公室",
        "县人大常委会办公室",
        "县政协办公室",
    )
    reply_days: NonNegativeInt = 3  # an urging notice or a criticism asks for a reply this soon
    talk_days: NonNegativeInt = 3  # a talk notice asks the unit head to attend within this
    report_recipient: Annotated[str, Field(min_length=1)] = "县政府主要领导"  # 督查专报's 主送
    monthly_report: MonthlyReportSchedule = MonthlyReportSchedule()
    # One written urging notice per unit and pass listing its overdue items (one number); false:
    # one per item. The urging template must then name ``items``.
    urging_per_unit: bool = True


# --- the whole policy ----------------------------------------------------------------------------


class Policy(_Model):
    classes: Classes = Classes()
    reminders: Reminders = Reminders()
    chases: Chases = Chases()
    proposals: Proposals = Proposals()
    rectification: Rectification = Rectification()
    dispatch: Dispatch = Dispatch()
    ladder: Ladder = Ladder()
    quiet_hours: QuietHours = QuietHours()
    lights: Lights = Lights()
    digest: Digest = Digest()
    bulletin: Bulletin = Bulletin()
    notices: Notices = Notices()
    approval: Approval = Approval()
    load: Load = Load()
    delivery: Delivery = Delivery()
    groups: Groups = Groups()
    evidence: Evidence = Evidence()
    codes: Codes = Codes()
    documents: Documents = Documents()
    assessment: Assessment = Assessment()


# --- loading -------------------------------------------------------------------------------------

_REPLACED_WHOLE = frozenset({"resolve", "reports", "scheme"})


def merge_over(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` over ``defaults``: mappings merge, everything else replaces.

    Mappings under a key in ``resolve``/``reports`` are one rule each and replace whole, and so
    does the assessment's ``scheme``: a deployment's scheme names every kind it scores.
    """
    merged = dict(defaults)
    for key, value in overrides.items():
        base = merged.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping) and key not in _REPLACED_WHOLE:
            merged[key] = merge_over(base, value)
        else:
            merged[key] = value
    return merged


class _PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 integers, so ``22:00`` stays the string "22:00"."""


_INT_TAG = "tag:yaml.org,2002:int"
_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PolicyYamlLoader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(file=str(path), path="(file)", reason=exc.strerror or str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(file=str(path), path="(file)", reason="not UTF-8 text") from exc
    try:
        return yaml.load(text, Loader=_PolicyYamlLoader)  # a SafeLoader: builds no objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = _one_line(f"invalid YAML: {exc.problem or exc.context or exc}")
        raise PolicyError(file=str(path), path=where, reason=reason) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(file=str(path), path="(file)", reason=_one_line(str(exc))) from exc


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path`` merged over the defaults; ``None`` gives the defaults."""
    if path is None:
        return Policy()
    document = _read_yaml(path)
    if document is None:
        return Policy()
    if not isinstance(document, Mapping):
        raise PolicyError(file=str(path), path="(top level)", reason="expected a mapping of keys")
    merged = merge_over(Policy().model_dump(mode="json"), document)
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        reason = _one_line(str(first["msg"]).removeprefix("Value error, "))
        if len(errors) > 1:
            reason += f" (and {len(errors) - 1} more)"
        raise PolicyError(file=str(path), path=_key_path(first["loc"]), reason=reason) from exc
