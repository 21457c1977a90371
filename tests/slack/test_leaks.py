"""Leaked keys in Slack: `/launchready leaks` lists each with its state, `leaks rotated`
attests a rotation (its owner or an admin), the digest and the handover list them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import parse_config
from bot.digest import build_digest, render_text
from bot.handover_doc import render_handover_for
from checks.registry import Registry
from checks.secrets.history import CHECK as history_check
from checks.secrets.repo import CHECK as repo_check
from tests.rotation.test_rotation import delete_the_line, leaky_repo
from tests.slack.conftest import SlackService
from tests.slack.fake_slack import FakeSlack
from tests.slack.record_service import start_service
from tests.slack.test_checklist_commands import command


@pytest.fixture
async def leaky(fake_slack: FakeSlack, serve: Any, tmp_path: Path) -> AsyncIterator[SlackService]:
    leaky_repo(tmp_path / "app")
    data = {
        "project": "Acme Chat",
        "database": f"sqlite:///{tmp_path / 'lr.db'}",
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {"staging": {"base_url": "http://127.0.0.1:9", "repo": {"path": "app"}}},
        "checklist": {"secrets.repo": {"owner": "U0SEC"}},
    }
    config = parse_config(yaml.safe_dump(data), root=tmp_path)
    service = await start_service(fake_slack, serve, config, Registry([repo_check, history_check]))
    yield service
    await service.runtime.tasks.drain(timeout=5)


async def test_leaks_are_listed_attested_and_handed_over(
    leaky: SlackService, tmp_path: Path
) -> None:
    await leaky.slack.command("run staging")
    await leaky.runtime.tasks.idle(spawned=1)
    text = await command(leaky, "leaks")
    assert (
        "1 of 1 still open" in text
        and "`config.py:github-pat:2`" in text
        and "still in the working tree" in text
    )

    delete_the_line(tmp_path / "app")
    await leaky.slack.command("run staging")
    await leaky.runtime.tasks.idle(spawned=3)
    text = await command(leaky, "leaks")
    assert "removed from the tree but still in git history" in text

    refused = await command(
        leaky, "leaks rotated config.py:github-pat:2 <@U0ALICE|alice> 2026-12-01", user="U0MALLORY"
    )
    assert "Only the leak's owner or an admin" in refused
    done = await command(
        leaky, "leaks rotated config.py:github-pat:2 <@U0ALICE|alice> 2026-12-01", user="U0SEC"
    )
    assert "attested that `config.py:github-pat:2` was rotated by <@U0ALICE> on 2026-12-01" in done
    assert "closed: rotated by U0ALICE on 2026-12-01" in done

    services = leaky.runtime.services
    _, document, _ = render_handover_for(services, "staging")
    assert "### Rotation items" in document
    assert (
        "| `config.py:github-pat:2` | U0SEC | closed: rotated by U0ALICE on 2026-12-01" in document
    )


async def test_an_open_leak_is_in_the_digest(leaky: SlackService) -> None:
    await leaky.slack.command("run staging")
    await leaky.runtime.tasks.idle(spawned=1)
    digest = build_digest(leaky.runtime.config, leaky.runtime.services.store)
    assert [i.check_id for i in digest.open_leaks] == ["config.py:github-pat:2"]
    assert "Leaked keys not yet shown dead" in render_text(digest)


async def test_bad_leaks_input_is_answered_in_the_acknowledgement(leaky: SlackService) -> None:
    for text, problem in [
        ("leaks rotated config.py", "Write it as"),
        ("leaks rotated k @alice 2026-12-01", "is not a person"),
        ("leaks rotated k <@U0ALICE> yesterday", "is not a date"),
        ("leaks frob", "`frob` is not a target"),
    ]:
        answer = await leaky.slack.command(text)
        assert answer.status == 200 and problem in answer.json()["text"], text
    assert "No leaked secret" in await command(leaky, "leaks")
