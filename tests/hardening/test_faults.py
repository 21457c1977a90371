"""Faults of our own: the process killed mid-run, the database locked by another writer."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml
from aiohttp import web

from bot.store import Store
from checks.model import Status

ROOT = Path(__file__).resolve().parents[2]


def hanging_app(release: asyncio.Event) -> web.Application:
    """/health answers at once; every private route hangs until the test releases it."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"error": "unauthorized"}, status=401)

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/api/private", hang)
    return app


def saved_results(database: Path) -> list[tuple[str, str]]:
    """Read the results table with plain sqlite3, as a second process would."""
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=5) as conn:
        try:
            return conn.execute("SELECT check_id, status FROM lr_results").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


async def test_sigkill_mid_run_leaves_saved_results_and_an_interrupted_run(serve, tmp_path):
    release = asyncio.Event()
    base = await serve(hanging_app(release))
    database = tmp_path / "lr.db"
    config = tmp_path / "app.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "project": "Kill test",
                "database": f"sqlite:///{database}",
                "targets": {
                    "staging": {
                        "base_url": base,
                        "request_timeout": "60s",
                        "health_routes": ["GET /health"],
                        "private_routes": ["GET /api/private"],
                    }
                },
            }
        )
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), "--only", "obs.health,auth.private_routes",
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Wait (bounded) until the fast check's result is on disk while the other still hangs.
        for _ in range(600):
            if ("obs.health", "pass") in saved_results(database):
                break
            assert process.returncode is None, "the run ended before it could be killed"
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("obs.health was never saved")
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        release.set()
        if process.returncode is None:
            process.kill()
            await asyncio.wait_for(process.wait(), 10)

    store = Store.open(f"sqlite:///{database}")
    try:
        runs = store.list_runs("staging")
        assert [r.state for r in runs] == ["interrupted"]
        report = store.get_report(runs[0].run_id)
        assert report is not None
        saved = {r.check_id: r.status for r in report.results}
        assert saved["obs.health"] is Status.PASS  # what was saved before the kill is intact
        assert "auth.private_routes" not in saved or saved["auth.private_routes"] is not Status.PASS
        assert store.running_run("staging") is None  # the next run is not refused
    finally:
        store.close()


def test_writes_wait_for_another_writer_and_succeed(tmp_path):
    database = tmp_path / "lr.db"
    store = Store.open(f"sqlite:///{database}")
    try:
        store.start_run(target="staging", trigger="test")  # tables and a first write exist
        locked, released = threading.Event(), threading.Event()

        def hold_the_lock() -> None:
            conn = sqlite3.connect(database, timeout=5, isolation_level=None)
            try:
                conn.execute("BEGIN EXCLUSIVE")
                locked.set()
                time.sleep(1.5)  # another process busy writing for a while
                released.set()
                conn.execute("COMMIT")
            finally:
                conn.close()

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        assert locked.wait(10)
        run_id = store.start_run(target="staging", trigger="test")  # must wait, not fail
        holder.join(10)
        assert released.is_set()  # the write went through only after the other writer let go
        assert any(r.run_id == run_id for r in store.list_runs("staging"))
    finally:
        store.close()
