"""bot.handover_doc against a real SQLite store: owners, waivers, attestations and incidents
from the store, monitors and digest from the config, every secret redacted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import AppConfig, parse_config
from bot.handover_doc import NoRunYet, build_input, render_handover_for, write_handover
from bot.services import Services
from bot.store import Store
from checks.model import RunReport, Status
from tests.handover.sample import PLANTED_SECRET, PLANTED_STRIPE, PLANTED_TOKEN, sample_report

WEBHOOK_SECRET = "whsec_TestSecretValue0123456789abcd"
MONITOR_TOKEN = "mon-token-0123456789abcdef"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

CONFIG = f"""\
project: Acme Chat
launch_date: 2026-12-15
slack:
  channel: C0LAUNCH
  admins: [U0ADMIN, U0CTO]
  digest: {{cron: "0 9 * * 1-5", timezone: Europe/Berlin}}
targets:
  staging:
    base_url: https://staging.acme.test
    users:
      alice: {{token: "${{ALICE_TOKEN}}", tenant: acme, role: buyer}}
    webhooks:
      - {{route: POST /webhooks/stripe, scheme: stripe, secret: "{WEBHOOK_SECRET}"}}
checklist:
  auth.private_routes: {{owner: U0ALICE, due: 2026-12-10}}
  manual.keys_rotated: {{owner: U0BOB, attest_every: 30d}}
monitors:
  - name: api-health
    url: https://probe:hunter2pass@acme.test/health  # launchready:allow (fake credentials)
    interval: 30s
    headers: {{Authorization: "Bearer {MONITOR_TOKEN}"}}
    conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 500"]
    reminder_every: 1h
