"""The deploy files, linted (no Docker engine here to build the image): compose.yaml has two
serve replicas, PostgreSQL and the procrastinate worker, healthchecks where there is something
to check, and every secret from the environment; the Dockerfile copies paths that exist, runs
as a non-root user, checks /healthz and bakes no secret in."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bot.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)
FROM_ENVIRONMENT = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\}$")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
    ]


def test_compose_runs_two_serve_replicas_postgres_and_workers():
    services = compose()["services"]
    assert set(services) == {"serve", "worker", "postgres"}
    assert services["serve"]["deploy"]["replicas"] == 2
    assert (
        services["serve"]["command"][0] == "serve" and services["worker"]["command"][0] == "worker"
    )
    assert {"serve", "worker"} <= set(COMMANDS)  # the commands the containers run exist
    for name in ("serve", "worker"):
        env = services[name]["environment"]
        assert env["LAUNCHREADY_RUNS"] == "queue"
        assert (
            env["LAUNCHREADY_DATABASE_URL"].startswith("postgresql+psycopg://")
            and "@postgres:5432/" in env["LAUNCHREADY_DATABASE_URL"]
        )
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_healthchecks():
    services = compose()["services"]
    assert "/healthz" in " ".join(services["serve"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["worker"]["healthcheck"] == {
        "disable": True
    }  # no HTTP port; heartbeats instead


def test_compose_takes_every_secret_from_the_environment():
    found = 0
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRETISH.search(key):
                found += 1
                assert value == "" or FROM_ENVIRONMENT.match(value), (
                    f"{name}.{key} is a literal, not ${{VAR}}"
                )
            if "://" in value and "@" in value:  # a URL with credentials: the password is a ${VAR}
                password = value.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
                assert FROM_ENVIRONMENT.match(password), f"{name}.{key} has a literal password"
    assert found >= 5  # Slack token, signing secret, ingest secrets, the database password


def test_dockerfile_copies_paths_that_exist():
    copies = [
        args
        for instruction, args in dockerfile()
        if instruction == "COPY" and "--from=" not in args
    ]
    assert copies
    for args in copies:
        *sources, _destination = shlex.split(args)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"


def test_dockerfile_is_small_non_root_and_checks_health():
    instructions = dockerfile()
    bases = [args for instruction, args in instructions if instruction == "FROM"]
    assert bases and all(re.match(r"python:3\.\d+-slim\b", base) for base in bases)
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [args for instruction, args in instructions if instruction == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0]
    for instruction, args in instructions:
        if instruction in ("ENV", "ARG"):
            assert not SECRETISH.search(args), (
                f"{instruction} {args}: secrets come from the environment at run time"
            )
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "*.db" in ignored and ".git" in ignored
