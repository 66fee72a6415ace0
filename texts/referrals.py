"""Messages about referrals for accountability (问责建议)."""

from __future__ import annotations

from domain.i18n import N_
from domain.referrals import ReferralView
from domain.views import ItemView
from texts import Text
from texts.items import header, month_day, user_text

PROPOSE = N_("⚖️ Propose accountability")


def question(t: Text, item: ItemView) -> str:
    return "\n".join(
        (
            header(t, item),
            t(N_("⚖️ Reply with three lines:")),
            t(N_("To: the body it is referred to")),
            t(N_("Reason: still not done after the talk")),
            t(N_("Date: 12月20日")),
        )
    )


def referred(t: Text, item: ItemView, referral: ReferralView) -> str:
    return "\n".join(
        (
            header(t, item),
            t(
                N_("⚖️ {who} proposed accountability (问责建议): referred to {to}."),
                who=referral.by or t(N_("The supervision office")),
                to=user_text(t, referral.to_whom),
            ),
            t(N_("Grounds for accountability: {reason}"), reason=user_text(t, referral.reason)),
        )
    )


def done(t: Text, referral: ReferralView) -> str:
    return t(
        N_("✅ Referral for accountability recorded: to {to}, dated {date}."),
        to=user_text(t, referral.to_whom),
        date=month_day(t, referral.on),
    )
