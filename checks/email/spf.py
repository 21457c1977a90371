"""email.spf: one valid SPF record per domain, within the lookup limits, ending in -all or ~all.

Parsing and lookup counting are checkdmarc's (synchronous, so it runs in a thread) with the
target's nameservers and its answer cache cleared per run; the ``all`` policy is judged here,
because checkdmarc accepts ``+all`` as valid.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import checkdmarc.spf
import checkdmarc.utils
import dns.resolver

from checks.check import check
from checks.context import CheckContext
from checks.email.records import combine, domains_or_skip
from checks.model import Finding, Outcome, Severity
from checks.target import Domain, Target

__all__ = ["CHECK", "all_policy"]

ALL_TERM = re.compile(r"(?:^|\s)([+\-~?]?)all(?=\s|$)", re.IGNORECASE)
QUALIFIERS = {"": "+all", "+": "+all", "-": "-all", "~": "~all", "?": "?all"}
DNS_FAILURES = ("nameservers failed", "timed out", "timeout", "dns error", "servfail", "no nameservers", "refused")


class CountingResolver(dns.resolver.Resolver):
    """A synchronous resolver for checkdmarc that counts the queries it sends."""

    def __init__(self, nameservers: list[Any], timeout: float) -> None:
        super().__init__(configure=not nameservers)
        if nameservers:
            self.nameservers = nameservers
        self.timeout = min(1.0, timeout)
        self.lifetime = timeout
        self.queries = 0

    def resolve(self, *args: Any, **kwargs: Any) -> dns.resolver.Answer:  # type: ignore[override]
        self.queries += 1
        return super().resolve(*args, **kwargs)


def all_policy(record: str | None) -> str | None:
    """The record's ``all`` term with its qualifier (``-all``, ``~all``...), or None."""
    match = ALL_TERM.search(record or "")
    return QUALIFIERS[match.group(1)] if match else None


def _judge(domain: Domain, result: dict[str, Any]) -> Outcome:
    name = domain.name
    record = result.get("record")
    evidence = {
        "domain": name,
        "query": f"TXT {name}",
        "record": record,
        "dns_lookups": result.get("dns_lookups"),
        "void_dns_lookups": result.get("void_dns_lookups"),
        "warnings": result.get("warnings", []),
    }
    error = result.get("error")
    if error:
        if any(word in str(error).lower() for word in DNS_FAILURES):
            return Outcome.errored(f"SPF for {name} could not be read: {error}", [Finding(name, str(error), evidence)])
        return Outcome.failed(f"SPF for {name} is broken: {error}", [Finding(name, f"SPF for {name}: {error}", evidence)])
    policy = all_policy(record)
    redirect = (result.get("parsed") or {}).get("redirect")
    if policy is None and redirect:
        policy = all_policy(redirect.get("record"))
        evidence["redirect"] = redirect.get("domain") or redirect.get("value")
    evidence["all"] = policy
    if not domain.sends_email:
        if " ".join((record or "").split()).lower() != "v=spf1 -all":
            message = f"{name} sends no email but publishes {record!r}; a parked domain should publish 'v=spf1 -all'."
            return Outcome.failed(message, [Finding(name, message, evidence)])
        return Outcome.passed(f"{name} (no email) publishes v=spf1 -all.", [Finding(name, f"SPF for {name}: {record}", evidence)])
    if policy is None:
        message = f"SPF for {name} ({record!r}) has no 'all' term, so mail from any server gets a neutral result."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    if policy in ("+all", "?all"):
        meaning = "authorises every server on the internet" if policy == "+all" else "tells receivers nothing (neutral)"
        message = f"SPF for {name} ends in {policy}, which {meaning}: {record!r}."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    lookups = f"{result.get('dns_lookups', 0)}/10 lookups, {result.get('void_dns_lookups', 0)}/2 void"
    if policy == "~all":
        message = f"SPF for {name} ends in ~all ({lookups}); -all is stricter once every sender is listed."
        return Outcome.passed(message, [Finding(name, message, evidence)])
    message = f"SPF for {name} ends in -all ({lookups})."
    return Outcome.passed(message, [Finding(name, message, evidence)])


@check(
    id="email.spf",
    title="SPF: one valid record per domain, within 10 lookups, ending in -all or ~all",
    severity=Severity.HIGH,
    passes_when="Each domain has exactly one SPF record with valid syntax, at most 10 DNS-querying terms (through "
    "includes and redirects), at most 2 void lookups, no loops, and ends in -all (or ~all, with a note). "
    "Domains with sends_email: false must publish exactly 'v=spf1 -all'.",
    why="Receivers use SPF to decide whether a server may send as your domain.",
    breaks="Password resets and receipts land in spam, or anyone can send mail as your domain (+all).",
    remediation="Publish one TXT record 'v=spf1 include:<your provider> -all' (use ~all while rolling out); "
    "flatten includes if you exceed 10 lookups; parked domains publish 'v=spf1 -all'.",
    max_requests=0,  # DNS only: about 3 + 3 per include/redirect queries per domain (checkdmarc)
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    domains = domains_or_skip(target, ctx.target_name)
    if isinstance(domains, Outcome):
        return domains
    # checkdmarc caches answers module-wide: a stale answer from an earlier run must not leak in.
    checkdmarc.utils.DNS_CACHE.clear()
    nameservers = list(ctx.dns.resolver.nameservers) if ctx.dns.nameservers else []
    judged: list[Outcome] = []
    for domain in domains:
        resolver = CountingResolver(nameservers, timeout=ctx.dns.resolver.lifetime)
        result = await asyncio.to_thread(
            checkdmarc.spf.check_spf, domain.name, parked=not domain.sends_email, resolver=resolver,
            timeout=ctx.dns.resolver.lifetime,
        )
        ctx.dns.queries += resolver.queries
        outcome = _judge(domain, result)
        judged.append(outcome)
    return combine(judged)
