"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.obs.correlation_id import CHECK as correlation_id
from checks.obs.error_disclosure import CHECK as error_disclosure
from checks.obs.health import CHECK as health
from checks.obs.monitoring_live import CHECK as monitoring_live

__all__ = ["CHECKS"]

CHECKS: list[Check] = [health, correlation_id, error_disclosure, monitoring_live]
