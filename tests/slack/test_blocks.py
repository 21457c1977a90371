"""Block Kit limits: the biggest reports we can build stay inside every limit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app.runtime import IncidentLine
from bot.slack.blocks import limits
from bot.slack.blocks.help import help_message
from bot.slack.blocks.home import TargetVerdict, home_view
from bot.slack.blocks.limits import Message, paginate, split_text, truncate, violations
from bot.slack.blocks.run import (
    ChecklistLine,
    ItemRef,
    checklist_message,
    details_modal,
    progress_message,
    scorecard,
)
from bot.slack.commands import COMMANDS
from checks.model import CheckResult, Finding, RunReport, Severity, Status, Verdict

STATUSES = [Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.MANUAL, Status.WAIVED, Status.SKIPPED]


def synthetic_report(count: int = 200, *, words: int = 120, findings: int = 12, evidence: int = 5000) -> RunReport:
    results = []
    for i in range(count):
        severity = list(Severity)[i % 5]
        status = STATUSES[i % len(STATUSES)] if i % 3 else Status.FAIL
        results.append(CheckResult(
            check_id=f"area{i % 12}.check_number_{i}",
            title=f"Check number {i} with a long title " + "x" * 200,
            category=f"area{i % 12}",
            severity=severity,
            status=status,
            summary=" ".join(["<b>&summary</b>"] * words),
            findings=tuple(Finding(f"GET /api/objects/{j}?q=" + "a" * 400, "message " * 200,
                                   {"body": "e" * evidence, "status": 500}) for j in range(findings)),
            remediation="Fix it. " * 300,
            owner=f"U0OWNER{i % 7}" if i % 4 else "ops team <ops@acme.test>",
            waived_status=Status.FAIL if status is Status.WAIVED else None,
            waiver_reason="because" if status is Status.WAIVED else None,
        ))
    started = datetime(2026, 12, 1, 9, tzinfo=UTC)
    return RunReport("r_20261201090000_abcdef", "Acme Chat " + "p" * 300, "staging-" + "t" * 60, "https://x.test",
                     started, started + timedelta(seconds=75), 9999, tuple(results))


def test_200_results_scorecard_stays_within_every_limit():
    report = synthetic_report()
    card = scorecard(report, started_by="U0ALICE")
    assert violations(card) == []
    assert len(card.blocks) <= limits.MESSAGE_BLOCKS
    assert card.thread, "what does not fit goes into thread replies"
    # Every check that needs attention is somewhere: in the message or in the thread.
    everything = json.dumps(card.blocks) + json.dumps([r.blocks for r in card.thread])
    for result in report.results:
        if result.status in (Status.FAIL, Status.ERROR, Status.WARN):
            assert result.check_id in everything
    assert card.text.startswith("NO GO for staging-")


@pytest.mark.parametrize("count", [0, 1, 3, 25, 60, 200])
def test_scorecards_of_every_size_are_valid(count: int):
    card = scorecard(synthetic_report(count, words=3, findings=1, evidence=10))
    assert violations(card) == []


def test_all_passing_report_is_go_without_buttons():
    started = datetime(2026, 12, 1, tzinfo=UTC)
    results = tuple(CheckResult(f"a.c{i}", f"C{i}", "a", Severity.HIGH, Status.PASS, "ok") for i in range(5))
    card = scorecard(RunReport("r_1", "Acme", "staging", "https://x", started, started, 5, results))
    assert "GO for staging" in card.text and "NO GO" not in card.text
    assert not [b for b in card.blocks if b["type"] == "actions"]
    assert card.thread == []


def test_button_values_decode_back_to_the_item():
    card = scorecard(synthetic_report(10, words=3, findings=1, evidence=10))
    actions = next(b for b in card.blocks if b["type"] == "actions")
    ref = ItemRef.decode(actions["elements"][0]["value"])
    assert ref is not None and ref.target.startswith("staging-") and ref.run_id == "r_20261201090000_abcdef"
    assert ItemRef.decode("garbage") is None and ItemRef.decode('{"t": 1}') is None


def test_progress_with_200_results_is_valid():
    report = synthetic_report()
    message = progress_message(project="Acme", target="staging", base_url="https://x", total=250,
                               results=report.results, started_by="U0ALICE")
    assert violations(message) == []
    assert "200 of 250 done" in json.dumps(message.blocks)


def test_details_modal_with_huge_findings_stays_under_100_blocks_and_250_kb():
    result = synthetic_report(1, findings=500, evidence=100_000).results[0]
    view = details_modal(result, ItemRef("staging", result.check_id, "r_1"))
    assert violations(view, kind="modal") == []
    assert len(json.dumps(view)) < limits.VIEW_BYTES
    assert "more findings" in json.dumps(view["blocks"][-1])


def test_details_modal_shows_evidence_as_key_value_lines_not_json():

    finding = Finding("GET /admin/users", "answered 200", {"status": 200, "headers": {"server": "nginx"}, "body": "word " * 100})
    result = CheckResult(check_id="auth.private_routes", title="t", category="auth", severity=Severity.CRITICAL,
                         status=Status.FAIL, summary="s", findings=(finding,))
    text = json.dumps(details_modal(result, ItemRef("staging", result.check_id, "r_1")))
    assert "status: 200" in text and "headers.server: nginx" in text
    assert '\\"server\\"' not in text  # no JSON object dumped into the modal
    assert "word word" in text and "word\\u2026" in text  # shortened at a word boundary (json escapes …)


def test_checklist_of_200_items_fits_one_message():
    lines = [ChecklistLine(f"a.c{i}", "title " * 40, Severity.HIGH, "fail", "U0ALICE", "2026-12-01", True,
                           "summary " * 60) for i in range(200)]
    message = checklist_message(project="Acme", target="staging", lines=lines, summary="200 items",
                                verdict=Verdict.NO_GO, last_run=datetime(2026, 12, 1, tzinfo=UTC))
    assert violations(message) == []


def test_home_with_many_items_and_incidents_is_valid():
    lines = [ChecklistLine(f"a.c{i}", "title " * 40, Severity.HIGH, "fail", "U0ALICE", "2026-12-01", i % 2 == 0, None)
             for i in range(200)]
    incidents = [IncidentLine("api-health is down " * 20, "critical", datetime(2026, 12, 1, tzinfo=UTC), "U0BOB")
                 for _ in range(100)]
    verdicts = [TargetVerdict(f"target{i}", Verdict.NO_GO, datetime(2026, 12, 1, tzinfo=UTC), 3) for i in range(40)]
    view = home_view(project="Acme", launch_date=date(2026, 12, 15), today=date(2026, 12, 1), user="U0ALICE",
                     verdicts=verdicts, my_items=lines, incidents=incidents)
    assert violations(view, kind="home") == []
    text = json.dumps(view)
    assert "*14 days* to launch" in text and "overdue" in text
    assert "a.c0`" in text and "a.c1`" not in text  # overdue first, capped with a pointer to status
    assert "/launchready status" in text


def test_help_is_valid_and_names_the_problem():
    message = help_message("`frob` is not a subcommand.", targets=["staging"], commands=COMMANDS)
    assert violations(message) == []
    assert message.text.startswith("`frob` is not a subcommand.")


def test_split_text_keeps_everything_within_the_limit():
    text = "\n".join(["line " * 50] * 100 + ["y" * 7000])
    chunks = split_text(text, 3000)
    assert all(len(c) <= 3000 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


def test_truncate_and_paginate():
    assert truncate("abcdef", 4) == "abc…" and truncate("abc", 4) == "abc"
    pages = paginate([{"type": "divider"}] + [{"type": "section"}] * 120, 50)
    assert [len(p) for p in pages] == [50, 50, 20]


def test_violations_catches_what_slack_rejects():
    too_many = {"text": "x", "blocks": [{"type": "divider"}] * 51}
    assert violations(too_many) == ["51 blocks (limit 50)"]
    long_header = {"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]}
    assert "header text of 151 characters" in violations(long_header)[0]
    assert violations(Message(text="", blocks=[])) == ["no plain text fallback"]


def test_scheduled_run_text_names_the_verdict_and_the_failing_checks():
    from bot.slack.blocks.run import scheduled_run_text

    report = synthetic_report(3)
    text = scheduled_run_text("staging", report)
    assert text.startswith(":calendar: Scheduled run of staging: *")
    failing = [r.check_id for r in report.results if r.status in (Status.FAIL, Status.ERROR)]
    assert failing and all(f"`{c}`" in text for c in failing[:20])
    assert scheduled_run_text("staging", None, problem="Target staging already has a run in progress.") == (
        ":calendar: The scheduled run of staging did not happen: Target staging already has a run in progress."
    )
