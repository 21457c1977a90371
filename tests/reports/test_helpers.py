"""The one helper each for durations, mentions, percentiles and the order of results."""

from __future__ import annotations

from datetime import timedelta

from checks.model import CheckResult, Severity, Status
from checks.percentiles import nearest_rank, p95
from checks.target import format_duration
from reports.durations import elapsed
from reports.mentions import is_user_id, mention, mentions
from reports.order import worst_first


def test_elapsed_keeps_the_two_largest_units():
    assert [elapsed(timedelta(seconds=s)) for s in (45, 200, 180, 7500, 3 * 86400 + 4 * 3600)] == [
        "45s",
        "3m 20s",
        "3m",
        "2h 5m",
        "3d 4h",
    ]
    assert elapsed(timedelta(seconds=41.23), tenths=True) == "41.2s"
    assert elapsed(timedelta(seconds=75), tenths=True) == "1m 15s"


def test_a_configured_period_reads_as_configured():
    assert [format_duration(timedelta(seconds=s)) for s in (30, 300, 3600, 86400, 90)] == [
        "30s",
        "5m",
        "1h",
        "1d",
        "90s",
    ]


def test_mentions_link_user_ids_and_escape_names():
    assert mention("U0ALICE") == "<@U0ALICE>" and is_user_id("W123")
    assert (
        mention("ann <ops>", escape=lambda t: t.replace("<", "&lt;").replace(">", "&gt;"))
        == "ann &lt;ops&gt;"
    )
    assert mention(None) == "someone" and mention("", nobody="_nobody_") == "_nobody_"
    assert mention("u0alice") == "u0alice"  # not a Slack id: shown as written
    assert (
        mentions(["U1X", "bob"], none="nobody") == "<@U1X>, bob"
        and mentions([], none="nobody") == "nobody"
    )


def test_one_p95_for_everyone():
    values = [float(i) for i in range(20, 0, -1)]  # any order
    assert p95(values) == nearest_rank(sorted(values), 95) == 19.0
    assert p95([]) is None


def test_results_worst_first():
    def result(check_id: str, status: Status, severity: Severity) -> CheckResult:
        return CheckResult(
            check_id=check_id,
            title="t",
            category="c",
            severity=severity,
            status=status,
            summary="s",
        )

    ordered = worst_first(
        [
            result("a.pass", Status.PASS, Severity.CRITICAL),
            result("b.warn", Status.WARN, Severity.LOW),
            result("c.fail", Status.FAIL, Severity.LOW),
            result("d.fail", Status.FAIL, Severity.CRITICAL),
        ]
    )
    assert [r.check_id for r in ordered] == ["d.fail", "c.fail", "b.warn", "a.pass"]
