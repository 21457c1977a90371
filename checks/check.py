"""The Check contract: metadata beside the logic, as prowler and checkov write them.

A check module defines one async function and decorates it::

    @check(
        id="obs.health",
        title="Health routes answer 2xx",
        severity=Severity.HIGH,
        passes_when="Every health route answers 2xx.",
        why="Load balancers and monitors decide from it whether the app is alive.",
        breaks="Healthy instances are pulled out of rotation, or dead ones kept in.",
        remediation="Serve GET /health with 200 and no auth.",
        max_requests=10,
    )
    async def run(target: Target, ctx: CheckContext) -> Outcome: ...

The module's name is the id's second half; the id's first half is its package.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from checks.model import Outcome, Severity

if TYPE_CHECKING:
    from checks.context import CheckContext
    from checks.target import Target

__all__ = ["Check", "CheckFunction", "check", "manual_check"]

CheckFunction = Callable[["Target", "CheckContext"], Awaitable[Outcome]]
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    category: str
    passes_when: str
    why: str
    breaks: str
    remediation: str
    mode: Literal["automated", "manual"] = "automated"
    run: CheckFunction | None = None
    timeout: float = 30.0  # seconds; the runner turns an overrun into ``error``
    max_requests: int = 50  # the documented bound; the client refuses request number N+1
    attest_every: str | None = None  # manual items: how long an attestation stays fresh
    # Runs alone, after every concurrent check: for checks whose measurements other checks'
    # CPU and traffic would distort (latency) or whose bursts would starve them (rate limits).
    exclusive: bool = False
    # Runs last, after every check that sends probes, because it reads what they left behind:
    # the app's log files (secrets.logs), the response headers the whole run saw.
    after_probes: bool = False

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"check id {self.id!r} is not area.name in lowercase")
        if self.mode == "automated" and self.run is None:
            raise ValueError(f"automated check {self.id} has no run function")

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": str(self.severity),
            "category": self.category,
            "mode": self.mode,
            "passes_when": self.passes_when,
            "why": self.why,
            "breaks": self.breaks,
            "remediation": self.remediation,
            "max_requests": self.max_requests if self.mode == "automated" else 0,
        }


def check(
    *,
    id: str,
    title: str,
    severity: Severity,
    passes_when: str,
    why: str,
    breaks: str,
    remediation: str,
    category: str | None = None,
    timeout: float = 30.0,
    max_requests: int = 50,
    exclusive: bool = False,
    after_probes: bool = False,
) -> Callable[[CheckFunction], Check]:
    """Turn an async ``run(target, ctx) -> Outcome`` into a :class:`Check`."""

    def wrap(run: CheckFunction) -> Check:
        return Check(
            id=id,
            title=title,
            severity=severity,
            category=category or id.split(".", 1)[0],
            passes_when=passes_when,
            why=why,
            breaks=breaks,
            remediation=remediation,
            run=run,
            timeout=timeout,
            max_requests=max_requests,
            exclusive=exclusive,
            after_probes=after_probes,
        )

    return wrap


def manual_check(
    *,
    id: str,
    title: str,
    severity: Severity,
    passes_when: str,
    why: str,
    breaks: str,
    remediation: str,
    attest_every: str | None = "30d",
) -> Check:
    """An item a person attests; it reports ``manual`` until its owner does."""
    return Check(
        id=id,
        title=title,
        severity=severity,
        category="manual",
        passes_when=passes_when,
        why=why,
        breaks=breaks,
        remediation=remediation,
        mode="manual",
        attest_every=attest_every,
    )
