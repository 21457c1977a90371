"""`launchready init` against the running demo: it finds /openapi.json over HTTPS (the demo's
private CA) and drafts what the demo's own config is made of."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from bot.cli import build_app
from bot.config import load_config
from bot.demo import DemoTarget


async def test_init_against_the_running_demo_drafts_the_demo_config(tmp_path):
    async with DemoTarget(hardened=True, workdir=tmp_path / "w") as demo:
        ca_file = demo.target_config()["ca_file"]
        output = tmp_path / "app.yaml"
        args = [
            "init",
            "--url",
            demo.state.base_url,
            "--ca-file",
            ca_file,
            "--output",
            str(output),
            "--target",
            "demo",
        ]
        # init's client is synchronous: run it off the loop that serves the demo
        result = await asyncio.to_thread(CliRunner().invoke, build_app("init"), args)
        assert result.exit_code == 0, result.output
        assert (
            f"Read {demo.state.base_url}/openapi.json (OpenAPI 3.1.0, 14 operations)"
            in result.output
        )
        env = {f"{n.upper()}_PASSWORD": "x" for n in ("alice", "bob", "admin")}
        drafted = load_config(output, env=env).target("demo")[1]
        generated = demo.target()
    assert {str(r.route) for r in drafted.private_routes} == {
        str(r.route) for r in generated.private_routes
    }
    assert {str(r.route): r.roles for r in drafted.private_routes} == {
        str(r.route): r.roles for r in generated.private_routes
    }
    assert [(str(o.route), o.discover and str(o.discover), o.methods) for o in drafted.objects] == [
        (str(o.route), o.discover and str(o.discover), o.methods) for o in generated.objects
    ]
    assert [str(r) for r in drafted.latency.routes] == [str(r) for r in generated.latency.routes]
    assert (
        str(drafted.users["alice"].login.route) == "POST /auth/login"
        and drafted.users["alice"].login.token == "$.token"
    )
    assert drafted.chat is not None and str(drafted.chat.route) == "POST /api/chat"
