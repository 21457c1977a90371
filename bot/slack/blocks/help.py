"""The help text: every subcommand with an example, and why it is shown when it was not asked for."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.blocks.limits import Message, context, escape, header, section

__all__ = ["USAGE", "help_message"]

USAGE = (
    ("run [target] [check ...]", "Run every check (or the named checks or areas) and post a live scorecard.",
     "/launchready run staging auth tls.certificate"),
    ("status [target]", "The launch checklist: owners, due dates, what is open, worst first.",
     "/launchready status"),
    ("assign <item> @person [due YYYY-MM-DD]", "Give an item an owner and a due date.",
     "/launchready assign auth.private_routes @ann due 2026-12-10"),
    ("done <item> [note]", "Mark an item done, or attest a manual one (its owner or an admin).",
     "/launchready done manual.keys_rotated rotated on Monday"),
    ("waive <item> <days> <reason>", "Waive an item for a while, with the reason (admins).",
     "/launchready waive tls.protocols 14 legacy partner until January"),
    ("handover [target]", "Write the handover document for the next owner.", "/launchready handover"),
    ("digest", "Post the launch digest now.", "/launchready digest"),
    ("incidents", "List open incidents.", "/launchready incidents"),
    ("help", "This text.", "/launchready help"),
)


def help_message(problem: str | None = None, *, targets: Sequence[str] = ()) -> Message:
    blocks = []
    if problem:
        blocks.append(section(f":thinking_face: {problem}"))
    blocks.append(header("Launch Ready: /launchready"))
    lines = [f"*{escape(usage)}*\n{escape(what)}\n`{escape(example)}`" for usage, what, example in USAGE]
    blocks.append(section("\n\n".join(lines)))
    if targets:
        blocks.append(context(f"Targets: {', '.join(f'`{escape(t)}`' for t in targets)} (the first is the default)."))
    text = (problem + " " if problem else "") + "Usage: /launchready run | status | assign | done | waive | handover | digest | incidents | help"
    return Message(text=text, blocks=blocks)
