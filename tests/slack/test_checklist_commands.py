"""status, assign, done and waive from the slash command, with who-may-do-what."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.slack.conftest import SlackService


async def command(service: SlackService, text: str, user: str = "U0ALICE") -> str:
    before = len(service.fake.calls_to("response_url"))
    spawned = service.runtime.tasks.spawned
    answer = await service.slack.command(text, user=user)
    assert answer.status == 200
    await service.runtime.tasks.idle(spawned=spawned + 1)
    replies = service.fake.calls_to("response_url")[before:]
    assert replies, f"no reply to {text!r}"
    return replies[-1].text


async def test_status_lists_the_checklist_worst_first(slack_service: SlackService):
    await slack_service.slack.command("run staging")
    await slack_service.runtime.tasks.idle(spawned=1)
    text = await command(slack_service, "status")
    assert "Launch checklist" in text and "NO GO" in text
    assert text.index("demo.admin_locked") < text.index("obs.health")  # the failure first
    assert "<@U0ALICE>" in text


async def test_status_before_any_run(slack_service: SlackService):
    text = await command(slack_service, "status staging")
    assert "No run yet" in text and "manual.keys_rotated" in text


async def test_assign_with_due_date_is_audited(slack_service: SlackService):
    text = await command(slack_service, "assign demo.admin_locked <@U0CAROL|carol> due 2026-12-01", user="U0BOB")
    assert "<@U0BOB> assigned `demo.admin_locked`" in text and "due 2026-12-01" in text
    reply = slack_service.fake.calls_to("response_url")[-1]
    assert reply.args["response_type"] == "in_channel"
    store = slack_service.runtime.services.store
    assert store.item("staging", "demo.admin_locked").owner == "U0CAROL"
    assert {(a.field, a.actor) for a in store.audit("staging", "demo.admin_locked")} >= {("owner", "U0BOB"), ("due", "U0BOB")}


async def test_unknown_item_gets_a_suggestion(slack_service: SlackService):
    text = await command(slack_service, "assign demo.admin_lockd <@U0CAROL>")
    assert "is not a checklist item" in text and "demo.admin_locked" in text


async def test_done_by_the_owner(slack_service: SlackService):
    text = await command(slack_service, "done manual.keys_rotated rotated Monday", user="U0BOB")
    assert "attested `manual.keys_rotated`" in text
    item = slack_service.runtime.services.store.item("staging", "manual.keys_rotated")
    assert item.attested_by == "U0BOB" and item.attestation_note == "rotated Monday"


async def test_done_by_someone_else_is_refused_and_says_who_can(slack_service: SlackService):
    text = await command(slack_service, "done manual.keys_rotated", user="U0ALICE")
    assert "Only its owner (<@U0BOB>) or an admin (<@U0ADMIN>)" in text
    assert slack_service.runtime.services.store.item("staging", "manual.keys_rotated").attested_by is None


async def test_done_by_an_admin(slack_service: SlackService):
    text = await command(slack_service, "done demo.admin_locked", user="U0ADMIN")
    assert "marked `demo.admin_locked`" in text
    assert slack_service.runtime.services.store.item("staging", "demo.admin_locked").status == "done"


async def test_waive_is_for_admins(slack_service: SlackService):
    refused = await command(slack_service, "waive demo.admin_locked 14 partner needs it", user="U0ALICE")
    assert "Only admins (<@U0ADMIN>) may waive" in refused
    granted = await command(slack_service, "waive demo.admin_locked 14 partner needs it", user="U0ADMIN")
    assert "waived `demo.admin_locked`" in granted
    store = slack_service.runtime.services.store
    assert store.item("staging", "demo.admin_locked").waiver_by == "U0ADMIN"
    assert store.audit("staging", "demo.admin_locked")[0].actor == "U0ADMIN"


async def test_waived_check_reads_waived_in_the_next_scorecard(slack_service: SlackService):
    await command(slack_service, "waive demo.admin_locked 14 partner needs it", user="U0ADMIN")
    await slack_service.slack.command("run staging")
    await slack_service.runtime.tasks.idle(spawned=2)
    final = slack_service.fake.calls_to("chat.update", ok_only=True)[-1]
    assert "NO GO" not in final.args["text"]
    assert "waived (not passed)" in json.dumps(final.blocks)


async def test_app_home_shows_verdict_my_items_and_run_button(slack_service: SlackService):
    slack_service.runtime.clock = lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await slack_service.slack.command("run staging")
    await slack_service.runtime.tasks.idle(spawned=1)
    await slack_service.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}, event_id="EvHome")
    await slack_service.runtime.tasks.idle(spawned=2)
    view = slack_service.fake.calls_to("views.publish")[0].args["view"]
    text = json.dumps(view)
    assert view["type"] == "home"
    assert "Acme Chat" in text and "NO GO" in text and "*14 days* to launch (2026-12-15)" in text
    assert "demo.admin_locked" in text  # Alice's own item
    assert "manual.keys_rotated" not in text  # Bob's
    run_buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {e["value"] for e in run_buttons} == {"staging", "production"}


async def test_app_home_run_button_posts_in_the_configured_channel(slack_service: SlackService):
    await slack_service.slack.action({"type": "button", "action_id": "lr_home_run:staging", "value": "staging"}, channel="D0HOME")
    await slack_service.runtime.tasks.idle(spawned=1)
    assert slack_service.fake.calls_to("chat.postMessage")[0].args["channel"] == "C0LAUNCH"
