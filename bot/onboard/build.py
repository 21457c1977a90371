"""One init: find or read the spec, draft the target, render it (or a skeleton without a spec)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.onboard.discover import Found, OnboardError, find_spec, look_around, read_spec
from bot.onboard.draft import Draft, Guess, UserSeed, draft_from_spec
from bot.onboard.render import render

__all__ = ["DEFAULT_SEEDS", "Onboarding", "onboard"]

# Two users of different tenants and an admin: enough for the tenancy and role checks.
DEFAULT_SEEDS = (
    UserSeed("alice", "alice@example.com", "user"),
    UserSeed("bob", "bob@example.com", "user"),
    UserSeed("admin", "admin@example.com", "admin"),
)


@dataclass
class Onboarding:
    text: str  # the app.yaml
    draft: Draft
    found: Found
    seconds: float


def _skeleton(base_url: str, verify: bool | str) -> tuple[Draft, int]:
    home, healthy, requests = look_around(base_url, verify=verify)
    draft = Draft(base_url=base_url)
    if home:
        draft.public_routes.append(Guess("GET /", "the home page answered 2xx without credentials"))
    draft.health_routes = [Guess(f"GET {p}", "answered 2xx without credentials") for p in healthy]
    draft.todo += [
        "No OpenAPI spec was found (pass --openapi FILE_OR_URL if you have one); fill in by hand:",
        "users: a login: (or token:) per test user, passwords as ${VARIABLES}",
        "private_routes: the routes that must refuse strangers (roles: for admin-only ones)",
        "objects: one owned object per kind (route with {id}, owner, and id, discover or create)",
        "rate_limits: login, signup, password reset and chat routes with their limits",
        "latency.routes: a few list-style GETs",
    ]
    return draft, requests


def _spec_location(source: str) -> str:
    """A URL as found; a file as an absolute path (the config may be written elsewhere)."""
    return source if source.startswith(("http://", "https://")) else str(Path(source).resolve())


def onboard(
    base_url: str | None,
    openapi: str | None,
    *,
    project: str | None = None,
    target: str = "staging",
    seeds: tuple[UserSeed, ...] = DEFAULT_SEEDS,
    verify: bool | str = True,
) -> Onboarding:
    """Everything init does but writing the file; :class:`OnboardError` for bad input."""
    started = time.perf_counter()
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OnboardError(
                f'--url: "{base_url}" is not an absolute http(s) URL (e.g. http://127.0.0.1:8000)'
            )
        base_url = base_url.rstrip("/")
    if openapi is not None:
        found = read_spec(openapi, base_url, verify=verify)
    elif base_url is not None:
        found = find_spec(base_url, verify=verify)
    else:
        raise OnboardError(
            "give --url (the running app) or --openapi (a spec file or URL), or both"
        )
    if base_url is None:
        if openapi and openapi.startswith(("http://", "https://")):
            base_url = f"{urlsplit(openapi).scheme}://{urlsplit(openapi).netloc}"
        else:
            raise OnboardError("--url: the app's base URL is needed when the spec is a file")
    if found.spec is None:
        draft, requests = _skeleton(base_url, verify)
        found.requests += requests
    else:
        draft = draft_from_spec(found.spec, base_url, list(seeds))
    name = project or (
        found.spec.title
        if found.spec and found.spec.title
        else urlsplit(base_url).hostname or "My app"
    )
    if isinstance(verify, str):
        draft.ca_file = verify
    if found.spec is not None:
        draft.openapi = _spec_location(found.source)
    text = render(draft, project=name, target=target, source=found.source)
    return Onboarding(text=text, draft=draft, found=found, seconds=time.perf_counter() - started)
