"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.check import Check
from checks.http.hsts import CHECK as hsts
from checks.http.https_redirect import CHECK as https_redirect
from checks.http.security_headers import CHECK as security_headers

__all__ = ["CHECKS"]

CHECKS: list[Check] = [https_redirect, hsts, security_headers]
