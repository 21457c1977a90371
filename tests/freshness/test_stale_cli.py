"""End to end on loopback: a pass goes stale when the config, the build or the repository
moves, `status` says so, and `launchready run --stale` reruns exactly those items."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from aiohttp import web

from bot.config import parse_config
from bot.services import Services
from checks.check import check
from checks.context import CheckContext
from checks.model import Outcome, Severity, Verdict
from checks.obs.health import CHECK as health
from checks.registry import Registry
from checks.target import Target
from tests.cli.test_run_cli import launchready


class App:
    """/health, /healthz and /version, whose build the test changes."""

    def __init__(self) -> None:
        self.build = "4f2a1b9"

    def app(self) -> web.Application:
        async def ok(request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        async def version(request: web.Request) -> web.Response:
            return web.json_response({"app": {"build": self.build}})

        app = web.Application()
        app.router.add_get("/health", ok)
        app.router.add_get("/healthz", ok)
        app.router.add_get("/version", version)
        return app


def write_config(tmp_path: Path, base_url: str, health_routes: str = "[GET /health]") -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(
        "project: Stale test\n"
        "database: sqlite:///lr.db\n"
        "targets:\n"
        "  staging:\n"
        f"    base_url: {base_url}\n"
        f"    health_routes: {health_routes}\n"
        "    version: {route: GET /version, json: $.app.build}\n"
    )
    return path


async def status(config: Path) -> dict:
    code, stdout, stderr = await launchready(
        "status", "--config", str(config), "--format", "json", cwd=config.parent
    )
    assert code == 0, stderr
    return {i["check_id"]: i for i in json.loads(stdout)["items"]}


async def test_config_and_build_changes_make_a_pass_stale_and_run_stale_reruns_it(
    serve, tmp_path: Path
) -> None:
    app = App()
    url = await serve(app.app())
    config = write_config(tmp_path, url)
    code, stdout, stderr = await launchready(
        "run", "--config", str(config), "--only", "obs,tls", "--format", "json", cwd=tmp_path
    )
    report = json.loads(stdout)
    health = next(r for r in report["results"] if r["check_id"] == "obs.health")
    assert health["status"] == "pass", stderr
    assert health["basis"]["build"] == "4f2a1b9"
    assert "health_routes" in health["basis"]["config_keys"]
    assert (await status(config))["obs.health"]["display_status"] == "pass"

    # The config the check read changes: the pass no longer speaks for it.
    write_config(tmp_path, url, "[GET /health, GET /healthz]")
    items = await status(config)
    assert items["obs.health"]["display_status"] == "stale"
    assert "the config it read (health_routes) has changed since" in items["obs.health"]["stale"]
    assert [k for k, i in items.items() if i["stale"]] == ["obs.health"]  # the others never read it

    code, stdout, stderr = await launchready(
        "run", "--config", str(config), "--stale", "--format", "json", cwd=tmp_path
    )
    assert code == 0, stderr
    assert "Rerunning 1 stale item(s): obs.health" in stderr
    assert [r["check_id"] for r in json.loads(stdout)["results"]] == ["obs.health"]
    assert (await status(config))["obs.health"]["display_status"] == "pass"

    # The app is redeployed: status asks it for its build and says what the pass was against.
    app.build = "9c1e2d0"
    assert (
        "against build 4f2a1b9; the app is now at 9c1e2d0"
        in (await status(config))["obs.health"]["stale"]
    )
    code, stdout, stderr = await launchready(
        "run", "--config", str(config), "--stale", "--format", "json", cwd=tmp_path
    )
    assert [r["check_id"] for r in json.loads(stdout)["results"]] == ["obs.health"]
    assert json.loads(stdout)["results"][0]["basis"]["build"] == "9c1e2d0"

    code, _, stderr = await launchready("run", "--config", str(config), "--stale", cwd=tmp_path)
    assert code == 0 and "Nothing is stale" in stderr


async def test_run_stale_and_only_together_is_a_usage_error(serve, tmp_path: Path) -> None:
    config = write_config(tmp_path, await serve(App().app()))
    code, _, stderr = await launchready(
        "run", "--config", str(config), "--stale", "--only", "obs", cwd=tmp_path
    )
    assert code == 2 and "--stale and --only" in stderr


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@check(
    id="repo.readme",
    title="The repository has a README",
    severity=Severity.CRITICAL,
    passes_when="README.md exists.",
    why="People need it.",
    breaks="Nobody knows how to run it.",
    remediation="Write one.",
    max_requests=0,
)
async def readme(target: Target, ctx: CheckContext) -> Outcome:
    assert target.repo is not None
    if ctx.path(target.repo.path).joinpath("README.md").is_file():
        return Outcome.passed("README.md exists.")
    return Outcome.failed("README.md is missing.")


async def test_a_new_commit_makes_a_repo_check_stale_and_the_verdict_no_longer_go(
    serve, tmp_path: Path
) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("# app\n")
    git(repo, "add", ".")
    git(repo, "-c", "user.email=t@acme.test", "-c", "user.name=t", "commit", "-qm", "one")
    first = git(repo, "rev-parse", "HEAD")
    config = parse_config(
        f"project: p\ndatabase: sqlite:///{tmp_path / 'lr.db'}\n"
        f"targets:\n  staging:\n    base_url: {await serve(App().app())}\n    repo: {{path: app}}\n",
        root=tmp_path,
    )
    with Services.open(config, registry=Registry([readme, health])) as services:
        report = await services.run("staging")
        assert report.result("repo.readme").basis.repo_head == first
        assert report.result("obs.health").basis.repo_head is None  # it never read the repository
        assert services.checklist.status("staging").latest.verdict is Verdict.GO

        (repo / "main.py").write_text("print('hi')\n")
        git(repo, "add", ".")
        git(repo, "-c", "user.email=t@acme.test", "-c", "user.name=t", "commit", "-qm", "two")
        second = git(repo, "rev-parse", "HEAD")
        status = services.checklist.status("staging")
        item = next(i for i in status.items if i.check_id == "repo.readme")
        assert (
            item.stale is not None
            and f"at commit {first[:7]}; the repository is now at {second[:7]}" in item.stale
        )
        assert next(i for i in status.items if i.check_id == "obs.health").stale is None
        assert (
            status.latest.verdict is Verdict.GO_WITH_WARNINGS
        )  # a stale critical pass is not yet a pass
        assert services.checklist.stale("staging") == ["repo.readme"]

        await services.run("staging", services.checklist.stale("staging"))
        assert services.checklist.stale("staging") == []
        assert services.checklist.status("staging").latest.verdict is Verdict.GO
