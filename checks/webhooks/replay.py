"""webhooks.replay: a replayed delivery is rejected and a duplicate event id is processed once."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import Target, Webhook
from checks.webhooks.gate import refuse_to_probe
from checks.webhooks.signature import SHOWN_HEADERS, accepted, refused_genuine, send
from checks.webhooks.signing import TIMESTAMPED, SigningError, make_delivery

__all__ = ["CHECK"]

PROBES_PER_WEBHOOK = 8  # 4 deliveries + 4 reads of the observe route


class _Observer:
    """Reads the webhook's ``observe`` route; its answer changes only when an event is processed."""

    def __init__(self, hook: Webhook, ctx: CheckContext) -> None:
        self.hook = hook
        self.ctx = ctx

    async def snapshot(self) -> str | None:
        if self.hook.observe is None:
            return None
        response = await self.ctx.http.request(self.hook.observe.method, self.hook.observe.path, as_user=self.hook.observe_as)
        if not accepted(response):
            raise ProbeError(f"The observe route {self.hook.observe} answered {response.status}; set webhooks[].observe_as to a user who may read it.")
        return response.text


@check(
    id="webhooks.replay",
    title="Webhook replays and duplicate events are not processed twice",
    severity=Severity.HIGH,
    passes_when="A delivery replayed byte for byte changes nothing, a captured delivery past the tolerance window is rejected, and an event id sent twice with fresh signatures is processed once.",
    why="Providers retry deliveries and attackers replay captured ones; both arrive correctly signed.",
    breaks="A single payment is credited twice; a captured 'refund' or 'upgrade' event can be replayed at will.",
    remediation="Reject timestamps outside the tolerance and store processed event ids (unique index), acknowledging duplicates with 2xx without processing them again.",
    max_requests=8 * 20,  # 8 per configured webhook
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    refused = refuse_to_probe(
        target, ctx, probes_per_webhook=PROBES_PER_WEBHOOK, safe_reason="replaying deliveries would process events twice"
    )
    if refused is not None:
        return refused
    failures: list[Finding] = []
    notes: list[Finding] = []
    unobserved: list[str] = []
    for hook in target.webhooks:
        result = await _probe(hook, ctx)
        if isinstance(result, Outcome):
            return result
        bad, good, observed = result
        failures += bad
        notes += good
        if not observed:
            unobserved.append(str(hook.route))
    if failures:
        return Outcome.failed(f"{len(failures)} replayed or duplicate webhook deliveries were processed or accepted.", failures + notes)
    if unobserved:
        return Outcome.warned(
            f"Cannot tell whether duplicates are processed twice on {', '.join(unobserved)}: set targets.<name>.webhooks[].observe "
            "(e.g. GET /api/billing) to a route whose answer changes when an event is processed.",
            notes,
        )
    return Outcome.passed(f"Replays and duplicate event ids were not processed again on {len(target.webhooks)} webhooks.", notes)


async def _probe(hook: Webhook, ctx: CheckContext) -> Outcome | tuple[list[Finding], list[Finding], bool]:
    secret = hook.secret.get_secret_value()
    route = str(hook.route)
    now = int(ctx.now().timestamp())
    observer = _Observer(hook, ctx)
    failures: list[Finding] = []
    notes: list[Finding] = []
    try:
        first = make_delivery(hook.scheme, secret, hook.event, timestamp=now, header=hook.header)
        before = await observer.snapshot()
        response = await send(ctx, hook, first)
        if not accepted(response):
            return refused_genuine(hook, response, "replays cannot be tested")
        after_first = await observer.snapshot()
        observed = before is not None and after_first != before
        if before is not None and not observed:
            notes.append(Finding(route, f"{hook.observe} did not change after an accepted event, so it cannot show processing.", {"observe": _short(after_first)}))

        # 1. The same bytes and headers again, as an attacker who captured the request would send them.
        replay = await send(ctx, hook, first.resent())
        after_replay = await observer.snapshot()
        _judge(failures, notes, route, "The first delivery replayed byte for byte", replay, observed, after_first, after_replay)

        # 2. The same event id with a fresh timestamp and signature, as a provider retry looks.
        duplicate = make_delivery(hook.scheme, secret, hook.event, timestamp=int(ctx.now().timestamp()), event_id=first.event_id, header=hook.header)
        dup = await send(ctx, hook, duplicate)
        after_dup = await observer.snapshot()
        _judge(failures, notes, route, f"Event {first.event_id} sent again with a fresh signature", dup, observed, after_replay, after_dup)

        # 3. A captured delivery once the tolerance window has passed (simulated by an old timestamp).
        if hook.scheme in TIMESTAMPED:
            old = int(ctx.now().timestamp() - hook.tolerance.total_seconds() - 60)
            captured = make_delivery(hook.scheme, secret, hook.event, timestamp=old, header=hook.header)
            late = await send(ctx, hook, captured)
            evidence = late.evidence(headers=SHOWN_HEADERS)
            if accepted(late):
                failures.append(Finding(route, f"A delivery signed {int(now - old)} s ago (past the {hook.tolerance.total_seconds():g} s tolerance) was accepted with {late.status}.", evidence))
            else:
                notes.append(Finding(route, f"A delivery signed past the tolerance window was rejected with {late.status}.", evidence))
        else:
            notes.append(Finding(route, f"Scheme {hook.scheme} signs no timestamp: only event-id deduplication stops replays."))
    except SigningError as exc:
        return Outcome.errored(f"{route}: cannot sign a delivery: {exc}.")
    except ProbeError as exc:
        return Outcome.errored(f"{route}: {exc}")
    return failures, notes, observed


def _judge(
    failures: list[Finding],
    notes: list[Finding],
    route: str,
    label: str,
    response: HttpResponse,
    observed: bool,
    before: str | None,
    after: str | None,
) -> None:
    evidence = response.evidence(headers=SHOWN_HEADERS)
    if observed and after != before:
        evidence["observe_before"] = _short(before)
        evidence["observe_after"] = _short(after)
        failures.append(Finding(route, f"{label} was processed again (answered {response.status}; the observed route changed).", evidence))
    elif accepted(response):
        verdict = "and changed nothing" if observed else "(no observe route to tell whether it was processed)"
        notes.append(Finding(route, f"{label} was acknowledged with {response.status} {verdict}.", evidence))
    else:
        notes.append(Finding(route, f"{label} was rejected with {response.status}.", evidence))


def _short(text: str | None, limit: int = 200) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit] + "…"
