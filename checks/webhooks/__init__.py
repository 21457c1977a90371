"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.webhooks.replay import CHECK as replay
from checks.webhooks.signature import CHECK as signature

__all__ = ["CHECKS"]

CHECKS: list[Check] = [signature, replay]
