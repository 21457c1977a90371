"""webhooks.signature: unsigned, wrongly signed and stale deliveries are rejected."""

from __future__ import annotations

import base64
import secrets

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.rejection import rejected_body
from checks.target import Target, Webhook
from checks.webhooks.gate import refuse_to_probe
from checks.webhooks.signing import TIMESTAMPED, Delivery, SigningError, make_delivery

__all__ = ["CHECK", "STALE_SECONDS", "refused_genuine", "send"]

STALE_SECONDS = 600  # ten minutes: twice Stripe's default tolerance
PROBES_PER_WEBHOOK = 4  # signed, unsigned, wrongly signed, stale
SHOWN_HEADERS = ("content-type", "retry-after")


async def send(ctx: CheckContext, hook: Webhook, delivery: Delivery, *, headers: dict[str, str] | None = None, forged: bool = False) -> HttpResponse:
    """``forged`` deliveries go on a connection of their own: an app whose signature check
    raises (a 500 that drops the connection) must not break the next delivery."""
    return await ctx.http.request(
        hook.route.method, hook.route.path, headers=headers if headers is not None else delivery.headers, content=delivery.body, fresh=forged
    )


def accepted(response: HttpResponse) -> bool:
    return 200 <= response.status < 300


def refused_genuine(hook: Webhook, response: HttpResponse, cannot: str) -> Outcome:
    """The error when the correctly signed delivery itself is refused: nothing else can be judged."""
    route = str(hook.route)
    rejected = rejected_body([response], f"webhooks[].event of {route}")
    why = rejected or "check the webhook's route, scheme and secret"
    return Outcome.errored(
        f"{route} answered {response.status} to a correctly signed {hook.scheme} delivery, so {cannot}; {why}.",
        [Finding(route, "The correctly signed delivery was not accepted.", response.evidence(headers=SHOWN_HEADERS))],
    )


@check(
    id="webhooks.signature",
    title="Webhooks reject unsigned, wrongly signed and stale deliveries",
    severity=Severity.CRITICAL,
    passes_when="A correctly signed delivery is accepted; unsigned, wrongly signed and 10-minute-old signed deliveries are not (non-2xx).",
    why="Anyone who finds the webhook URL can otherwise forge 'payment succeeded' events.",
    breaks="Forged events grant paid plans, credits or refunds without a payment.",
    remediation="Verify the provider's signature over the raw body with the endpoint secret (e.g. stripe.Webhook.construct_event) and reject timestamps older than the tolerance (300 s).",
    max_requests=4 * 20,  # 4 per configured webhook
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    refused = refuse_to_probe(
        target, ctx, probes_per_webhook=PROBES_PER_WEBHOOK, safe_reason="the probes deliver events the app would process"
    )
    if refused is not None:
        return refused
    failures: list[Finding] = []
    passes: list[Finding] = []
    for hook in target.webhooks:
        outcome = await _probe(hook, ctx)
        if isinstance(outcome, Outcome):
            return outcome
        bad, good = outcome
        failures += bad
        passes += good
    if failures:
        return Outcome.failed(f"{len(failures)} forged or stale webhook deliveries were accepted.", failures + passes)
    return Outcome.passed(f"All {len(target.webhooks)} webhooks accept signed deliveries and reject forged or stale ones.", passes)


async def _probe(hook: Webhook, ctx: CheckContext) -> Outcome | tuple[list[Finding], list[Finding]]:
    secret = hook.secret.get_secret_value()
    now = int(ctx.now().timestamp())
    route = str(hook.route)
    try:
        signed = make_delivery(hook.scheme, secret, hook.event, timestamp=now, header=hook.header)
    except SigningError as exc:
        return Outcome.errored(f"{route}: cannot sign a delivery: {exc}.")
    try:
        response = await send(ctx, hook, signed)
    except ProbeError as exc:
        return Outcome.errored(f"{route}: the correctly signed delivery could not be sent: {exc}")
    if not accepted(response):
        return refused_genuine(hook, response, "the check cannot tell forged from genuine")
    wrong_secret = _wrong_secret(hook.scheme, secret)
    unsigned = make_delivery(hook.scheme, secret, hook.event, timestamp=now, header=hook.header)
    probes: list[tuple[str, Delivery, dict[str, str]]] = [
        ("unsigned", unsigned, {"Content-Type": "application/json"}),
    ]
    wrong = make_delivery(hook.scheme, wrong_secret, hook.event, timestamp=now, header=hook.header)
    probes.append(("signed with the wrong secret", wrong, wrong.headers))
    if hook.scheme in TIMESTAMPED:
        stale = make_delivery(hook.scheme, secret, hook.event, timestamp=now - STALE_SECONDS, header=hook.header)
        probes.append((f"correctly signed {STALE_SECONDS // 60} minutes ago", stale, stale.headers))
    failures: list[Finding] = []
    passes = [Finding(route, f"A correctly signed delivery was accepted ({response.status}).")]
    for label, delivery, headers in probes:
        try:
            answer = await send(ctx, hook, delivery, headers=headers, forged=True)
        except ProbeError as exc:
            return Outcome.errored(f"{route}: the {label} delivery could not be sent: {exc}")
        evidence = answer.evidence(headers=SHOWN_HEADERS)
        evidence["sent_headers"] = sorted(headers)
        if accepted(answer):
            failures.append(Finding(route, f"A delivery {label} was accepted with {answer.status}.", evidence))
        else:
            passes.append(Finding(route, f"A delivery {label} was rejected with {answer.status}.", evidence))
    if hook.scheme not in TIMESTAMPED:
        passes.append(Finding(route, f"Scheme {hook.scheme} signs no timestamp: the stale-delivery probe does not apply."))
    return failures, passes


def _wrong_secret(scheme: str, secret: str) -> str:
    if scheme == "standard":
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return secret[:6] + secrets.token_hex(16) if secret.startswith("whsec_") else secrets.token_hex(16)
