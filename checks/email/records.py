"""What the email checks share: the domains to judge and the ``tag=value;`` syntax of DKIM and DMARC."""

from __future__ import annotations

from checks.model import Outcome, Status
from checks.target import Domain, Target

__all__ = ["domains_or_skip", "parse_tags", "combine"]


def parse_tags(record: str) -> dict[str, str]:
    """``v=DMARC1; p=reject`` -> ``{"v": "DMARC1", "p": "reject"}``: names lowercased, first one wins,
    whitespace inside values removed (DKIM keys are often folded)."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if sep and name and name not in tags:
            tags[name] = "".join(value.split())
    return tags


def domains_or_skip(target: Target, target_name: str) -> list[Domain] | Outcome:
    if not target.domains:
        return Outcome.skipped(
            f"No mail domain is configured: set targets.{target_name}.domains "
            "(e.g. [{name: acme.test, dkim_selectors: [s1], sends_email: true}])."
        )
    return list(target.domains)


def combine(outcomes: list[Outcome]) -> Outcome:
    """One outcome from per-domain outcomes: fail beats error beats warn beats pass."""
    findings = [f for outcome in outcomes for f in outcome.findings]
    for status, build in ((Status.FAIL, Outcome.failed), (Status.ERROR, Outcome.errored), (Status.WARN, Outcome.warned)):
        worst = [o.summary for o in outcomes if o.status is status]
        if worst:
            return build(" ".join(worst), findings)
    return Outcome.passed(" ".join(o.summary for o in outcomes), findings)
