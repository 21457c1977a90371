"""The scorecard's buttons and picker, the Waive modal, and who may do what."""

from __future__ import annotations

import json

from bot.slack.blocks.run import ItemRef
from tests.slack.conftest import SlackService
from tests.slack.slack_requests import waive_values


async def run_once(service: SlackService) -> dict:
    """Run the checks and return the final scorecard's blocks by block type."""
    await service.slack.command("run staging")
    await service.runtime.tasks.idle(spawned=1)
    return service.fake.calls_to("chat.update", ok_only=True)[-1].args


def first_entry(scorecard: dict) -> tuple[dict, dict]:
    """The (section, actions) blocks of the first check that needs attention."""
    blocks = scorecard["blocks"]
    index = next(i for i, b in enumerate(blocks) if b.get("accessory", {}).get("type") == "users_select")
    return blocks[index], blocks[index + 1]


def button(actions_block: dict, action_id: str) -> dict:
    return next(e for e in actions_block["elements"] if e["action_id"] == action_id)


async def test_assign_through_the_user_picker_updates_the_store(slack_service: SlackService):
    card = await run_once(slack_service)
    section, _ = first_entry(card)
    answer = await slack_service.slack.action(
        {"type": "users_select", "action_id": "lr_assign", "block_id": section["block_id"], "selected_user": "U0CAROL"},
        user="U0BOB",
    )
    assert answer.status == 200
    await slack_service.runtime.tasks.idle(spawned=2)
    item = slack_service.runtime.services.store.item("staging", "demo.admin_locked")
    assert item.owner == "U0CAROL"
    audit = slack_service.runtime.services.store.audit("staging", "demo.admin_locked")
    assert audit[0].actor == "U0BOB" and audit[0].field == "owner" and audit[0].new == "U0CAROL"
    note = [p for p in slack_service.fake.calls_to("chat.postMessage") if "assigned" in p.args["text"]][-1]
    assert "<@U0BOB> assigned `demo.admin_locked`" in note.args["text"] and "<@U0CAROL>" in note.args["text"]
    assert note.args["thread_ts"] == "1700000000.000001"
    redrawn = slack_service.fake.calls_to("chat.update", ok_only=True)[-1]
    assert redrawn.args["ts"] == "1700000000.000001"
    assert first_entry(redrawn.args)[0]["accessory"]["initial_user"] == "U0CAROL"
    assert "started by <@U0ALICE>" in json.dumps(redrawn.blocks)


async def test_details_opens_a_modal_with_the_findings(slack_service: SlackService):
    card = await run_once(slack_service)
    _, actions = first_entry(card)
    await slack_service.slack.action({"type": "button", **button(actions, "lr_details")})
    await slack_service.fake.wait_for("views.open")
    view = slack_service.fake.calls_to("views.open")[0].args["view"]
    assert view["type"] == "modal"
    text = json.dumps(view)
    assert "Admin route needs a token" in text and "Require an admin token" in text


async def test_rerun_runs_only_that_check_in_the_thread(slack_service: SlackService):
    card = await run_once(slack_service)
    _, actions = first_entry(card)
    slack_service.target.admin_open = False  # fixed meanwhile
    await slack_service.slack.action({"type": "button", **button(actions, "lr_rerun")}, message_ts="1700000000.000001")
    await slack_service.runtime.tasks.idle(spawned=2)
    report = slack_service.runtime.services.store.latest_report("staging")
    assert [r.check_id for r in report.results] == ["demo.admin_locked"]
    assert str(report.results[0].status) == "pass"
    progress = [p for p in slack_service.fake.calls_to("chat.postMessage") if p.args.get("thread_ts") == "1700000000.000001"]
    assert progress, "the re-run posts in the scorecard's thread"


async def test_waive_button_is_refused_to_non_admins(slack_service: SlackService):
    card = await run_once(slack_service)
    _, actions = first_entry(card)
    await slack_service.slack.action({"type": "button", **button(actions, "lr_waive")}, user="U0ALICE")
    await slack_service.runtime.tasks.idle(spawned=2)
    told = slack_service.fake.calls_to("response_url")[-1].args["text"]
    assert "Only admins" in told and "<@U0ADMIN>" in told
    assert slack_service.fake.calls_to("views.open") == []


async def test_waive_modal_opens_for_admins_and_validates(slack_service: SlackService):
    card = await run_once(slack_service)
    _, actions = first_entry(card)
    await slack_service.slack.action({"type": "button", **button(actions, "lr_waive")}, user="U0ADMIN")
    await slack_service.fake.wait_for("views.open")
    view = slack_service.fake.calls_to("views.open")[0].args["view"]
    assert view["callback_id"] == "lr_waive_submit"
    metadata = view["private_metadata"]

    bad = await slack_service.slack.view_submission("lr_waive_submit", waive_values("forever", "meh"),
                                                    private_metadata=metadata)
    assert bad.status == 200
    errors = bad.json()
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"days", "reason"}

    too_long = await slack_service.slack.view_submission("lr_waive_submit", waive_values("400", "legacy partner app until January"),
                                                         private_metadata=metadata)
    assert too_long.json()["errors"] == {"days": "A waiver lasts 1 to 365 days, not 400."}

    good = await slack_service.slack.view_submission("lr_waive_submit", waive_values("14", "legacy partner app until January"),
                                                     private_metadata=metadata)
    assert good.status == 200 and good.body == ""
    await slack_service.runtime.tasks.idle(spawned=3)
    item = slack_service.runtime.services.store.item("staging", "demo.admin_locked")
    assert item.waiver_reason == "legacy partner app until January" and item.waiver_by == "U0ADMIN"
    note = slack_service.fake.calls_to("chat.postMessage")[-1]
    assert "waived `demo.admin_locked`" in note.args["text"]


async def test_waive_submission_by_a_non_admin_is_refused_in_the_modal(slack_service: SlackService):
    metadata = ItemRef("staging", "demo.admin_locked").encode()
    answer = await slack_service.slack.view_submission("lr_waive_submit", waive_values("14", "legacy partner app until January"),
                                                       private_metadata=metadata, user="U0ALICE")
    assert answer.json()["response_action"] == "errors"
    assert "Only admins" in answer.json()["errors"]["reason"]


async def test_forged_button_value_gets_a_sentence(slack_service: SlackService):
    await slack_service.slack.action({"type": "button", "action_id": "lr_details", "value": "{not json"})
    await slack_service.runtime.tasks.idle(spawned=1)
    assert "no longer read" in slack_service.fake.calls_to("response_url")[0].args["text"]
