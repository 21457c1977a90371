"""`launchready init`: from a running app (and its OpenAPI spec) to a commented app.yaml.

``discover`` finds the spec and looks at the app (only at the URL given), ``spec`` reads it,
``draft`` turns it into guesses with reasons, ``render`` writes them as YAML with comments.
"""

from __future__ import annotations

from bot.onboard.build import DEFAULT_SEEDS, Onboarding, onboard

__all__ = ["DEFAULT_SEEDS", "Onboarding", "onboard"]
