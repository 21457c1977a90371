"""The handover document's input: neutral dataclasses, so ``handover`` never imports ``bot``.

The bot (``bot.handover_doc``) builds a :class:`HandoverInput` from its store, its config and
the latest run; tests build one by hand. Everything the templates show comes from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from checks.check import Check
from checks.model import CheckResult, Finding, RunReport, Severity, Status

__all__ = [
    "DigestView",
    "HandoverInput",
    "IncidentView",
    "ItemState",
    "ItemView",
    "MonitorView",
    "build_items",
]


@dataclass(frozen=True)
class ItemState:
    """What the checklist knows about one item beyond the run: owner, due date, waiver, attestation."""

    owner: str | None = None
    due: date | None = None
    waiver_reason: str | None = None
    waiver_by: str | None = None
    waiver_expires: date | datetime | None = None
    attested_by: str | None = None
    attested_at: datetime | None = None
    attestation_note: str | None = None
    attest_every: str | None = None
    stale: bool = False


@dataclass(frozen=True)
class ItemView:
    """One checklist row: the catalog's four columns, the run's result, the checklist's state."""

    check_id: str
    title: str
    severity: Severity
    status: Status
    category: str = ""
    mode: str = "automated"
    summary: str = ""
    owner: str | None = None
    due: date | None = None
    passes_when: str = ""
    why: str = ""
    breaks: str = ""
    remediation: str = ""
    waived_status: Status | None = None
    waiver_reason: str | None = None
    waiver_by: str | None = None
    waiver_expires: date | datetime | None = None
    attested_by: str | None = None
    attested_at: datetime | None = None
    attestation_note: str | None = None
    attest_every: str | None = None
    stale: bool = False
    findings: tuple[Finding, ...] = ()
    # Why a pass is in doubt now (issue 17): its evidence moved, or an open incident contradicts it.
    doubt: str | None = None

    @property
    def needs_action(self) -> bool:
        """Failing, erroring, warning, waived, or a manual item nobody has attested."""
        return self.status in (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED, Status.MANUAL)


@dataclass(frozen=True)
class MonitorView:
    name: str
    url: str
    interval: str
    conditions: tuple[str, ...] = ()
    failure_threshold: int = 3
    success_threshold: int = 2
    reminder_every: str | None = None
    send_on_resolved: bool = True


@dataclass(frozen=True)
class IncidentView:
    title: str
    opened_at: datetime
    resolved_at: datetime | None = None
    severity: str = ""
    source: str = ""  # the monitor or alert that raised it
    resolution: str | None = None
    resolved_by: str | None = None

    @property
    def duration(self) -> timedelta | None:
        return self.resolved_at - self.opened_at if self.resolved_at else None


@dataclass(frozen=True)
class DigestView:
    cron: str
    timezone: str
    channel: str | None = None


@dataclass(frozen=True)
class RotationView:
    """A leaked secret's rotation item: open until the key is shown dead (issue 17)."""

    key: str  # file:rule:line, never the secret
    owner: str | None
    state: str  # one sentence: why it is open, or how it closed
    closed: bool


@dataclass(frozen=True)
class SignoffView:
    """The signed go/no-go record (issue 17): what was signed, by whom, and whether it holds."""

    verdict: str
    run_id: str
    signed_by: str
    signed_at: datetime
    waivers: tuple[str, ...]  # "check: reason (by, until)"
    note: str | None = None
    no_longer_holds: str | None = None  # "run r_... says NO_GO", when a later run disagrees


@dataclass(frozen=True)
class HandoverInput:
    project: str
    target: str
    base_url: str
    generated_at: datetime
    report: RunReport
    items: tuple[ItemView, ...]
    launch_date: date | None = None
    admins: tuple[str, ...] = ()
    monitors: tuple[MonitorView, ...] = ()
    incidents: tuple[IncidentView, ...] = ()
    digest_schedule: DigestView | None = None
    # (key, value) pairs, already free of secrets; shown in the appendix in this order.
    config_summary: tuple[tuple[str, str], ...] = ()
    config_path: str = "app.yaml"
    rotation_items: tuple[RotationView, ...] = ()
    signoff: SignoffView | None = None
    hypercare: str = ""  # one sentence: the window after launch and what it tightens (issue 17)
    # Every secret value the configuration holds: redacted wherever it shows up. Never rendered.
    known_secrets: tuple[str, ...] = field(default=(), repr=False)


def build_items(
    report: RunReport,
    catalog: Iterable[Check],
    states: Mapping[str, ItemState] | None = None,
) -> tuple[ItemView, ...]:
    """Join the catalog's metadata, the run's results and the checklist state, one view per check.

    Checks of the catalog the run did not include are left out; results the catalog does not
    know (a check since removed) keep what the report says.
    """
    states = states or {}
    meta = {item.id: item for item in catalog}
    views: list[ItemView] = []
    for result in report.results:
        views.append(_view(result, meta.get(result.check_id), states.get(result.check_id, ItemState())))
    return tuple(views)


def _view(result: CheckResult, meta: Check | None, state: ItemState) -> ItemView:
    return ItemView(
        check_id=result.check_id,
        title=result.title or (meta.title if meta else result.check_id),
        severity=result.severity,
        status=result.status,
        category=result.category,
        mode=meta.mode if meta else ("manual" if result.category == "manual" else "automated"),
        summary=result.summary,
        owner=state.owner or result.owner,
        due=state.due,
        passes_when=meta.passes_when if meta else "",
        why=meta.why if meta else "",
        breaks=meta.breaks if meta else "",
        remediation=result.remediation or (meta.remediation if meta else ""),
        waived_status=result.waived_status,
        waiver_reason=result.waiver_reason or (state.waiver_reason if result.status is Status.WAIVED else None),
        waiver_by=state.waiver_by,
        waiver_expires=state.waiver_expires,
        attested_by=state.attested_by,
        attested_at=state.attested_at,
        attestation_note=state.attestation_note,
        attest_every=state.attest_every or (meta.attest_every if meta else None),
        stale=state.stale,
        findings=result.findings,
        doubt=result.contradicted or result.stale,
    )
