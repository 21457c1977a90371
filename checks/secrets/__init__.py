"""Checks of this area, listed explicitly (no discovery magic).

``CHECKS`` is built on first use: the standalone scanner (`launchready secrets`) imports the
engine from this package and must not pay for the HTTP client the bundle check needs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHECKS"]


def __getattr__(name: str) -> Any:
    if name != "CHECKS":
        raise AttributeError(f"module 'checks.secrets' has no attribute {name!r}")
    from checks.secrets.client_bundle import CHECK as client_bundle
    from checks.secrets.history import CHECK as history
    from checks.secrets.logs import CHECK as logs
    from checks.secrets.public_env import CHECK as public_env
    from checks.secrets.repo import CHECK as repo

    checks = [repo, history, client_bundle, logs, public_env]
    globals()["CHECKS"] = checks
    return checks