"""


def _config(tmp_path: Path) -> AppConfig:
    return parse_config(CONFIG, env={"ALICE_TOKEN": PLANTED_SECRET}, root=tmp_path)


@pytest.fixture
def services(tmp_path: Path):
    config = _config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'launchready.db'}", clock=lambda: NOW)
    services = Services.open(config, store=store)
    services.store.sync_checklist("staging", list(services.registry), config.checklist)
    yield services
    services.close()


def _unwaived() -> RunReport:
    """The sample run as the runner returns it: nothing waived yet, no owners."""
    report = sample_report()
    results = tuple(
        replace(r, status=r.waived_status, waived_status=None, waiver_reason=None) if r.status is Status.WAIVED else r
        for r in report.results
    )
    return replace(report, results=results)


def test_the_document_carries_the_checklist(services: Services, tmp_path: Path) -> None:
    store = services.store
    store.record_report(_unwaived(), trigger="test")
    store.waive("staging", "webhooks.replay", days=20, reason="Queue dedupes Stripe retries until the fix ships", actor="U0ADMIN", now=NOW)
    store.mark_done("staging", "manual.keys_rotated", note="OpenAI and Stripe keys rolled", actor="U0BOB", now=NOW - timedelta(days=1))

    path = write_handover(services, store.latest_report("staging"), tmp_path / "out" / "HANDOVER.md")
    text = path.read_text(encoding="utf-8")

    assert text.startswith("# Launch handover: Acme Chat, target staging\n")
    assert "| Launch date | 2026-12-15 (in 15 days) |" in text
    assert "**FAIL**, critical. Owner: **U0ALICE**, due 2026-12-10." in text
    register = text.split("## Waiver register")[1].split("## Edge")[0]
    assert "| `webhooks.replay`" in register and "Queue dedupes Stripe retries until the fix ships | U0ADMIN | 2026-12-20 |" in register
    attested = next(line for line in text.splitlines() if line.startswith("| `manual.keys_rotated`") and "U0BOB | PASS" in line)
    assert "OpenAI and Stripe keys rolled" in attested and "2026-11-29 09:00 UTC" in attested
    assert "| api-health | https://acme.test/health | 30s |" in text
    assert "posted to C0LAUNCH on the cron schedule `0 9 * * 1-5` (Europe/Berlin)" in text
    assert "- [ ] U0ADMIN, date:" in text and "- [ ] U0CTO, date:" in text
    for secret in (PLANTED_SECRET, PLANTED_TOKEN, PLANTED_STRIPE, WEBHOOK_SECRET, MONITOR_TOKEN, "hunter2pass"):
        assert secret not in text
    assert "tokens come from the environment (not shown)" in text


def test_an_expired_waiver_no_longer_hides_the_item(services: Services) -> None:
    services.store.record_report(sample_report(), trigger="test")  # stored with webhooks.replay waived
    data = build_input(services, services.store.latest_report("staging"), now=NOW)
    replay = next(i for i in data.items if i.check_id == "webhooks.replay")
    assert replay.status is Status.FAIL and replay.waiver_reason is None


def test_incidents_of_the_last_30_days(services: Services) -> None:
    from bot.monitoring.incidents import IncidentManager

    incidents = IncidentManager(services.store.incidents, notifier=None, channel=None)
    old, _ = incidents.open(fingerprint="monitor:old", kind="down", title="old outage", summary="s", now=NOW - timedelta(days=40), notify=False)
    new, _ = incidents.open(fingerprint="monitor:api-health", kind="down", title="api-health is down", summary="s",
                            source="api-health", now=NOW - timedelta(hours=3), notify=False)
    incidents.resolve(new.id, actor="U0ALICE", reason="Rolled back", now=NOW - timedelta(hours=2, minutes=13), notify=False)
    services.store.record_report(sample_report(), trigger="test")
    data = build_input(services, services.store.latest_report("staging"), now=NOW)
    assert [i.title for i in data.incidents] == ["api-health is down"]
    assert data.incidents[0].duration == timedelta(minutes=47)


def test_render_for_slack_names_the_file_and_the_verdict(services: Services) -> None:
    with pytest.raises(NoRunYet, match="No finished run of target staging is stored yet"):
        render_handover_for(services, "staging")
    services.store.record_report(sample_report(), trigger="test")
    filename, content, line = render_handover_for(services, None)
    assert filename == "HANDOVER-staging-2026-11-30.md"
    assert content.startswith("# Launch handover: Acme Chat, target staging")
    assert line.startswith("Handover for Acme Chat (staging): NO-GO. 2 critical checks fail or error without a waiver")
    assert line.endswith("Based on run r_20261130075800_abc123.")
    html_name, html, _ = render_handover_for(services, "staging", fmt="html")
    assert html_name.endswith(".html") and html.startswith("<!DOCTYPE html>")


# -- /launchready handover through the fake Slack Web API --------------------------------------

from tests.slack.conftest import SlackService, fake_slack, slack_service  # noqa: E402,F401  (fixtures)


async def test_slash_handover_uploads_the_document_with_the_verdict(slack_service: SlackService) -> None:  # noqa: F811
    service = slack_service
    spawned = service.runtime.tasks.spawned
    await service.slack.command("handover staging", user="U0ALICE")
    await service.runtime.tasks.idle(spawned=spawned + 1)
    (reply,) = service.fake.calls_to("response_url")
    assert "No finished run of target staging is stored yet" in reply.text
    assert service.fake.calls_to("files.completeUploadExternal") == []

    await service.slack.command("run staging")
    await service.runtime.tasks.idle(spawned=spawned + 2)
    await service.slack.command("handover", user="U0ALICE")
    await service.fake.wait_for("files.completeUploadExternal")
    (ticket,) = service.fake.calls_to("files.getUploadURLExternal")
    assert ticket.args["filename"].startswith("HANDOVER-staging-") and ticket.args["filename"].endswith(".md")
    (upload,) = service.fake.calls_to("upload")
    assert int(upload.args["size"]) > 1000
    (complete,) = service.fake.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C0LAUNCH"
    assert complete.args["initial_comment"].startswith("Handover for Acme Chat (staging): NO-GO.")
