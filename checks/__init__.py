"""The check engine: a Target in, a RunReport out. Never imports bot, Slack or the database.

The names below are imported on first use, so `import checks.secrets.scanner` does not pay
for httpx and dnspython (the standalone scanner never makes a request).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Check",
    "CheckContext",
    "CheckResult",
    "Finding",
    "HttpResponse",
    "Outcome",
    "ProbeError",
    "RunReport",
    "Severity",
    "Status",
    "Target",
    "Verdict",
    "check",
    "manual_check",
]

_HOMES = {
    "Check": "checks.check",
    "check": "checks.check",
    "manual_check": "checks.check",
    "CheckContext": "checks.context",
    "HttpResponse": "checks.context",
    "ProbeError": "checks.context",
    "CheckResult": "checks.model",
    "Finding": "checks.model",
    "Outcome": "checks.model",
    "RunReport": "checks.model",
    "Severity": "checks.model",
    "Status": "checks.model",
    "Verdict": "checks.model",
    "Target": "checks.target",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'checks' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
