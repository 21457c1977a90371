"""The composition root of ``launchready serve``: the one aiohttp application, wired by hand.

:func:`build_server` puts the parts together explicitly, in this order: the runtime (config,
services and store, the Slack notifier set by :func:`bot.slack.app.build_app`), ``GET
/healthz``, ``POST /slack/events`` handing Slack's requests to Bolt (signature-verified first),
then monitoring (:func:`bot.app.monitoring.attach_monitoring`), the ingest routes
(:func:`bot.ingest.add_routes`) and the scheduler (:func:`bot.app.scheduler.install`), which
share that one :class:`~bot.monitoring.monitoring.Monitoring`. Background work starts and stops
with aiohttp's ``on_startup`` / ``on_cleanup``.

Errors never leave as tracebacks: every 4xx/5xx is a small JSON body without internals.
Every response carries an ``X-Request-Id`` (the one a logged failure names) and a ``Server``
header without versions.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot import ingest
from bot.app import scheduler
from bot.app.monitoring import attach_monitoring
from bot.app.runtime import Runtime

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp

__all__ = ["REQUEST_ID", "RUNTIME", "SLACK_PATH", "build_server", "package_version", "request_id"]

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
RUNTIME = web.AppKey("runtime", Runtime)
MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; ingest extensions bound their own
REQUEST_ID = "X-Request-Id"
SERVER_NAME = "launchready"  # aiohttp's default names Python's and its own version
_CALLER_ID = re.compile(
    r"[A-Za-z0-9._:-]{1,64}"
)  # a proxy's id we may repeat in a header and a log
# web.RequestKey arrived in aiohttp 3.12; a plain key works (with a warning) before it.
_ID_KEY: Any = (
    web.RequestKey("request_id", str) if hasattr(web, "RequestKey") else "launchready.request_id"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def package_version() -> str:
    try:
        return version("launchready")
    except PackageNotFoundError:
        return "0+unknown"


def request_id(request: web.Request) -> str:
    """This request's id: the caller's ``X-Request-Id`` when it is a plain token (a load
    balancer's, so one id follows the request across hops), else a fresh one."""
    known = request.get(_ID_KEY)
    if known is None:
        offered = request.headers.get(REQUEST_ID, "")
        known = offered if _CALLER_ID.fullmatch(offered) else uuid.uuid4().hex
        request[_ID_KEY] = known
    return known


async def identify(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, errors and 404s included, names its request id."""
    response.headers[REQUEST_ID] = request_id(request)
    response.headers["Server"] = SERVER_NAME


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """4xx/5xx as ``{"error": "..."}``; an unexpected exception is logged and answered 500
    without its details."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {
            k: v
            for k, v in exc.headers.items()
            if k.lower() in ("allow", "retry-after", "www-authenticate")
        }
        return web.json_response({"error": exc.reason.lower()}, status=exc.status, headers=headers)
    except Exception:
        log.exception(
            "%s %s failed (request id %s)", request.method, request.path, request_id(request)
        )
        return web.json_response({"error": "internal error"}, status=500)


async def healthz(request: web.Request) -> web.Response:
    body: dict[str, Any] = {"status": "ok", "version": package_version()}
    seat = request.app.get(scheduler.SEAT)
    if seat is not None:
        # Every replica is healthy; one leads (runs the scheduler), the others stand by.
        body["leader"] = seat.leading
        body["role"] = "leader" if seat.leading else "standby"
    return web.json_response(body)


def build_server(
    runtime: Runtime,
    bolt_app: AsyncApp | None,
    *,
    socket_mode: AsyncSocketModeHandler | None = None,
    monitoring: bool = True,
) -> web.Application:
    """The served application. ``bolt_app`` None: no Slack route (Socket Mode or tests);
    ``monitoring`` False: no monitors, ingest routes or scheduler (tests of the Slack part)."""
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY)
    app[RUNTIME] = runtime
    app.on_response_prepare.append(identify)
    app.router.add_get("/healthz", healthz)
    if bolt_app is not None and socket_mode is None:
        app.router.add_post(SLACK_PATH, _slack_handler(bolt_app, runtime))
    if monitoring:
        watching = attach_monitoring(app, runtime)
        ingest.add_routes(app, watching)
        scheduler.install(app, runtime, watching)
    if socket_mode is not None:
        _attach_socket_mode(app, socket_mode)

    async def begin(_: web.Application) -> None:
        if runtime.notifier is not None:
            await runtime.notifier.open_session()
        if runtime.workers is not None:
            await runtime.workers.start()

    async def finish(_: web.Application) -> None:
        await runtime.tasks.drain(timeout=10.0)
        if runtime.workers is not None:
            await runtime.workers.close()
        if runtime.notifier is not None:
            await runtime.notifier.close_session()
        runtime.close()

    app.on_startup.insert(0, begin)
    app.on_cleanup.append(finish)
    return app


