"""`launchready status | assign | done | waive` against a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.store import SCHEMA_VERSION, Store
from checks.model import CheckResult, RunReport, Severity, Status

CONFIG = """\
project: Acme Chat
database: sqlite:///state/launchready.db
targets:
  staging:
    base_url: http://127.0.0.1:9
checklist:
  auth.private_routes: {owner: U0ALICE, due: 2026-12-10}
  manual.keys_rotated: {owner: U0BOB, attest_every: 30d}
  manual.backups: {title: Backups restored once, severity: high}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LAUNCHREADY_DATABASE_URL", raising=False)
    path = tmp_path / "app.yaml"
    path.write_text(CONFIG)
    return path


def db(config: Path) -> Store:
    return Store.open(f"sqlite:///{config.parent / 'state' / 'launchready.db'}")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"USER": "tester", "COLUMNS": "200"})


def test_status_shows_the_checklist_worst_first(config: Path) -> None:
    result = invoke("status", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    assert "Acme Chat · staging:" in result.stdout
    for check_id in ("auth.private_routes", "manual.keys_rotated", "manual.backups", "obs.health"):
        assert check_id in result.stdout
    assert "U0ALICE" in result.stdout and "2026-12-10" in result.stdout
    assert "No run yet" in result.stdout


def test_status_json_is_only_json(config: Path) -> None:
    result = invoke("status", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["project"], data["target"], data["last_run"]) == ("Acme Chat", "staging", None)
    items = {i["check_id"]: i for i in data["items"]}
    assert items["auth.private_routes"]["owner"] == "U0ALICE"
    assert items["manual.backups"]["mode"] == "manual"
    assert items["manual.keys_rotated"]["attest_every_s"] == 30 * 86400
    assert data["items"][0]["severity"] == "critical"  # all open: severity decides


def test_status_shows_the_last_run(config: Path) -> None:
    from datetime import UTC, datetime

    with db(config) as store:
        now = datetime.now(UTC)
        failing = CheckResult("auth.private_routes", "Private routes", "auth", Severity.CRITICAL, Status.FAIL,
                              "1 of 3 private routes answer without a token")
        store.record_report(RunReport("r_cli", "Acme Chat", "staging", "http://127.0.0.1:9", now, now, 7,
                                      (failing,)), trigger="cli")
    result = invoke("status", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    assert "Last run r_cli: NO_GO" in result.stdout
    assert "1 of 3 private routes answer without a token" in result.stdout
    assert result.stdout.index("auth.private_routes") < result.stdout.index("obs.health")


def test_assign_done_and_waive_change_the_store_as_the_cli_user(config: Path) -> None:
    assigned = invoke("assign", "obs.health", "U0CAROL", "--due", "2026-12-20", "--config", str(config))
    assert assigned.exit_code == 0, assigned.stderr
    assert assigned.stdout.strip() == "obs.health on staging now belongs to U0CAROL, due 2026-12-20."

    done = invoke("done", "manual.keys_rotated", "--note", "rotated all five", "--config", str(config))
    assert done.exit_code == 0, done.stderr
    assert "manual.keys_rotated on staging attested by cli:tester (\"rotated all five\")" in done.stdout

    fixed = invoke("done", "auth.private_routes", "--config", str(config))
    assert fixed.exit_code == 0 and "marked done; the next run confirms it" in fixed.stdout

    waived = invoke("waive", "tls.protocols", "--days", "14", "--reason", "Edge terminates TLS", "--config", str(config))
    assert waived.exit_code == 0, waived.stderr
    assert 'tls.protocols on staging waived until' in waived.stdout and "by cli:tester" in waived.stdout

    with db(config) as store:
        assert store.item("staging", "obs.health").owner == "U0CAROL"
        assert store.item("staging", "manual.keys_rotated").attested_by == "cli:tester"
        assert store.item("staging", "auth.private_routes").status == "done"
        assert store.overrides("staging")["tls.protocols"].waiver_reason == "Edge terminates TLS"
        actors = {(e.check_id, e.field, e.actor) for e in store.audit("staging")}
    assert ("obs.health", "owner", "cli:tester") in actors
    assert ("tls.protocols", "waiver", "cli:tester") in actors
    # the file does not take the owner back on the next command
    invoke("status", "--config", str(config))
    with db(config) as store:
        assert store.item("staging", "obs.health").owner == "U0CAROL"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assign", "private_routes", "U1"], '"private_routes" is not a checklist item of staging. Did you mean auth.private_routes?'),
        (["assign", "obs.health", "U1", "--due", "20/12/2026"], '"20/12/2026" is not a date (use YYYY-MM-DD'),
        (["waive", "obs.health", "--days", "0", "--reason", "later"], "a waiver lasts 1 to 365 days, not 0"),
        (["waive", "obs.health", "--days", "400", "--reason", "later"], "a waiver lasts 1 to 365 days, not 400"),
        (["waive", "obs.health", "--days", "7", "--reason", " "], "a waiver needs a reason"),
        (["done", "manual.nope"], '"manual.nope" is not a checklist item of staging'),
        (["status", "--target", "production"], "targets.production: there is no such target (configured: staging)"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(config: Path, args: list[str], message: str) -> None:
    result = invoke(*args, "--config", str(config))
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_missing_reason_or_days_is_a_usage_error(config: Path) -> None:
    assert invoke("waive", "obs.health", "--days", "7", "--config", str(config)).exit_code == 2
    assert invoke("waive", "obs.health", "--reason", "later", "--config", str(config)).exit_code == 2


def test_a_missing_config_exits_2(tmp_path: Path) -> None:
    result = invoke("status", "--config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_a_newer_database_exits_2_with_the_reason(config: Path) -> None:
    assert invoke("status", "--config", str(config)).exit_code == 0
    with sqlite3.connect(config.parent / "state" / "launchready.db") as conn:
        conn.execute("UPDATE lr_meta SET value = ?", (str(SCHEMA_VERSION + 1),))
    conn.close()
    result = invoke("assign", "obs.health", "U1", "--config", str(config))
    assert result.exit_code == 2
    assert "was written by a newer Launch Ready" in " ".join(result.stderr.split())


def test_a_checklist_key_naming_no_check_exits_2(config: Path) -> None:
    config.write_text(CONFIG + "  auth.privte_routes: {owner: U0X}\n")
    result = invoke("status", "--config", str(config))
    assert result.exit_code == 2
    assert "auth.privte_routes" in result.stderr and "auth.private_routes" in result.stderr
    assert "Traceback" not in result.stderr


BAD_SEVERITY = """\
project: Acme Chat
targets:
  staging: {base_url: "http://127.0.0.1:9"}
checklist: {manual.backups: {title: Backups, severity: urgent}}
"""


@pytest.mark.parametrize("command", ["validate", "run", "status"])
def test_a_misspelt_checklist_severity_is_one_sentence_and_exit_2(tmp_path: Path, command: str) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(BAD_SEVERITY)
    result = invoke(command, "--config", str(path))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [
        'error: checklist.manual.backups.severity: "urgent" is not a severity (use one of critical, high, medium, low, info)'
    ]
    assert "Traceback" not in result.output


def test_severity_is_read_in_any_case(tmp_path: Path) -> None:
    from bot.config import parse_config

    config = parse_config(BAD_SEVERITY.replace("urgent", "HIGH"))
    assert config.checklist["manual.backups"].severity is Severity.HIGH


def test_a_slack_user_who_does_not_own_an_item_may_not_mark_it_done(config: Path) -> None:
    """The policy is the same for every caller; only the local operator (CLI) acts as an admin."""
    from bot.checklist import Actor, NotPermitted
    from bot.config import load_config
    from bot.services import Services

    services = Services.open(load_config(config))
    try:
        checklist = services.checklist
        with pytest.raises(NotPermitted):
            checklist.done("staging", "auth.private_routes", actor=Actor("U0MALLORY"))
        with pytest.raises(NotPermitted):
            checklist.waive("staging", "auth.private_routes", actor=Actor("U0ALICE"), days=3, reason="not an admin")
        done = checklist.done("staging", "auth.private_routes", actor=Actor("U0ALICE"), note="fixed")  # the owner
        assert done.status == "done"
        waived = checklist.waive("staging", "http.hsts", actor=Actor.cli("cli:tester"), days=3, reason="operator")
        assert waived.waiver_by == "cli:tester"
    finally:
        services.close()
