"""api.input_validation: malformed, wrong-typed, oversized and over-privileged bodies get 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.obs.disclosure import find_disclosures
from checks.target import Route, Target

__all__ = ["CHECK", "PRIVILEGED", "payloads"]

ONE_MIB = 1024 * 1024
DEPTH = 5000
PRIVILEGED = {"role": "admin", "tenant": "launchready-probe", "is_admin": True, "owner": "launchready-probe"}


@dataclass(frozen=True)
class Payload:
    name: str
    content: bytes
    mass_assignment: bool = False


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "not-a-boolean"
    if isinstance(value, int | float):
        return "not-a-number"
    if isinstance(value, str):
        return {"unexpected": ["object"]}
    if isinstance(value, list):
        return "not-a-list"
    return 12345


def _first_string_key(body: dict[str, Any]) -> str:
    return next((k for k, v in body.items() if isinstance(v, str)), next(iter(body), "message"))


def payloads(sample: Any) -> list[Payload]:
    """The bodies sent to each route: what a fuzzer or an abusive client tries first."""
    body = sample if isinstance(sample, dict) else {}
    dumps = lambda value: json.dumps(value).encode()  # noqa: E731
    key = _first_string_key(body)
    return [
        Payload("invalid JSON", b'{"' + key.encode() + b'": "unterminated'),
        Payload("wrong types", dumps({k: _wrong_type(v) for k, v in body.items()} or {"message": 12345})),
        Payload("a JSON array instead of an object", dumps([body])),
        Payload("missing fields (an empty object)", b"{}"),
        Payload("a 1 MiB string", dumps(body | {key: "A" * ONE_MIB})),
        Payload(f"{DEPTH}-level deep nesting", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
        Payload("privileged fields (mass assignment)", dumps(body | PRIVILEGED), mass_assignment=True),
    ]


def _routes(target: Target) -> list[tuple[Route, str, Any, str | None]]:
    """(route, path, sample body, user): private routes that take a body, then owned objects'
    PATCH/PUT as their owner (where mass assignment usually lives)."""
    chosen: list[tuple[Route, str, Any, str | None]] = []
    users = list(target.users)
    for private in target.private_routes:
        if not private.route.has_body or "{" in private.route.path:
            continue
        user = next((u for u in users if not private.roles or target.users[u].role in private.roles), users[0] if users else None)
        chosen.append((private.route, private.route.path, private.body, user))
    for obj in target.objects:
        for method in obj.methods:
            if method in ("PATCH", "PUT"):
                route = Route(method=method, path=obj.route.path)
                chosen.append((route, obj.route.format(id=obj.id), {"title": "launchready"}, obj.owner))
    return chosen


def _applied(reply: Any) -> list[str]:
    """The privileged fields the reply shows with the values we sent."""
    found: list[str] = []

    def walk(node: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield k, v
                yield from walk(v)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for key, value in walk(reply):
        if key in PRIVILEGED and value == PRIVILEGED[key] and key not in found:
            found.append(key)
    return found


@check(
    id="api.input_validation",
    title="Malformed and oversized bodies get 4xx, never 5xx or a stack trace",
    severity=Severity.HIGH,
    passes_when="Invalid JSON, wrong types, arrays, empty objects, a 1 MiB string and deep nesting get 4xx; privileged fields (role, tenant) are not applied.",
    why="Unvalidated bodies crash handlers (5xx), leak traces and let clients set fields they must not (mass assignment).",
    breaks="A customer makes themselves admin or moves an object to another tenant; bad input takes workers down.",
    remediation="Validate every body against a schema (pydantic, zod, JSON Schema) with an allowlist of writable fields and size/depth limits; answer 400/413/422.",
    max_requests=7 * 20,  # 7 payloads per route, at most 20 routes
    timeout=60,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    routes = _routes(target)
    if not routes:
        return Outcome.skipped("No route takes a body: add POST/PUT/PATCH routes with a sample body to targets.<name>.private_routes, or PATCH to objects[].methods.")
    if target.is_safe:
        return Outcome.skipped("Skipped on a safe/production target: the probes write (mass assignment) and may crash handlers.")
    planned = len(routes) * 7
    if planned > ctx.http.max_requests:
        return Outcome.errored(f"{len(routes)} routes need {planned} requests, more than this check's bound of {ctx.http.max_requests}.")
    failures: list[Finding] = []
    warnings: list[Finding] = []
    fine: list[Finding] = []
    errors: list[str] = []
    for route, path, sample, user in routes:
        resource = f"{route.method} {path}"
        for payload in payloads(sample):
            try:
                response = await ctx.http.request(route.method, path, as_user=user, content=payload.content, headers={"Content-Type": "application/json"}, body_cap=64 * 1024)
            except ProbeError as exc:
                errors.append(f"{resource} with {payload.name}: {exc}")
                continue
            verdict, message = _judge(payload, response)
            evidence = response.evidence(headers=("content-type",), body_bytes=200) | {"sent": f"{resource} with {payload.name} ({len(payload.content)} bytes)"}
            finding = Finding(resource, f"{payload.name.capitalize()}: {message}", evidence)
            {"fail": failures, "warn": warnings, "pass": fine}[verdict].append(finding)
    if not failures and not warnings and not fine:
        return Outcome.errored(f"No probe got an answer: {errors[0]}")
    if errors:
        # A connection reset on a big or deep body is a crash seen from outside.
        failures += [Finding("connection", f"The connection broke instead of a 4xx: {e}") for e in errors]
    if failures:
        return Outcome.failed(f"{len(failures)} bad bodies got a 5xx, a stack trace, a broken connection or were applied.", failures + warnings)
    if warnings:
        return Outcome.warned(f"{len(warnings)} bad bodies were accepted with 2xx instead of a 4xx.", warnings)
    return Outcome.passed(f"All {len(fine)} bad bodies on {len(routes)} routes got a 4xx.", fine)


def _judge(payload: Payload, response: HttpResponse) -> tuple[str, str]:
    leaks = find_disclosures(response)
    traces = [d for d in leaks if d.kind != "version banner"]
    if response.status >= 500:
        extra = f" showing {traces[0].kind}" if traces else ""
        return "fail", f"answered {response.status}{extra}."
    if traces:
        return "fail", f"answered {response.status} showing {traces[0].kind}."
    if payload.mass_assignment and 200 <= response.status < 300:
        try:
            applied = _applied(json.loads(response.body))
        except (ValueError, UnicodeDecodeError):
            applied = []
        if applied:
            return "fail", f"answered {response.status} and echoed {', '.join(applied)} as applied (mass assignment)."
        return "pass", f"answered {response.status} without applying role or tenant."
    if 400 <= response.status < 500:
        return "pass", f"answered {response.status}."
    return "warn", f"answered {response.status}; expected a 4xx."
