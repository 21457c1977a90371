"""The demo target: a chatbot-marketplace app on loopback, flawed by default.

It is assembled from modules, each owning one concern of the demo. A module exposes
``install(app, state)`` (routes, middlewares) and ``target_config(state) -> dict`` (its part
of the generated app.yaml target); optionally ``async start(state) -> cleanup`` for servers
of its own (DNS, plain HTTP) and ``ssl_context(state)`` for HTTPS.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from aiohttp import web

from bot.config import expand_env
from bot.demo import api, chat, edge, guards, objects, openapi, webhooks, workspace
from bot.demo import web as demo_web
from bot.demo.state import DEMO_PASSWORD, DemoState
from bot.onboard.draft import UserSeed, draft_from_spec
from bot.onboard.render import render
from bot.onboard.spec import parse_spec
from checks.target import Target

__all__ = ["DemoTarget", "MODULES"]

MODULES: tuple[ModuleType, ...] = (
    api,
    guards,
    objects,
    chat,
    webhooks,
    demo_web,
    workspace,
    edge,
    openapi,
)
# What init cannot know about the demo, so the demo's modules say it: real rate limits.
REPLACED_BY_MODULES = ("rate_limits",)


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [v for v in value if v not in merged[key]]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class DemoTarget:
    """Start with ``await demo.start()``; ``demo.config()`` is the app.yaml that points at it."""

    def __init__(
        self, *, hardened: bool = False, workdir: Path, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        # A fixed port means someone wants to point a config file at it: fixed tokens too.
        self.state = DemoState.create(hardened=hardened, workdir=workdir, deterministic=port != 0)
        self.state.host = host
        self.state.whole_app = self.build_app
        self._port = port
        self._runner: web.AppRunner | None = None
        self._cleanups: list[Callable[[], Awaitable[None]]] = []

    @property
    def hardened(self) -> bool:
        return self.state.hardened

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        for module in MODULES:
            module.install(app, self.state)
        return app

    async def start(self) -> str:
        self.state.workdir.mkdir(parents=True, exist_ok=True)
        for module in MODULES:
            start = getattr(module, "start", None)
            if start is not None:
                cleanup = await start(self.state)
                if cleanup is not None:
                    self._cleanups.append(cleanup)
        ssl_context = None
        for module in MODULES:
            make = getattr(module, "ssl_context", None)
            if make is not None:
                ssl_context = make(self.state) or ssl_context
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.state.host, self._port, ssl_context=ssl_context)
        await site.start()
        self.state.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        scheme = "https" if ssl_context else "http"
        host = self.state.extra.get("hostname", self.state.host)
        self.state.base_url = f"{scheme}://{host}:{self.state.port}"
        return self.state.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for cleanup in reversed(self._cleanups):
            await cleanup()
        self._cleanups.clear()

    async def __aenter__(self) -> DemoTarget:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def init_target(self) -> dict[str, Any]:
        """What ``launchready init`` writes for the demo's OpenAPI document (the same drafting
        and rendering; the document is read in-process, not over HTTP)."""
        spec = parse_spec(openapi.document(self.state), "/openapi.json")
        seeds = [
            UserSeed(u.name, u.email, u.role if u.role == "admin" else "user")
            for u in self.state.users.values()
        ]
        text = render(
            draft_from_spec(spec, self.state.base_url, seeds),
            project="Acme Chat (demo)",
            target="demo",
            source="/openapi.json",
        )
        return yaml.safe_load(text)["targets"]["demo"]

    def target_config(self) -> dict[str, Any]:
        """init's draft, the demo's users (logging in with the demo password from the
        environment's default), then what only the demo's modules know (secrets, limits, paths)."""
        target = self.init_target()
        for name, user in self.state.users.items():
            login = copy.deepcopy(target["users"][name]["login"])
            login["body"] = {
                "email": user.email,
                "password": "${LAUNCHREADY_DEMO_PASSWORD:-" + DEMO_PASSWORD + "}",
            }
            target["users"][name] = {"login": login, "tenant": user.tenant, "role": user.role}
        for key in REPLACED_BY_MODULES:
            target.pop(key, None)
        for module in MODULES:
            target = deep_merge(target, module.target_config(self.state))
        return target

    def target(self) -> Target:
        """The target as a run loads it from the written app.yaml (``${...}`` expanded)."""
        return Target.model_validate(expand_env(self.target_config(), {}, []))

    def config(self, *, database: str | None = None) -> dict[str, Any]:
        """The whole app.yaml (as data) for a run against this demo."""
        return {
            "project": "Acme Chat (demo)",
            "launch_date": None,
            "database": database or f"sqlite:///{self.state.workdir / 'launchready.db'}",
            "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
            "targets": {"demo": self.target_config()},
            "checklist": {
                "auth.private_routes": {"owner": "U0ALICE"},
                "manual.keys_rotated": {"owner": "U0BOB", "attest_every": "30d"},
            },
        }

    def write_config(self, path: Path | None = None) -> Path:
        path = path or self.state.workdir / "app.yaml"
        path.write_text(yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8")
        return path
