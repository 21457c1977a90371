"""auth.private_routes: every private route turns away requests without valid credentials.

Each route gets three probes: no credentials at all, a malformed credential (garbage after
the scheme) and a well-formed credential the app never issued (a JWT with its signature
flipped, or a random token shaped like the configured ones), sent where ``auth.in`` says (a
header, a query parameter or a cookie). Each must get 401 or 403.

A 2xx is a leak only when it carries what an admitted user sees: many apps refuse with a 200
and an error inside, so a read that answers 2xx is compared with an admitted user's view (the
comparison auth.role_boundaries makes).

A write to one object (PUT, PATCH, DELETE or POST to a path with ``{id}``) never goes to an
object another check needs: it goes to an object this check makes for itself when the
``objects`` entry has ``create:``, else to an id that does not exist. On a missing id a 404
proves the credential got past the guard only when the no-credential probe on the same path
was refused (the app authenticates before it looks the object up); when even that gets 404 the
route is not judged and the note names the key to set.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.auth.tenant_isolation import is_leak
from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.owned import ObjectResolver
from checks.redact import redact
from checks.rejection import rejected_body, validation_reason
from checks.target import PrivateRoute, Target, body_kwargs

__all__ = ["CHECK", "MAX_ROUTES", "bad_token", "malformed_credential"]

PROBES_PER_ROUTE = 3
MAX_ROUTES = 50
REJECTED = (401, 403)
NOT_FOUND = (404, 405)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_VENDOR_PREFIX = re.compile(r"^(?:[A-Za-z]{1,10}[_-]){1,3}")
_GARBAGE = "%%not-a-token%%"  # no token parser accepts it
_LOGIN_WORDS = ("login", "signin", "sign-in", "sign_in", "auth")


@dataclass(frozen=True)
class Probe:
    name: str  # "no token", "malformed token", "unknown token"
    headers: dict[str, str]
    shown: str  # what the finding says was sent (never a whole real token)
    fresh: bool = False  # malformed: sent on a connection of its own
    query: str = ""  # auth.in: query puts the credential in the URL


def malformed_credential(target: Target) -> str:
    """The configured scheme followed by something no token parser accepts (in a query
    parameter or a cookie the scheme is left out, as the run sends real tokens there)."""
    in_header = target.auth.location == "header"
    return target.auth.header_value(_GARBAGE) if in_header else _GARBAGE


def _carried(target: Target, name: str, value: str, shown: str, *, fresh: bool = False) -> Probe:
    """A probe carrying ``value`` where the app reads credentials (``auth.in``)."""
    auth = target.auth
    headers, query = auth.carry(value)
    where = {"query": f"query {auth.header}={shown}", "cookie": f"cookie {auth.header}={shown}"}
    return Probe(
        name,
        headers,
        where.get(auth.location, f"{auth.header}: {auth.header_value(shown)}"),
        fresh,
        query,
    )


def bad_token(target: Target, model_user: str | None = None) -> str:
    """A token that looks like ``model_user``'s (default: the first user's) but that the app
    never issued."""
    tokens = [t for t in (target.token(name) for name in target.users) if t]
    if not tokens:
        return "lr_" + secrets.token_urlsafe(24)
    model = target.token(model_user) if model_user and target.token(model_user) else tokens[0]
    parts = model.split(".")
    if len(parts) == 3 and all(parts):  # a JWT: keep header and claims, break the signature
        signature = parts[2]
        flipped = "".join(_other_char(c) for c in signature)
        candidate = ".".join([parts[0], parts[1], flipped])
    else:
        candidate = _same_shape(model)
    while candidate in tokens:  # vanishingly unlikely, but a real token would be a false pass
        candidate = _same_shape(model)
    return candidate


def _other_char(char: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return alphabet[(alphabet.index(char) + 7) % len(alphabet)] if char in alphabet else char


def _same_shape(token: str) -> str:
    """Keep a short vendor prefix (``sk_live_``, ``demo_``), randomise the rest per class."""
    vendor = _VENDOR_PREFIX.match(token)
    cut = vendor.end() if vendor and vendor.end() < len(token) else 0
    prefix, rest = token[:cut], token[cut:]
    if rest and all(c in "0123456789abcdef" for c in rest):  # hex stays hex
        return prefix + secrets.token_hex(len(rest) // 2 + 1)[: len(rest)]
    out = []
    for char in rest:
        if char.isdigit():
            out.append(secrets.choice(string.digits))
        elif char.islower():
            out.append(secrets.choice(string.ascii_lowercase))
        elif char.isupper():
            out.append(secrets.choice(string.ascii_uppercase))
        else:
            out.append(char)
    return prefix + "".join(out)


def _models(target: Target, route: PrivateRoute) -> list[str | None]:
    """One user of each role the route admits (the first by name), so a forged token carries
    every role's claims and the order of ``users:`` changes nothing."""
    roles = sorted(route.roles or {u.role for u in target.users.values()})
    models = [
        next((n for n in sorted(target.users) if target.users[n].role == role), None)
        for role in roles
    ]
    return [m for m in models if m is not None] or [None]


