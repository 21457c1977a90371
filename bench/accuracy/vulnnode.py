"""vuln-node.js-express.js-app (SirAppSec): a deliberately vulnerable Express + Sequelize
(SQLite) + JWT API.

Published flaws (README, "Vulnerabilities/Weaknesses"): SQL injection, business logic, XXE,
RCE, session fixation, path traversal, privileged interface exposure, vertical and horizontal
privilege escalation, excessive data exposure, PII leak, BOLA, broken user authentication,
mass assignment, user enumeration, broken function level authorization, insufficient logging.

Setup note: libxmljs 0.19 does not build on Node 20 and is only loaded by the XXE route, so
dependencies are installed without install scripts, only sqlite3 is built from source, and
``require('libxmljs')`` gets a stub (see ``_LOOPBACK``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.accuracy.processes import run_logged, serve
from bench.common import free_port

__all__ = ["TITLE", "running"]

TITLE = "vuln-node.js-express.js-app (Express + SQLite, deliberately vulnerable)"
# The app calls app.listen(PORT) on every interface; this preload keeps it on loopback. It also
# answers require('libxmljs') with a stub (its native part does not build on Node 20; only the
# XXE upload route uses it, and no check here sends XML).
_LOOPBACK = (
    "const Module = require('module');\n"
    "const load = Module._load;\n"
    "Module._load = function (request, ...rest) {\n"
    "  if (request === 'libxmljs') return { parseXml() { throw new Error('libxmljs is not built'); } };\n"
    "  return load.call(this, request, ...rest);\n"
    "};\n"
    "const net = require('net');\n"
    "const listen = net.Server.prototype.listen;\n"
    "net.Server.prototype.listen = function (port, ...rest) {\n"
    "  if (typeof port === 'number' || typeof port === 'string') {\n"
    "    return listen.call(this, Number(port), '127.0.0.1', ...rest.filter((a) => typeof a === 'function'));\n"
    "  }\n"
    "  return listen.call(this, port, ...rest);\n"
    "};\n"
)
ACCOUNTS = {"alice": "user", "bob": "user", "victim": "user", "root": "admin"}


def _install(source: Path, log: Path) -> None:
    loads = subprocess.run(
        ["node", "-e", "require('sqlite3')"], cwd=source, capture_output=True, check=False
    )
    if loads.returncode == 0:  # installed and built already
        return
    run_logged(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=source, log=log
    )
    env = (
        {**os.environ, "npm_config_nodedir": "/usr"} if Path("/usr/include/node").exists() else None
    )
    run_logged(["npm", "rebuild", "sqlite3", "--build-from-source"], cwd=source, env=env, log=log)


def _setup(base: str) -> tuple[dict[str, str], dict[str, int]]:
    """Four users made the way the app's populate.sh makes them (role in the body); tokens."""
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=10) as client:
        for name, role in ACCOUNTS.items():
            body = {
                "name": name,
                "email": f"{name}@example.org",
                "password": f"pw-{name}-123",
                "role": role,
                "address": "1 Loopback Lane",
            }
            made = client.post("/v1/user/", json=body)
            made.raise_for_status()
            ids[name] = made.json()["id"]
            login = client.post(
                "/v1/user/token",
                json={"email": f"{name}@example.org", "password": f"pw-{name}-123"},
            )
            login.raise_for_status()
            tokens[name] = login.json()["jwt"]
    return tokens, ids


def config(base: str, tokens: dict[str, str], ids: dict[str, int]) -> str:
    users = {
        name: {"token": tokens[name], "tenant": name, "role": role}
        for name, role in ACCOUNTS.items()
    }
    target = {
        "base_url": base,
        "users": users,
        "health_routes": ["GET /"],
        "private_routes": [
            {"route": "GET /v1/admin/users/", "roles": ["admin"]},
            {"route": "DELETE /v1/user/{id}", "roles": ["admin"]},
            {
                "route": "POST /v1/user/",
                "body": {
                    "name": "newcomer",
                    "email": "newcomer@example.org",
                    "password": "pw-new-123",
                    "address": "2 Probe Street",
                },
            },
        ],
        "objects": [
            {
                "route": "GET /v1/user/{id}",
                "id": str(ids["victim"]),
                "owner": "victim",
                "disposable": True,
            },
        ],
        "rate_limits": [
            {
                "route": "POST /v1/user/token",
                "max_per_minute": 10,
                "body": {"email": "alice@example.org", "password": "wrong-password"},
            },
        ],
    }
    return json.dumps({"project": "vulnnode-accuracy", "targets": {"local": target}}, indent=2)


@contextmanager
def running(source: Path, work: Path) -> Iterator[str]:
    _install(source, work / "setup.log")
    database = work / "db.sqlite"
    database.unlink(missing_ok=True)
    port = free_port()
    env = {"APP_PORT": str(port), "DATABASE_STORAGE": str(database), "NODE_ENV": "development"}
    preload = work / "loopback.js"
    preload.write_text(_LOOPBACK, encoding="utf-8")
    with serve(
        ["node", "--require", str(preload), "src/server.js"],
        cwd=source,
        env=env,
        ready=f"http://127.0.0.1:{port}/",
        log=work / "app.log",
    ):
        base = f"http://127.0.0.1:{port}"
        yield config(base, *_setup(base))
