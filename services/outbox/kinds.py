"""The kinds of notification that reminders, the escalation ladder, the leaders' measures, the
morning digest and delivery queue (a notification's ``kind`` column)."""

from __future__ import annotations

from domain.reminders import OccasionKind

RECEIPT_CHASE = str(OccasionKind.RECEIPT_CHASE)
DUTY_REMINDER = str(OccasionKind.DUTY_REMINDER)
DUTY_CHASE = str(OccasionKind.DUTY_CHASE)
DUTY_NOTICE = str(OccasionKind.DUTY_NOTICE)
BEFORE_DUE = str(OccasionKind.BEFORE_DUE)
REPORT_DUE = str(OccasionKind.REPORT_DUE_SOON)
ESCALATION = str(OccasionKind.ESCALATION)
DIGEST = "digest"
URGE = "urge"
TALK = "talk"
CRITICISM = "criticism"
REFERRAL = "referral"
FORWARDED = "forwarded"
OFFICE_ALERT = "office_alert"
# Kinds the sender may merge into one message when several are due to one chat at once.
MERGEABLE = frozenset({BEFORE_DUE, REPORT_DUE, DIGEST})
# Ladder notices and chases (催签收, a deadline's reminder, 催报 and the notice upward): several
# due to one chat at once go as one message that lists them (their rows keep a ``listing``, see
# ``domain.listing``).
LISTED = frozenset({ESCALATION, URGE, RECEIPT_CHASE, DUTY_REMINDER, DUTY_CHASE, DUTY_NOTICE})
