"""Posting to Slack: messages, edits, ephemeral replies, modals, Home, files.

The Web API client carries the retry handlers (429 honouring Retry-After, 5xx and broken
connections with backoff, see :func:`bot.slack.app.build_client`); what still fails after the
retries becomes :class:`PostFailed`, whose message is a sentence a user can act on and
never contains the token.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import ClientSession as HttpPool  # an HTTP connection pool, not a database session
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.blocks.limits import Message, fallback_text
from checks.redact import scrub

__all__ = ["INVITE_ERRORS", "PostFailed", "SlackNotifier"]

log = logging.getLogger(__name__)

INVITE_ERRORS = frozenset({"not_in_channel", "channel_not_found"})


class PostFailed(Exception):
    """A Web API call that failed after its retries. ``str(exc)`` is a sentence for users."""

    def __init__(
        self, sentence: str, *, method: str, error: str, channel: str | None = None
    ) -> None:
        super().__init__(sentence)
        self.method = method
        self.error = error
        self.channel = channel

    @property
    def needs_invite(self) -> bool:
        return self.error in INVITE_ERRORS


class SlackNotifier:
    """Every Web API call of the bot goes through here."""

    def __init__(self, client: AsyncWebClient, *, app_name: str = "Launch Ready") -> None:
        self.client = client
        self.app_name = app_name
        self._session: HttpPool | None = None

    async def open_session(self) -> None:
        """Share one connection pool across calls (the SDK otherwise opens a session per
        call). Call inside the running loop; :meth:`close_session` on shutdown."""
        if self._session is None:
            self._session = HttpPool(timeout=aiohttp.ClientTimeout(total=self.client.timeout))
            self.client.session = self._session

    async def close_session(self) -> None:
        if self._session is not None:
            self.client.session = None
            await self._session.close()
            self._session = None

    # -- messages ------------------------------------------------------------------------------

    async def post(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Post a message; returns its ``ts``."""
        answer = await self._call(
            "chat.postMessage",
            channel,
            self.client.chat_postMessage,
            channel=channel,
            text=fallback_text(text),
            blocks=list(blocks) if blocks else None,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(answer["ts"])

    async def post_message(
        self, channel: str, message: Message, thread_ts: str | None = None
    ) -> str:
        """Post ``message`` and its thread replies (in the thread of ``thread_ts`` when given)."""
        ts = await self.post(channel, message.text, message.blocks, thread_ts=thread_ts)
        await self.post_thread(channel, thread_ts or ts, message.thread)
        return ts

    async def post_thread(self, channel: str, thread_ts: str, replies: Sequence[Message]) -> None:
        for reply in replies:
            await self.post(channel, reply.text, reply.blocks, thread_ts=thread_ts)

    async def update(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        await self._call(
            "chat.update",
            channel,
            self.client.chat_update,
            channel=channel,
            ts=ts,
            text=fallback_text(text),
            blocks=list(blocks) if blocks is not None else None,
        )

    async def post_ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> None:
        await self._call(
            "chat.postEphemeral",
            channel,
            self.client.chat_postEphemeral,
            channel=channel,
            user=user,
            text=fallback_text(text),
            blocks=list(blocks) if blocks else None,
            thread_ts=thread_ts,
        )

    async def respond(
        self,
        response_url: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        in_channel: bool = False,
        replace_original: bool = False,
    ) -> None:
        """Answer through a command's or action's ``response_url`` (works even where the
        bot is not a member of the channel)."""
        hook = AsyncWebhookClient(
            response_url,
            retry_handlers=list(self.client.retry_handlers or []),
            timeout=self.client.timeout,
            session=self._session,
        )
        payload: dict[str, Any] = {
            "text": fallback_text(text),
            "response_type": "in_channel" if in_channel else "ephemeral",
        }
        if blocks:
            payload["blocks"] = list(blocks)
        if replace_original:
            payload["replace_original"] = True
        try:
            answer = await hook.send_dict(payload)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failed("response_url", None, f"connection: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise self._failed("response_url", None, f"http_{answer.status_code}")

    async def permalink(self, channel: str, ts: str) -> str | None:
        """The message's permalink, or None when Slack will not say (the caller falls back
        to naming the channel)."""
        try:
            answer = await self._call(
                "chat.getPermalink",
                channel,
                self.client.chat_getPermalink,
                channel=channel,
                message_ts=ts,
            )
        except PostFailed:
            return None
        return answer.get("permalink")

    async def pin(self, channel: str, ts: str) -> None:
        """Pin a message in its channel (scope ``pins:write``)."""
        await self._call("pins.add", channel, self.client.pins_add, channel=channel, timestamp=ts)

    # -- views and files -----------------------------------------------------------------------

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call(
            "views.open", None, self.client.views_open, trigger_id=trigger_id, view=view
        )

    async def publish_home(self, user: str, view: dict[str, Any]) -> None:
        await self._call("views.publish", None, self.client.views_publish, user_id=user, view=view)

    async def upload_file(
        self,
        channel: str,
        content: str | bytes,
        *,
        filename: str,
        title: str | None = None,
        thread_ts: str | None = None,
        comment: str | None = None,
    ) -> None:
        """Upload with files_upload_v2 (files.upload is retired)."""
        await self._call(
            "files.upload_v2",
            channel,
            self.client.files_upload_v2,
            channel=channel,
            content=content,
            filename=filename,
            title=title or filename,
            thread_ts=thread_ts,
            initial_comment=comment,
        )

    # -- plumbing ------------------------------------------------------------------------------

    async def _call(
        self, method: str, where: str | None, function: Any, /, **kwargs: Any
    ) -> dict[str, Any]:
        arguments = {k: v for k, v in kwargs.items() if v is not None}
        try:
            response = await function(**arguments)
        except SlackApiError as exc:
            answer = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = str(answer.get("error") or f"http_{exc.response.status_code}")
            raise self._failed(method, where, error, status=exc.response.status_code) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failed(method, where, f"connection: {type(exc).__name__}") from None
        data = response.data
        return data if isinstance(data, dict) else {}

    def _failed(
        self, method: str, channel: str | None, error: str, *, status: int = 200
    ) -> PostFailed:
        where = f"<#{channel}>" if channel and channel[:1] in "CG" else "that conversation"
        if error in INVITE_ERRORS:
            sentence = (
                f"I cannot post in {where}: invite me with `/invite @{self.app_name}` "
                "(or pick another channel) and try again."
            )
        elif error == "is_archived":
            sentence = f"I cannot post in {where}: the channel is archived."
        elif error == "ratelimited" or status == 429:
            sentence = f"Slack kept rate-limiting {method}, so I gave up after retrying."
        elif error.startswith("connection"):
            sentence = f"I could not reach Slack for {method} ({error.removeprefix('connection: ')}), even after retrying."
        elif status >= 500 or error.startswith("http_5"):
            sentence = f"Slack answered {method} with HTTP {status if status >= 500 else error[5:]} even after retrying."
        else:
            sentence = f"Slack refused {method}: {error}."
        token = self.client.token or ""
        sentence = scrub(sentence, [token])
        log.warning("slack %s failed for %s: %s", method, channel or "-", scrub(error, [token]))
        return PostFailed(sentence, method=method, error=error, channel=channel)
