"""fastapi/full-stack-fastapi-template, the backend: a well-built FastAPI + SQLModel + Postgres
API, expected to pass. Items are owned (a superuser sees all by design); user administration
is for superusers. Run at the last commit that supports Python 3.10+ (later ones need 3.14).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.accuracy.processes import postgres, run_logged, serve, venv
from bench.common import free_port

__all__ = ["TITLE", "running"]

TITLE = "full-stack-fastapi-template backend (FastAPI + Postgres, well-built)"
API = "/api/v1"
ADMIN = ("admin@example.org", "lr-admin-password-1")
ACCOUNTS = ("alice", "bob", "victim")


def _token(client: httpx.Client, email: str, password: str) -> str:
    answer = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def _setup(base: str) -> tuple[dict[str, str], str, str]:
    """Three users who sign up themselves, the superuser the app seeds; an item of alice's."""
    with httpx.Client(base_url=base, timeout=10) as client:
        tokens = {"root": _token(client, *ADMIN)}
        ids = {}
        for name in ACCOUNTS:
            signup = client.post(
                f"{API}/users/signup",
                json={
                    "email": f"{name}@example.org",
                    "password": f"pw-{name}-12345",
                    "full_name": name,
                },
            )
            signup.raise_for_status()
            ids[name] = signup.json()["id"]
            tokens[name] = _token(client, f"{name}@example.org", f"pw-{name}-12345")
        item = client.post(
            f"{API}/items/",
            json={"title": "alice's notes", "description": "private"},
            headers={"Authorization": f"Bearer {tokens['alice']}"},
        )
        item.raise_for_status()
    return tokens, item.json()["id"], ids["victim"]


def config(base: str, tokens: dict[str, str], item_id: str, victim_id: str) -> str:
    users = {name: {"token": tokens[name], "tenant": name, "role": "user"} for name in ACCOUNTS}
    users["root"] = {"token": tokens["root"], "tenant": "operators", "role": "admin"}
    target = {
        "base_url": base,
        "users": users,
        "cross_tenant_roles": ["admin"],  # a superuser reads every item by design (items.py)
        "health_routes": [f"GET {API}/utils/health-check/"],
        "public_routes": [f"GET {API}/utils/health-check/"],
        "openapi": f"{base}{API}/openapi.json",  # input_validation judges by its schemas
        "private_routes": [
            f"GET {API}/users/me",
            f"GET {API}/items/",
            {
                "route": f"POST {API}/items/",
                "body": {"title": "probe item", "description": "made by Launch Ready"},
            },
            {"route": f"PATCH {API}/users/me", "body": {"full_name": "Alice Example"}},
            {"route": f"GET {API}/users/", "roles": ["admin"]},
            {"route": f"DELETE {API}/users/{{user_id}}", "roles": ["admin"]},
        ],
        "objects": [
            {
                "route": f"GET {API}/items/{{id}}",
                "id": item_id,
                "owner": "alice",
                "methods": ["GET", "PUT"],
            },
            {
                "route": f"GET {API}/users/{{user_id}}",
                "id": victim_id,
                "owner": "victim",
                "disposable": True,
            },
        ],
        "rate_limits": [
            {
                "route": f"POST {API}/login/access-token",
                "max_per_minute": 10,
                "content_type": "form",
                "body": {"username": "alice@example.org", "password": "wrong-password"},
            },
        ],
        "cors": {
            "allowed_origins": ["http://localhost:5173"],
            "routes": [f"GET {API}/users/me"],
            "as": "alice",
        },
    }
    return json.dumps({"project": "fullstack-accuracy", "targets": {"local": target}}, indent=2)


@contextmanager
def running(source: Path, work: Path) -> Iterator[str]:
    log = work / "setup.log"
    backend = source / "backend"
    python = venv(work / "venv", [str(backend)], log=log)
    with postgres(log=log, database="app") as (pg_port, pg_user):
        env = {
            "ENVIRONMENT": "local",
            "PROJECT_NAME": "accuracy",
            "SECRET_KEY": "accuracy-suite-secret-not-default",
            "FIRST_SUPERUSER": ADMIN[0],
            "FIRST_SUPERUSER_PASSWORD": ADMIN[1],
            "POSTGRES_SERVER": "127.0.0.1",
            "POSTGRES_PORT": str(pg_port),
            "POSTGRES_USER": pg_user,
            "POSTGRES_PASSWORD": "unused-trust-auth",
            "POSTGRES_DB": "app",
            "BACKEND_CORS_ORIGINS": "http://localhost:5173",
            "FRONTEND_HOST": "http://localhost:5173",
            "SMTP_HOST": "",
            "EMAILS_FROM_EMAIL": "info@example.org",
            "SENTRY_DSN": "",
        }
        for step in (["-m", "alembic", "upgrade", "head"], ["app/initial_data.py"]):
            run_logged([str(python), *step], cwd=backend, env={**os.environ, **env}, log=log)
        port = free_port()
        argv = [
            str(python),
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        with serve(
            argv,
            cwd=backend,
            env=env,
            ready=f"http://127.0.0.1:{port}{API}/utils/health-check/",
            log=work / "app.log",
        ):
            base = f"http://127.0.0.1:{port}"
            yield config(base, *_setup(base))
