"""The served app: signature checks, health, JSON errors, help and garbage, retried events."""

from __future__ import annotations

import time

import httpx

from tests.slack.conftest import SlackService


async def test_healthz_answers_ok_with_version(slack_service: SlackService):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{slack_service.url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"]


async def test_unknown_path_is_json_404_without_internals(slack_service: SlackService):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{slack_service.url}/nope")
        wrong_method = await client.get(f"{slack_service.url}/slack/events")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}
    assert wrong_method.status_code == 405
    assert "Traceback" not in wrong_method.text


async def test_bad_signature_is_401_and_nothing_happens(slack_service: SlackService):
    answer = await slack_service.slack.command("run", signature="v0=" + "0" * 64)
    assert answer.status == 401
    assert slack_service.fake.calls_to("chat.postMessage") == []
    assert len(slack_service.runtime.tasks) == 0


async def test_stale_timestamp_is_401(slack_service: SlackService):
    answer = await slack_service.slack.command("help", timestamp=int(time.time()) - 6 * 60)
    assert answer.status == 401


async def test_help_is_answered_in_the_ack_ephemerally(slack_service: SlackService):
    answer = await slack_service.slack.command("help")
    assert answer.status == 200
    body = answer.json()
    assert "assign" in body["text"]
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert any(b["type"] == "header" for b in body["blocks"])
    # No Web API call for help (Bolt's one-time auth.test aside).
    assert [c.method for c in slack_service.fake.calls if c.method != "auth.test"] == []


async def test_garbage_gets_help_with_the_reason(slack_service: SlackService):
    answer = await slack_service.slack.command("frobnicate the   widgets")
    body = answer.json()
    assert answer.status == 200
    assert "`frobnicate` is not a subcommand" in body["text"]
    assert "run" in body["blocks"][2]["text"]["text"]


async def test_empty_text_gets_help(slack_service: SlackService):
    answer = await slack_service.slack.command("")
    assert answer.status == 200
    assert "Usage" in answer.json()["text"]


async def test_incidents_without_monitoring_says_it_is_not_running(slack_service: SlackService):
    slack_service.runtime.monitoring = None  # a service built without monitoring
    answer = await slack_service.slack.command("incidents")
    assert answer.status == 200
    await slack_service.fake.wait_for("response_url")
    reply = slack_service.fake.calls_to("response_url")[0]
    assert "Incident monitoring is not running" in reply.args["text"]
    assert reply.args["response_type"] == "ephemeral"


async def test_retried_event_delivery_is_processed_once(slack_service: SlackService):
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0DM", "tab": "home"}
    first = await slack_service.slack.event(event, event_id="Ev42")
    retry = await slack_service.slack.event(event, event_id="Ev42", retry_num=1)
    assert (first.status, retry.status) == (200, 200)
    await slack_service.runtime.tasks.idle(spawned=1)
    assert len(slack_service.fake.calls_to("views.publish")) == 1


async def test_handover_uploads_the_document_after_a_run(slack_service: SlackService):
    fake = slack_service.fake
    await slack_service.slack.command("run staging")
    await slack_service.runtime.tasks.idle(spawned=1)
    await slack_service.slack.command("handover staging")
    await slack_service.runtime.tasks.idle(spawned=2)
    complete = fake.calls_to("files.completeUploadExternal")
    assert complete and complete[0].args["channel_id"] == "C0LAUNCH"
    assert fake.calls_to("upload")[0].args["size"] > 0
    assert "Handover for Acme Chat (staging)" in complete[0].args.get("initial_comment", "")


async def test_incidents_and_digest_answer_through_the_monitoring_capability(slack_service: SlackService):
    fake = slack_service.fake
    await slack_service.slack.command("incidents")
    await slack_service.runtime.tasks.idle(spawned=1)
    await slack_service.slack.command("digest")
    await slack_service.runtime.tasks.idle(spawned=2)
    replies = [c.args["text"] for c in fake.calls_to("response_url")]
    assert len(replies) == 2 and not any("not configured" in r for r in replies)
    assert fake.calls_to("chat.postMessage")[0].args["channel"] == "C0LAUNCH"  # the digest, in the channel
