"""Incident alerts as Block Kit: what failed with the value seen, since when, the related
checklist item, and Acknowledge / Resolve buttons while the incident is open.

:class:`IncidentBlocks` is the :class:`bot.monitoring.incidents.Renderer` the service uses;
thread replies stay plain text (:class:`bot.monitoring.incidents.TextRenderer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.monitoring.incidents import Incident, TextRenderer, format_duration
from bot.slack.blocks import limits
from bot.slack.blocks.limits import actions, button, context, escape, header, section
from reports.mentions import mention

__all__ = ["ACTION_ACK", "ACTION_RESOLVE", "IncidentBlocks", "incident_blocks", "incidents_list"]

ACTION_ACK = "incident_ack"
ACTION_RESOLVE = "incident_resolve"
MAX_LISTED = 20

_STATE = {
    "open": (":rotating_light:", "Incident"),
    "acknowledged": (":eyes:", "Incident (acknowledged)"),
    "resolved": (":white_check_mark:", "Resolved"),
}


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    stamp = int(moment.timestamp())
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def _who(actor: str | None) -> str:
    return mention(actor, escape=escape)


def incident_blocks(incident: Incident, now: datetime) -> list[dict[str, Any]]:
    emoji, label = _STATE.get(incident.state, (":grey_question:", "Incident"))
    blocks: list[dict[str, Any]] = [
        header(f"{label} #{incident.id}: {incident.title}"),
        section(f"{emoji} {escape(incident.summary)}"),
    ]
    facts = [f"*Kind*\n{incident.kind}", f"*Started*\n{_when(incident.started_at)}"]
    if incident.related_check:
        facts.append(f"*Checklist item*\n`{incident.related_check}`")
    if incident.state == "resolved":
        facts.append(
            f"*Resolved*\nby {_who(incident.resolved_by)} {_when(incident.resolved_at)}, after "
            f"{format_duration(incident.duration(now))}"
        )
    elif incident.acknowledged_by:
        facts.append(
            f"*Acknowledged*\nby {_who(incident.acknowledged_by)} {_when(incident.acknowledged_at)}"
        )
    blocks.append(section("*Details*", fields=facts))
    notes = []
    if incident.link and incident.link.startswith(("http://", "https://")):
        notes.append(f"<{incident.link}|Source>")
    if incident.reopens:
        notes.append(f"Re-opened {incident.reopens} time{'s' if incident.reopens != 1 else ''}")
    if incident.related_check:
        notes.append(f"`/launchready status` shows `{incident.related_check}`")
    if notes:
        blocks.append(context(" · ".join(notes)))
    if incident.state != "resolved":
        buttons = []
        if incident.state == "open":
            buttons.append(button("Acknowledge", ACTION_ACK, str(incident.id), style="primary"))
        buttons.append(button("Resolve", ACTION_RESOLVE, str(incident.id), style="danger"))
        blocks.append(actions(buttons, block_id=f"incident|{incident.id}"))
    return blocks


class IncidentBlocks(TextRenderer):
    """Blocks for the alert message; the text fallback and thread replies come from the
    plain-text renderer, so the notification reads the same."""

    def message(self, incident: Incident, now: datetime) -> tuple[str, list[dict[str, Any]] | None]:
        return self.text(incident, now), incident_blocks(incident, now)


def incidents_list(
    incidents: Sequence[Incident], now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The answer to ``/launchready incidents``."""
    if not incidents:
        text = ":tada: No open incident."
        return text, [section(text)]
    lines = []
    for incident in incidents[:MAX_LISTED]:
        state = (
            "acknowledged by " + _who(incident.acknowledged_by)
            if incident.state == "acknowledged"
            else "open"
        )
        lines.append(
            f"• *#{incident.id}* [{incident.kind}] {escape(incident.title)}: {state}, for "
            f"{format_duration(now - incident.started_at)}\n   {escape(limits.truncate(incident.summary, 300))}"
        )
    if len(incidents) > MAX_LISTED:
        lines.append(f"… and {len(incidents) - MAX_LISTED} more.")
    text = f"*Open incidents* ({len(incidents)})\n" + "\n".join(lines)
    return text, [section(chunk) for chunk in limits.split_text(text)][: limits.MESSAGE_BLOCKS]
