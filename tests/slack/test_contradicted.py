"""An incident on a monitored route contradicts the checks that promised that route: while it
is open those items read "contradicted by incident #N" (status, the alert, the digest);
resolving it offers a rerun of exactly those checks, and the button runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.config import parse_config
from bot.digest import build_digest, render_text
from bot.slack.listeners.events import publish_home
from checks.auth.private_routes import CHECK as private_routes
from checks.model import Verdict
from checks.obs.health import CHECK as health
from checks.registry import Registry
from tests.slack.conftest import SlackService
from tests.slack.fake_slack import FakeSlack
from tests.slack.record_service import start_service
from tests.slack.test_checklist_commands import command

TOKEN = "tok_alice_" + "7" * 12


class Api:
    """/health, and /api/me that needs the token and breaks when ``broken``."""

    broken = False

    def app(self) -> web.Application:
        async def health_route(request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        async def me(request: web.Request) -> web.Response:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return web.json_response({"error": "unauthorized"}, status=401)
            if self.broken:
                return web.json_response({"error": "db down"}, status=500)
            return web.json_response({"email": "alice@acme.test"})

        app = web.Application()
        app.router.add_get("/health", health_route)
        app.router.add_get("/api/me", me)
        return app


@pytest.fixture
async def monitored(
    fake_slack: FakeSlack, serve: Any, tmp_path: Path
) -> AsyncIterator[tuple[SlackService, Api]]:
    api = Api()
    url = await serve(api.app())
    data = {
        "project": "Acme Chat",
        "database": f"sqlite:///{tmp_path / 'lr.db'}",
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {
            "staging": {
                "base_url": url,
                "users": {"alice": {"token": TOKEN}},
                "private_routes": ["GET /api/me"],
            },
        },
        "checklist": {"auth.private_routes": {"owner": "U0ALICE"}},
        # An hour apart: the test ticks the monitor itself.
        "monitors": [
            {
                "name": "api-me",
                "url": url + "/api/me",
                "headers": {"Authorization": f"Bearer {TOKEN}"},
                "interval": "1h",
                "failure_threshold": 1,
                "success_threshold": 1,
            },
        ],
    }
    config = parse_config(yaml.safe_dump(data), env={}, root=tmp_path)
    service = await start_service(fake_slack, serve, config, Registry([health, private_routes]))
    yield service, api
    await service.runtime.tasks.drain(timeout=5)


def alerts(fake: FakeSlack) -> list[Any]:
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if not c.args.get("thread_ts") and "Incident" in c.text
    ]


async def test_an_incident_marks_and_unmarks_its_items_and_offers_their_rerun(monitored) -> None:
    service, api = monitored
    runtime, fake = service.runtime, service.fake
    await service.slack.command("run staging")
    await runtime.tasks.idle(spawned=1)
    assert "contradicted" not in await command(service, "status")
    assert runtime.services.checklist.status("staging").latest.verdict is Verdict.GO

    api.broken = True
    assert runtime.monitoring is not None
    await runtime.monitoring.tick_monitor("api-me")
    await runtime.monitoring.flush()
    [alert] = alerts(fake)
    assert "Contradicted: `auth.private_routes` on *staging* (GET /api/me)" in alert.text
    incident = runtime.monitoring.incidents.open_incidents()[0]

    text = await command(service, "status")
    assert ":rotating_light: `auth.private_routes`" in text
    assert f"contradicted by incident #{incident.id} (" in text
    checklist = runtime.services.checklist
    # obs.health promised GET /health, not the broken route: it stands.
    assert {i.check_id for i in checklist.items("staging") if i.contradicted} == {
        "auth.private_routes"
    }
    assert (
        checklist.status("staging").latest.verdict is Verdict.GO_WITH_WARNINGS
    )  # a critical pass in doubt
    await publish_home(runtime, "U0ALICE")  # the item's owner sees it on App Home
    home = fake.calls_to("views.publish")[-1].text
    assert (
        ":rotating_light: `auth.private_routes`" in home
        and f"contradicted by incident #{incident.id}" in home
    )
    digest = build_digest(runtime.config, runtime.services.store)
    assert [i.check_id for i in digest.contradicted] == ["auth.private_routes"]
    assert "Passes an open incident contradicts" in render_text(digest)

    api.broken = False
    await service.slack.action(
        {"action_id": "incident_resolve", "value": str(incident.id), "type": "button"},
        user="U0ADMIN",
    )
    await fake.wait_for(
        lambda f: any("incident_rerun:0" in c.text for c in f.calls_to("chat.update")), timeout=10
    )
    resolved = [c for c in fake.calls_to("chat.update") if "incident_rerun:0" in c.text][-1]
    [button] = [e for b in resolved.blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Re-run auth.private_routes on staging"
    assert "contradicted" not in await command(
        service, "status"
    )  # resolved: the promise stands again

    runs_before = len(runtime.services.store.list_runs("staging"))
    spawned = runtime.tasks.spawned
    await service.slack.action(
        {"action_id": button["action_id"], "value": button["value"], "type": "button"},
        user="U0ALICE",
    )
    await runtime.tasks.idle(spawned=spawned + 1)
    runs = runtime.services.store.list_runs("staging")
    assert len(runs) == runs_before + 1
    rerun = runtime.services.store.get_report(runs[0].run_id)
    assert [r.check_id for r in rerun.results] == ["auth.private_routes"]
    assert rerun.results[0].status == "pass"


async def test_a_resolved_incident_button_with_a_bad_value_is_told_not_run(monitored) -> None:
    service, _ = monitored
    runs = len(service.runtime.services.store.list_runs("staging"))
    await service.slack.action(
        {"action_id": "incident_rerun:0", "value": "nonsense", "type": "button"}
    )
    await service.fake.wait_for(
        lambda f: any("does not name checks" in c.text for c in f.calls_to("response_url")),
        timeout=10,
    )
    assert len(service.runtime.services.store.list_runs("staging")) == runs
