"""Build the Bolt AsyncApp: settings from the environment, a Web API client with retries,
the listeners (listed explicitly), and the middleware that drops retried event deliveries."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.slack.listeners import actions, commands, events, incidents, views
from bot.slack.notifier import SlackNotifier

__all__ = [
    "LISTENERS",
    "RetryPolicy",
    "SettingsError",
    "SlackSettings",
    "build_app",
    "build_client",
]

log = logging.getLogger(__name__)

# Add a listener module here (one line); each exposes register(app, runtime).
LISTENERS: tuple[ModuleType, ...] = (commands, actions, views, events, incidents)

DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(ValueError):
    """A missing or malformed Slack setting; the message names the variable and the fix."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    app_token: str | None = None  # set: Socket Mode
    api_url: str = DEFAULT_API_URL

    def __repr__(self) -> str:  # never print a token by accident
        mode = "socket" if self.app_token else "http"
        return f"SlackSettings(mode={mode}, api_url={self.api_url!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackSettings:
        token = env.get("SLACK_BOT_TOKEN", "").strip()
        if not token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: export the app's Bot User OAuth Token (xoxb-...) "
                "from api.slack.com/apps > OAuth & Permissions."
            )
        if not re.fullmatch(r"xoxb-[A-Za-z0-9-]+", token):
            raise SettingsError(
                "SLACK_BOT_TOKEN is malformed: a bot token starts with xoxb- "
                "(a user token xoxp- or an app token xapp- does not work here)."
            )
        app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
        if app_token is not None and not re.fullmatch(r"xapp-[A-Za-z0-9-]+", app_token):
            raise SettingsError(
                "SLACK_APP_TOKEN is malformed: an app-level token for Socket Mode starts with xapp- "
                "(unset it to receive events over HTTP)."
            )
        secret = env.get("SLACK_SIGNING_SECRET", "").strip()
        if not secret and app_token is None:  # Socket Mode requests are not signed
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: export the Signing Secret from "
                "api.slack.com/apps > Basic Information > App Credentials."
            )
        if secret and not re.fullmatch(r"[A-Za-z0-9]{16,128}", secret):
            raise SettingsError(
                "SLACK_SIGNING_SECRET is malformed: it is the 32-character hexadecimal Signing "
                "Secret from Basic Information > App Credentials (no quotes or spaces)."
            )
        api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
        if not re.match(r"^https?://[^/\s]+", api_url):
            raise SettingsError(
                f'SLACK_API_URL is malformed: "{api_url}" is not an http(s) URL '
                "(e.g. https://slack.com/api/)."
            )
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(bot_token=token, signing_secret=secret, app_token=app_token, api_url=api_url)

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.bot_token, self.signing_secret, self.app_token) if s]


@dataclass(frozen=True)
class RetryPolicy:
    rate_limit_retries: int = 3
    server_error_retries: int = 2
    connection_retries: int = 2
    backoff: float = 0.5  # seconds, doubled each attempt, with jitter
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: the call fails


class RetryAfterHandler(AsyncRetryHandler):
    """Retry a 429 after exactly the Retry-After Slack asked for (not more than
    ``max_wait``: beyond that the caller is better told than kept waiting)."""

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count, default_interval_calculator)
        self.max_wait = max_wait

    @staticmethod
    def _retry_after(response: HttpResponse) -> float:
        for key, values in response.headers.items():
            if key.lower() == "retry-after" and values:
                try:
                    return max(0.0, float(values[0]))
                except ValueError:
                    return 1.0
        return 1.0

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and self._retry_after(response) <= self.max_wait
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        import asyncio

        assert response is not None
        state.next_attempt_requested = True
        await asyncio.sleep(self._retry_after(response))
        state.increment_current_attempt()


class ProportionalJitter(Jitter):
    """Up to +50% of the interval (the SDK's default adds up to a whole second to any wait)."""

    def recalculate(self, duration: float) -> float:
        import random

        return duration * (1 + random.random() / 2)


class TransientServerErrorHandler(AsyncServerErrorRetryHandler):
    """500/503 (the SDK's default) plus 502 and 504 from proxies in front of Slack."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins; it does, by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_client(
    settings: SlackSettings, policy: RetryPolicy = RetryPolicy(), *, timeout: int = 15
) -> AsyncWebClient:
    backoff = BackoffRetryIntervalCalculator(
        backoff_factor=policy.backoff, jitter=ProportionalJitter()
    )
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=timeout,
        retry_handlers=[
            RetryAfterHandler(policy.rate_limit_retries, policy.max_retry_after),
            TransientServerErrorHandler(
                max_retry_count=policy.server_error_retries, interval_calculator=backoff
            ),
            AsyncConnectionErrorRetryHandler(
                max_retry_count=policy.connection_retries, interval_calculator=backoff
            ),
        ],
    )


def build_app(
    runtime: Runtime, settings: SlackSettings, policy: RetryPolicy = RetryPolicy()
) -> AsyncApp:
    """The Bolt app with every listener registered; sets ``runtime.notifier``."""
    client = build_client(settings, policy)
    runtime.notifier = SlackNotifier(client)
    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_QuietTokenWarning())
    app = AsyncApp(
        client=client,
        signing_secret=settings.signing_secret,
        # Socket Mode requests arrive over our own websocket and carry no signature.
        request_verification_enabled=settings.app_token is None,
        # Listeners ack first and hand slow work to runtime.tasks; Bolt must not wait for them.
        process_before_response=False,
        logger=bolt_log,
    )

    @app.middleware
    async def drop_retried_events(body: dict[str, Any], next: Any) -> BoltResponse | None:
        # A delivery Slack retries (X-Slack-Retry-Num) carries the same event_id: answer 200
        # so Slack stops retrying, and do not process it twice.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and runtime.seen_events.seen(str(event_id)):
            log.info("event %s already processed; acknowledging the retry", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error(
            "unhandled error in a Slack listener (%s): %s: %s",
            body.get("type"),
            type(error).__name__,
            error,
        )

    for module in LISTENERS:
        module.register(app, runtime)
    return app
