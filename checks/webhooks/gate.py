"""What both webhook checks decide before sending anything: configured, allowed, within bound."""

from __future__ import annotations

from checks.context import CheckContext
from checks.model import Outcome
from checks.target import Target

__all__ = ["refuse_to_probe"]


def refuse_to_probe(target: Target, ctx: CheckContext, *, probes_per_webhook: int, safe_reason: str) -> Outcome | None:
    """The outcome that stops a webhook check before its first delivery, or None to go on."""
    if not target.webhooks:
        return Outcome.skipped("No webhook is configured: set targets.<name>.webhooks (route, scheme, secret).")
    if target.is_safe:
        return Outcome.skipped(f"Skipped on a safe/production target: {safe_reason}.")
    if len(target.webhooks) * probes_per_webhook > ctx.http.max_requests:
        return Outcome.errored(
            f"{len(target.webhooks)} webhooks need {probes_per_webhook} requests each, "
            f"more than this check's bound of {ctx.http.max_requests}."
        )
    return None