def _slack_handler(bolt_app: AsyncApp, runtime: Runtime) -> Handler:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_sdk.signature import SignatureVerifier

    # Bolt parses the body before it checks the signature and int()s the timestamp unchecked,
    # so a body of "null" or an empty timestamp was a 500 for anyone; verify first. (Bolt
    # verifies again; the secret is the one it was built with.)
    verifier = SignatureVerifier(getattr(bolt_app, "_signing_secret", "") or "")

    async def slack_events(request: web.Request) -> web.StreamResponse:
        # While this request is acknowledged, background work waits its turn (runtime.tasks).
        with runtime.tasks.foreground():
            if not _signed_by_slack(verifier, request.headers, await request.text()):
                return web.json_response(
                    {
                        "error": "The request is not signed by Slack (X-Slack-Signature, X-Slack-Request-Timestamp)."
                    },
                    status=401,
                )
            try:
                bolt_request = await to_bolt_request(request)
                problem = _shape_problem(bolt_request.body)
                if problem is not None:
                    return web.json_response(
                        {
                            "error": f"The payload is not a Slack request this app handles: {problem}."
                        },
                        status=400,
                    )
                bolt_response = await bolt_app.async_dispatch(bolt_request)
            except Exception:  # Bolt's own handling of a payload shape Slack does not send
                log.warning(
                    "POST %s: Bolt could not handle a signed payload (request id %s)",
                    request.path,
                    request_id(request),
                    exc_info=True,
                )
                return web.json_response(
                    {"error": "The payload is not a Slack request this app handles."}, status=400
                )
            return await to_aiohttp_response(bolt_response)

    return slack_events


def _shape_problem(body: Any) -> str | None:
    """What Bolt would dereference unchecked (and answer 500 for): the fields Slack always
    sends as objects, and the non-empty ``actions`` list of a block action."""
    if not isinstance(body, dict):
        return "the body is not an object"
    for key in ("event", "view", "container", "message"):
        if key in body and not isinstance(body[key], dict):
            return f"{key} is not an object"
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return "event is missing"
    actions = body.get("actions")
    if "actions" in body and not (
        isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
    ):
        return "actions is not a list of action objects"
    if isinstance(actions, list) and not all(isinstance(a.get("action_id"), str) for a in actions):
        return "an action has no action_id"  # Bolt's action matchers read it unguarded
    return None


def _signed_by_slack(verifier: Any, headers: Any, body: str) -> bool:
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    # Unix seconds in ASCII digits, short enough to subtract from a float clock.
    if not (signature and stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        return False
    return bool(verifier.is_valid(body, stamp, signature))


def _attach_socket_mode(app: web.Application, handler: Any) -> None:
    async def connect(_: web.Application) -> None:
        await handler.connect_async()
        log.info("connected to Slack over Socket Mode")

    async def disconnect(_: web.Application) -> None:
        await handler.close_async()

    app.on_startup.append(connect)
    app.on_cleanup.insert(0, disconnect)
