"""The product's vocabulary: the closed sets of values the regulations name.

Values are stable ASCII strings stored in the database and accepted by the API;
the Chinese names shown to people live in the Babel catalogs.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Roles given by the roster. Unit head and unit contact come from the units table."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    PRINCIPAL = "principal"
    DEPUTY = "deputy"
    UNIT_HEAD = "unit_head"
    UNIT_CONTACT = "unit_contact"


ROSTER_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.PRINCIPAL, Role.DEPUTY})


class TimeClass(StrEnum):
    """Time-limit classes (DESIGN §2)."""

    GENERAL = "general"  # 一般事项
    MAJOR = "major"  # 重大复杂事项
    ROUTINE = "routine"  # 常态化事项
    INSTRUCTION = "instruction"  # 领导批示
    PROPOSAL = "proposal"  # 建议提案
    MEETING = "meeting"  # 重要会议文件
    ANNUAL = "annual"  # 年度重点工作
    CUSTOM = "custom"  # 自定


class Source(StrEnum):
    SUPERIOR = "superior"  # 上级交办
    DECISION = "decision"  # 重大决策部署
    WORK_REPORT = "work_report"  # 政府工作报告
    MEETING = "meeting"  # 会议议定事项
    INSTRUCTION = "instruction"  # 领导批示
    PROPOSAL = "proposal"  # 建议提案
    COMPLAINT = "complaint"  # 群众投诉
    OTHER = "other"  # 其他


class ItemStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    COMPLETION_SUBMITTED = "completion_submitted"
    CLOSED = "closed"
    ARCHIVED = "archived"
    WITHDRAWN = "withdrawn"  # 撤销督办: the office takes the item back before it is done


class AssignmentRole(StrEnum):
    LEAD = "lead"  # 牵头
    CO = "co"  # 配合


class AssignmentStatus(StrEnum):
    DISPATCHED = "dispatched"  # 已交办, waiting for receipt
    ACKNOWLEDGED = "acknowledged"  # 已签收
    IN_PROGRESS = "in_progress"  # 办理中
    COMPLETION_SUBMITTED = "completion_submitted"  # 办结报告待核签
    CONFIRMED = "confirmed"  # 单位已核签, with the office
    COMPLETED = "completed"  # 已办结


class ReportKind(StrEnum):
    PLAN = "plan"  # 研究部署
    PROGRESS = "progress"  # 进展
    COMPLETION = "completion"  # 办结
    EXTENSION = "extension"  # 延期申请
    MONTHLY = "monthly"  # 月度报告 (routine items)
    QUARTERLY = "quarterly"  # 季度报告 (annual key tasks)
    ANSWER_A = "answer_a"  # 答复建议提案人: A 解决或采纳 (solved or adopted)
    ANSWER_B = "answer_b"  # 答复: B 列入计划逐步解决 (in plan, solved step by step)
    ANSWER_C = "answer_c"  # 答复: C 留作参考 (kept for reference, with the reason)


class Duty(StrEnum):
    """What a unit owes by a date besides the final result, chased when missed (催报)."""

    PLAN = "plan"  # 研究部署
    FIRST_FEEDBACK = "first_feedback"  # 首次反馈
    PERIODIC_REPORT = "periodic_report"  # 月度/季度报告 (routine items, annual key tasks)
    PROPOSAL_REPORT = "proposal_report"  # 建议提案: the report owed after answering the proposer
    PROPOSAL_FOLLOW_UP = "proposal_follow_up"  # 建议提案 answered B: follow-ups until solved
    RECTIFICATION_PLAN = "rectification_plan"  # 整改方案 after a reopening (回头看)
    TALK_COMMITMENT = "talk_commitment"  # 约谈承诺: what the unit committed to at a talk


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"  # 已提交: with the unit head (completion) or the office
    CONFIRMED = "confirmed"  # 已核签: the unit head signed the completion off
    DECLINED = "declined"  # 未核签: the unit head sent it back
    ACCEPTED = "accepted"  # 已销号: the office closed the item on it
    RETURNED = "returned"  # 已退回: the office sent it back
    APPROVED = "approved"  # 延期已同意
    REFUSED = "refused"  # 延期未同意


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class ComplaintCategory(StrEnum):
    POLICY = "policy"  # 政策不落实
    CONDUCT = "conduct"  # 作风问题
    LIVELIHOOD = "livelihood"  # 民生问题
    OTHER = "other"  # 其他


class ComplaintStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"
    ANSWERED = "answered"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # retries exhausted
    UNREACHABLE = "unreachable"  # blocked or chat not found; rerouted to the next in line
    CANCELLED = "cancelled"  # its item closed, was archived or withdrawn, or its date moved first


class GroupKind(StrEnum):
    """What a work group (工作群) is bound to."""

    UNIT = "unit"  # a unit's group: its head, contacts and staff
    OFFICE = "office"  # the supervision office's group
    LEADERS = "leaders"  # the leaders' group


class GroupTopic(StrEnum):
    """What a message is about, as the policy routes it to a work group."""

    DISPATCH = "dispatch"  # 交办通知
    REMINDER = "reminder"  # reminders and chases (提醒, 催报)
    URGING = "urging"  # the written urging notice and escalations to units (催办)
    COMPLAINT = "complaint"  # a new complaint, with its triage buttons
    VERIFICATION = "verification"  # a completion report awaiting the office's verification
    EXTENSION = "extension"  # an extension request (延期申请)
    DELIVERY_FAILURE = "delivery_failure"  # a message that could not be delivered
    BULLETIN = "bulletin"  # the weekly bulletin (通报)
    MONTHLY_REPORT = "monthly_report"  # the monthly supervision report (督查专报)
