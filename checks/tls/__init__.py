"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.tls.certificate import CHECK as certificate
from checks.tls.protocols import CHECK as protocols

__all__ = ["CHECKS"]

CHECKS: list[Check] = [certificate, protocols]
