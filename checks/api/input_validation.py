"""api.input_validation: malformed, wrong-typed, oversized and over-privileged bodies get 4xx.

A route is judged only on what it promises. Only routes with a sample ``body`` (or objects'
PATCH/PUT, sampled from the object itself) are sent bodies. The valid sample goes first: if
the app rejects it (400/422) nothing else can be judged, and a route that fails even for it
is reported once as broken. A 2xx to a bad body is read back: a partial update that changed
nothing is correct. Privileged fields come from what the config knows (the roles and tenants
of ``users:``) and from what the route's answer shows. Objects that are not disposable are
put back as they were, and the restore is verified.

Public routes that take a body (``public_writes``: a sign-up) are probed too, as nobody; a
privileged field is read back by logging in as the account the probe created.

With the app's OpenAPI document (``openapi:``), a 2xx is judged against the route's request
schema: a wrong type for a field the schema types, a string over its ``maxLength``, an array
where it declares an object, missing ``required`` fields or a key that
``additionalProperties: false`` forbids, accepted, is a broken promise (fail); an unknown key
the schema does not forbid is no finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.obs.disclosure import find_disclosures
from checks.openapi import ApiSpec, load_for_target
from checks.owned import ResolvedObject
from checks.rejection import rejected_body
from checks.restore import restore, snapshot
from checks.sessions import find_token
from checks.target import PublicWrite, Route, Target, body_kwargs

__all__ = ["CHECK", "PRIVILEGED", "payloads", "privileged_fields"]

ONE_MIB = 1024 * 1024
DEPTH = 5000
MAX_ROUTES = 20
PER_ROUTE = 14  # object read, control, 7 payloads, up to 3 read-backs, restore and its check
PRIVILEGED = {
    "role": "admin",
    "tenant": "launchready-probe",
    "is_admin": True,
    "owner": "launchready-probe",
}
_UNIQUE_KEY = re.compile(r"user|name|mail|phone|title|slug|login", re.I)
_PRIVILEGED_KEY = re.compile(
    r"role|admin|superuser|staff|tenant|owner|org_id|permission|verified", re.I
)


@dataclass(frozen=True)
class Payload:
    name: str
    content: bytes
    content_type: str = "application/json"
    mass_assignment: bool = False
    empty: bool = False  # no fields at all: a correct partial update may accept it


@dataclass(frozen=True)
class Subject:
    """One route to probe: where, as whom, with which valid sample."""

    route: Route
    path: str
    sample: Any
    user: str | None
    form: bool = False
    obj: ResolvedObject | None = None  # read back through this object's route
    key: str = "body"  # where the sample comes from, for "fix `...`"
    schema: dict[str, Any] | None = None  # the request schema from targets.<name>.openapi
    public: PublicWrite | None = None  # a public route (sign-up): read back as the created account

    @property
    def resource(self) -> str:
        return f"{self.route.method} {self.path}"


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


def payloads(
    sample: Any, privileged: dict[str, Any] | None = None, *, form: bool = False
) -> list[Payload]:
    """The bodies sent to each route: what a fuzzer or an abusive client tries first."""
    body = sample if isinstance(sample, dict) else {}
    privileged = PRIVILEGED if privileged is None else privileged
    key = _first_string_key(body)
    if form:

        def make(name: str, value: dict[str, Any], **flags: Any) -> Payload:
            encoded = urlencode(body_kwargs(value, "form")["form"]).encode()
            return Payload(name, encoded, "application/x-www-form-urlencoded", **flags)

        return [
            make(
                "wrong types",
                {k: _wrong_type(v) if not isinstance(v, str) else "" for k, v in body.items()}
                or {"message": ""},
            ),
            make("missing fields (an empty form)", {}, empty=True),
            make("a 1 MiB string", body | {key: "A" * ONE_MIB}),
            make("privileged fields (mass assignment)", body | privileged, mass_assignment=True),
        ]
    dumps = lambda value: json.dumps(value).encode()  # noqa: E731
    return [
        Payload("invalid JSON", b'{"' + key.encode() + b'": "unterminated'),
        Payload(
            "wrong types", dumps({k: _wrong_type(v) for k, v in body.items()} or {"message": 12345})
        ),
        Payload("a JSON array instead of an object", dumps([body])),
        Payload("missing fields (an empty object)", b"{}", empty=True),
        Payload("a 1 MiB string", dumps(body | {key: "A" * ONE_MIB})),
        Payload(f"{DEPTH}-level deep nesting", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
        Payload(
            "privileged fields (mass assignment)", dumps(body | privileged), mass_assignment=True
        ),
    ]


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield str(k), v
            yield from _walk(v)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def privileged_fields(target: Target, user: str | None, seen: Any) -> dict[str, Any]:
    """What a client must not set, with values the config makes meaningful: a role this user
    lacks (one a role-limited route admits, if any), another tenant, and every privileged-looking
    key of the sample or the route's answer (``is_superuser``, ``tenant_id`` ...)."""
    me = target.users.get(user) if user else None
    roles = sorted({u.role for u in target.users.values()} - ({me.role} if me else set()))
    guarded = [r for route in target.private_routes for r in route.roles if r in roles]
    role = (guarded or roles or ["admin"])[0]
    mine = target.tenant_of(user) if me and user else None
    tenants = sorted({target.tenant_of(n) for n in target.users if target.users[n].tenant} - {mine})
    tenant = (tenants or ["launchready-probe"])[0]
    others = sorted(set(target.users) - {user})
    fields: dict[str, Any] = {
        "role": role,
        "tenant": tenant,
        "is_admin": True,
        "admin": True,
        "owner": (others or ["launchready-probe"])[0],
    }
    for key, value in _walk(seen):
        if key in fields or not _PRIVILEGED_KEY.search(key):
            continue
        if isinstance(value, bool):
            fields[key] = not value
        elif "role" in key.lower():
            fields[key] = [role] if isinstance(value, list) else role
        elif "tenant" in key.lower() or "org" in key.lower():
            fields[key] = tenant
        elif "owner" in key.lower():
            fields[key] = fields["owner"]
    return fields


