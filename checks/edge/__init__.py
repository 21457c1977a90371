"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.edge.cdn import CHECK as cdn

__all__ = ["CHECKS"]

CHECKS: list[Check] = [cdn]
