"""A stale pass as Slack shows it: `/launchready status`, the scorecard's verdict, App Home
and the digest, after the app reports another build."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.digest import build_digest, render_text
from bot.handover_doc import render_handover_for
from bot.slack.blocks.digest import digest_blocks
from bot.slack.listeners.events import publish_home
from tests.slack.conftest import SlackService, TinyTarget, make_config
from tests.slack.fake_slack import FakeSlack
from tests.slack.record_service import start_service
from tests.slack.test_checklist_commands import command


@pytest.fixture
async def versioned(
    fake_slack: FakeSlack, serve: Any, tmp_path: Path
) -> AsyncIterator[tuple[SlackService, dict]]:
    tiny = TinyTarget(admin_open=False)
    build = {"now": "4f2a1b9"}
    app = tiny.app()

    async def version(request: web.Request) -> web.Response:
        return web.Response(text="ok", headers={"X-Build": build["now"]})

    app.router.add_get("/version", version)
    url = await serve(app)
    target = {"base_url": url, "health_routes": ["GET /health"], "version": {"header": "X-Build"}}
    config = make_config(url, tmp_path, targets={"staging": target})
    service = await start_service(fake_slack, serve, config, tiny.registry(), tiny)
    yield service, build
    await service.runtime.tasks.drain(timeout=5)


async def test_a_new_build_shows_as_stale_in_status_home_and_digest(versioned) -> None:
    service, build = versioned
    await service.slack.command("run staging")
    await service.runtime.tasks.idle(spawned=1)
    fresh = await command(service, "status")
    assert ":hourglass:" not in fresh and "GO" in fresh

    build["now"] = "9c1e2d0"
    text = await command(service, "status")
    assert ":hourglass: `demo.admin_locked`" in text
    assert "passed on" in text and "against build 4f2a1b9; the app is now at 9c1e2d0" in text
    assert "GO with warnings at the last run" in text  # the stale critical pass keeps it from GO

    await publish_home(service.runtime, "U0ALICE")  # demo.admin_locked is Alice's
    home = service.fake.calls_to("views.publish")[-1].text
    assert ":hourglass: `demo.admin_locked`" in home and "the app is now at 9c1e2d0" in home

    store = service.runtime.services.store
    digest = build_digest(service.runtime.config, store)
    assert [i.check_id for i in digest.stale_results] == ["demo.admin_locked", "obs.health"]
    assert "Passes that no longer hold (rerun with launchready run --stale)" in render_text(digest)
    assert "the app is now at 9c1e2d0" in str(digest_blocks(digest))
    assert digest.targets[0].verdict == "GO_WITH_WARNINGS"

    _, document, _ = render_handover_for(service.runtime.services, "staging")  # its scorecard too
    assert "| PASS (in doubt) |" in document and "Now in doubt: passed on" in document
    assert "the app is now at 9c1e2d0" in document
