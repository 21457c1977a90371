"""perf.latency_p95: p95 under the budget on each non-model route, alone and under load.

A route that is not public is measured signed in: as ``latency.as`` when set, else as the
first configured user whose role the route allows. A route that answers only 401/403 stops
after a handful of requests with the key to set, instead of timing refusals.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from checks.check import check
from checks.context import CheckContext, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.percentiles import nearest_rank
from checks.target import Latency, Route, Target

__all__ = ["CHECK", "LOAD_REQUESTS_PER_WORKER", "Percentiles", "nearest_rank", "planned_requests", "signed_in_as"]

SAMPLE_CONCURRENCY = 2  # low: measures the route, not the server's queue
REFUSALS_BEFORE_STOP = 5  # only 401/403 after this many requests: the route is not being measured
LOAD_REQUESTS_PER_WORKER = 50  # bounds the load phase: concurrency x 50 requests per route


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Percentiles:
        ordered = sorted(values)
        return cls(len(ordered), nearest_rank(ordered, 50), nearest_rank(ordered, 95), nearest_rank(ordered, 99), ordered[-1])

    def as_dict(self) -> dict[str, float | int]:
        return {"samples": self.count, "p50_ms": round(self.p50, 1), "p95_ms": round(self.p95, 1), "p99_ms": round(self.p99, 1), "max_ms": round(self.max, 1)}


def _routes(target: Target) -> list[Route]:
    assert target.latency is not None
    model_route = target.chat.route if target.chat else None
    return [r for r in target.latency.routes if r != model_route]


def planned_requests(target: Target) -> int:
    """Per route: warm-up + samples, plus concurrency x 50 under load on targets that are not safe."""
    latency = target.latency
    if latency is None:
        return 0
    per_route = latency.warmup + latency.samples
    if not target.is_safe:
        per_route += latency.concurrency * LOAD_REQUESTS_PER_WORKER
    return per_route * len(_routes(target))


def signed_in_as(route: Route, target: Target) -> str | None:
    """Who measures the route: ``latency.as``; nobody for public and health routes; else the
    first user whose role the private route allows (any user for routes not listed)."""
    assert target.latency is not None
    if target.latency.as_user:
        return target.latency.as_user
    if route in target.public_routes or route in target.health_routes:
        return None
    roles = next((p.roles for p in target.private_routes if p.route == route), [])
    return next((name for name, user in target.users.items() if not roles or user.role in roles), None)


class _Sampler:
    def __init__(self, ctx: CheckContext, route: Route, user: str | None) -> None:
        self.ctx = ctx
        self.route = route
        self.user = user
        self.statuses: dict[str, int] = {}
        self.sent = 0
        self.refused = 0

    async def one(self) -> float:
        response = await self.ctx.http.request(self.route.method, self.route.path, as_user=self.user)
        self.statuses[str(response.status)] = self.statuses.get(str(response.status), 0) + 1
        self.sent += 1
        self.refused += response.status in (401, 403)
        if self.sent >= REFUSALS_BEFORE_STOP and self.refused == self.sent:
            who = f"as {self.user}" if self.user else "without a token"
            key = "latency.as (a user who may call it)" if self.user else "users (and latency.as)"
            raise ProbeError(f"{self.route} answered only 401/403 to {self.sent} requests {who}; stopped measuring: set targets.{self.ctx.target_name}.{key}.")
        return response.elapsed_ms

    async def fixed(self, count: int, concurrency: int) -> list[float]:
        values: list[float] = []
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                values.append(await self.one())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return values

    async def timed(self, seconds: float, concurrency: int) -> list[float]:
        values: list[float] = []
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            for _ in range(LOAD_REQUESTS_PER_WORKER):
                if time.monotonic() >= deadline:
                    return
                values.append(await self.one())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return values


@check(
    id="perf.latency_p95",
    title="p95 latency is under the budget on each non-model route",
    severity=Severity.HIGH,
    passes_when="Each latency route's p95 over the configured samples (nearest rank, after warm-up) is at or under latency.p95_ms.",
    why="Users leave slow apps, and a route slow alone collapses under launch-day traffic.",
    breaks="Launch traffic queues behind slow queries; timeouts cascade into errors and retries.",
    remediation="Profile the slow route (missing index, N+1 queries, synchronous calls to other services); cache or paginate it.",
    max_requests=5000,  # see planned_requests(): routes x (warmup + samples + concurrency x 50)
    exclusive=True,  # measured alone: other checks' CPU and traffic would inflate the p95
    timeout=180,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    latency = target.latency
    if latency is None or not latency.routes:
        return Outcome.skipped("No latency route is configured: set targets.<name>.latency.routes (e.g. [GET /api/conversations]) and p95_ms.")
    routes = _routes(target)
    if not routes:
        return Outcome.skipped("Every latency route is the model-backed chat route; add a non-model route to targets.<name>.latency.routes.")
    planned = planned_requests(target)
    if planned > ctx.http.max_requests:
        return Outcome.errored(f"The latency settings need {planned} requests, more than this check's bound of {ctx.http.max_requests}; lower samples or concurrency.")
    load_budget = latency.load_p95_ms or latency.p95_ms
    slow: list[Finding] = []
    loaded_slow: list[Finding] = []
    fine: list[Finding] = []
    for route in routes:
        try:
            finding, alone, loaded = await _measure(route, latency, target, ctx)
        except ProbeError as exc:
            return Outcome.errored(f"{route}: {exc}")
        if alone.p95 > latency.p95_ms:
            slow.append(finding)
        elif loaded is not None and loaded.p95 > load_budget:
            loaded_slow.append(finding)
        else:
            fine.append(finding)
    if slow:
        return Outcome.failed(f"{len(slow)} of {len(routes)} routes have p95 over the {latency.p95_ms} ms budget.", slow + loaded_slow + fine)
    if loaded_slow:
        return Outcome.warned(f"{len(loaded_slow)} routes are within {latency.p95_ms} ms alone but over {load_budget} ms under load ({latency.concurrency} concurrent).", loaded_slow + fine)
    return Outcome.passed(f"All {len(routes)} routes have p95 within {latency.p95_ms} ms.", fine)


async def _measure(route: Route, latency: Latency, target: Target, ctx: CheckContext) -> tuple[Finding, Percentiles, Percentiles | None]:
    sampler = _Sampler(ctx, route, signed_in_as(route, target))
    await sampler.fixed(latency.warmup, 1)
    sampler.statuses.clear()
    alone = Percentiles.of(await sampler.fixed(latency.samples, SAMPLE_CONCURRENCY))
    evidence: dict[str, object] = {"budget_p95_ms": latency.p95_ms, "load_budget_p95_ms": latency.load_p95_ms or latency.p95_ms, "alone": alone.as_dict() | {"concurrency": SAMPLE_CONCURRENCY}}
    loaded = None
    if not target.is_safe:
        values = await sampler.timed(latency.load.total_seconds(), latency.concurrency)
        if values:
            loaded = Percentiles.of(values)
            evidence["under_load"] = loaded.as_dict() | {"concurrency": latency.concurrency}
    else:
        evidence["under_load"] = "skipped on a safe/production target"
    evidence["statuses"] = dict(sampler.statuses)
    if not any(s.startswith("2") for s in sampler.statuses):
        raise ProbeError(f"{route} never answered 2xx (statuses {sampler.statuses}); latency of errors is not the route's latency.")
    load_text = f"; under load ({latency.concurrency} concurrent) p95 {loaded.p95:.0f} ms" if loaded else ""
    message = f"{route}: p50 {alone.p50:.0f} ms, p95 {alone.p95:.0f} ms, p99 {alone.p99:.0f} ms, max {alone.max:.0f} ms over {alone.count} samples{load_text} (budget {latency.p95_ms} ms)."
    return Finding(str(route), message, evidence), alone, loaded
