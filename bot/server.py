"""The one aiohttp application of ``launchready serve``.

``POST /slack/events`` hands Slack's requests to Bolt (commands, interactivity and events on
one path, signature-verified), ``GET /healthz`` answers liveness. Other capabilities add
their routes and background jobs as extensions: a module with ``install(app, runtime)``,
listed in :data:`EXTENSIONS` (one line each); they use aiohttp's ``on_startup`` /
``on_cleanup`` for anything that runs in the background.

Errors never leave as tracebacks: every 4xx/5xx is a small JSON body without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot import ingest, scheduler
from bot.runtime import Runtime

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp

__all__ = ["EXTENSIONS", "RUNTIME", "SLACK_PATH", "build_server", "package_version"]

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
RUNTIME = web.AppKey("runtime", Runtime)
MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; ingest extensions bound their own

# Add an extension here (one line): a module with install(app: web.Application, runtime: Runtime).
EXTENSIONS: tuple[ModuleType, ...] = (ingest, scheduler)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def package_version() -> str:
    try:
        return version("launchready")
    except PackageNotFoundError:
        return "0+unknown"


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """4xx/5xx as ``{"error": "..."}``; an unexpected exception is logged and answered 500
    without its details."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after", "www-authenticate")}
        return web.json_response({"error": exc.reason.lower()}, status=exc.status, headers=headers)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": package_version()})


def build_server(
    runtime: Runtime,
    bolt_app: AsyncApp | None,
    *,
    socket_mode: AsyncSocketModeHandler | None = None,
    extensions: tuple[ModuleType, ...] | None = None,
) -> web.Application:
    """The served application. ``bolt_app`` None: no Slack route (Socket Mode or tests)."""
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    if bolt_app is not None and socket_mode is None:
        app.router.add_post(SLACK_PATH, _slack_handler(bolt_app, runtime))
    for extension in EXTENSIONS if extensions is None else extensions:
        extension.install(app, runtime)
    if socket_mode is not None:
        _attach_socket_mode(app, socket_mode)

    async def begin(_: web.Application) -> None:
        if runtime.notifier is not None:
            await runtime.notifier.open_session()

    async def finish(_: web.Application) -> None:
        await runtime.tasks.drain(timeout=10.0)
        if runtime.notifier is not None:
            await runtime.notifier.close_session()
        runtime.close()

    app.on_startup.insert(0, begin)
    app.on_cleanup.append(finish)
    return app


def _slack_handler(bolt_app: AsyncApp, runtime: Runtime) -> Handler:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def slack_events(request: web.Request) -> web.StreamResponse:
        # While this request is acknowledged, background work waits its turn (runtime.tasks).
        with runtime.tasks.foreground():
            bolt_request = await to_bolt_request(request)
            bolt_response = await bolt_app.async_dispatch(bolt_request)
            return await to_aiohttp_response(bolt_response)

    return slack_events


def _attach_socket_mode(app: web.Application, handler: Any) -> None:
    async def connect(_: web.Application) -> None:
        await handler.connect_async()
        log.info("connected to Slack over Socket Mode")

    async def disconnect(_: web.Application) -> None:
        await handler.close_async()

    app.on_startup.append(connect)
    app.on_cleanup.insert(0, disconnect)
