"""The OpenAPI reader lives in :mod:`checks.openapi`: checks read request schemas from it too
(``targets.<name>.openapi``), and checks/ never imports bot/. Kept here so init's imports stay."""

from __future__ import annotations

from checks.openapi import ApiSpec, Operation, SecurityScheme, SpecError, load_document, parse_spec

__all__ = ["ApiSpec", "Operation", "SecurityScheme", "SpecError", "load_document", "parse_spec"]