def _probes(target: Target, route: PrivateRoute) -> list[Probe]:
    # carry() adds the scheme in a header: the garbage alone goes in, "Bearer %%not-a-token%%" out
    probes = [
        Probe("no token", {}, "no credentials"),
        _carried(target, "malformed token", _GARBAGE, _GARBAGE, fresh=True),
    ]
    models = _models(target, route)
    for model in models:
        token = bad_token(target, model)
        shape = (
            f" (shaped like {model}'s, role {target.users[model].role})"
            if len(models) > 1 and model
            else ""
        )
        probe = _carried(target, "unknown token", token, redact(token))
        probes.append(
            Probe(probe.name, probe.headers, f"{probe.shown}{shape}", probe.fresh, probe.query)
        )
    return probes


def writes_object(route: PrivateRoute) -> bool:
    """A write aimed at one object (its id in the path): it may change or delete it."""
    return route.route.method in WRITE_METHODS and bool(route.route.placeholders)


def missing_id(target: Target, route: PrivateRoute) -> str:
    """An id shaped like the object's (digits stay digits) that no object has."""
    obj = target.object_for(route.route)
    known = obj.id if obj and obj.id is not None else "1"
    if known.isdigit():
        return str(900_000_000 + secrets.randbelow(99_999_999))
    if re.fullmatch(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", known):
        return "00000000-0000-4000-8000-" + secrets.token_hex(6)
    return "lr-missing-" + secrets.token_hex(6)


async def _path(private: PrivateRoute, target: Target, ctx: CheckContext) -> tuple[str | None, str]:
    """Where the probes go, and how the path was filled ("" for a read, or a sentence why not)."""
    route = private.route
    if not writes_object(private):
        path = target.fill(route)
        why = f"Not probed: no objects entry gives its placeholders a value (add one to targets.{ctx.target_name}.objects with route: {route})."
        return path, "" if path is not None else why
    index = target.object_index(route)
    spec = None if index is None else target.objects[index]
    if spec is not None and spec.create is not None:
        # A fresh object of this check's own: the one other checks share stays untouched. The
        # run has already put the shared object's id into spec.id (RunResources.resolve_objects),
        # so clear it, or the resolver would hand back that shared object as "configured".
        own = spec.model_copy(update={"id": None})
        try:
            obj = await ObjectResolver().resolve(0, own, ctx.http, safe=target.is_safe)
        except ProbeError as exc:
            return None, f"Not probed: {exc}"
        return obj.path_for(route), "own"
    return route.fill(missing_id(target, private)), "missing"


_ERROR_KEYS = {
    "error",
    "errors",
    "detail",
    "message",
    "msg",
    "status",
    "code",
    "success",
    "ok",
    "statuscode",
}
_REFUSAL_WORDS = re.compile(
    r"unauthori[sz]ed|forbidden|denied|not allowed|permission|token|login|credential|authenticat|missing|invalid|not admin",
    re.I,
)


def _error_body(response: HttpResponse) -> bool:
    """The body is an error message: a JSON object of error keys only ({error: ...},
    {detail: ...}) or text that speaks of credentials and refusal."""
    try:
        data = response.json()
    except ProbeError:
        return bool(_REFUSAL_WORDS.search(response.text[:500]))
    if isinstance(data, dict) and data:
        keys = {str(k).lower() for k in data}
        return keys <= _ERROR_KEYS and bool(keys & {"error", "errors", "detail", "message", "msg"})
    return isinstance(data, str) and bool(_REFUSAL_WORDS.search(data))


class _Control:
    """An admitted user's answer on the same path, read once and only when a probe got a 2xx:
    what a leak would carry."""

    def __init__(self, private: PrivateRoute, target: Target) -> None:
        admitted = sorted(
            n for n, u in target.users.items() if not private.roles or u.role in private.roles
        )
        self.user = admitted[0] if admitted else None
        self.method = private.route.method
        self._seen: HttpResponse | None = None
        self._asked = False

    async def view(self, ctx: CheckContext, path: str) -> HttpResponse | None:
        """The admitted user's 2xx answer, or None (a write, nobody admitted, or refused too)."""
        if self.method not in ("GET", "HEAD") or self.user is None:
            return None
        if not self._asked:
            self._asked = True
            try:
                answer = await ctx.http.request(self.method, path, as_user=self.user)
            except ProbeError:
                return None
            self._seen = answer if 200 <= answer.status < 300 else None
        return self._seen


def _is_login_redirect(response: HttpResponse) -> bool:
    """Sent to a login page: a redirect to one (another origin, not followed), or a same-origin
    redirect that was followed and landed on one."""
    location = response.headers.get("location", "").lower()
    if 300 <= response.status < 400 and any(word in location for word in _LOGIN_WORDS):
        return True
    if not response.redirects:
        return False
    # The login words must come from the redirect, not from the route itself (/api/auth/me/).
    asked, landed = (urlsplit(u).path.lower() for u in (response.redirects[0][1], response.url))
    return any(word in landed and word not in asked for word in _LOGIN_WORDS)


@check(
    id="auth.private_routes",
    title="Private routes reject missing and bad credentials",
    severity=Severity.CRITICAL,
    passes_when="Every private route answers 401 or 403 to no token, a malformed token and a well-formed token the app never issued.",
    why="One route that forgot its auth guard hands every stranger the data behind it; bad-token handling is where guards most often fall open.",
    breaks="Anyone can read conversations, user lists or admin data without an account, or with any made-up token.",
    remediation="Put authentication in one middleware that every private route goes through, reject unknown and malformed tokens with 401, and keep a test per route.",
    # a forged token per admitted role (up to 4 roles a route), an admitted user's read, a create
    max_requests=(PROBES_PER_ROUTE + 5) * MAX_ROUTES,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if not target.private_routes:
        return Outcome.skipped(
            f"No private route is configured: set targets.{ctx.target_name}.private_routes (e.g. [GET /api/me])."
        )
    leaks: list[Finding] = []
    notes: list[Finding] = []
    not_found: list[Finding] = []
    unreachable: list[Finding] = []
    checked = 0
    for index, private in enumerate(target.private_routes):
        route = private.route
        if index >= MAX_ROUTES:
            notes.append(
                Finding(
                    str(route),
                    f"Not probed: only the first {MAX_ROUTES} private routes are checked per run.",
                )
            )
            continue
        if target.is_safe and route.method in WRITE_METHODS:
            notes.append(
                Finding(
                    str(route),
                    f"Not probed: {route.method} is a write and the target is marked safe/production.",
                )
            )
            continue
        path, how = await _path(private, target, ctx)
        if path is None:
            notes.append(Finding(str(route), how))
            continue
        checked += 1
        probes = _probes(target, private)
        statuses: dict[str, int] = {}
        answers: list[HttpResponse] = []
        refused: list[Finding] = []
        control = _Control(private, target)
        body = private.body if private.body is not None else ({} if route.has_body else None)
        for probe in probes:
            url = f"{path}{'&' if '?' in path else '?'}{probe.query}" if probe.query else path
            try:
                response = await ctx.http.request(
                    route.method,
                    url,
                    headers=probe.headers,
                    fresh=probe.fresh,
                    **body_kwargs(body, private.content_type),
                )
            except ProbeError as exc:
                unreachable.append(Finding(str(route), f"{probe.name}: {exc}"))
                break
            statuses[
                probe.name if probe.name not in statuses else f"{probe.name} {len(statuses) - 1}"
            ] = response.status
            answers.append(response)
            if response.status in REJECTED or _is_login_redirect(response):
                continue
            guarded = statuses["no token"] in REJECTED
            if response.status == 404 and how and guarded:
                # The object is missing (or this check's own): no credentials got 401/403 on
                # this path, so a 404 means the credential got past the guard to the lookup.
                evidence = {
                    "route": str(route),
                    "credential": probe.name,
                    "sent": probe.shown,
                    **response.evidence(body_bytes=120),
                }
                leaks.append(
                    Finding(
                        str(route),
                        f"With {probe.shown}, {route.method} {path} got past the guard: it answered 404 (object not found) where no credentials get {statuses['no token']}.",
                        evidence,
                    )
                )
                continue
            if response.status in NOT_FOUND or validation_reason(response):
                continue  # judged below: a missing route, or a body the app refuses as a whole
            if response.status == 429:
                unreachable.append(
                    Finding(
                        str(route),
                        f"With {probe.shown}, {route.method} {path} answered 429 (rate limited), so the guard could not be judged.",
                        response.evidence(),
                    )
                )
                continue
            evidence = {
                "route": str(route),
                "credential": probe.name,
                "sent": probe.shown,
                **response.evidence(body_bytes=120),
            }
            # Read an admitted user's view only for a 2xx that looks like an error message.
            seen = (
                await control.view(ctx, path)
                if 200 <= response.status < 300 and _error_body(response)
                else None
            )
            if seen is not None and not is_leak(seen, response)[0]:
                # Refused with a 200 and an error inside: not the view an admitted user gets.
                refused.append(
                    Finding(
                        str(route),
                        f"With {probe.shown}, {route.method} {path} answered {response.status} but not the view {control.user} gets (an error inside a 2xx).",
                        evidence,
                    )
                )
                continue
            leaked = (
                "answered" if 200 <= response.status < 300 else "did not reject it: it answered"
            )
            leaks.append(
                Finding(
                    str(route),
                    f"JWT signature not verified: with {probe.shown} (its signature altered), {route.method} {path} {leaked} {response.status} (expected 401 or 403)."
                    if probe.name == "unknown token"
                    and all(
                        str(v).rpartition(" ")[2].count(".") == 2
                        for v in [*probe.headers.values(), probe.query]
                        if v
                    )
                    else f"With {probe.shown}, {route.method} {path} {leaked} {response.status} (expected 401 or 403).",
                    evidence,
                )
            )
        notes += refused
        if (
            how == "missing"
            and statuses.get("no token") == 404
            and not any(f.resource == str(route) for f in leaks)
        ):
            checked -= 1
            index = target.object_index(route)
            key = (
                f"targets.{ctx.target_name}.objects[{index}].create"
                if index is not None
                else f"an objects entry with route: GET {route.path} and create: (POST ...) in targets.{ctx.target_name}.objects"
            )
            notes.append(
                Finding(
                    str(route),
                    f"Not judged: {route.method} is a write, so it went to an id that does not exist ({path}), and even without credentials the app answers 404 there; set {key} so the run makes an object for this check.",
                )
            )
            continue
        rejected = (
            rejected_body(answers, f"private_routes[{index}].body")
            if len(answers) == len(probes)
            else None
        )
        if rejected:
            unreachable.append(
                Finding(
                    str(route),
                    f"{route.method} {path} could not be judged: {rejected}.",
                    {"statuses": statuses},
                )
            )
        elif any(validation_reason(r) for r in answers):
            shown = ", ".join(f"{name}: {status}" for name, status in statuses.items())
            notes.append(
                Finding(
                    str(route),
                    f"Some probes of {route.method} {path} got a validation error rather than 401/403 ({shown}): the guard runs after input parsing.",
                )
            )
        if len(statuses) == len(probes) and all(s in NOT_FOUND for s in statuses.values()):
            seen = ", ".join(f"{name}: {status}" for name, status in statuses.items())
            not_found.append(
                Finding(
                    str(route),
                    f"{route.method} {path} answered {seen}: the route is not found, check the config.",
                    {"statuses": statuses},
                )
            )

    leaking_routes = sorted({f.resource for f in leaks})
    if leaks:
        return Outcome.failed(
            f"{len(leaking_routes)} of {checked} private routes do not reject missing or bad credentials with 401/403: {', '.join(leaking_routes)}.",
            leaks + not_found + unreachable + notes,
        )
    if unreachable:
        return Outcome.errored(
            f"{len(unreachable)} private-route probes could not be judged: {unreachable[0].message}",
            unreachable + not_found + notes,
        )
    if not_found:
        return Outcome.warned(
            f"{len(not_found)} of {checked} private routes were not found (404/405 to every probe); check targets.{ctx.target_name}.private_routes.",
            not_found + notes,
        )
    if checked == 0:
        return Outcome.skipped("No private route could be probed: " + notes[0].message)
    return Outcome.passed(
        f"All {checked} private routes answer 401/403 to no token, a malformed token and an unknown token.",
        notes,
    )
