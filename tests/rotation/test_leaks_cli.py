"""`launchready leaks` and `launchready rotated` against a real repository and SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_run_cli import launchready
from tests.rotation.test_rotation import delete_the_line, leaky_repo


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(
        "project: Leaks\n"
        "database: sqlite:///lr.db\n"
        "targets:\n  staging:\n    base_url: http://127.0.0.1:9\n    repo: {path: app}\n"
        "checklist:\n  secrets.repo: {owner: U0SEC}\n"
    )
    return path


async def leaks(config: Path) -> list[dict]:
    code, stdout, stderr = await launchready(
        "leaks", "--config", str(config), "--format", "json", cwd=config.parent
    )
    assert code == 0, stderr
    return json.loads(stdout)["leaks"]


async def test_a_leak_stays_open_after_the_line_is_deleted_until_rotation_is_attested(
    tmp_path: Path,
) -> None:
    leaky_repo(tmp_path / "app")
    config = write_config(tmp_path)
    run = (
        "run",
        "--config",
        str(config),
        "--only",
        "secrets.repo,secrets.history",
        "--fail-on",
        "never",
    )
    assert (await launchready(*run, cwd=tmp_path))[0] == 0
    [leak] = await leaks(config)
    assert (leak["key"], leak["owner"], leak["closed"]) == (
        "config.py:github-pat:2",
        "U0SEC",
        False,
    )

    delete_the_line(tmp_path / "app")
    await launchready(*run, cwd=tmp_path)
    [leak] = await leaks(config)
    assert (leak["in_tree"], leak["in_history"], leak["closed"]) == (False, True, False)

    code, _, stderr = await launchready(
        "rotated",
        "nope",
        "--by",
        "U0ALICE",
        "--on",
        "2026-12-01",
        "--config",
        str(config),
        cwd=tmp_path,
    )
    assert code == 2 and '"nope" is not leak key(s) of staging' in stderr
    code, _, stderr = await launchready(
        "rotated",
        "config.py",
        "--by",
        "U0ALICE",
        "--on",
        "12/01",
        "--config",
        str(config),
        cwd=tmp_path,
    )
    assert code == 2 and "is not a date" in stderr
    code, stdout, stderr = await launchready(
        "rotated",
        "config.py",
        "--by",
        "U0ALICE",
        "--on",
        "2026-12-01",
        "--config",
        str(config),
        cwd=tmp_path,
    )
    assert code == 0, stderr
    assert "rotated by U0ALICE on 2026-12-01" in stdout
    [leak] = await leaks(config)
    assert (
        leak["closed"]
        and leak["rotated_by"] == "U0ALICE"
        and leak["attested_by"].startswith("cli:")
    )

    code, stdout, _ = await launchready("leaks", "--config", str(config), cwd=tmp_path)
    assert "0 of 1 leaked secret(s) still open" in stdout
