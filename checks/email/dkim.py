"""email.dkim: a usable DKIM public key on one of the domain's selectors."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from checks.check import check
from checks.context import CheckContext
from checks.email.records import combine, domains_or_skip, parse_tags
from checks.model import Finding, Outcome, Severity, Status
from checks.target import Domain, Target

__all__ = ["CHECK", "COMMON_SELECTORS", "judge_key"]

# Tried when a domain lists no selectors: the usual defaults of Google, Microsoft 365,
# Mailchimp/Mandrill, SES-style setups and cPanel-style hosts.
COMMON_SELECTORS = ("default", "google", "selector1", "selector2", "k1", "s1", "dkim", "mail")
MIN_RSA = 1024
GOOD_RSA = 2048


@dataclass(frozen=True)
class KeyVerdict:
    status: Status
    detail: str  # "RSA 2048", "revoked (empty p=)", ...


def judge_key(record: str) -> KeyVerdict:
    tags = parse_tags(record)
    version = tags.get("v")
    if version is not None and version != "DKIM1":
        return KeyVerdict(Status.FAIL, f"v={version} is not DKIM1")
    if "p" not in tags:
        return KeyVerdict(Status.FAIL, "no p= tag")
    if not tags["p"]:
        return KeyVerdict(Status.FAIL, "revoked (empty p=)")
    try:
        raw = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        return KeyVerdict(Status.FAIL, "p= is not valid base64")
    kind = tags.get("k", "rsa").lower()
    if kind == "ed25519":
        return KeyVerdict(Status.PASS, "Ed25519") if len(raw) == 32 else KeyVerdict(Status.FAIL, "Ed25519 key of the wrong length")
    if kind != "rsa":
        return KeyVerdict(Status.FAIL, f"unknown key type k={kind}")
    try:
        key = load_der_public_key(raw)
    except (ValueError, TypeError):
        return KeyVerdict(Status.FAIL, "p= does not hold an RSA public key")
    if not isinstance(key, rsa.RSAPublicKey):
        return KeyVerdict(Status.FAIL, f"k=rsa but the key is {type(key).__name__}")
    size = key.key_size
    if size < MIN_RSA:
        return KeyVerdict(Status.FAIL, f"RSA {size} (receivers ignore keys under {MIN_RSA} bits)")
    if size < GOOD_RSA:
        return KeyVerdict(Status.WARN, f"RSA {size} (rotate to {GOOD_RSA} bits)")
    return KeyVerdict(Status.PASS, f"RSA {size}")


async def _judge(ctx: CheckContext, domain: Domain) -> Outcome:
    name = domain.name
    if not domain.sends_email:
        return Outcome.passed(f"{name} sends no email, so it needs no DKIM key.")
    configured = bool(domain.dkim_selectors)
    selectors = list(domain.dkim_selectors) or list(COMMON_SELECTORS)
    seen: dict[str, str] = {}
    verdicts: list[tuple[str, KeyVerdict]] = []
    for selector in selectors:
        query = f"{selector}._domainkey.{name}"
        records = [r for r in await ctx.dns.txt(query) if "p=" in r or r.lower().startswith("v=dkim1")]
        if not records:
            seen[selector] = "no record"
            continue
        verdict = judge_key(records[0])
        seen[selector] = verdict.detail
        verdicts.append((selector, verdict))
    evidence = {"domain": name, "selectors": seen, "configured": configured}
    where = "the configured selectors" if configured else "the common selectors"
    if not verdicts:
        message = f"No DKIM key for {name} on {where} ({', '.join(selectors)})."
        if not configured:
            message += f" List yours in targets.{ctx.target_name}.domains[].dkim_selectors."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    order = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}
    selector, best = min(verdicts, key=lambda item: order[item[1].status])
    missing = [s for s, d in seen.items() if d == "no record"] if configured else []
    note = f" (no record for {', '.join(missing)})" if missing else ""
    message = f"DKIM for {name}: {selector}._domainkey is {best.detail}{note}."
    build = {Status.PASS: Outcome.passed, Status.WARN: Outcome.warned, Status.FAIL: Outcome.failed}[best.status]
    return build(message, [Finding(name, message, evidence)])


@check(
    id="email.dkim",
    title="DKIM key published on a selector (RSA 1024+, ideally 2048, or Ed25519)",
    severity=Severity.HIGH,
    passes_when="Each sending domain has a DKIM key on one of its configured selectors (or a common one when none "
    f"is configured): v=DKIM1, a non-empty p=, RSA of at least {GOOD_RSA} bits or Ed25519 "
    f"(RSA {MIN_RSA}-{GOOD_RSA - 1} warns).",
    why="DKIM signatures let receivers trust your mail and let DMARC pass when forwarding breaks SPF.",
    breaks="Mail fails DMARC at receivers (Gmail and Yahoo require DKIM from bulk senders) and lands in spam.",
    remediation="Turn on DKIM signing at your mail provider and publish its TXT record at "
    "<selector>._domainkey.<domain> with a 2048-bit key; list the selector in domains[].dkim_selectors.",
    max_requests=0,  # DNS only: one TXT query per selector (8 common ones when none is configured)
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    domains = domains_or_skip(target, ctx.target_name)
    if isinstance(domains, Outcome):
        return domains
    return combine([await _judge(ctx, domain) for domain in domains])
