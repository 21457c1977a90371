"""`launchready run | demo | catalog | validate`: exit codes, JSON on stdout only, formats."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).resolve().parents[2]


def target_app(*, leak: bool, healthy: bool = True) -> web.Application:
    """/health, and /api/me which leaks without a token when ``leak``."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": healthy}, status=200 if healthy else 503, headers={"X-Request-Id": "r1"})

    async def me(request: web.Request) -> web.Response:
        if not leak and request.headers.get("Authorization") != "Bearer tok_alice_0123456789":
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response({"email": "alice@acme.test"})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/api/me", me)
    return app


def write_config(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(
        "project: CLI test\n"
        "database: sqlite:///lr.db\n"
        "targets:\n"
        "  staging:\n"
        f"    base_url: {base_url}\n"
        "    users: {alice: {token: '${ALICE_TOKEN:-tok_alice_0123456789}'}}\n"
        "    private_routes: [GET /api/me]\n"
    )
    return path


async def launchready(*args: str, cwd: Path) -> tuple[int, str, str]:
    """The real command in its own process, while this test's loop serves the target."""
    env = {k: v for k, v in os.environ.items() if k != "LAUNCHREADY_DATABASE_URL"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    return process.returncode, stdout.decode(), stderr.decode()


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "LAUNCHREADY_DATABASE_URL": ""})


async def test_json_goes_alone_to_stdout_and_a_critical_failure_exits_1(serve, tmp_path):
    config = write_config(tmp_path, await serve(target_app(leak=True)))
    code, stdout, stderr = await launchready("run", "--config", str(config), "--format", "json", "--only", "auth,obs.health", cwd=tmp_path)
    assert code == 1, stderr
    report = json.loads(stdout)  # nothing but the report on stdout
    assert set(report) == {"run_id", "project", "target", "base_url", "started_at", "finished_at", "verdict", "requests", "summary", "results"}
    assert (report["verdict"], report["target"], report["project"]) == ("NO_GO", "staging", "CLI test")
    statuses = {r["check_id"]: r["status"] for r in report["results"]}
    assert statuses["auth.private_routes"] == "fail" and statuses["obs.health"] == "pass"
    assert report["requests"] == 4 and report["summary"]["fail"] == 1
    assert "auth.private_routes" in stderr  # progress went to stderr
    assert (tmp_path / "lr.db").exists()  # the run was stored beside app.yaml


async def invoke_beside(*args: str):
    """The CLI in a worker thread (its own event loop) while this loop serves the target."""
    return await asyncio.to_thread(invoke, *args)


async def test_exit_0_when_nothing_at_the_threshold_fails(serve, tmp_path):
    config = write_config(tmp_path, await serve(target_app(leak=False, healthy=False)))
    result = await invoke_beside("run", "-c", str(config), "--only", "auth.private_routes,obs.health")
    assert result.exit_code == 0, result.stderr  # obs.health (high) fails; the default threshold is critical
    assert "GO_WITH_WARNINGS" in result.stdout and "obs.health" in result.stdout
    result = await invoke_beside("run", "-c", str(config), "--only", "obs.health", "--fail-on", "high")
    assert result.exit_code == 1


async def test_fail_on_never_and_markdown_to_a_file(serve, tmp_path):
    config = write_config(tmp_path, await serve(target_app(leak=True)))
    out = tmp_path / "reports" / "run.md"
    result = await invoke_beside(
        "run", "-c", str(config), "--only", "auth.private_routes", "--fail-on", "never", "--format", "markdown", "--output", str(out)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    document = out.read_text()
    assert document.startswith("# Launch readiness: CLI test (staging)")
    assert "**Verdict: NO_GO**" in document and "| FAIL | `auth.private_routes` |" in document
    assert "GET /api/me" in document
    result = await invoke_beside("run", "-c", str(config), "--only", "auth.private_routes")
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "auth.privat_routes"], '--only: "auth.privat_routes" is not a check id. Did you mean auth.private_routes?'),
        (["--target", "prod"], "targets.prod: there is no such target (configured: staging)"),
        (["--format", "pdf"], '--format: "pdf" is not a format'),
        (["--fail-on", "sometimes"], '--fail-on: "sometimes" is not a threshold'),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(tmp_path, args, message):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    result = invoke("run", "--config", str(config), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_config_errors_exit_2_naming_the_key(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("project: x\ntargets:\n  s:\n    base_url: http://a.test\n    users: {a: {token: '${NOPE_TOKEN}'}}\n    privat_routes: []\n")
    result = invoke("run", "--config", str(path))
    assert result.exit_code == 2
    assert "targets.s.users.a.token: environment variable NOPE_TOKEN is not set" in result.stderr
    result = invoke("validate", "--config", str(path))
    assert result.exit_code == 2
    assert "targets.s.users.a.token" in result.stderr


def test_validate_reports_every_error_one_per_line(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("project: x\ntargets:\n  s: {base_url: http://a.test, privat_routes: [], max_requests: lots}\nchecklist:\n  obs.helth: {owner: U1}\n")
    result = invoke("validate", "--config", str(path))
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert sorted(line.split(":")[1].strip() for line in lines) == ["targets.s.max_requests", "targets.s.privat_routes"]
    path.write_text("project: x\ntargets:\n  s: {base_url: http://a.test}\nchecklist:\n  obs.helth: {owner: U1}\n")
    result = invoke("validate", "--config", str(path))
    assert result.exit_code == 2 and "checklist.obs.helth" in result.stderr and "Did you mean obs.health" in result.stderr


def test_validate_the_shipped_app_yaml():
    result = invoke("validate", "--config", str(ROOT / "app.yaml"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("app.yaml is valid: 1 target, 1 monitor.")


def test_catalog_text_and_json():
    text = invoke("catalog")
    assert text.exit_code == 0 and "auth.private_routes" in text.stdout and "critical" in text.stdout
    data = json.loads(invoke("catalog", "--format", "json").stdout)
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["auth.private_routes"]["mode"] == "automated"
    assert by_id["auth.private_routes"]["passes_when"]
    assert by_id["manual.keys_rotated"]["mode"] == "manual"


def test_demo_prints_the_scorecard_and_where_things_went(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("demo")
    assert result.exit_code == 0, result.stderr  # NO_GO, but a demonstration exits 0
    assert "Verdict: NO_GO" in result.stdout
    assert "auth.private_routes" in result.stdout
    workdir = tmp_path / ".launchready" / "demo" / "flawed"
    assert f"Config:   {workdir / 'app.yaml'}" in result.stdout
    assert (workdir / "app.yaml").exists() and (workdir / "launchready.db").exists()
    assert "exit code is 0 whatever the verdict" in result.stdout
