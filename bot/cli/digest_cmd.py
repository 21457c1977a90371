"""``launchready digest [--config app.yaml] [--post]``: print today's digest, or post it.

Posting needs ``SLACK_BOT_TOKEN`` (and ``SLACK_API_URL`` to point elsewhere than Slack); it
goes to ``slack.channel`` once per day, the same ledger the service's scheduled digest uses,
so a CLI post and the scheduled one never both go out.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer

from bot.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, ConfigOption, err, load_or_exit, out

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("digest")
    def digest(
        config_path: Path = ConfigOption,
        post: bool = typer.Option(
            False, "--post", help="Post to slack.channel (SLACK_BOT_TOKEN) instead of printing."
        ),
    ) -> None:
        """Print today's digest, or post it to Slack once for the day."""
        from bot.digest import build_digest, render_text
        from bot.store import StoreError

        config = load_or_exit(config_path)
        try:
            from bot.services import Services

            services = Services.open(config)
        except StoreError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
        try:
            for name in config.targets:
                services.checklist.sync(name)
            if not post:
                previous, since = services.store.digests.previous(config.slack.channel)
                result = build_digest(config, services.store, previous=previous, since=since)
                out.print(render_text(result), markup=False, end="")
                raise typer.Exit(EXIT_OK)
            code = asyncio.run(_post(config, services))
        finally:
            services.close()
        raise typer.Exit(code)


async def _post(config, services) -> int:  # type: ignore[no-untyped-def]
    from bot.digest import post_digest
    from bot.slack.app import SettingsError, SlackSettings, build_client
    from bot.slack.blocks.digest import digest_blocks
    from bot.slack.notifier import SlackNotifier

    # Posting needs no signing secret; reuse the service's validation of the token and URL.
    env = {**os.environ, "SLACK_SIGNING_SECRET": os.environ.get("SLACK_SIGNING_SECRET") or "0" * 32}
    env.pop("SLACK_APP_TOKEN", None)
    try:
        settings = SlackSettings.from_env(env)
    except SettingsError as exc:
        err.print(f"error: {exc}", markup=False)
        return EXIT_USAGE
    notifier = SlackNotifier(build_client(settings))
    posted = await post_digest(config, services.store, notifier, blocks=digest_blocks)
    if posted.outcome in ("sent", "already_sent"):
        out.print(posted.message, markup=False)
        return EXIT_OK
    err.print(f"error: {posted.message}", markup=False)
    return EXIT_USAGE if posted.outcome == "no_channel" else EXIT_FAIL
