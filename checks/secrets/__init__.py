"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.secrets.client_bundle import CHECK as client_bundle
from checks.secrets.history import CHECK as history
from checks.secrets.logs import CHECK as logs
from checks.secrets.public_env import CHECK as public_env
from checks.secrets.repo import CHECK as repo

__all__ = ["CHECKS"]

CHECKS: list[Check] = [repo, history, client_bundle, logs, public_env]
