"""Starting and stopping an app under test on loopback: ports, venvs, node_modules, Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.postgres import PostgresServer, find_bindir

__all__ = ["node_modules", "postgres", "run_logged", "serve", "venv"]


def run_logged(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None, log: Path
) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(
            f"accuracy: {' '.join(map(str, argv))} failed with {done.returncode}; see {log}"
        )


def venv(path: Path, requirements: Sequence[str], *, log: Path) -> Path:
    """A virtualenv with ``requirements`` (pip arguments), made once and reused; its python."""
    python = path / "bin" / "python"
    marker = path / ".launchready-ready"
    wanted = "\n".join(requirements)
    if not marker.exists() or marker.read_text(encoding="utf-8") != wanted:
        if not python.exists():
            run_logged([sys.executable, "-m", "venv", str(path)], log=log)
        run_logged([str(python), "-m", "pip", "install", "-q", *requirements], log=log)
        marker.write_text(wanted, encoding="utf-8")
    return python


def node_modules(source: Path, *, log: Path) -> None:
    if not (source / "node_modules").exists():
        run_logged(["npm", "install", "--no-audit", "--no-fund"], cwd=source, log=log)


@contextmanager
def serve(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    ready: str,
    log: Path,
    within_s: float = 60,
) -> Iterator[None]:
    """Start the app, wait until ``ready`` (a URL) answers, stop it (and its children) after."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + within_s
        while True:
            if process.poll() is not None:
                raise SystemExit(f"accuracy: {argv[0]} exited with {process.returncode}; see {log}")
            try:
                if httpx.get(ready, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"accuracy: {ready} did not answer within {within_s:g} s; see {log}"
                )
            time.sleep(0.3)
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


@contextmanager
def postgres(*, log: Path, database: str) -> Iterator[tuple[int, str]]:
    """A throwaway Postgres cluster on a free loopback port with an empty ``database``: the
    tests' :class:`~tests.postgres.PostgresServer` (trust auth, superuser ``postgres``)."""
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("accuracy: initdb/pg_ctl not found; install Debian's postgresql package")
    server = PostgresServer.start(bindir)
    try:
        run_logged(
            ["createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", database],
            log=log,
        )
        yield server.port, "postgres"
    finally:
        server.stop()
