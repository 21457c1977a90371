"""What the present is: the repository's HEAD now, and the build the app reports now."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx

from bot.config import AppConfig
from bot.freshness.judge import Current
from bot.store import Store, in_thread
from checks.basis import repo_head
from checks.build import observe_build as ask_build
from checks.context import ProbeError, ScopedHttp

__all__ = ["current_of", "observe_build"]

log = logging.getLogger(__name__)


def current_of(config: AppConfig, target_name: str, store: Store) -> Current:
    """The present as far as it is known without asking the app: HEAD, the newest build seen."""
    _, target = config.target(target_name)
    head = None
    if target.repo is not None:
        head = repo_head(target.resolve_path(target.repo.path, config.root))
    seen = store.builds.latest(target_name)
    return Current(target=target, repo_head=head, build=seen[0] if seen else None)


async def observe_build(
    config: AppConfig,
    target_name: str,
    store: Store,
    *,
    source: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str | None:
    """Ask the app for its build (one request, through the target's scoped client) and
    record it; None when ``version`` is not configured or the app does not say."""
    _, target = config.target(target_name)
    if target.version is None:
        return None
    http = ScopedHttp(target, root=Path(config.root), transport=transport)
    try:
        build = await ask_build(target, http)
    except (ProbeError, httpx.HTTPError) as exc:
        log.warning("could not read the build of %s: %s", target_name, exc)
        return None
    finally:
        await http.aclose()
    await in_thread(store.builds.record, target_name, build, store.now(), source)
    return build
