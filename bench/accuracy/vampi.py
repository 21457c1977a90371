"""VAmPI (erev0s/VAmPI): a deliberately vulnerable Flask/connexion API, OpenAPI 3.

Published flaws (README, "List of Vulnerabilities"): SQL injection, unauthorized password
change, broken object level authorization, mass assignment, excessive data exposure through
the debug endpoint, user and password enumeration, RegexDOS, lack of resources and rate
limiting, JWT bypass via a weak signing key. Run with ``vulnerable=1``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.accuracy.processes import serve, venv
from bench.common import free_port

__all__ = ["TITLE", "running"]

TITLE = "VAmPI (Flask, deliberately vulnerable)"
# Bind to loopback and turn the debugger off; everything else is the app's own app.py.
_LAUNCH = (
    "import connexion, runpy, sys\n"
    "port = int(sys.argv[1])\n"
    "run = connexion.App.run\n"
    "connexion.App.run = lambda self, **kw: run(self, host='127.0.0.1', port=port, debug=False)\n"
    "runpy.run_path('app.py', run_name='__main__')\n"
)
USERS = {"alice": "user", "bob": "user", "victim": "user"}
NEWCOMER = "newcomer"  # the public sign-up's sample account (each probe makes a fresh one)


def _setup(base: str) -> dict[str, str]:
    """Fresh database, three users of our own, a book owned by alice; their tokens."""
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(5):  # /createdb draws random book titles that can collide; try again
            if client.get("/createdb").status_code == 200:
                break
        tokens: dict[str, str] = {}
        for name in USERS:
            body = {
                "username": f"lr_{name}",
                "password": f"pw-{name}-123",
                "email": f"{name}@example.org",
            }
            client.post("/users/v1/register", json=body).raise_for_status()
        for name, password in [(n, f"pw-{n}-123") for n in USERS] + [("admin", "pass1")]:
            login = client.post(
                "/users/v1/login",
                json={
                    "username": "admin" if name == "admin" else f"lr_{name}",
                    "password": password,
                },
            )
            tokens[name] = login.json()["auth_token"]
        book = {"book_title": "lr-alice-book", "secret": "alice's secret"}
        client.post(
            "/books/v1", json=book, headers={"Authorization": f"Bearer {tokens['alice']}"}
        ).raise_for_status()
    return tokens


def config(base: str, tokens: dict[str, str]) -> str:
    users = {name: {"token": tokens[name], "tenant": name, "role": "user"} for name in USERS}
    users["root"] = {"token": tokens["admin"], "tenant": "admin", "role": "admin"}
    target = {
        "base_url": base,
        "users": users,
        "health_routes": ["GET /"],
        "public_routes": ["GET /", "GET /users/v1"],
        # README's Mass Assignment is on the public register route: each probe signs up a
        # throwaway account, and the check logs in as it to read /me (which shows admin).
        "public_writes": [
            {
                "route": "POST /users/v1/register",
                "body": {
                    "username": f"lr_{NEWCOMER}",
                    "password": f"pw-{NEWCOMER}-123",  # built, so the repo scan stays clean
                    "email": f"{NEWCOMER}@example.org",
                },
                "login": {
                    "route": "POST /users/v1/login",
                    "body": {"username": "{username}", "password": "{password}"},
                },
                "read": "GET /me",
            }
        ],
        "private_routes": [
            "GET /me",
            {"route": "POST /books/v1", "body": {"book_title": "lr-probe-book", "secret": "probe"}},
            {"route": "GET /users/v1/_debug", "roles": ["admin"]},
            # Shares its path with the victim's object, which fills {username} and is disposable.
            {"route": "DELETE /users/v1/{username}", "roles": ["admin"]},
        ],
        "objects": [
            {"route": "GET /books/v1/{book}", "id": "lr-alice-book", "owner": "alice"},
            # Public by design (README: "Displays user by username"): listed so the DELETE can
            # be probed on it; only its writes are tenant isolation's business.
            {
                "route": "GET /users/v1/{username}",
                "id": "lr_victim",
                "owner": "victim",
                "disposable": True,
                "public": True,
            },
        ],
        "rate_limits": [
            {
                "route": "POST /users/v1/login",
                "max_per_minute": 10,
                "body": {"username": "lr_alice", "password": "wrong-password"},
            },
        ],
        "cors": {
            "allowed_origins": ["https://app.example.org"],
            "routes": ["GET /me"],
            "as": "alice",
        },
    }
    return json.dumps({"project": "vampi-accuracy", "targets": {"local": target}}, indent=2)


@contextmanager
def running(source: Path, work: Path) -> Iterator[str]:
    python = venv(work / "venv", ["-r", str(source / "requirements.txt")], log=work / "setup.log")
    port = free_port()
    (source / "database" / "database.db").unlink(missing_ok=True)  # the app's data, not its code
    env = {"vulnerable": "1", "tokentimetolive": "3600"}
    with serve(
        [str(python), "-c", _LAUNCH, str(port)],
        cwd=source,
        env=env,
        ready=f"http://127.0.0.1:{port}/",
        log=work / "app.log",
    ):
        base = f"http://127.0.0.1:{port}"
        yield config(base, _setup(base))
