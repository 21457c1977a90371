"""The small vocabulary every Slack message shares: status marks, verdict labels, mentions."""

from __future__ import annotations

from datetime import datetime, timedelta

import reports.mentions
from bot.slack.blocks.limits import escape
from checks.model import Severity, Status, Verdict
from reports.durations import elapsed

__all__ = ["STATUS_MARK", "VERDICT_LABEL", "duration", "mention", "severity_label", "status_mark"]

STATUS_MARK = {
    str(Status.PASS): ":white_check_mark:",
    str(Status.FAIL): ":x:",
    str(Status.WARN): ":warning:",
    str(Status.ERROR): ":boom:",
    str(Status.SKIPPED): ":fast_forward:",
    str(Status.MANUAL): ":hand:",
    str(Status.WAIVED): ":zipper_mouth_face:",
    "done": ":ballot_box_with_check:",
    "attested": ":ballot_box_with_check:",
    "stale": ":hourglass:",
    "contradicted": ":rotating_light:",
    "open": ":white_circle:",
}

VERDICT_LABEL = {
    Verdict.GO: ":large_green_circle: GO",
    Verdict.GO_WITH_WARNINGS: ":large_yellow_circle: GO with warnings",
    Verdict.NO_GO: ":red_circle: NO GO",
}


def status_mark(status: str | Status) -> str:
    return STATUS_MARK.get(str(status), ":grey_question:")


def severity_label(severity: Severity) -> str:
    return str(severity).capitalize()


def mention(owner: str | None) -> str:
    """``<@U123>`` for a Slack user id (Slack notifies them), the escaped name otherwise."""
    return reports.mentions.mention(owner, nobody="_no owner_", escape=escape)


is_user_id = reports.mentions.is_user_id


def duration(delta: timedelta) -> str:
    return elapsed(delta, tenths=True)


def slack_date(moment: datetime, fallback: str | None = None) -> str:
    """A date every reader sees in their own time zone."""
    text = fallback or moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{text}>"
