"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.api.cors import CHECK as cors
from checks.api.input_validation import CHECK as input_validation
from checks.api.rate_limits import CHECK as rate_limits
from checks.check import Check

__all__ = ["CHECKS"]

CHECKS: list[Check] = [rate_limits, cors, input_validation]
