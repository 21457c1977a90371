"""How a sign-off reads, in Slack (with mentions) and on the command line (without)."""

from __future__ import annotations

from collections.abc import Callable

from bot.store.signoffs import Signoff

__all__ = ["broken_text", "signed_text", "state_line"]

Names = Callable[[str | None], str]


def _plain(who: str | None) -> str:
    return who or "nobody"


def _at(signoff: Signoff) -> str:
    return signoff.signed_at.strftime("%Y-%m-%d %H:%M UTC")


def signed_text(signoff: Signoff, who: Names = _plain) -> str:
    waivers = (
        "; ".join(
            f"`{w.check_id}` until {w.expires} by {who(w.by)}: {w.reason}" for w in signoff.waivers
        )
        if signoff.waivers
        else "none"
    )
    note = f"\nNote: {signoff.note}" if signoff.note else ""
    return (
        f":black_nib: *Go/no-go signed for {signoff.target}: {signoff.verdict}*, by {who(signoff.signed_by)} "
        f"at {_at(signoff)}, on run `{signoff.run_id}`.\nWaivers in force: {waivers}.{note}"
    )


def broken_text(signoff: Signoff, who: Names = _plain) -> str:
    return (
        f":warning: *The go/no-go sign-off for {signoff.target} no longer holds*: {who(signoff.signed_by)} signed "
        f"{signoff.verdict} at {_at(signoff)} (run `{signoff.run_id}`), and run `{signoff.broken_by_run}` says "
        f"{signoff.broken_verdict}. Sign again once the team agrees: `/launchready signoff {signoff.target}`."
    )


def state_line(signoff: Signoff | None, who: Names = _plain) -> str:
    """One line for `status`: the sign-off and whether it still holds."""
    if signoff is None:
        return "Not signed off yet: an admin signs the go/no-go with `/launchready signoff`."
    head = f"Signed off {signoff.verdict} by {who(signoff.signed_by)} at {_at(signoff)} (run {signoff.run_id})"
    if signoff.holds:
        return head + "; it still holds."
    return (
        head + f"; it no longer holds: run {signoff.broken_by_run} says {signoff.broken_verdict}."
    )
