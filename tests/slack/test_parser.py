"""/launchready text -> Command: mentions, quotes, spaces, targets, and help for the unclear."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.commands import names, parse
from bot.slack.parser import Command

TARGETS = ["staging", "production"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run", Command("run")),
        ("  RUN   staging  ", Command("run", target="staging")),
        ("run staging auth tls.certificate", Command("run", target="staging", checks=("auth", "tls.certificate"))),
        ("run auth,tls.protocols auth", Command("run", checks=("auth", "tls.protocols"))),
        ("status production", Command("status", target="production")),
        ("assign auth.private_routes <@U123|ann> due 2026-12-10",
         Command("assign", item="auth.private_routes", user="U123", due=date(2026, 12, 10))),
        ("assign staging auth.private_routes <@U123ABC>", Command("assign", target="staging", item="auth.private_routes", user="U123ABC")),
        ('assign auth.x <@U1|Ann "the boss" Lee> 2026-12-01', Command("assign", item="auth.x", user="U1", due=date(2026, 12, 1))),
        ("done manual.keys_rotated rotated on Monday", Command("done", item="manual.keys_rotated", note="rotated on Monday")),
        ("done auth.x didn't need it", Command("done", item="auth.x", note="didn't need it")),
        ('waive tls.protocols 14d "legacy partner" until Jan', Command("waive", item="tls.protocols", days=14, note="legacy partner until Jan")),
        ("“waive” tls.protocols 3 ‘smart quotes’", Command("waive", item="tls.protocols", days=3, note="smart quotes")),
        ("handover", Command("handover")),
        ("digest", Command("digest")),
        ("incidents", Command("incidents")),
        ("help", Command("help")),
        ("", Command("help")),
    ],
)
def test_parses(text: str, expected: Command):
    assert parse(text, TARGETS) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("frobnicate", "`frobnicate` is not a subcommand."),
        ("stat", "Did you mean `status`?"),
        ("run staging 'DROP TABLE'", "is neither a target"),
        ("assign auth.x @ann", "is not a Slack mention"),
        ("assign auth.x", "needs a person"),
        ("assign", "needs a checklist item"),
        ("assign auth.x <@U1> due", "needs a date"),
        ("assign auth.x <@U1> due 2026-13-01", "is not a date"),
        ("waive auth.x 0 because", "1 to 365 days, not 0"),
        ("waive auth.x 14", "needs a reason"),
        ("waive auth.x soon because", "is not a number of days"),
        ("waive notanitem 3 because", "is not a checklist item id"),
        ("status nowhere", "is not a target"),
        ("digest now", "takes no arguments"),
    ],
)
def test_unclear_text_gets_help_with_the_reason(text: str, problem: str):
    command = parse(text, TARGETS)
    assert command.is_help
    assert problem in (command.problem or "")


@given(st.text(max_size=200))
def test_never_raises(text: str):
    command = parse(text, TARGETS)
    assert command.name in names()
