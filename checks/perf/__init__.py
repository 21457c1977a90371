"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.perf.latency_p95 import CHECK as latency_p95

__all__ = ["CHECKS"]

CHECKS: list[Check] = [latency_p95]
