"""Services.run: the one path for a run, on a real SQLite file and a real PostgreSQL database, and a real loopback app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import ConfigError, parse_config
from bot.services import NotAllowed, RunInProgress, Services
from checks.check import check
from checks.model import Outcome, Severity, Status, Verdict
from checks.obs.health import CHECK as health
from checks.registry import Registry


def health_app() -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/health", ok)
    return app


@dataclass(frozen=True)
class Place:
    """Where a test's service lives: a directory for app.yaml and a database URL."""

    root: Path
    database: str


@pytest.fixture
def place(tmp_path: Path, database_url: str) -> Place:
    """Each service test runs on SQLite and on a real PostgreSQL database."""
    return Place(tmp_path, database_url)


def make_config(place: Place, base_url: str, *, extra_target: str = "", checklist: str = ""):
    text = (
        "project: Test\n"
        f"database: {place.database}\n"
        "slack: {admins: [U0ADMIN]}\n"
        "targets:\n"
        f"  staging: {{base_url: '{base_url}'{extra_target}}}\n"
        + (f"checklist:\n{checklist}" if checklist else "")
    )
    return parse_config(text, env={}, root=place.root)


class Gate:
    """A check that waits until the test opens the gate, so a run can be caught mid-way."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

        async def run(target, ctx):
            self.entered.set()
            await self.release.wait()
            return Outcome.passed("released")

        self.check = check(id="t.gate", title="gate", severity=Severity.LOW, passes_when="-", why="-", breaks="-", remediation="-", timeout=10)(run)


@pytest.fixture
async def base(serve):
    return await serve(health_app())


def open_services(place, base_url, *checks, **kwargs):
    registry = Registry(checks or [health])
    return Services.open(make_config(place, base_url, **kwargs), registry=registry)


async def test_run_is_stored_and_results_land_as_they_finish(place, base):
    services = open_services(place, base)
    seen_in_store: list[Status] = []

    def landed(result):
        partial = services.store.get_report(services.store.running_run("staging").run_id)
        seen_in_store.extend(r.status for r in partial.results)

    report = await services.run("staging", on_result=landed)
    assert seen_in_store == [Status.PASS]  # saved before the callback saw it
    assert report.verdict is Verdict.GO
    stored = services.store.get_report(report.run_id)
    assert stored.to_dict() == report.to_dict()
    run = services.store.get_run(report.run_id)
    assert (run.state, run.trigger, run.verdict) == ("done", "cli", "GO")
    assert [i.check_id for i in services.store.items("staging")] == ["obs.health"]
    services.close()


async def test_waiver_from_the_checklist_is_applied(place):
    services = open_services(place, "http://127.0.0.1:9")  # nothing listens: obs.health errors
    first = await services.run()
    assert first.result("obs.health").status is Status.ERROR
    services.store.waive("staging", "obs.health", days=3, reason="health route ships Friday", actor="U0ADMIN")
    second = await services.run()
    result = second.result("obs.health")
    assert (result.status, result.waived_status) == (Status.WAIVED, Status.ERROR)
    assert result.waiver_reason == "health route ships Friday"
    assert services.store.get_report(second.run_id).result("obs.health").status is Status.WAIVED
    services.close()


async def test_second_concurrent_run_is_refused_naming_the_running_one(place, base):
    gate = Gate()
    services = open_services(place, base, gate.check)
    first = asyncio.create_task(services.run("staging"))
    await gate.entered.wait()
    running = services.store.running_run("staging")
    with pytest.raises(RunInProgress) as caught:
        await services.run("staging")
    assert caught.value.run_id == running.run_id
    assert running.run_id in str(caught.value)
    gate.release.set()
    report = await first
    assert report.run_id == running.run_id and report.result("t.gate").status is Status.PASS
    services.close()


async def test_run_of_another_process_is_respected(place, base):
    services = open_services(place, base)
    other = services.store.start_run(target="staging", trigger="schedule")
    with pytest.raises(RunInProgress, match=other):
        await services.run("staging")
    services.close()


async def test_cancelled_run_is_marked_interrupted(place, base):
    gate = Gate()
    services = open_services(place, base, gate.check)
    task = asyncio.create_task(services.run("staging"))
    await gate.entered.wait()
    run_id = services.store.running_run("staging").run_id
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    run = services.store.get_run(run_id)
    assert run.state == "interrupted" and "cancelled" in run.reason
    assert services.store.running_run("staging") is None
    services.close()


async def test_production_targets_are_for_admins_when_asked_from_slack(place, base):
    services = open_services(place, base, extra_target=", production: true")
    with pytest.raises(NotAllowed, match="only admins"):
        await services.run("staging", who="U0SOMEONE", trigger="slack")
    assert (await services.run("staging", who="U0ADMIN", trigger="slack")).verdict is Verdict.GO
    assert (await services.run("staging")).verdict is Verdict.GO  # the local operator
    services.close()


async def test_only_selects_checks(place, base):
    services = open_services(place, base, health, Gate().check)
    report = await services.run(only="obs.health")
    assert [r.check_id for r in report.results] == ["obs.health"]
    with pytest.raises(ValueError, match="Did you mean obs.health"):
        await services.run(only=["obs.helth"])
    services.close()


def test_checklist_naming_an_unknown_check_is_a_config_error(place):
    with pytest.raises(ConfigError) as caught:
        open_services(place, "http://x.test", checklist="  obs.helth: {owner: U1}\n")
    assert caught.value.errors[0].startswith('checklist.obs.helth: "obs.helth" is not a check id. Did you mean obs.health?')


async def test_own_manual_items_join_the_run(place, base):
    services = open_services(place, base, checklist="  manual.status_page: {title: A status page exists, owner: U0BOB, severity: low}\n")
    report = await services.run()
    item = report.result("manual.status_page")
    assert (item.status, item.owner, item.severity) == (Status.MANUAL, "U0BOB", Severity.LOW)
    services.close()
