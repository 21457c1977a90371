"""The demo target: each secrets check fails in flawed mode with redacted evidence, passes hardened."""

from __future__ import annotations

import pytest

from bot.demo.fake_keys import fake_keys
from bot.demo.server import DemoTarget
from checks.model import Status
from checks.runner import run_checks
from checks.secrets import CHECKS
from checks.target import Target


@pytest.mark.parametrize("hardened", [False, True])
async def test_demo_secrets(tmp_path, hardened):
    async with DemoTarget(hardened=hardened, workdir=tmp_path) as demo:
        target = Target.model_validate(demo.target_config())
        report = await run_checks(target, CHECKS, root=tmp_path)
        keys = fake_keys(demo.state)
    statuses = {r.check_id: r.status for r in report.results}
    expected = Status.PASS if hardened else Status.FAIL
    assert statuses == {c.id: expected for c in CHECKS}, {r.check_id: r.summary for r in report.results}
    dumped = str(report.to_dict())
    for secret in (keys.openai, keys.anthropic, keys.stripe_secret):
        assert secret not in dumped
    if not hardened:
        history = report.result("secrets.history")
        assert history.findings[0].evidence["in_tree"] is False
        bundle = report.result("secrets.client_bundle")
        assert {f.evidence.get("rule") for f in bundle.findings} >= {"openai-api-key", "anthropic-api-key"}
