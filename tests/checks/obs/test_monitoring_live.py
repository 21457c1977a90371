from __future__ import annotations

from datetime import UTC, datetime

from checks.model import Status
from checks.obs.monitoring_live import CHECK, MonitorFact, MonitoringFacts
from checks.runner import run_checks
from tests.conftest import make_target

BASE = "http://127.0.0.1:8080"
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def target():
    return make_target(
        BASE,
        health_routes=["GET /health"],
        private_routes=["GET /api/conversations", "GET /api/conversations/{id}"],
    )


def monitor(name, path, ok=True, base=BASE):
    return MonitorFact(name=name, method="GET", url=base + path, last_success=ok, last_probe_at=NOW, last_summary=None if ok else "[STATUS] (503) == 200 failed")


ALL = (
    monitor("home", "/"),
    monitor("health", "/health"),
    monitor("conversations", "/api/conversations"),
    monitor("one-conversation", "/api/conversations/c_1001"),
)


async def run(facts):
    report = await run_checks(target(), [CHECK], facts={"monitoring": facts} if facts is not ... else {})
    return report.results[0]


async def test_pass_when_every_key_route_is_watched_and_green():
    result = await run(MonitoringFacts(monitors=ALL, channel="C0LAUNCH"))
    assert result.status is Status.PASS
    assert result.requests == 0


async def test_fail_names_what_is_not_watched():
    facts = MonitoringFacts(monitors=(ALL[1], monitor("other-host", "/", base="http://127.0.0.2:8080")), channel="C0LAUNCH")
    result = await run(facts)
    assert result.status is Status.FAIL
    assert {f.resource for f in result.findings} == {"GET /", "GET /api/conversations", "GET /api/conversations/{id}"}
    assert "3 of 4 key routes are not watched" in result.summary


async def test_fail_without_a_channel_or_with_a_red_probe():
    facts = MonitoringFacts(monitors=(*ALL[:3], monitor("one-conversation", "/api/conversations/c_1", ok=False)), channel=None)
    result = await run(facts)
    assert result.status is Status.FAIL
    resources = {f.resource for f in result.findings}
    assert resources == {"slack.channel", "one-conversation"}
    assert "503" in next(f.message for f in result.findings if f.resource == "one-conversation")


async def test_fail_with_no_monitors():
    result = await run(MonitoringFacts(monitors=(), channel="C0LAUNCH"))
    assert result.status is Status.FAIL
    assert "No monitor is configured" in result.summary


async def test_warn_when_a_monitor_has_not_probed_yet():
    fresh = MonitorFact(name="home", method="GET", url=BASE + "/")
    result = await run(MonitoringFacts(monitors=(fresh, *ALL[1:]), channel="C0LAUNCH"))
    assert result.status is Status.WARN


async def test_error_on_facts_of_the_wrong_shape():
    result = await run({"monitors": []})
    assert result.status is Status.ERROR
    assert "not MonitoringFacts" in result.summary


async def test_skipped_outside_the_service():
    result = await run(...)
    assert result.status is Status.SKIPPED
    assert "launchready serve" in result.summary
