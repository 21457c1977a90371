"""SlackNotifier against the fake Web API: retries, failures as sentences, files, respond."""

from __future__ import annotations

import logging

import pytest

from bot.slack.app import SlackSettings, build_client
from bot.slack.blocks.limits import Message
from bot.slack.notifier import PostFailed, SlackNotifier
from tests.slack.conftest import FAST_RETRIES
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET


@pytest.fixture
def notifier(fake_slack: FakeSlack) -> SlackNotifier:
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url)
    return SlackNotifier(build_client(settings, FAST_RETRIES))


async def test_post_returns_ts_and_sends_fallback_text(notifier: SlackNotifier, fake_slack: FakeSlack):
    ts = await notifier.post("C0LAUNCH", "hello", [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    call = fake_slack.calls_to("chat.postMessage")[0]
    assert ts == call.answer["ts"] and call.args["text"] == "hello"
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"


async def test_message_with_thread_replies(notifier: SlackNotifier, fake_slack: FakeSlack):
    message = Message("main", [], thread=[Message("reply 1"), Message("reply 2")])
    ts = await notifier.post_message("C0LAUNCH", message)
    replies = fake_slack.calls_to("chat.postMessage")[1:]
    assert [r.args["text"] for r in replies] == ["reply 1", "reply 2"]
    assert all(r.args["thread_ts"] == ts for r in replies)


async def test_500_then_ok_is_retried(notifier: SlackNotifier, fake_slack: FakeSlack):
    fake_slack.fail("chat.postMessage", status=503, times=2)
    await notifier.post("C0LAUNCH", "hello")
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [503, 503, 200]


async def test_persistent_500_becomes_a_sentence_without_the_token(notifier: SlackNotifier, fake_slack: FakeSlack,
                                                                 caplog: pytest.LogCaptureFixture):
    fake_slack.fail("chat.update", status=500, times=None)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PostFailed) as failure:
        await notifier.update("C0LAUNCH", "1.2", "text")
    assert str(failure.value) == "Slack answered chat.update with HTTP 500 even after retrying."
    assert len(fake_slack.calls_to("chat.update")) == 1 + FAST_RETRIES.server_error_retries
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN not in str(failure.value)


async def test_channel_errors_ask_for_an_invite(notifier: SlackNotifier, fake_slack: FakeSlack):
    for error in ("not_in_channel", "channel_not_found"):
        fake_slack.fail("chat.postMessage", error=error)
        with pytest.raises(PostFailed) as failure:
            await notifier.post("C0SECRET", "hello")
        assert failure.value.needs_invite
        assert "invite me with `/invite @Launch Ready`" in str(failure.value) and "<#C0SECRET>" in str(failure.value)


async def test_rate_limit_beyond_patience_fails_fast(notifier: SlackNotifier, fake_slack: FakeSlack):
    fake_slack.fail("chat.postMessage", status=429, retry_after=3600)
    with pytest.raises(PostFailed) as failure:
        await notifier.post("C0LAUNCH", "hello")
    assert "rate-limiting" in str(failure.value)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


async def test_unreachable_slack_is_a_sentence():
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url="http://127.0.0.1:9/api/")
    notifier = SlackNotifier(build_client(settings, FAST_RETRIES))
    with pytest.raises(PostFailed) as failure:
        await notifier.post("C0LAUNCH", "hello")
    assert "could not reach Slack for chat.postMessage" in str(failure.value)


async def test_upload_file_uses_the_v2_flow(notifier: SlackNotifier, fake_slack: FakeSlack):
    await notifier.upload_file("C0LAUNCH", "# findings\n", filename="findings.md", thread_ts="1.2")
    methods = [c.method for c in fake_slack.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    complete = fake_slack.calls_to("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == "C0LAUNCH" and complete.args["thread_ts"] == "1.2"


async def test_respond_and_permalink(notifier: SlackNotifier, fake_slack: FakeSlack):
    await notifier.respond(fake_slack.response_url("abc"), "only you see this")
    call = fake_slack.calls_to("response_url")[0]
    assert call.args == {"text": "only you see this", "response_type": "ephemeral"}
    link = await notifier.permalink("C0LAUNCH", "1700000000.000007")
    assert link == "https://fake.slack.test/archives/C0LAUNCH/p1700000000000007"


async def test_invalid_blocks_are_refused_by_the_fake_like_slack(notifier: SlackNotifier, fake_slack: FakeSlack):
    with pytest.raises(PostFailed) as failure:
        await notifier.post("C0LAUNCH", "x", [{"type": "divider"}] * 51)
    assert failure.value.error == "invalid_blocks"
