"""Damn Vulnerable RESTaurant (theowni/Damn-Vulnerable-RESTaurant-API-Game): FastAPI + Postgres.

Published flaws: the game's levels, ``app/tests/vulns/level_*.py`` (each docstring says what is
wrong and where): 0 technology details in an ``X-Powered-By`` header on /healthcheck,
1 unrestricted menu item deletion, 2 profile update IDOR (PUT /profile with another username),
3 privilege escalation (PUT /users/update_role), 4 SSRF, 5 remote code execution.
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

TITLE = "Damn Vulnerable RESTaurant (FastAPI + Postgres, deliberately vulnerable)"
# The versions of the app's poetry.lock that matter (newer pydantic breaks fastapi 0.103).
REQUIREMENTS = [
    "fastapi==0.103.2",
    "pydantic==2.10.6",
    "pydantic-core==2.27.2",
    "starlette==0.27.0",
    "uvicorn==0.23.2",
    "sqlalchemy==2.0.38",
    "psycopg[binary]",
    "psycopg2-binary",
    "python-jose",
    "passlib",
    "bcrypt>=4.1,<4.2",
    "python-multipart>=0.0.9,<0.1",
    "alembic",
    "requests",
    "pillow",
    "psutil",
    "slowapi",
    "python-dotenv",
    "httpx",
]
ACCOUNTS = {"alice": "Customer", "bob": "Customer"}


def _token(client: httpx.Client, username: str, password: str) -> str:
    answer = client.post("/token", data={"username": username, "password": password})
    answer.raise_for_status()
    return answer.json()["access_token"]


def _setup(base: str) -> tuple[dict[str, str], int, int]:
    """Two customers of our own, the seeded employee Mike; an order of alice's and a menu item
    made for the run (the one the DELETE probes may remove)."""
    with httpx.Client(base_url=base, timeout=10) as client:
        tokens = {}
        for name in ACCOUNTS:
            body = {
                "username": f"lr_{name}",
                "password": f"pw-{name}-123",
                "phone_number": f"555010{len(tokens)}",
                "first_name": name,
            }
            client.post("/register", json=body).raise_for_status()
            tokens[name] = _token(client, f"lr_{name}", f"pw-{name}-123")
        tokens["mike"] = _token(client, "Mike", "kaylee123")  # seeded by the app (init.py)
        staff = {"Authorization": f"Bearer {tokens['mike']}"}
        item = client.put(
            "/menu",
            json={"name": "LR disposable dish", "price": 1.5, "category": "test"},
            headers=staff,
        )
        item.raise_for_status()
        order = {
            "delivery_address": "1 Loopback Lane",
            "phone_number": "5550100",
            "items": [{"menu_item_id": 1, "quantity": 1}],
        }  # a seeded dish, not the disposable one
        made = client.post(
            "/orders", json=order, headers={"Authorization": f"Bearer {tokens['alice']}"}
        )
        made.raise_for_status()
    return tokens, item.json()["id"], made.json()["id"]


def config(base: str, tokens: dict[str, str], item_id: int, order_id: int) -> str:
    users = {
        name: {"token": tokens[name], "tenant": name, "role": role, "identity": f"lr_{name}"}
        for name, role in ACCOUNTS.items()
    }
    users["mike"] = {"token": tokens["mike"], "tenant": "staff", "role": "Employee"}
    menu_item = {"name": "LR dish", "price": 2.5, "category": "test"}
    target = {
        "base_url": base,
        "users": users,
        "cross_tenant_roles": ["Employee"],
        "health_routes": ["GET /healthcheck"],
        "public_routes": ["GET /menu", "GET /healthcheck"],
        "openapi": f"{base}/openapi.json",  # FastAPI's: input_validation judges by its schemas
        "private_routes": [
            "GET /profile",
            "GET /orders",
            {"route": "GET /admin/stats/disk", "roles": ["Chef"]},
            {"route": "PUT /menu/{item_id}", "roles": ["Employee", "Chef"], "body": menu_item},
            {"route": "DELETE /menu/{item_id}", "roles": ["Employee", "Chef"]},
            {
                "route": "POST /orders",
                "body": {
                    "delivery_address": "2 Probe Street",
                    "phone_number": "5550101",
                    "items": [{"menu_item_id": 1, "quantity": 1}],
                },
            },
        ],
        "objects": [
            {"route": "GET /orders/{order_id}", "id": str(order_id), "owner": "alice"},
            # Level 2: PUT /profile updates whichever user the body names; the owner reads back.
            {
                "route": "PUT /profile",
                "owner": "alice",
                "body": {
                    "username": "{owner}",
                    "first_name": "changed by {user}",
                    "phone_number": "5550199",
                },
                "read": "GET /profile",
            },
            # No GET for one menu item: listed for its writes, made by the run, so it may go.
            {
                "route": "GET /menu/{item_id}",
                "id": str(item_id),
                "owner": "mike",
                "methods": ["PUT", "DELETE"],
                "disposable": True,
            },
        ],
        "rate_limits": [
            {
                "route": "POST /token",
                "max_per_minute": 10,
                "content_type": "form",
                "body": {"username": "lr_alice", "password": "wrong-password"},
            },
        ],
    }
    return json.dumps({"project": "restaurant-accuracy", "targets": {"local": target}}, indent=2)


@contextmanager
def running(source: Path, work: Path) -> Iterator[str]:
    log = work / "setup.log"
    python = venv(work / "venv", REQUIREMENTS, log=log)
    app_dir = source / "app"
    with postgres(log=log, database="restaurant") as (pg_port, pg_user):
        env = {
            "POSTGRES_SERVER": "127.0.0.1",
            "POSTGRES_PORT": str(pg_port),
            "POSTGRES_USER": pg_user,
            "POSTGRES_PASSWORD": "unused-trust-auth",
            "POSTGRES_DB": "restaurant",
            "JWT_SECRET_KEY": "accuracy-suite-only",
            "ENV": "development",
        }
        run_logged(
            [str(python), "-m", "alembic", "upgrade", "head"],
            cwd=app_dir,
            env={**os.environ, **env},
            log=log,
        )
        port = free_port()
        argv = [
            str(python),
            "-m",
            "uvicorn",
            "main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        with serve(
            argv,
            cwd=app_dir,
            env=env,
            ready=f"http://127.0.0.1:{port}/healthcheck",
            log=work / "app.log",
        ):
            base = f"http://127.0.0.1:{port}"
            yield config(base, *_setup(base))