def _schema(spec: ApiSpec | None, route: Route) -> dict[str, Any] | None:
    operation = spec.operation(route) if spec else None
    schema = operation.body_schema if operation else None
    return schema if isinstance(schema, dict) and schema else None


async def _subjects(
    target: Target, ctx: CheckContext, spec: ApiSpec | None = None
) -> tuple[list[Subject], list[Finding]]:
    """Private routes with a sample body (as a user they admit, in name order), then owned
    objects' PATCH/PUT as their owner (where mass assignment usually lives). Objects are
    resolved (named, discovered or created) so placeholders are filled."""
    chosen: list[Subject] = []
    notes: list[Finding] = []
    users = sorted(target.users)
    for index, private in enumerate(target.private_routes):
        if not private.route.has_body:
            continue
        if private.body is None:
            notes.append(
                Finding(
                    str(private.route),
                    f"Not probed: no sample body is configured, so the route is taken to need none (set body: on {private.route} to probe it).",
                )
            )
            continue
        obj = await _resolve(target.object_index(private.route), ctx, notes)
        path = obj.path_for(private.route) if obj else private.route.path
        if "{" in path:
            notes.append(
                Finding(
                    str(private.route),
                    f"Not probed: nothing fills the placeholders of {private.route}.",
                )
            )
            continue
        user = next(
            (u for u in users if not private.roles or target.users[u].role in private.roles), None
        )
        chosen.append(
            Subject(
                private.route,
                path,
                private.body,
                user,
                private.content_type == "form",
                obj,
                f"private_routes[{index}].body",
                _schema(spec, private.route),
            )
        )
    for index, public in enumerate(target.public_writes):
        chosen.append(
            Subject(
                public.route,
                public.route.path,
                public.body,
                None,
                public.content_type == "form",
                key=f"public_writes[{index}].body",
                schema=_schema(spec, public.route),
                public=public,
            )
        )
    for index, owned in enumerate(target.objects):
        writes = [m for m in owned.methods if m in ("PATCH", "PUT")]
        if not writes or owned.body_addressed:
            continue
        obj = await _resolve(index, ctx, notes)
        for method in writes if obj else []:
            route = Route(method=method, path=owned.route.path)
            chosen.append(
                Subject(route, obj.path, None, owned.owner, obj=obj, schema=_schema(spec, route))
            )
    return chosen, notes


async def _resolve(
    index: int | None, ctx: CheckContext, notes: list[Finding]
) -> ResolvedObject | None:
    if index is None:
        return None
    try:
        return await ctx.owned_object(index)
    except ProbeError as exc:
        notes.append(Finding(str(ctx.target.objects[index].route), f"Not probed: {exc}"))
        return None


