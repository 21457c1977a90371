"""`/launchready run` end to end: ack, one message, throttled edits, the final scorecard,
one run per target, production refusals and posting failures."""

from __future__ import annotations

import asyncio
import json

from bot.slack.runflow import ThrottledEditor
from checks.model import Status
from tests.slack.conftest import SlackService


def scorecard_text(service: SlackService) -> str:
    updates = service.fake.calls_to("chat.update", ok_only=True)
    return updates[-1].text if updates else ""


async def test_run_acks_then_posts_updates_and_ends_in_the_scorecard(slack_service: SlackService):
    fake = slack_service.fake
    answer = await slack_service.slack.command("run staging")
    assert answer.status == 200 and answer.body == ""  # the ack carries nothing: the message follows
    await slack_service.runtime.tasks.idle(spawned=1)

    posts = fake.calls_to("chat.postMessage")
    assert posts[0].args["channel"] == "C0LAUNCH"
    assert "Checking Acme Chat" in posts[0].text
    updates = fake.calls_to("chat.update")
    assert updates, "the progress message is edited"
    assert all(u.args["ts"] == posts[0].answer["ts"] for u in updates)
    final = updates[-1]
    assert "NO GO" in final.args["text"]
    blocks = json.dumps(final.blocks)
    assert "demo.admin_locked" in blocks and "Admin route needs a token" in blocks
    assert "<@U0ALICE>" in blocks  # the failing check's owner is mentioned
    assert "manual.keys_rotated" in blocks  # awaiting attestation, listed with its owner
    action_ids = {e["action_id"] for b in final.blocks if b["type"] == "actions" for e in b["elements"]}
    assert action_ids == {"lr_details", "lr_rerun", "lr_waive"}
    pickers = [b["accessory"] for b in final.blocks if b.get("accessory", {}).get("type") == "users_select"]
    assert pickers and pickers[0]["initial_user"] == "U0ALICE"
    # Long detail goes in the thread of the scorecard.
    thread = [p for p in posts[1:] if p.args.get("thread_ts") == posts[0].answer["ts"]]
    assert thread and "Findings and fixes" in thread[0].text


async def test_results_are_saved_in_the_store(slack_service: SlackService):
    await slack_service.slack.command("run")
    await slack_service.runtime.tasks.idle(spawned=1)
    report = slack_service.runtime.services.store.latest_report("staging")
    assert report is not None
    assert report.result("demo.admin_locked").status is Status.FAIL
    assert report.result("obs.health").status is Status.PASS


async def test_second_run_is_told_where_the_first_one_is(slack_service: SlackService):
    slack_service.target.gate.clear()
    fake = slack_service.fake
    await slack_service.slack.command("run staging", user="U0ALICE")
    await fake.wait_for("chat.postMessage")
    await slack_service.slack.command("run staging", user="U0BOB")
    await fake.wait_for("response_url")
    told = fake.calls_to("response_url")[0].args["text"]
    assert "in progress" in told and "<@U0ALICE>" in told
    assert "https://fake.slack.test/archives/C0LAUNCH/p" in told  # a permalink to the running one
    slack_service.target.gate.set()
    await slack_service.runtime.tasks.idle(spawned=2)
    assert len([p for p in fake.calls_to("chat.postMessage") if "thread_ts" not in p.args]) == 1


async def test_a_run_of_one_check(slack_service: SlackService):
    await slack_service.slack.command("run staging obs.health")
    await slack_service.runtime.tasks.idle(spawned=1)
    final = scorecard_text(slack_service)
    assert "GO" in final and "demo.admin_locked" not in final
    report = slack_service.runtime.services.store.latest_report("staging")
    assert [r.check_id for r in report.results] == ["obs.health"]


async def test_unknown_check_gets_a_sentence(slack_service: SlackService):
    await slack_service.slack.command("run staging auth.nope")
    await slack_service.runtime.tasks.idle(spawned=1)
    told = slack_service.fake.calls_to("response_url")[0].args["text"]
    assert '"auth.nope" is not a check id' in told
    assert slack_service.fake.calls_to("chat.postMessage") == []


async def test_production_runs_are_for_admins(slack_service: SlackService):
    await slack_service.slack.command("run production", user="U0ALICE")
    await slack_service.runtime.tasks.idle(spawned=1)
    told = slack_service.fake.calls_to("response_url")[0].args["text"]
    assert "only admins" in told and "<@U0ADMIN>" in told
    assert slack_service.fake.calls_to("chat.postMessage") == []

    await slack_service.slack.command("run production obs.health", user="U0ADMIN")
    await slack_service.runtime.tasks.idle(spawned=2)
    assert slack_service.fake.calls_to("chat.postMessage")


async def test_rate_limited_post_is_retried_after_retry_after(slack_service: SlackService):
    fake = slack_service.fake
    fake.fail("chat.postMessage", status=429, retry_after=1)
    await slack_service.slack.command("run staging obs.health")
    await slack_service.runtime.tasks.idle(spawned=1)
    first, second = fake.calls_to("chat.postMessage")[:2]
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 1.0  # Retry-After honoured
    assert "GO" in scorecard_text(slack_service)


async def test_server_errors_are_retried(slack_service: SlackService):
    fake = slack_service.fake
    fake.fail("chat.update", status=500, times=2)
    await slack_service.slack.command("run staging obs.health")
    await slack_service.runtime.tasks.idle(spawned=1)
    statuses = [c.status for c in fake.calls_to("chat.update")]
    assert statuses[:2] == [500, 500] and statuses[-1] == 200


async def test_final_failure_tells_the_user_and_keeps_the_results(slack_service: SlackService):
    fake = slack_service.fake
    fake.fail("chat.postMessage", status=500, times=None)
    fake.fail("chat.update", status=500, times=None)
    await slack_service.slack.command("run staging")
    await slack_service.runtime.tasks.idle(spawned=1)
    told = [c.args["text"] for c in fake.calls_to("response_url")]
    assert any("could not post the scorecard" in t and "results are saved" in t for t in told), told
    assert any("NO GO for staging" in t for t in told)
    assert slack_service.runtime.services.store.latest_report("staging") is not None
    assert all("xoxb-" not in t for t in told)


async def test_not_in_channel_asks_for_an_invite(slack_service: SlackService):
    fake = slack_service.fake
    fake.fail("chat.postMessage", error="not_in_channel", times=None)
    await slack_service.slack.command("run staging obs.health", channel="C0OTHER")
    await slack_service.runtime.tasks.idle(spawned=1)
    told = fake.calls_to("response_url")[0].args["text"]
    assert "/invite @Launch Ready" in told and "<#C0OTHER>" in told
    assert slack_service.runtime.services.store.latest_report("staging") is not None


async def test_throttled_editor_coalesces_pokes():
    edits: list[int] = []

    async def edit() -> None:
        edits.append(1)

    editor = ThrottledEditor(edit, interval=30.0)
    editor.start()
    for _ in range(100):
        editor.poke()
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    await editor.close()
    assert len(edits) == 1  # the first edit goes at once; the rest wait out the interval
