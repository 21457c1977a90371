"""The handover document: a RunReport plus the checklist, rendered for a new owner.

Never imports ``bot``: the bot builds a :class:`~handover.model.HandoverInput` and calls
:func:`~handover.render.render_handover`. CI formats (JUnit, SARIF) live in ``reports`` with every other report format.
"""

from handover.model import (
    DigestView,
    HandoverInput,
    IncidentView,
    ItemState,
    ItemView,
    MonitorView,
    build_items,
)
from handover.render import FORMATS, HandoverError, render_handover

__all__ = [
    "FORMATS",
    "DigestView",
    "HandoverError",
    "HandoverInput",
    "IncidentView",
    "ItemState",
    "ItemView",
    "MonitorView",
    "build_items",
    "render_handover",
]
