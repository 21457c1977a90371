"""The check engine: a Target in, a RunReport out. Never imports bot, Slack or the database."""

from checks.check import Check, check, manual_check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import CheckResult, Finding, Outcome, RunReport, Severity, Status, Verdict
from checks.target import Target

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
