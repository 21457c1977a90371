"""email.dmarc: a DMARC policy that quarantines or rejects, with MTA-STS and BIMI reported."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext
from checks.email.records import combine, domains_or_skip, parse_tags
from checks.model import Finding, Outcome, Severity
from checks.target import Domain, Target

__all__ = ["CHECK"]

POLICIES = ("none", "quarantine", "reject")
TIGHTEN = (
    "p=none only monitors: read the rua reports, fix legitimate senders, then publish p=quarantine "
    "(pct=100) and finally p=reject"
)


async def _records(ctx: CheckContext, name: str, prefix: str) -> list[str]:
    return [r for r in await ctx.dns.txt(name) if r.strip().lower().startswith(prefix.lower())]


async def _judge(ctx: CheckContext, domain: Domain) -> Outcome:
    name = domain.name
    where = f"_dmarc.{name}"
    found = await _records(ctx, where, "v=DMARC1")
    inherited = False
    labels = name.split(".")
    if not found and len(labels) > 2:
        # No record on a subdomain: receivers fall back to the organisational domain's (its sp= applies).
        parent = ".".join(labels[-2:])
        found = await _records(ctx, f"_dmarc.{parent}", "v=DMARC1")
        if found:
            where, inherited = f"_dmarc.{parent}", True
    info = {
        "mta_sts": bool(await _records(ctx, f"_mta-sts.{name}", "v=STSv1")),
        "bimi": bool(await _records(ctx, f"default._bimi.{name}", "v=BIMI1")),
    }
    evidence: dict[str, object] = {"domain": name, "query": f"TXT {where}", "records": found} | info
    if not found:
        message = f"{name} has no DMARC record at _dmarc.{name}; receivers apply no policy to mail forged as it."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    if len(found) > 1:
        message = f"{name} has {len(found)} DMARC records at {where}; receivers ignore them all."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    tags = parse_tags(found[0])
    policy = (tags.get("sp") if inherited and "sp" in tags else tags.get("p", "")).lower()
    subpolicy = tags.get("sp", policy).lower()
    pct = tags.get("pct", "100")
    evidence |= {"p": tags.get("p"), "sp": tags.get("sp"), "pct": pct, "rua": tags.get("rua"), "inherited": inherited}
    extras = (
        f"pct={pct}, sp={tags.get('sp', '(same as p)')}, rua {'set' if tags.get('rua') else 'not set'}, "
        f"MTA-STS {'present' if info['mta_sts'] else 'absent'}, BIMI {'present' if info['bimi'] else 'absent'}"
    )
    if policy not in POLICIES:
        message = f"DMARC for {name} has no valid p= tag ({found[0]!r}), so receivers treat it as absent."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    if not domain.sends_email and (policy != "reject" or subpolicy != "reject"):
        message = f"{name} sends no email, so its DMARC policy should be p=reject (it is p={policy}, sp={subpolicy})."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    if policy == "none":
        message = f"DMARC for {name} is p=none ({extras}). {TIGHTEN}."
        if not tags.get("rua"):
            message += " Add rua=mailto:... first so you receive the reports."
        return Outcome.failed(message, [Finding(name, message, evidence)])
    if not pct.isdigit() or int(pct) < 100:
        message = f"DMARC for {name} is p={policy} but pct={pct}: the policy covers only part of the failing mail."
        return Outcome.warned(message, [Finding(name, message, evidence)])
    if subpolicy == "none":
        message = f"DMARC for {name} is p={policy} but sp=none leaves every subdomain open to spoofing."
        return Outcome.warned(message, [Finding(name, message, evidence)])
    message = f"DMARC for {name} is p={policy} ({extras})."
    return Outcome.passed(message, [Finding(name, message, evidence)])


@check(
    id="email.dmarc",
    title="DMARC quarantines or rejects spoofed mail",
    severity=Severity.HIGH,
    passes_when="Each domain publishes one DMARC record at _dmarc.<domain> with p=quarantine or p=reject at pct=100 "
    "(sends_email: false needs p=reject); sp, rua, MTA-STS and BIMI are reported.",
    why="DMARC tells receivers what to do with mail that fails SPF and DKIM; Gmail and Yahoo require it of bulk senders.",
    breaks="Anyone can send phishing as your domain to your users, and your own mail is more likely to land in spam.",
    remediation="Publish TXT _dmarc.<domain> 'v=DMARC1; p=none; rua=mailto:dmarc@<domain>', review the reports, "
    "then move to p=quarantine and p=reject.",
    max_requests=0,  # DNS only: 3 TXT queries per domain (4 when a subdomain falls back to its parent)
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    domains = domains_or_skip(target, ctx.target_name)
    if isinstance(domains, Outcome):
        return domains
    return combine([await _judge(ctx, domain) for domain in domains])
