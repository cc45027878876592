"""Checks on what goes out: every coach reply, from any tier, before anyone sees it.

(What comes in, the seller's message, is `coach.safety`.)"""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.guards.replies import (
        CHECKS as CHECKS,
        CheckResult as CheckResult,
        GuardReport as GuardReport,
        Guards as Guards,
        ReplyContext as ReplyContext,
        calibrate as calibrate,
    )

__all__, __getattr__ = public(__name__, __file__)
