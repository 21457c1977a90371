"""The check engine's data: statuses, findings, results, the run report and the verdict rule.

Everything here is plain data. Checks produce an :class:`Outcome`; the runner wraps it in a
:class:`CheckResult` with the check's metadata, and the results make a :class:`RunReport`.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from checks.basis import Basis

__all__ = [
    "Finding",
    "Outcome",
    "CheckResult",
    "RunReport",
    "Override",
    "Severity",
    "Status",
    "Verdict",
    "compute_verdict",
    "new_run_id",
]


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"
    SKIPPED = "skipped"
    MANUAL = "manual"
    WAIVED = "waived"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical .. 4 for info: sorts the worst first."""
        return list(Severity).index(self)


class Verdict(StrEnum):
    GO = "GO"
    GO_WITH_WARNINGS = "GO_WITH_WARNINGS"
    NO_GO = "NO_GO"


@dataclass(frozen=True)
class Finding:
    """One thing a check saw: where, what, and the evidence (already redacted)."""

    resource: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "message": self.message, "evidence": self.evidence}


@dataclass(frozen=True)
class Outcome:
    """What a check's ``run`` returns: a status, one summary sentence and the findings."""

    status: Status
    summary: str
    findings: tuple[Finding, ...] = ()

    @classmethod
    def passed(cls, summary: str, findings: Iterable[Finding] = ()) -> Outcome:
        return cls(Status.PASS, summary, tuple(findings))

    @classmethod
    def failed(cls, summary: str, findings: Iterable[Finding] = ()) -> Outcome:
        return cls(Status.FAIL, summary, tuple(findings))

    @classmethod
    def warned(cls, summary: str, findings: Iterable[Finding] = ()) -> Outcome:
        return cls(Status.WARN, summary, tuple(findings))

    @classmethod
    def errored(cls, summary: str, findings: Iterable[Finding] = ()) -> Outcome:
        return cls(Status.ERROR, summary, tuple(findings))

    @classmethod
    def skipped(cls, summary: str) -> Outcome:
        """Inputs are not configured: the summary names the key to set."""
        return cls(Status.SKIPPED, summary)

    @classmethod
    def manual(cls, summary: str) -> Outcome:
        return cls(Status.MANUAL, summary)


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    title: str
    category: str
    severity: Severity
    status: Status
    summary: str
    findings: tuple[Finding, ...] = ()
    remediation: str = ""
    owner: str | None = None
    duration_ms: int = 0
    requests: int = 0
    # A waived result keeps what the check really said, so a waiver never reads as a pass.
    waived_status: Status | None = None
    waiver_reason: str | None = None
    # What the result was measured against, and (when read back later) why it no longer holds.
    basis: Basis | None = None
    stale: str | None = None
    contradicted: str | None = None  # an open incident shows this promise broken

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "check_id": self.check_id,
            "title": self.title,
            "category": self.category,
            "severity": str(self.severity),
            "status": str(self.status),
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "remediation": self.remediation,
            "owner": self.owner,
            "duration_ms": self.duration_ms,
            "requests": self.requests,
        }
        if self.status is Status.WAIVED:
            data["waived_status"] = str(self.waived_status) if self.waived_status else None
            data["waiver_reason"] = self.waiver_reason
        if self.basis is not None:
            data["basis"] = self.basis.to_dict()
        if self.stale:
            data["stale"] = self.stale
        if self.contradicted:
            data["contradicted"] = self.contradicted
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        waived = data.get("waived_status")
        return cls(
            check_id=data["check_id"],
            title=data.get("title", data["check_id"]),
            category=data.get("category", data["check_id"].split(".")[0]),
            severity=Severity(data.get("severity", "info")),
            status=Status(data["status"]),
            summary=data.get("summary", ""),
            findings=tuple(
                Finding(f.get("resource", ""), f.get("message", ""), dict(f.get("evidence") or {}))
                for f in data.get("findings", ())
            ),
            remediation=data.get("remediation", ""),
            owner=data.get("owner"),
            duration_ms=int(data.get("duration_ms", 0)),
            requests=int(data.get("requests", 0)),
            waived_status=Status(waived) if waived else None,
            waiver_reason=data.get("waiver_reason"),
            basis=Basis.from_dict(data["basis"]) if data.get("basis") else None,
            stale=data.get("stale"),
            contradicted=data.get("contradicted"),
        )


@dataclass(frozen=True)
class Override:
    """What the checklist says about one check: its owner, a live waiver, an attestation."""

    owner: str | None = None
    waiver_reason: str | None = None  # set only while the waiver has not expired
    attested: bool = False  # a manual item attested and not stale
    attestation_note: str | None = None


def compute_verdict(results: Iterable[CheckResult]) -> Verdict:
    """NO_GO when a critical check fails or errors unwaived; GO_WITH_WARNINGS when anything
    else fails, warns, errors, awaits attestation or is waived, or a critical pass is stale
    (measured against a config, commit or build that has changed) or contradicted by an open
    incident; GO otherwise."""
    verdict = Verdict.GO
    for result in results:
        if result.status in (Status.FAIL, Status.ERROR) and result.severity is Severity.CRITICAL:
            return Verdict.NO_GO
        if result.status in (Status.FAIL, Status.WARN, Status.ERROR, Status.MANUAL, Status.WAIVED):
            verdict = Verdict.GO_WITH_WARNINGS
        doubted = result.stale or result.contradicted
        if doubted and result.status is Status.PASS and result.severity is Severity.CRITICAL:
            verdict = Verdict.GO_WITH_WARNINGS
    return verdict


def new_run_id() -> str:
    return "r_" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "_" + _secrets.token_hex(3)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RunReport:
    run_id: str
    project: str
    target: str
    base_url: str
    started_at: datetime
    finished_at: datetime
    requests: int
    results: tuple[CheckResult, ...]

    @property
    def verdict(self) -> Verdict:
        return compute_verdict(self.results)

    @property
    def summary(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for result in self.results:
            counts[str(result.status)] += 1
        return counts

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.check_id == check_id), None)

    def with_overrides(self, overrides: Mapping[str, Override]) -> RunReport:
        """Apply owners, waivers and attestations from the checklist.

        A waiver turns a non-passing result into ``waived`` and keeps the original status;
        a passing result stays a pass (nothing to waive). An attested manual item passes.
        """
        results = []
        for result in self.results:
            override = overrides.get(result.check_id)
            if override is None:
                results.append(result)
                continue
            updated = replace(result, owner=override.owner or result.owner)
            if result.status is Status.MANUAL and override.attested:
                note = f" ({override.attestation_note})" if override.attestation_note else ""
                updated = replace(updated, status=Status.PASS, summary="Attested by its owner" + note + ".")
            if override.waiver_reason and updated.status not in (Status.PASS, Status.SKIPPED):
                updated = replace(
                    updated,
                    status=Status.WAIVED,
                    waived_status=updated.status,
                    waiver_reason=override.waiver_reason,
                )
            results.append(updated)
        return replace(self, results=tuple(results))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "project": self.project,
            "target": self.target,
            "base_url": self.base_url,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "verdict": str(self.verdict),
            "requests": self.requests,
            "summary": self.summary,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunReport:
        return cls(
            run_id=data["run_id"],
            project=data.get("project", ""),
            target=data.get("target", ""),
            base_url=data.get("base_url", ""),
            started_at=datetime.fromisoformat(data["started_at"].replace("Z", "+00:00")),
            finished_at=datetime.fromisoformat(data["finished_at"].replace("Z", "+00:00")),
            requests=int(data.get("requests", 0)),
            results=tuple(CheckResult.from_dict(r) for r in data.get("results", ())),
        )

