"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.email.dkim import CHECK as dkim
from checks.email.dmarc import CHECK as dmarc
from checks.email.spf import CHECK as spf

__all__ = ["CHECKS"]

CHECKS: list[Check] = [spf, dkim, dmarc]
