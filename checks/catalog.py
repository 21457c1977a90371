"""The catalog: every check of every area, in one registry."""

from __future__ import annotations

from checks import ai, api, auth, edge, email, http, manual, obs, perf, secrets, tls, webhooks
from checks.registry import Registry

__all__ = ["default_registry"]

AREAS = (auth, api, webhooks, secrets, tls, http, edge, email, perf, obs, ai, manual)


def default_registry() -> Registry:
    return Registry(item for area in AREAS for item in area.CHECKS)
