"""`launchready handover` against a real SQLite file, and `run --format junit|sarif` dispatch."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.store import Store
from tests.handover.sample import PLANTED_TOKEN, sample_report

CONFIG = """\
project: Acme Chat
database: sqlite:///state/launchready.db
slack: {admins: [U0ADMIN]}
targets:
  staging:
    base_url: https://staging.acme.test
checklist:
  auth.private_routes: {owner: U0ALICE, due: 2026-12-10}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LAUNCHREADY_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "app.yaml"
    path.write_text(CONFIG)
    return path


def _store_a_run(config: Path) -> None:
    (config.parent / "state").mkdir(exist_ok=True)
    with Store.open(f"sqlite:///{config.parent / 'state' / 'launchready.db'}") as store:
        store.record_report(sample_report(), trigger="test")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_no_run_yet_is_a_sentence_and_exit_2(config: Path) -> None:
    result = invoke("handover", "--config", str(config))
    assert result.exit_code == 2
    assert "No finished run of target staging is stored yet" in result.stderr
    assert not (config.parent / "HANDOVER.md").exists()


def test_writes_markdown_by_default_and_html_on_request(config: Path) -> None:
    _store_a_run(config)
    result = invoke("handover", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    text = (config.parent / "HANDOVER.md").read_text()
    assert "Owner: **U0ALICE**, due 2026-12-10" in text
    assert PLANTED_TOKEN not in text  # token-shaped: redacted even when the config does not know it
    assert "written to HANDOVER.md" in result.stdout

    result = invoke("handover", "--config", str(config), "--format", "html", "-o", "out/h.html")
    assert result.exit_code == 0, result.stderr
    assert (config.parent / "out" / "h.html").read_text().startswith("<!DOCTYPE html>")


def test_stdout_and_a_template_of_ones_own(config: Path) -> None:
    _store_a_run(config)
    (config.parent / "mine.md.j2").write_text("{{ doc.verdict }} for {{ doc.target }}\n")
    result = invoke("handover", "--config", str(config), "-o", "-", "--template", "mine.md.j2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "NO-GO for staging\n"


def test_bad_options_exit_2(config: Path) -> None:
    assert invoke("handover", "--config", str(config), "--format", "pdf").exit_code == 2
    assert invoke("handover", "--config", str(config), "--template", "nope.j2").exit_code == 2
    result = invoke("handover", "--config", str(config), "--target", "prod")
    assert result.exit_code == 2 and "targets.prod: there is no such target" in result.stderr


def test_run_formats_include_junit_and_sarif() -> None:
    from reports.run_report import FORMATS

    report = sample_report()
    assert FORMATS["junit"](report).startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert '"version": "2.1.0"' in FORMATS["sarif"](report)
