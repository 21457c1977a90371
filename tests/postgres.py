"""A throwaway PostgreSQL server for the tests: a fresh cluster on a free loopback port.

Debian's ``postgresql`` package provides the server (``.ci/run`` installs it). The cluster
lives in a temporary directory and is stopped when the test session ends; each test that
asks for ``postgres_url`` gets a database of its own, so tests never see each other's rows.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_bindir", "postgres_server", "postgres_url"]


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    run_as: str | None

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        root = Path(tempfile.mkdtemp(prefix="launchready-pg-"))
        run_as = "postgres" if os.geteuid() == 0 else None
        if run_as:
            shutil.chown(root, user=run_as)
        server = cls(bindir=bindir, datadir=root / "data", port=_free_port(), run_as=run_as)
        subprocess.run(
            server._cmd(str(bindir / "initdb"), "-D", str(server.datadir), "-U", "postgres", "-A", "trust", "--no-sync"),
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root} -c fsync=off -c max_connections=200"
        subprocess.run(
            server._cmd(str(bindir / "pg_ctl"), "-D", str(server.datadir), "-o", options, "-l", str(root / "log"), "-w", "start"),
            check=True,
            capture_output=True,
        )
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"),
            capture_output=True,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run must install Debian's postgresql package.")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer.start(bindir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database()
