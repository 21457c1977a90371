"""Sign the verdict as it stands; notice when a later run no longer agrees."""

from __future__ import annotations

from dataclasses import dataclass

from bot.checklist.policy import Actor, ChecklistPolicy, NotPermitted
from bot.checklist.service import ChecklistService
from bot.store import Store
from bot.store.signoffs import SignedWaiver, Signoff
from checks.model import RunReport, Verdict

__all__ = ["NothingToSign", "SignoffService"]

_RANK = {Verdict.GO: 0, Verdict.GO_WITH_WARNINGS: 1, Verdict.NO_GO: 2}


class NothingToSign(ValueError):
    """No finished run to sign; the message says what to do."""


@dataclass
class SignoffService:
    checklist: ChecklistService
    store: Store
    policy: ChecklistPolicy

    def sign(self, target: str, *, actor: Actor, note: str | None = None) -> Signoff:
        """Record the verdict as it stands now (stale and contradicted passes counted), the run
        it rests on and the waivers in force. Admins only."""
        if not self.policy.is_admin(actor):
            raise NotPermitted("sign off")
        status = self.checklist.status(target)
        if status.latest is None:
            raise NothingToSign(
                f"{target} has no finished run to sign: run the checks first (launchready run --target {target})."
            )
        waivers = [
            SignedWaiver(
                check_id=i.check_id,
                reason=i.waiver_reason or "",
                by=i.waiver_by,
                expires=i.waiver_expires.date().isoformat() if i.waiver_expires else None,
            )
            for i in status.items
            if i.waiver_active(status.now)
        ]
        note = " ".join((note or "").split()) or None
        return self.store.signoffs.record(
            target,
            run_id=status.latest.run_id,
            verdict=str(status.latest.verdict),
            waivers=sorted(waivers, key=lambda w: w.check_id),
            signed_by=actor.id,
            at=self.store.now(),
            note=note[:500] if note else None,
        )

    def current(self, target: str) -> Signoff | None:
        return self.store.signoffs.latest(target)

    def after_run(self, target: str, report: RunReport) -> Signoff | None:
        """The sign-off this run broke, if it did: its verdict differs from the signed one and
        it is worse, or it covered every check of the signed run (a partial rerun that is
        better says nothing about the checks it skipped)."""
        signed = self.store.signoffs.latest(target)
        if signed is None or not signed.holds or signed.run_id == report.run_id:
            return None
        old, new = Verdict(signed.verdict), report.verdict
        if new is old:
            return None
        signed_run = self.store.get_report(signed.run_id)
        covers = signed_run is None or {r.check_id for r in signed_run.results} <= {
            r.check_id for r in report.results
        }
        if _RANK[new] > _RANK[old] or covers:
            return self.store.signoffs.break_(
                signed.id, run_id=report.run_id, verdict=str(new), at=self.store.now()
            )
        return None

    def broken_by(self, report: RunReport) -> Signoff | None:
        """The sign-off ``report``'s run broke (for the CLI and Slack to say so)."""
        signed = self.store.signoffs.latest(report.target)
        return signed if signed is not None and signed.broken_by_run == report.run_id else None
