"""api.rate_limits: a bounded burst above each configured limit gets 429 with guidance."""

from __future__ import annotations

import math

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.rejection import rejected_body, validation_reason
from checks.target import RateLimitRule, Target, body_kwargs

__all__ = ["CHECK", "MAX_PER_RULE", "burst_size"]

MAX_PER_RULE = 200
GUIDANCE = ("retry-after", "ratelimit", "ratelimit-reset", "ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-remaining", "x-ratelimit-limit", "ratelimit-limit", "ratelimit-policy")


def burst_size(rule: RateLimitRule) -> int:
    """The limit plus a 20% margin (at least 2), never more than 200 requests."""
    return min(MAX_PER_RULE, rule.max_per_minute + max(2, math.ceil(rule.max_per_minute * 0.2)))


def _guidance(response: HttpResponse) -> dict[str, str]:
    return {h: response.headers[h] for h in GUIDANCE if h in response.headers}


@check(
    id="api.rate_limits",
    title="Bursts above the rate limit get 429 with Retry-After",
    severity=Severity.HIGH,
    passes_when="Within the limit plus 20% (at most 200 requests per rule) the route answers 429 carrying Retry-After or RateLimit headers.",
    why="Login, signup and model-backed routes without limits invite credential stuffing and bills run up by one abusive client.",
    breaks="Attackers guess passwords at full speed; one script can burn the month's model budget in an hour.",
    remediation="Limit per user and per IP at the edge or in the app (e.g. a token bucket in Redis) and answer 429 with Retry-After.",
    max_requests=MAX_PER_RULE * 10,  # burst_size(rule) per rule, at most 10 rules
    exclusive=True,  # a burst must not starve other checks that use the same route and user
    timeout=120,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if not target.rate_limits:
        return Outcome.skipped("No rate limit is configured: set targets.<name>.rate_limits (route, max_per_minute, as, body).")
    if target.is_safe:
        return Outcome.skipped("Skipped on a safe/production target: the check sends a burst of requests.")
    planned = sum(burst_size(rule) for rule in target.rate_limits)
    if planned > ctx.http.max_requests:
        return Outcome.errored(f"The rules need {planned} requests, more than this check's bound of {ctx.http.max_requests}.")
    findings: list[tuple[str, Finding]] = []
    for rule in target.rate_limits:
        try:
            findings.append(await _burst(rule, ctx))
        except ProbeError as exc:
            return Outcome.errored(f"{rule.route}: {exc}")
    verdicts = [v for v, _ in findings]
    shown = [f for _, f in findings]
    if "error" in verdicts and len(set(verdicts)) == 1:
        first = shown[0]
        return Outcome.errored(f"No rule could be measured; {first.resource}: {first.message}", shown)
    if "fail" in verdicts:
        return Outcome.failed(f"{verdicts.count('fail')} of {len(findings)} rate-limited routes never answered 429.", shown)
    if "warn" in verdicts or "error" in verdicts:
        return Outcome.warned("Some routes answer 429 without Retry-After or could not be measured.", shown)
    return Outcome.passed(f"All {len(findings)} rate-limited routes answered 429 with guidance.", shown)


async def _burst(rule: RateLimitRule, ctx: CheckContext) -> tuple[str, Finding]:
    size = burst_size(rule)
    resource = str(rule.route)
    who = f" as {rule.as_user}" if rule.as_user else " without a token"
    statuses: dict[str, int] = {}
    kwargs = body_kwargs(rule.body if rule.body is not None else {}, rule.content_type) if rule.route.has_body else {}
    all_invalid = True  # every answer so far a validation error (400/422)
    for sent in range(1, size + 1):
        # Sequential on purpose: the index of the first 429 is the measurement.
        response = await ctx.http.request(rule.route.method, rule.route.path, as_user=rule.as_user, **kwargs)
        all_invalid = all_invalid and validation_reason(response) is not None
        statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        if response.status == 429:
            guidance = _guidance(response)
            evidence = response.evidence() | {"requests_sent": sent, "limit_per_minute": rule.max_per_minute, "statuses": statuses}
            if guidance:
                evidence["headers"] = guidance
                return "pass", Finding(resource, f"Request {sent} of a burst{who} got 429 (limit {rule.max_per_minute}/min) with {', '.join(guidance)}.", evidence)
            return "warn", Finding(resource, f"Request {sent} of a burst{who} got 429 but no Retry-After or RateLimit header, so clients cannot back off politely.", evidence)
    evidence = {"requests_sent": size, "limit_per_minute": rule.max_per_minute, "statuses": statuses, "last": response.evidence()}
    rejected = rejected_body([response], "body" if rule.body is not None else "body (none is set)") if all_invalid else None
    if rejected:
        # A burst of invalid requests may stop before the limiter: it proves neither way.
        hint = " (or content_type: form, if the route reads a form)" if rule.content_type != "form" else ""
        return "error", Finding(resource, f"{size} requests{who} got only validation errors, so the limit cannot be measured: {rejected}{hint}.", evidence)
    if all(s in ("404", "405") or s.startswith("5") for s in statuses):
        # 401/400 count: failed logins are exactly what a limit must stop. A missing route does not.
        return "error", Finding(resource, f"{size} requests{who} only got {statuses}: the route is missing or broken, so the limit cannot be measured; check the rule's route, as and body.", evidence)
    if rule.max_per_minute >= MAX_PER_RULE:
        return "warn", Finding(resource, f"The limit of {rule.max_per_minute}/min is above the {MAX_PER_RULE}-request burst this check sends; no 429 in {size} requests.", evidence)
    return "fail", Finding(resource, f"{size} requests{who} in a burst (limit {rule.max_per_minute}/min) got no 429: statuses {statuses}.", evidence)