@check(
    id="api.input_validation",
    title="Malformed and oversized bodies get 4xx, never 5xx or a stack trace",
    severity=Severity.HIGH,
    passes_when="Invalid JSON, wrong types, arrays, a 1 MiB string and deep nesting get 4xx (or change nothing); privileged fields (role, tenant) are not applied, as read back.",
    why="Unvalidated bodies crash handlers (5xx), leak traces and let clients set fields they must not (mass assignment).",
    breaks="A customer makes themselves admin or moves an object to another tenant; bad input takes workers down.",
    remediation="Validate every body against a schema (pydantic, zod, JSON Schema) with an allowlist of writable fields and size/depth limits; answer 400/413/422.",
    max_requests=PER_ROUTE * MAX_ROUTES,
    exclusive=True,  # it writes to objects other checks read: run alone, so neither sees the other's writes
    timeout=90,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if target.is_safe:  # before resolving objects: a created object would be a write
        return Outcome.skipped(
            "Skipped on a safe/production target: the probes write (mass assignment) and may crash handlers."
        )
    spec = None
    if target.openapi:
        try:
            spec = await load_for_target(target.openapi, ctx)
        except ProbeError as exc:
            return Outcome.errored(str(exc))
    subjects, notes = await _subjects(target, ctx, spec)
    if not subjects:
        reason = f" ({notes[0].message})" if notes else ""
        return Outcome.skipped(
            f"No route takes a body: add POST/PUT/PATCH routes with a sample body to targets.<name>.private_routes, a sign-up to public_writes, or PATCH to objects[].methods{reason}."
        )
    planned = len(subjects) * PER_ROUTE
    if planned > ctx.http.max_requests:
        return Outcome.errored(
            f"{len(subjects)} routes need up to {planned} requests, more than this check's bound of {ctx.http.max_requests}."
        )
    verdicts: dict[str, list[Finding]] = {"fail": [], "warn": [], "pass": [], "error": []}
    for subject in subjects:
        try:
            await _probe(subject, target, ctx, verdicts)
        except ProbeError as exc:
            verdicts["error"].append(Finding(subject.resource, f"{subject.resource}: {exc}"))
    failures, warnings, fine, errors = (
        verdicts["fail"],
        verdicts["warn"],
        verdicts["pass"],
        verdicts["error"],
    )
    if errors and not failures and not warnings and not fine:
        return Outcome.errored(errors[0].message, errors + notes)
    if failures:
        return Outcome.failed(
            f"{len(failures)} bad bodies got a 5xx, a stack trace, a broken connection or were applied.",
            failures + warnings + errors + notes,
        )
    if warnings:
        unjudged = f" {len(errors)} routes could not be judged." if errors else ""
        return Outcome.warned(
            f"{len(warnings)} bad bodies were accepted with 2xx, or routes fail for every input.{unjudged}",
            warnings + errors + notes,
        )
    if errors:  # no pass for every route when some could not be judged
        return Outcome.errored(
            f"{len(errors)} routes could not be judged: {errors[0].message}", errors + fine + notes
        )
    return Outcome.passed(
        f"All {len(fine)} bad bodies on {len(subjects)} routes got a 4xx or changed nothing.",
        fine + notes,
    )


async def _send(subject: Subject, ctx: CheckContext, **kwargs: Any) -> HttpResponse:
    return await ctx.http.request(
        subject.route.method, subject.path, as_user=subject.user, body_cap=64 * 1024, **kwargs
    )


async def _read(subject: Subject, ctx: CheckContext) -> Any:
    return await snapshot(subject.obj, ctx) if subject.obj is not None else None


async def _probe(
    subject: Subject, target: Target, ctx: CheckContext, out: dict[str, list[Finding]]
) -> None:
    before = await _read(subject, ctx)
    sample = (
        subject.sample
        if subject.sample is not None
        else (before if isinstance(before, dict) else {})
    )
    kind = "form" if subject.form else None
    control = await _send(subject, ctx, **body_kwargs(_fresh(sample, subject, 1), kind))
    sentence = rejected_body([control], subject.key)
    if sentence and subject.sample is not None:
        out["error"].append(
            Finding(subject.resource, f"{subject.resource}: {sentence}.", control.evidence())
        )
        return
    if control.status in (404, 405):  # then every 4xx below would be this one, not validation
        out["error"].append(
            Finding(
                subject.resource,
                f"{subject.resource} answered {control.status} to its valid sample body, so refusals of bad bodies prove nothing; check the route and its object.",
                control.evidence(),
            )
        )
        return
    privileged = privileged_fields(target, subject.user, [sample, control.json_or_none()])
    results: list[tuple[Payload, HttpResponse | str]] = []
    sent: dict[str, Any] = {}  # payload name -> the sample it was built from (fresh per probe)
    for index in range(len(payloads(sample, privileged, form=subject.form))):
        fresh = _fresh(sample, subject, index + 2)
        payload = payloads(fresh, privileged, form=subject.form)[index]
        sent[payload.name] = fresh
        try:
            response = await _send(
                subject,
                ctx,
                content=payload.content,
                headers={"Content-Type": payload.content_type},
            )
        except ProbeError as exc:
            results.append((payload, str(exc)))
            continue
        results.append((payload, response))
    statuses = [r.status for _, r in results if isinstance(r, HttpResponse)]
    if control.status >= 500 and statuses and all(s >= 500 for s in statuses):
        out["warn"].append(
            Finding(
                subject.resource,
                f"{subject.resource} answered {control.status} even to its valid sample body, and 5xx to every bad one: the route is broken for every input, so its validation cannot be judged.",
                control.evidence(),
            )
        )
        return
    for payload, response in results:
        if isinstance(
            response, str
        ):  # a connection reset on a big or deep body is a crash seen from outside
            out["fail"].append(
                Finding(
                    subject.resource,
                    f"{_sentence(payload.name)}: the connection broke instead of a 4xx: {response}",
                )
            )
            continue
        verdict, message = await _judge(
            subject, payload, response, privileged, before, ctx, sample, sent.get(payload.name)
        )
        evidence = response.evidence(headers=("content-type",), body_bytes=200) | {
            "sent": f"{subject.resource} with {payload.name} ({len(payload.content)} bytes)"
        }
        out[verdict].append(
            Finding(subject.resource, f"{_sentence(payload.name)}: {message}", evidence)
        )
    if subject.obj is not None and not subject.obj.spec.may_destroy:
        unrestored = await restore(subject.obj, before, subject.route.method, ctx)
        if unrestored is not None:
            out["fail"].append(unrestored)


async def _judge(
    subject: Subject,
    payload: Payload,
    response: HttpResponse,
    privileged: dict[str, Any],
    before: Any,
    ctx: CheckContext,
    sample: Any = None,
    fresh: Any = None,
) -> tuple[str, str]:
    traces = [d for d in find_disclosures(response) if d.kind != "version banner"]
    if response.status >= 500:
        extra = f" showing {traces[0].kind}" if traces else ""
        return "fail", f"answered {response.status}{extra}."
    if traces:
        return "fail", f"answered {response.status} showing {traces[0].kind}."
    if 400 <= response.status < 500:
        return "pass", f"answered {response.status}."
    if not 200 <= response.status < 300:
        return "warn", f"answered {response.status}; expected a 4xx."
    after = await _read(subject, ctx)
    created = ""
    if payload.mass_assignment and subject.public is not None:
        after, created = await _read_created(subject.public, fresh, ctx)
    if payload.mass_assignment:
        applied = _applied(response.json_or_none(), privileged) or _applied(after, privileged)
        if applied:
            return (
                "fail",
                f"answered {response.status} and {', '.join(applied)} took the values we sent (mass assignment{', read back' + created if created else ''}).",
            )
        shown = "read back" + created if after is not None else "in the answer"
        return "pass", f"answered {response.status}; no privileged field took our value ({shown})."
    promised = _against_schema(subject, payload, sample, after, before)
    if promised is not None:
        verdict, why = promised
        return verdict, f"answered {response.status}; {why}"
    if payload.empty and subject.route.method == "PATCH":
        return "pass", f"answered {response.status} to an empty partial update, which is correct."
    if before is not None and after == before:
        return "pass", f"answered {response.status} and changed nothing (read back)."
    return "warn", f"answered {response.status}; expected a 4xx."


def _fresh(sample: Any, subject: Subject, n: int) -> Any:
    """On a create (POST), unique-looking fields (username, email, title ...) differ per probe,
    so a probe is not refused as a duplicate of the one before it: that 4xx would prove nothing."""
    if subject.route.method != "POST" or not isinstance(sample, dict):
        return sample
    fresh = dict(sample)
    for key, value in sample.items():
        if isinstance(value, str) and _UNIQUE_KEY.search(str(key)):
            local, at, domain = value.partition("@")
            fresh[key] = f"{local}.lr{n}@{domain}" if at else f"{value}-lr{n}"
    return fresh


def _applied(reply: Any, privileged: dict[str, Any]) -> list[str]:
    """The privileged fields the reply shows with the values we sent."""
    found: list[str] = []
    for key, value in _walk(reply):
        if key in privileged and value == privileged[key] and key not in found:
            found.append(key)
    return found


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _types(schema: Any) -> set[str]:
    """The JSON types a (resolved) schema allows, through anyOf/oneOf (Optional[...]); empty
    when it says nothing about types."""
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    found = {declared} if isinstance(declared, str) else set(declared or [])
    for option in [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]:
        more = _types(option)
        if not more:
            return set()  # an untyped option allows anything
        found |= more
    return {str(t) for t in found}


def _fits(value: Any, types: set[str]) -> bool:
    if value is None:
        return "null" in types
    if isinstance(value, bool):
        return "boolean" in types
    return any(isinstance(value, _JSON_TYPES.get(t, ())) for t in types)


def _against_schema(
    subject: Subject, payload: Payload, sample: Any, after: Any, before: Any
) -> tuple[str, str] | None:
    """A 2xx judged against the route's request schema: ("fail", why) when the app accepted
    what its own schema refuses, ("pass", why) when the schema allows it, None when the schema
    says nothing about it (then the read-back decides, as without a schema)."""
    schema = subject.schema
    if schema is None or payload.mass_assignment:
        return None
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    body = sample if isinstance(sample, dict) else {}
    unchanged = before is not None and after == before
    broken: str | None = None
    allowed: str | None = None
    if payload.name == "wrong types" and not subject.form:
        typed = [
            k
            for k, v in body.items()
            if (types := _types(properties.get(k))) and not _fits(_wrong_type(v), types)
        ]
        if typed:
            said = " and ".join(
                f"{k} as {' or '.join(sorted(_types(properties[k])))}" for k in typed
            )
            broken = f"the schema types {said}, yet wrong types were accepted"
        elif not body:
            broken, allowed = _unknown_key("message", schema, properties)
    elif payload.name == "a 1 MiB string":
        key = _first_string_key(body)
        limit = (properties.get(key) or {}).get("maxLength")
        if isinstance(limit, int) and limit < ONE_MIB:
            broken = f"the schema sets maxLength {limit} on {key}, yet 1 MiB was accepted"
    elif payload.name == "a JSON array instead of an object" and _types(schema) == {"object"}:
        broken = "the schema declares an object, yet an array was accepted"
    elif payload.empty and not subject.form:
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        if required:
            broken = f"the schema requires {', '.join(required)}, yet an empty body was accepted"
        elif isinstance(schema.get("properties"), dict):
            allowed = "the schema requires no field, so an empty body is valid"
    elif payload.name.endswith("deep nesting") and not subject.form:
        broken, allowed = _unknown_key("a", schema, properties)
        allowed = None  # depth is a resource question the schema does not answer
    if broken and unchanged:
        return "pass", f"{broken}, but it changed nothing (read back)"
    if broken:
        return "fail", f"{broken} (the schema from openapi:)."
    if allowed:
        return "pass", f"{allowed} (the schema from openapi:)."
    return None


def _unknown_key(
    key: str, schema: dict[str, Any], properties: dict[str, Any]
) -> tuple[str | None, str | None]:
    """(broken, allowed) for a body whose only key is one the schema does not list."""
    if key in properties or not properties:
        return None, None
    if schema.get("additionalProperties") is False:
        return (
            f"the schema forbids keys it does not list (additionalProperties: false), yet {key!r} was accepted",
            None,
        )
    return None, f"{key!r} is not in the schema, which does not forbid unknown keys"


async def _read_created(public: PublicWrite, sent: Any, ctx: CheckContext) -> tuple[Any, str]:
    """What the account a public write created shows of itself: log in as it (the login
    body's ``"{field}"`` values are what was sent) and read ``read``. (None, "") when the
    entry has no login/read or the login gives no token."""
    if public.login is None or public.read is None or not isinstance(sent, dict):
        return None, ""
    login = public.login
    body = {
        k: (
            sent.get(v[1:-1], v)
            if isinstance(v, str) and v.startswith("{") and v.endswith("}")
            else v
        )
        for k, v in login.body.items()
    }
    answer = await ctx.http.request(
        login.route.method, login.route.path, **body_kwargs(body, login.content_type)
    )
    try:
        token = find_token(answer.json_or_none(), login.token)
    except ValueError:
        token = None
    if not token:
        return None, ""
    headers, query = ctx.target.auth.carry(token)
    path = public.read.path + (f"?{query}" if query else "")
    reply = await ctx.http.request(public.read.method, path, headers=headers)
    if not 200 <= reply.status < 300:
        return None, ""
    return reply.json_or_none(), f" at {public.read} as the account it created"


def _sentence(text: str) -> str:
    """``text`` with a capital first letter and the rest as written ("A 1 MiB string", not "mib")."""
    return text[:1].upper() + text[1:]
