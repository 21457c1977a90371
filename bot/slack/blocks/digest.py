"""The daily digest as Block Kit, from the neutral :class:`bot.digest.Digest`.

The text fallback is the Jinja2 rendering (:func:`bot.digest.render_text`); the blocks carry
the same content in sections, owners mentioned, within the 50-block limit (long lists are
split at line breaks, the tail summarised).
"""

from __future__ import annotations

from typing import Any

from bot.digest import Digest, DigestItem
from bot.slack.blocks import limits
from bot.slack.blocks.limits import context, divider, escape, header, section
from reports.mentions import mention

__all__ = ["digest_blocks"]

_VERDICT = {
    "GO": ":large_green_circle:",
    "GO_WITH_WARNINGS": ":large_yellow_circle:",
    "NO_GO": ":red_circle:",
}


def _mention(owner: str | None) -> str:
    return mention(owner, nobody="_nobody_", escape=escape)


def _item(item: DigestItem, *, owner: bool = True) -> str:
    who = f", {_mention(item.owner)}" if owner else ""
    return f"• `{item.check_id}` {escape(item.title)} ({item.severity}): {escape(item.note)}{who}"


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [header(f"Launch Ready digest: {digest.project}, {digest.day}")]
    if digest.days_to_launch is not None:
        days = digest.days_to_launch
        when = (
            f"*{days}* day{'s' if days != 1 else ''} to launch ({digest.launch_date})"
            if days > 0
            else "*Launch day*"
            if days == 0
            else f"Launched {-days} day{'s' if days != -1 else ''} ago"
        )
        blocks.append(context(f":calendar: {when}"))
    if digest.hypercare:
        owner = (
            f" Every incident mentions {_mention(digest.hypercare_owner)}."
            if digest.hypercare_owner
            else ""
        )
        blocks.append(
            context(
                limits.truncate(
                    ":rotating_light: " + escape(digest.hypercare) + owner, limits.CONTEXT_TEXT
                )
            )
        )
    for target in digest.targets:
        if target.verdict is None:
            blocks.append(
                section(
                    f"*{escape(target.target)}*: no run yet. `/launchready run {escape(target.target)}`"
                )
            )
            continue
        change = target.score_change
        delta = f" ({'+' if change > 0 else ''}{change} since the last digest)" if change else ""
        lines = [
            f"{_VERDICT.get(target.verdict, '')} *{escape(target.target)}*: {target.verdict}, score *{target.score}%*{delta}"
        ]
        lines += [
            ":small_red_triangle_down: newly failing " + _item(i)[2:] for i in target.newly_failing
        ]
        lines += [
            ":white_check_mark: newly fixed " + _item(i, owner=False)[2:]
            for i in target.newly_fixed
        ]
        blocks += [section(chunk) for chunk in limits.split_text("\n".join(lines))]
    groups: list[tuple[str, list[str]]] = []
    if digest.overdue:
        lines = []
        for owner, items in digest.overdue:
            lines.append(f"{_mention(owner) if owner else '_unassigned_'}:")
            lines += ["  " + _item(i, owner=False) for i in items]
        groups.append((":hourglass: *Overdue*", lines))
    if digest.unowned:
        groups.append(
            (
                ":bust_in_silhouette: *Open items without an owner*",
                [_item(i, owner=False) for i in digest.unowned],
            )
        )
    if digest.contradicted:
        groups.append(
            (
                ":rotating_light: *Passes an open incident contradicts*",
                [_item(i) for i in digest.contradicted],
            )
        )
    if digest.stale_results:
        groups.append(
            (
                ":hourglass: *Passes that no longer hold* (`launchready run --stale`)",
                [_item(i) for i in digest.stale_results],
            )
        )
    if digest.open_leaks:
        groups.append(
            (
                ":key: *Leaked keys not yet shown dead* (`/launchready leaks`)",
                [_item(i) for i in digest.open_leaks],
            )
        )
    if digest.stale_attestations:
        groups.append(
            (":memo: *Attestations gone stale*", [_item(i) for i in digest.stale_attestations])
        )
    if digest.expiring_waivers:
        groups.append(
            (
                ":stopwatch: *Waivers ending within a week*",
                [_item(i) for i in digest.expiring_waivers],
            )
        )
    if digest.incidents:
        groups.append(
            (
                ":rotating_light: *Open incidents*",
                [f"• #{i.id} [{i.kind}] {escape(i.title)} ({i.state})" for i in digest.incidents],
            )
        )
    for title, lines in groups:
        blocks.append(divider())
        blocks += [section(chunk) for chunk in limits.split_text(title + "\n" + "\n".join(lines))]
    if digest.is_quiet:
        blocks.append(
            section(":sparkles: Nothing overdue, unowned, stale or expiring, and no open incident.")
        )
    if len(blocks) > limits.MESSAGE_BLOCKS:
        blocks = blocks[: limits.MESSAGE_BLOCKS - 1] + [
            context("… more in `launchready digest` on the command line.")
        ]
    return blocks
