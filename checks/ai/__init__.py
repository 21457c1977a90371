"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.ai.prompt_injection import CHECK as prompt_injection
from checks.check import Check

__all__ = ["CHECKS"]

CHECKS: list[Check] = [prompt_injection]
