"""App Home: the project, days to launch, the last verdicts, the opener's own items (overdue
first), open incidents and a Run button per target. At most 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.app.runtime import IncidentLine
from bot.slack.blocks import limits
from bot.slack.blocks.limits import (
    actions,
    button,
    context,
    divider,
    escape,
    header,
    section,
    truncate,
)
from bot.slack.blocks.run import ChecklistLine
from bot.slack.blocks.words import VERDICT_LABEL, mention, status_mark
from checks.model import Verdict

__all__ = ["ACTION_HOME_RUN", "TargetVerdict", "home_view"]

ACTION_HOME_RUN = "lr_home_run"
MAX_ITEMS = 30
MAX_INCIDENTS = 15


@dataclass(frozen=True)
class TargetVerdict:
    target: str
    verdict: Verdict | None
    finished_at: datetime | None
    failing: int = 0


def countdown(launch_date: date | None, today: date) -> str:
    if launch_date is None:
        return "No launch date set (`launch_date:` in app.yaml)."
    days = (launch_date - today).days
    if days > 1:
        return f"*{days} days* to launch ({launch_date.isoformat()})."
    if days == 1:
        return f"*Tomorrow* is launch day ({launch_date.isoformat()})."
    if days == 0:
        return f"*Today* is launch day ({launch_date.isoformat()})."
    return f"Launched {-days} days ago ({launch_date.isoformat()})."


def home_view(
    *,
    project: str,
    launch_date: date | None,
    today: date,
    user: str,
    verdicts: Sequence[TargetVerdict],
    my_items: Sequence[ChecklistLine],
    incidents: Sequence[IncidentLine] | None,
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        header(f"Launch Ready · {project}"),
        section(countdown(launch_date, today)),
    ]
    lines = []
    for item in verdicts:
        if item.verdict is None:
            lines.append(f"*{escape(item.target)}*: no run yet")
            continue
        when = item.finished_at.strftime("%Y-%m-%d %H:%M UTC") if item.finished_at else "?"
        failing = f", {item.failing} need attention" if item.failing else ""
        lines.append(f"*{escape(item.target)}*: {VERDICT_LABEL[item.verdict]} ({when}{failing})")
    blocks.append(
        section(
            "*Last runs*\n" + "\n".join(lines) if lines else "*Last runs*\nNo targets configured."
        )
    )
    run_buttons = [
        # action_ids must differ within one actions block: the target rides along in the id.
        button(
            f"Run {t.target}",
            f"{ACTION_HOME_RUN}:{t.target}",
            t.target,
            style="primary" if i == 0 else None,
        )
        for i, t in enumerate(verdicts[: limits.ACTIONS_ELEMENTS])
    ]
    if run_buttons:
        blocks.append(actions(run_buttons, block_id="home_run"))
    blocks.append(divider())

    ordered = sorted(my_items, key=lambda i: (not i.overdue, i.severity.rank, i.check_id))
    blocks.append(section(f"*Your items* ({len(ordered)}) · {mention(user)}"))
    if ordered:
        entries = []
        for item in ordered[:MAX_ITEMS]:
            due = (
                f" · due {item.due}" + (" :rotating_light: *overdue*" if item.overdue else "")
                if item.due
                else ""
            )
            doubted = item.status in ("stale", "contradicted") and item.summary
            why = f"\n      _{escape(truncate(item.summary, 200))}_" if doubted else ""
            entries.append(
                f"{status_mark(item.status)} `{item.check_id}` {escape(truncate(item.title, 120))}{due}{why}"
            )
        if len(ordered) > MAX_ITEMS:
            entries.append(f"… and {len(ordered) - MAX_ITEMS} more: `/launchready status`")
        blocks += [section(chunk) for chunk in limits.split_text("\n".join(entries))]
    else:
        blocks.append(
            context("Nothing is assigned to you. `/launchready assign <item> @you` takes one on.")
        )
    blocks.append(divider())

    if incidents is None:
        blocks.append(context("Incidents: monitoring is not configured in this service."))
    elif not incidents:
        blocks.append(section("*Open incidents*\nNone :tada:"))
    else:
        entries = []
        for incident in incidents[:MAX_INCIDENTS]:
            since = (
                f" since {incident.since.strftime('%Y-%m-%d %H:%M UTC')}" if incident.since else ""
            )
            ack = (
                f" · acknowledged by {mention(incident.acknowledged_by)}"
                if incident.acknowledged_by
                else ""
            )
            entries.append(
                f":rotating_light: *{escape(truncate(incident.title, 200))}* ({incident.severity}){since}{ack}"
            )
        if len(incidents) > MAX_INCIDENTS:
            entries.append(f"… and {len(incidents) - MAX_INCIDENTS} more: `/launchready incidents`")
        blocks += [
            section(chunk)
            for chunk in limits.split_text(
                f"*Open incidents* ({len(incidents)})\n" + "\n".join(entries)
            )
        ]
    blocks.append(context("`/launchready help` lists every command."))
    return {"type": "home", "blocks": blocks[: limits.VIEW_BLOCKS]}
