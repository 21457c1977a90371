"""`launchready signoff` and what `run` and `status` say about it, in real processes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_run_cli import launchready, target_app, write_config


async def test_signoff_then_a_worse_run_says_it_no_longer_holds(serve, tmp_path: Path) -> None:
    config = write_config(tmp_path, await serve(target_app(leak=False)))
    only = ("--only", "auth,obs.health")
    code, _, stderr = await launchready("run", "--config", str(config), *only, cwd=tmp_path)
    assert code == 0, stderr

    code, stdout, stderr = await launchready(
        "signoff", "--config", str(config), "--note", "ship it", cwd=tmp_path
    )
    assert code == 0, stderr
    assert (
        "Go/no-go signed for staging" in stdout
        and "by cli:" in stdout
        and "Note: ship it" in stdout
    )
    code, stdout, _ = await launchready("status", "--config", str(config), cwd=tmp_path)
    assert "it still holds" in stdout

    write_config(tmp_path, await serve(target_app(leak=True)))  # redeployed (a new port): it leaks
    code, stdout, stderr = await launchready(
        "run", "--config", str(config), *only, "--format", "json", cwd=tmp_path
    )
    assert code == 1 and json.loads(stdout)["verdict"] == "NO_GO"
    assert "no longer holds" in stderr and "says NO_GO" in stderr
    code, stdout, _ = await launchready(
        "signoff", "--show", "--format", "json", "--config", str(config), cwd=tmp_path
    )
    shown = json.loads(stdout)
    assert (
        shown["holds"] is False
        and shown["broken_verdict"] == "NO_GO"
        and shown["note"] == "ship it"
    )


async def test_signoff_without_a_run_is_a_clear_sentence(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9")
    code, _, stderr = await launchready("signoff", "--config", str(config), cwd=tmp_path)
    assert code == 2 and "has no finished run to sign" in stderr
