"""Checks of this area, listed explicitly (no discovery magic)."""

from __future__ import annotations

from checks.auth.private_routes import CHECK as private_routes
from checks.auth.role_boundaries import CHECK as role_boundaries
from checks.auth.tenant_isolation import CHECK as tenant_isolation
from checks.check import Check

__all__ = ["CHECKS"]

CHECKS: list[Check] = [private_routes, tenant_isolation, role_boundaries]
