"""Which checks an incident contradicts, and `launchready status` saying so."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.config import parse_config
from bot.monitoring.incidents import Incident, IncidentManager
from bot.promises import Coverage, contradictions, covering
from bot.store import Store

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def config(tmp_path: Path, monitors: list[dict]):
    data = {
        "project": "p",
        "database": f"sqlite:///{tmp_path / 'lr.db'}",
        "targets": {
            "staging": {
                "base_url": "https://staging.acme.test",
                "users": {"alice": {"token": "t" * 20}},
                "private_routes": [
                    "GET /api/items/{id}",
                    {"route": "GET /admin", "roles": ["admin"]},
                ],
                "health_routes": ["GET /health"],
                "latency": {"routes": ["GET /api/search"]},
                "webhooks": [
                    {
                        "route": "POST /hooks/stripe",
                        "scheme": "stripe",
                        "secret": "whsec_" + "x" * 20,
                    }
                ],
            },
            "other": {"base_url": "https://other.acme.test"},
        },
        "monitors": monitors,
    }
    return parse_config(yaml.safe_dump(data, sort_keys=False), env={}, root=tmp_path)


def incident(
    source: str, kind: str = "down", related: str | None = None, state: str = "open", n: int = 1
) -> Incident:
    fingerprint = f"monitor:{source}" if source else f"alert:{kind}"
    return Incident(
        n,
        fingerprint,
        kind,
        source,
        f"{source or kind} failing",
        "s",
        related,
        None,
        state,
        NOW,
        None,
        None,
        None,
        None,
        None,
        0,
        None,
        None,
    )


def monitor(name: str, path: str, method: str = "GET", **extra) -> dict:
    return {"name": name, "url": "https://staging.acme.test" + path, "method": method, **extra}


def test_routes_link_to_the_checks_that_promised_them(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        [
            monitor("item", "/api/items/42"),
            monitor("admin", "/admin"),
            monitor("health", "/health"),
            monitor("search", "/api/search"),
            monitor("hook", "/hooks/stripe", "POST"),
            monitor("page", "/about"),
            {"name": "elsewhere", "url": "https://unrelated.test/health"},
        ],
    )
    assert covering(cfg, incident("item")) == [
        Coverage("staging", ("auth.private_routes",), "GET /api/items/42")
    ]
    assert covering(cfg, incident("admin"))[0].checks == (
        "auth.private_routes",
        "auth.role_boundaries",
    )
    assert covering(cfg, incident("health"))[0].checks == ("obs.health",)
    assert covering(cfg, incident("search"))[0].checks == ("perf.latency_p95",)
    assert covering(cfg, incident("hook"))[0].checks == ("webhooks.signature", "webhooks.replay")
    assert covering(cfg, incident("item", kind="latency"))[0].checks == (
        "auth.private_routes",
        "perf.latency_p95",
    )
    assert covering(cfg, incident("page")) == []  # no check promised /about
    assert covering(cfg, incident("elsewhere")) == []  # another host: not this target's route
    # An ingest alert names no route: its related check, on every target.
    assert covering(cfg, incident("", kind="latency", related="perf.latency_p95")) == [
        Coverage("staging", ("perf.latency_p95",)),
        Coverage("other", ("perf.latency_p95",)),
    ]


def test_only_open_incidents_contradict(tmp_path: Path) -> None:
    cfg = config(tmp_path, [monitor("health", "/health")])
    assert contradictions(cfg, "staging", [incident("health", n=7)]) == {
        "obs.health": "contradicted by incident #7 (health failing)"
    }
    assert contradictions(cfg, "staging", [incident("health", state="resolved")]) == {}
    assert contradictions(cfg, "other", [incident("health")]) == {}


def test_launchready_status_shows_the_contradiction(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LAUNCHREADY_DATABASE_URL", raising=False)
    cfg = config(tmp_path, [monitor("health", "/health")])
    (tmp_path / "app.yaml").write_text(
        yaml.safe_dump(
            {
                "project": "p",
                "database": "sqlite:///lr.db",
                "targets": {"staging": {"base_url": "https://staging.acme.test"}},
                "monitors": [monitor("health", "/health")],
            }
        )
    )
    with Store.open(cfg.database_url) as store:
        manager = IncidentManager(store.incidents, notifier=None, channel=None)
        opened, _ = manager.open(
            fingerprint="monitor:health",
            kind="down",
            title="health is down",
            summary="503",
            source="health",
            now=NOW,
        )
    result = CliRunner().invoke(
        app,
        ["status", "--config", str(tmp_path / "app.yaml"), "--format", "json"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    items = {i["check_id"]: i for i in json.loads(result.stdout)["items"]}
    assert (
        items["obs.health"]["contradicted"]
        == f"contradicted by incident #{opened.id} (health is down)"
    )
    assert items["auth.private_routes"]["contradicted"] is None
