"""`/launchready signoff`: admins sign the go/no-go as it stands; the record is posted,
pinned, shown in status and the handover; a worse run says the sign-off no longer holds."""

from __future__ import annotations

from bot.handover_doc import render_handover_for
from checks.model import Verdict
from tests.slack.conftest import SlackService
from tests.slack.test_checklist_commands import command


async def run(service: SlackService, text: str = "run staging") -> None:
    spawned = service.runtime.tasks.spawned
    await service.slack.command(text)
    await service.runtime.tasks.idle(spawned=spawned + 1)


async def test_a_signed_record_is_posted_pinned_and_invalidated_by_a_worse_run(
    slack_service: SlackService,
) -> None:
    service, fake = slack_service, slack_service.fake
    service.target.admin_open = False
    await run(service)
    await command(
        service, "waive manual.keys_rotated 14 rotated after the DNS cut-over", user="U0ADMIN"
    )

    refused = await command(service, "signoff staging ship it", user="U0ALICE")
    assert "Only admins may sign" in refused and not fake.calls_to("pins.add")

    answer = await command(service, "signoff staging ship it", user="U0ADMIN")
    assert "Signed GO_WITH_WARNINGS for staging; the record is posted and pinned" in answer
    [record] = [c for c in fake.calls_to("chat.postMessage") if "Go/no-go signed" in c.text]
    assert (
        "GO_WITH_WARNINGS" in record.text
        and "<@U0ADMIN>" in record.text
        and "Note: ship it" in record.text
    )
    assert (
        "`manual.keys_rotated` until" in record.text
        and "rotated after the DNS cut-over" in record.text
    )
    [pin] = fake.calls_to("pins.add")
    assert (pin.args["channel"], pin.args["timestamp"]) == ("C0LAUNCH", record.answer["ts"])
    assert "it still holds" in await command(service, "status")

    service.target.admin_open = True  # the admin route is open again: a critical failure
    await run(service)
    broken = [c for c in fake.calls_to("chat.postMessage") if "no longer holds" in c.text]
    assert len(broken) == 2  # in the channel, and in the signed record's thread
    assert broken[1].args["thread_ts"] == record.answer["ts"]
    assert "says NO_GO" in broken[0].text
    assert "it no longer holds: run" in await command(service, "status")
    _, document, _ = render_handover_for(service.runtime.services, "staging")
    assert "Signed GO_WITH_WARNINGS by U0ADMIN" in document
    assert "This sign-off no longer holds: run" in document and "says NO_GO" in document


async def test_a_better_partial_run_does_not_break_a_sign_off(slack_service: SlackService) -> None:
    service = slack_service
    await run(service)  # the admin route is open: NO_GO
    signoffs = service.runtime.services.signoffs
    assert (await command(service, "signoff", user="U0ADMIN")).startswith(":pushpin: Signed NO_GO")

    service.target.admin_open = False
    await run(service, "run staging demo.admin_locked")  # this check alone passes: GO
    assert signoffs.current("staging").holds  # says nothing about the checks it skipped
    await run(service)  # every check: GO_WITH_WARNINGS differs from the signed NO_GO
    signed = signoffs.current("staging")
    assert not signed.holds and signed.broken_verdict == str(Verdict.GO_WITH_WARNINGS)


async def test_nothing_to_sign_before_a_run(slack_service: SlackService) -> None:
    text = await command(slack_service, "signoff", user="U0ADMIN")
    assert "staging has no finished run to sign" in text
