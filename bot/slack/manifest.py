"""The Slack app manifest: paste it at api.slack.com/apps > Create New App > From a manifest
and the app exists in one step (slash command, scopes, interactivity, events, App Home)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.slack.commands import COMMANDS, CommandSpec
from bot.slack.listeners.commands import COMMAND

__all__ = ["BOT_SCOPES", "EVENTS", "ManifestError", "build_manifest", "usage_hint"]

# chat:write posts, edits and ephemeral replies (and DMs the user from App Home);
# commands is the slash command; files:write uploads long findings into a thread;
# pins:write pins the signed go/no-go record (/launchready signoff).
BOT_SCOPES = ("chat:write", "commands", "files:write", "pins:write")
EVENTS = ("app_home_opened",)
EVENTS_PATH = "/slack/events"


class ManifestError(ValueError):
    pass


def usage_hint(commands: tuple[CommandSpec, ...] = COMMANDS) -> str:
    """The slash command's hint in Slack's composer: the first usage in full, then every name."""
    return " | ".join([commands[0].usage, *(c.name for c in commands[1:])])


def build_manifest(
    url: str | None, *, name: str = "Launch Ready", socket_mode: bool = False
) -> dict[str, Any]:
    """The manifest for an app served at ``url`` (``https://host``), or in Socket Mode."""
    request_url: str | None = None
    if not socket_mode:
        if not url:
            raise ManifestError(
                "--url is required (the public https address of `launchready serve`), "
                "or pass --socket-mode."
            )
        parts = urlsplit(url.strip())
        if parts.scheme != "https" or not parts.hostname:
            raise ManifestError(
                f'--url "{url}" must be an https URL such as https://launchready.acme.com '
                "(Slack only calls https request URLs)."
            )
        base = f"https://{parts.netloc}{parts.path.rstrip('/')}"
        request_url = base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH
    if not name.strip() or len(name) > 35:
        raise ManifestError("--name must be 1 to 35 characters (Slack's limit for app names).")

    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Launch readiness: checks, checklist, scorecards",
        "usage_hint": usage_hint(),
        "should_escape": True,  # mentions arrive as <@U123|name>, which the parser reads
    }
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if request_url:
        command["url"] = request_url
        settings["event_subscriptions"]["request_url"] = request_url
        settings["interactivity"]["request_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Can a stranger sign up, chat and pay without leaking data or taking the app down?",
            "background_color": "#1f2937",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": settings,
    }
