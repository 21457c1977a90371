"""`launchready worker` and LAUNCHREADY_RUNS: bad input is one sentence and exit code 2."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_app
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET
from tests.workers.conftest import write_config


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """The commands configure the root logger for their process; give the tests theirs back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_worker_needs_postgres(tmp_path: Path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    result = CliRunner().invoke(
        build_app("worker"), ["worker", "--config", str(config)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2
    assert "launchready worker needs PostgreSQL" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_runs_mode_is_refused(tmp_path: Path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    env = {
        "COLUMNS": "200",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "LAUNCHREADY_RUNS": "everywhere",
    }
    result = CliRunner().invoke(
        build_app("serve"), ["serve", "--config", str(config), "--port", "0"], env=env
    )
    assert result.exit_code == 2
    assert (
        'LAUNCHREADY_RUNS="everywhere" is not one of workers, queue, thread, inprocess'
        in result.output
    )


def test_the_queue_mode_needs_postgres(tmp_path: Path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    env = {
        "COLUMNS": "200",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "LAUNCHREADY_RUNS": "queue",
    }
    result = CliRunner().invoke(
        build_app("serve"), ["serve", "--config", str(config), "--port", "0"], env=env
    )
    assert result.exit_code == 2
    assert "LAUNCHREADY_RUNS=queue needs PostgreSQL" in result.output


def test_runs_mode_reads_the_older_switch():
    from bot.cli.serve_cmd import runs_mode

    assert runs_mode({}) == "workers"
    assert runs_mode({"LAUNCHREADY_ISOLATE_RUNS": "0"}) == "inprocess"
    assert runs_mode({"LAUNCHREADY_ISOLATE_RUNS": "thread"}) == "thread"
    assert runs_mode({"LAUNCHREADY_RUNS": "queue", "LAUNCHREADY_ISOLATE_RUNS": "0"}) == "queue"


def test_the_queue_reaches_postgres_through_libpq():
    from bot.workers.distributed import conninfo

    assert conninfo("postgresql+psycopg://lr:pw@db:5432/lr") == "postgresql://lr:pw@db:5432/lr"
    with pytest.raises(ValueError, match="need PostgreSQL"):
        conninfo("sqlite:///launchready.db")
