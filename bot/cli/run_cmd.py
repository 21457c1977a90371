"""Commands of this group are registered by ``register(app)``."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Nothing registered yet."""
