"""The issue-4 checks against the demo target: each fails flawed and passes hardened."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import DemoTarget
from checks.ai.prompt_injection import CHECK as prompt_injection
from checks.api.cors import CHECK as cors
from checks.api.input_validation import CHECK as input_validation
from checks.api.rate_limits import CHECK as rate_limits
from checks.auth.role_boundaries import CHECK as role_boundaries
from checks.auth.tenant_isolation import CHECK as tenant_isolation
from checks.model import RunReport, Status
from checks.obs.error_disclosure import CHECK as error_disclosure
from checks.perf.latency_p95 import CHECK as latency_p95
from checks.runner import run_checks
from checks.webhooks.replay import CHECK as webhook_replay
from checks.webhooks.signature import CHECK as webhook_signature

CHECKS = [
    tenant_isolation,
    role_boundaries,
    rate_limits,
    cors,
    input_validation,
    webhook_signature,
    webhook_replay,
    error_disclosure,
    latency_p95,
    prompt_injection,
]
IDS = [c.id for c in CHECKS]

# The demo's flawed /admin/users only checks the role when a token is sent, and every user
# sends one here: role boundaries hold in both modes (the no-token leak is auth.private_routes').
FLAWED = {check_id: Status.FAIL for check_id in IDS}


async def run_demo(tmp_path: Path, *, hardened: bool) -> RunReport:
    async with DemoTarget(hardened=hardened, workdir=tmp_path / ("hardened" if hardened else "flawed")) as demo:
        target = demo.target()  # as `launchready demo` loads it: the users log in
        return await run_checks(target, CHECKS, root=demo.state.workdir, target_name="demo")


@pytest.fixture(scope="module")
def reports() -> dict[bool, RunReport]:
    return {}


async def report_for(tmp_path: Path, hardened: bool, cache: dict[bool, RunReport]) -> RunReport:
    if hardened not in cache:
        cache[hardened] = await run_demo(tmp_path, hardened=hardened)
    return cache[hardened]


async def test_flawed_demo_fails_each_check_with_evidence(tmp_path, reports):
    report = await report_for(tmp_path, False, reports)
    statuses = {r.check_id: r.status for r in report.results}
    assert statuses == FLAWED, {r.check_id: r.summary for r in report.results if r.status is not FLAWED[r.check_id]}
    for result in report.results:
        if result.status is Status.FAIL:
            assert result.findings and result.findings[0].evidence, result.check_id


async def test_hardened_demo_passes_each_check(tmp_path, reports):
    report = await report_for(tmp_path, True, reports)
    statuses = {r.check_id: r.status for r in report.results}
    assert statuses == {check_id: Status.PASS for check_id in IDS}, {r.check_id: r.summary for r in report.results if r.status is not Status.PASS}


async def test_flawed_evidence_names_the_planted_mistakes(tmp_path, reports):
    report = await report_for(tmp_path, False, reports)
    text = {r.check_id: " ".join([r.summary] + [f.message for f in r.findings]) for r in report.results}
    assert "bob (tenant globex) read alice's object c_1001" in text["auth.tenant_isolation"]
    assert "reflects Origin https://launchready-attacker.example with Allow-Credentials" in text["api.cors"]
    assert "mass assignment" in text["api.input_validation"]
    assert "A delivery unsigned was accepted" in text["webhooks.signature"]
    assert "was processed again" in text["webhooks.replay"]
    files = next(f for f in report.result("perf.latency_p95").findings if f.resource == "GET /api/files")
    assert files.evidence["alone"]["p95_ms"] > files.evidence["budget_p95_ms"]
    assert "indirect.upload" in text["ai.prompt_injection"]
    assert "Python stack trace" in text["obs.error_disclosure"]
    canary_free = str(report.to_dict())
    for result in report.results:
        assert "LR-CANARY-" not in canary_free, result.check_id
