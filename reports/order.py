"""The order results are shown in, everywhere: what needs attention leads."""

from __future__ import annotations

from collections.abc import Iterable

from checks.model import CheckResult, Status

__all__ = ["RESULT_ORDER", "worst_first"]

RESULT_ORDER = (
    Status.FAIL,
    Status.ERROR,
    Status.WARN,
    Status.WAIVED,
    Status.MANUAL,
    Status.SKIPPED,
    Status.PASS,
)


def worst_first(results: Iterable[CheckResult]) -> list[CheckResult]:
    """Fail, error, warn, waived, manual, skipped, pass; then by severity, then by id."""
    return sorted(
        results, key=lambda r: (RESULT_ORDER.index(r.status), r.severity.rank, r.check_id)
    )
