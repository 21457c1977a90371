"""Mark checklist items and run results that an open incident contradicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.config import AppConfig
from bot.monitoring.incidents import Incident
from bot.promises.coverage import covering
from bot.store import ChecklistItem
from checks.model import RunReport

__all__ = ["contradictions", "mark_items", "mark_report"]


def contradictions(config: AppConfig, target: str, incidents: Iterable[Incident]) -> dict[str, str]:
    """check id -> "contradicted by incident #N (title)" for the open incidents of ``target``."""
    found: dict[str, list[Incident]] = {}
    for incident in incidents:
        if not incident.is_open:
            continue
        for coverage in covering(config, incident):
            if coverage.target == target:
                for check_id in coverage.checks:
                    found.setdefault(check_id, []).append(incident)
    return {
        check_id: "contradicted by "
        + ", ".join(f"incident #{i.id} ({i.title})" for i in sorted(found_, key=lambda i: i.id))
        for check_id, found_ in found.items()
    }


def mark_items(items: Iterable[ChecklistItem], contradicted: dict[str, str]) -> list[ChecklistItem]:
    return [replace(i, contradicted=contradicted.get(i.check_id)) for i in items]


def mark_report(report: RunReport, contradicted: dict[str, str]) -> RunReport:
    return replace(
        report,
        results=tuple(
            replace(r, contradicted=contradicted.get(r.check_id)) for r in report.results
        ),
    )
