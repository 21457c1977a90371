"""Findings grouped for reading: eleven routes that fail the same way are one entry.

Two findings repeat each other when their messages are the same once the place they name is
taken out (``GET /api/users/1`` and ``GET /api/orders/2`` both become ``<route>``). A group
keeps its places in order and the first finding's evidence as the example.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from checks.model import Finding

__all__ = ["FindingGroup", "group_findings"]

_ROUTE = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (?:/|https?://)\S*")
_TRAILING = ".,;:)"


@dataclass(frozen=True)
class FindingGroup:
    pattern: str  # the message with its place taken out
    findings: tuple[Finding, ...]

    @property
    def resources(self) -> list[str]:
        return [f.resource for f in self.findings]

    @property
    def noun(self) -> str:
        routes = all(_ROUTE.fullmatch(r) for r in self.resources)
        many = len(self.findings) != 1
        return ("routes" if many else "route") if routes else ("places" if many else "place")

    def headline(self) -> str:
        """``11 routes: With a forged signature, <route> answered 200 (expected 401 or 403).``"""
        return f"{len(self.findings)} {self.noun}: {self.pattern}"


def _pattern(finding: Finding) -> str:
    message = finding.message
    if finding.resource:
        message = message.replace(
            finding.resource, "<route>" if _ROUTE.fullmatch(finding.resource) else "<place>"
        )
    return _ROUTE.sub(
        lambda m: "<route>" + "".join(c for c in m.group(0)[-1:] if c in _TRAILING), message
    )


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Groups in the order their first finding appears; a finding that repeats nothing is a
    group of one."""
    order: list[str] = []
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = _pattern(finding)
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(finding)
    return [FindingGroup(key, tuple(groups[key])) for key in order]
