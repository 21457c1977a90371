"""Incident alerts as Block Kit: what failed with the value seen, since when, the related
checklist item, and Acknowledge / Resolve buttons while the incident is open.

:class:`IncidentBlocks` is the :class:`bot.monitoring.incidents.Renderer` the service uses;
thread replies stay plain text (:class:`bot.monitoring.incidents.TextRenderer`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.monitoring.incidents import Incident, TextRenderer, format_duration
from bot.promises import Coverage
from bot.slack.blocks import limits
from bot.slack.blocks.limits import actions, button, context, escape, header, section
from reports.mentions import mention

__all__ = [
    "ACTION_ACK",
    "ACTION_RERUN_COVERED",
    "ACTION_RESOLVE",
    "IncidentBlocks",
    "covered_rerun",
    "incident_blocks",
    "incidents_list",
]

ACTION_ACK = "incident_ack"
ACTION_RESOLVE = "incident_resolve"
# On a resolved incident: rerun the checks it contradicted. Value: "<target>|<id>,<id>".
ACTION_RERUN_COVERED = "incident_rerun"
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


def covered_rerun(value: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(target, check ids) from a rerun button's value, or None when it is not one."""
    target, _, checks = (value or "").partition("|")
    ids = tuple(c for c in checks.split(",") if c)
    return (target, ids) if target and ids else None


def incident_blocks(
    incident: Incident, now: datetime, coverage: Sequence[Coverage] = ()
) -> list[dict[str, Any]]:
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
    for covered in coverage:
        checks = ", ".join(f"`{c}`" for c in covered.checks)
        on = f" ({escape(covered.route)})" if covered.route else ""
        verb = "Contradicted" if incident.state != "resolved" else "Contradicted until now"
        blocks.append(
            context(
                limits.truncate(
                    f"{verb}: {checks} on *{escape(covered.target)}*{on}", limits.CONTEXT_TEXT
                )
            )
        )
    if incident.state == "resolved" and coverage:
        buttons = [
            button(
                limits.truncate(f"Re-run {', '.join(c.checks)} on {c.target}", limits.BUTTON_TEXT),
                f"{ACTION_RERUN_COVERED}:{n}",
                limits.truncate(f"{c.target}|{','.join(c.checks)}", limits.BUTTON_VALUE),
                style="primary",
            )
            for n, c in enumerate(coverage[: limits.ACTIONS_ELEMENTS])
        ]
        blocks.append(actions(buttons, block_id=f"incident_rerun|{incident.id}"))
    if incident.state != "resolved":
        buttons = []
        if incident.state == "open":
            buttons.append(button("Acknowledge", ACTION_ACK, str(incident.id), style="primary"))
        buttons.append(button("Resolve", ACTION_RESOLVE, str(incident.id), style="danger"))
        blocks.append(actions(buttons, block_id=f"incident|{incident.id}"))
    return blocks


class IncidentBlocks(TextRenderer):
    """Blocks for the alert message; the text fallback and thread replies come from the
    plain-text renderer, so the notification reads the same. ``coverage`` names the checks an
    incident contradicts (:func:`bot.promises.covering`), shown while it is open and offered
    as a rerun once it is resolved."""

    def __init__(
        self,
        coverage: Callable[[Incident], Sequence[Coverage]] | None = None,
        owner_for: Callable[[datetime], str | None] | None = None,
    ) -> None:
        self.coverage = coverage
        self.owner_for = owner_for  # hypercare: the launch owner for an incident started then

    def message(self, incident: Incident, now: datetime) -> tuple[str, list[dict[str, Any]] | None]:
        covered = self.coverage(incident) if self.coverage else ()
        owner = self.owner_for(incident.started_at) if self.owner_for else None
        text, blocks = self.text(incident, now), incident_blocks(incident, now, covered)
        if owner:  # the mention goes in the text too: that is what notifies
            cc = f"cc {_who(owner)} (hypercare: the launch owner hears of every incident)"
            text = f"{text}\n{cc}"
            blocks.insert(2, context(cc))
        return text, blocks


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
