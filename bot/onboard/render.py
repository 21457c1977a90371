"""A draft as a commented app.yaml: every guessed line carries ``# why`` beside it."""

from __future__ import annotations

from typing import Any

import yaml

from bot.onboard.draft import Draft, Guess

__all__ = ["render"]


def _flow(value: Any) -> str:
    """One value in YAML flow style on one line (quoted where YAML needs it)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, width=10_000, sort_keys=False, allow_unicode=True
    ).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _items(key: str, guesses: list[Guess], indent: str, *, commented: bool = False) -> list[str]:
    if not guesses:
        return []
    mark = "# " if commented else ""
    lines = [f"{indent}{mark}{key}:"]
    for guess in guesses:
        lines.append(f"{indent}{mark}  - {_flow(guess.value)}   # {guess.why}")
    return lines


def render(draft: Draft, *, project: str, target: str, source: str) -> str:
    ind = "    "
    lines = [
        f"# app.yaml written by `launchready init` from {source}.",
        "# Every guessed line says why it was guessed: check them, then run `launchready validate`.",
    ]
    if draft.env:
        lines.append("# It reads these environment variables: " + ", ".join(draft.env) + ".")
    if draft.todo:
        lines.append("# Still to do by hand:")
        lines += [f"#  - {item}" for item in draft.todo]
    lines += [
        "",
        f"project: {_flow(project)}",
        "targets:",
        f"  {target}:",
        f"{ind}base_url: {_flow(draft.base_url)}",
    ]
    if draft.openapi:
        lines.append(
            f"{ind}openapi: {_flow(draft.openapi)}   # the spec init read: api.input_validation judges bodies against its schemas"
        )
    if draft.ca_file:
        lines.append(
            f"{ind}ca_file: {_flow(draft.ca_file)}   # the CA bundle init was given (--ca-file)"
        )
    if draft.auth:
        lines.append(f"{ind}auth: {_flow(draft.auth.value)}   # {draft.auth.why}")
    if draft.users:
        lines.append(
            f"{ind}users:   # no tenant: each user is a tenant of its own; add tenant: when two share one"
        )
        for name, guess in draft.users.items():
            lines.append(f"{ind}  {name}: {_flow(guess.value)}   # {guess.why}")
    lines += _items("public_routes", draft.public_routes, ind)
    if draft.health_routes:
        lines += _items("health_routes", draft.health_routes, ind)
    else:
        lines.append(f"{ind}health_routes: []   # none found; add yours (e.g. [GET /health])")
    lines += _items("private_routes", draft.private_routes, ind)
    lines += _items("objects", draft.objects, ind)
    lines += _items("rate_limits", draft.rate_limits, ind)
    if draft.chat:
        lines.append(f"{ind}chat: {_flow(draft.chat.value)}   # {draft.chat.why}")
    if draft.latency:
        lines.append(f"{ind}latency: {_flow(draft.latency.value)}   # {draft.latency.why}")
    lines += _items("webhooks", draft.webhooks, ind, commented=True)
    lines.append(
        f"{ind}# cors: {{allowed_origins: [https://app.example.com]}}   # your front end's origins"
    )
    return "\n".join(lines) + "\n"
