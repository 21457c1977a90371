"""What a check may touch: a scoped HTTP client, a DNS resolver, the repository root, a clock.

The HTTP client reaches only the target's own hosts (redirects are followed by hand so every
hop's host is checked), caps every body it reads, bounds requests in flight, and counts
requests per check and per run. A check that goes past its documented request bound gets a
:class:`ProbeError`, which the runner reports as ``error``.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json as _json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
import httpx

from checks.owned import ObjectResolver, ResolvedObject
from checks.sessions import Sessions
from checks.target import Target

__all__ = [
    "USER_AGENT",
    "CheckContext",
    "CheckHttp",
    "DnsClient",
    "HttpResponse",
    "ProbeError",
    "RunResources",
    "ScopedHttp",
]

USER_AGENT = "LaunchReady/0.1 (+readiness checks; https://github.com/launchready)"
DEFAULT_BODY_CAP = 1024 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Headers remembered from every response of the run (each distinct value with the first request
# that showed it), so a check can judge what the whole run saw: version banners on a 200
# health route count as much as on an error page (obs.error_disclosure).
REMEMBERED_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-runtime", "x-runtime-version", "x-generator")
MAX_REMEMBERED = 50
_BROKEN = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class ProbeError(Exception):
    """A probe could not be made or answered; the message is a sentence for the report."""


@dataclass(frozen=True)
class HttpResponse:
    """A response read through the scoped client: the body is capped and already read."""

    method: str
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool
    elapsed_ms: float
    redirects: tuple[tuple[int, str], ...] = ()  # (status, url) of each hop followed

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, or a :class:`ProbeError` that says what came back instead."""
        try:
            return _json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            kind = self.headers.get("content-type", "unknown content type")
            raise ProbeError(
                f"{self.method} {self.url} answered {self.status} with a body that is not JSON "
                f"({kind}): {self.excerpt(80)!r}"
            ) from exc

    def json_or_none(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON (for callers to whom a
        non-JSON answer is simply no data, not an error to report)."""
        try:
            return _json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def excerpt(self, limit: int = 200) -> str:
        text = self.text
        return text if len(text) <= limit else text[:limit] + "…"

    def evidence(self, *, headers: tuple[str, ...] = (), body_bytes: int = 200) -> dict[str, Any]:
        """Status, the named headers and the first bytes of the body, for a finding.

        Callers redact secrets they know of before putting this in a report.
        """
        data: dict[str, Any] = {"request": f"{self.method} {self.url}", "status": self.status}
        shown = {h: self.headers[h] for h in headers if h in self.headers}
        if shown:
            data["headers"] = shown
        if self.body:
            data["body"] = self.excerpt(body_bytes)
        return data


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Never keep a cookie: a session picked up by one probe must not ride along on another
    check's "no credentials" request. Checks that need a cookie send it explicitly."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


class ScopedHttp:
    """One per run: the httpx client, the host allowlist, the run-wide budget."""

    def __init__(
        self,
        target: Target,
        *,
        root: Path,
        max_in_flight: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.target = target
        self.allowed_hosts = target.hosts
        self.max_requests = target.max_requests
        self.requests = 0
        self.refused: list[str] = []
        self._in_flight = asyncio.Semaphore(max_in_flight)
        verify: ssl.SSLContext | bool = True
        if target.ca_file:
            verify = ssl.create_default_context(cafile=str(target.resolve_path(target.ca_file, root)))
        self.verify = verify
        timeout = target.request_timeout.total_seconds()
        self.client = _client(verify, timeout, transport, httpx.Limits(max_connections=max_in_flight * 2, max_keepalive_connections=max_in_flight))
        # A connection per request, closed after it: for probes meant to upset the app, and for
        # the one retry of a request whose pooled connection broke (see _one).
        self.fresh_client = _client(verify, timeout, transport, httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=0))
        self.timeout = timeout
        self.remembered: dict[tuple[str, str], str] = {}  # (header, value) -> "GET url (200)"
        # Users who log in get their credentials here, through this client and its budget.
        self.sessions = Sessions(target, self.send, clock)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.fresh_client.aclose()

    def absolute(self, url_or_path: str) -> str:
        if url_or_path.startswith(("http://", "https://")):
            return url_or_path
        return self.target.url(url_or_path if url_or_path.startswith("/") else "/" + url_or_path)

    def ensure_allowed(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self.allowed_hosts:
            self.refused.append(url)
            allowed = ", ".join(sorted(self.allowed_hosts))
            raise ProbeError(f"Refused to contact {host or url}: it is not one of the target's hosts ({allowed}).")

    async def send(
        self,
        method: str,
        url: str,
        *,
        count: Callable[[], None],
        headers: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        json: Any = None,
        files: Any = None,
        form: Mapping[str, str] | None = None,
        follow_redirects: bool | None = False,
        body_cap: int = DEFAULT_BODY_CAP,
        timeout: float | None = None,
        fresh: bool = False,
    ) -> HttpResponse:
        """``follow_redirects``: True follows any hop to the target's hosts, None only hops that
        stay on the same origin (a framework's trailing-slash redirect), False none."""
        method = method.upper()
        url = self.absolute(url)
        redirects: list[tuple[int, str]] = []
        deadline = timeout or self.timeout
        while True:
            self.ensure_allowed(url)
            if self.requests >= self.max_requests:
                raise ProbeError(f"The run's request budget of {self.max_requests} is spent (targets.*.max_requests).")
            count()
            self.requests += 1
            response = await self._one(method, url, headers, content, json, files, form, body_cap, deadline, fresh)
            self._remember(response)
            location = response.headers.get("location")
            if follow_redirects is False or not (location and response.status in REDIRECT_STATUSES):
                return replace(response, redirects=tuple(redirects))
            if follow_redirects is None and not _same_origin(url, urljoin(url, location)):
                return replace(response, redirects=tuple(redirects))
            if len(redirects) >= MAX_REDIRECTS:
                raise ProbeError(f"{method} {redirects[0][1]} redirected more than {MAX_REDIRECTS} times (last: {url}).")
            redirects.append((response.status, url))
            url = urljoin(url, location)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, content, json, files, form = "GET", None, None, None, None

    def _remember(self, response: HttpResponse) -> None:
        for name in REMEMBERED_HEADERS:
            value = response.headers.get(name)
            key = (name, value or "")
            if value and key not in self.remembered and len(self.remembered) < MAX_REMEMBERED:
                self.remembered[key] = f"{response.method} {response.url} ({response.status})"

    async def _one(self, method, url, headers, content, json, files, form, body_cap, deadline, fresh) -> HttpResponse:
        """One request; a pooled connection that breaks is retried once on a fresh one, so the
        failure is blamed on the request that caused it (a server that closes keep-alive after
        a 500 breaks the *next* request on that connection), not on an innocent probe."""
        if fresh:
            headers = {**(headers or {}), "Connection": "close"}
        try:
            return await self._attempt(self.fresh_client if fresh else self.client, method, url, headers, content, json, files, form, body_cap, deadline)
        except _BROKEN as exc:
            if fresh:
                raise ProbeError(f"{method} {url} broke the connection: {_reason(exc)}.") from exc
            self.requests += 1  # the retry is a real request to the target
        try:
            return await self._attempt(self.fresh_client, method, url, {**(headers or {}), "Connection": "close"}, content, json, files, form, body_cap, deadline)
        except _BROKEN as exc:
            raise ProbeError(f"{method} {url} broke the connection, also when retried on a fresh one: {_reason(exc)}.") from exc

    async def _attempt(self, client, method, url, headers, content, json, files, form, body_cap, deadline) -> HttpResponse:
        async with self._in_flight:
            # Timed after the in-flight gate: elapsed_ms measures the target, not our queue.
            started = time.perf_counter()
            try:
                async with asyncio.timeout(deadline):
                    request = client.build_request(method, url, headers=headers, content=content, json=json, files=files, data=form)
                    response = await client.send(request, stream=True)
                    try:
                        chunks: list[bytes] = []
                        size = 0
                        truncated = False
                        async for chunk in response.aiter_bytes():
                            chunks.append(chunk)
                            size += len(chunk)
                            if size > body_cap:
                                truncated = True
                                break
                    finally:
                        await response.aclose()
            except TimeoutError as exc:
                raise ProbeError(f"{method} {url} did not answer within {deadline:g}s.") from exc
            except httpx.TimeoutException as exc:
                raise ProbeError(f"{method} {url} timed out after {deadline:g}s.") from exc
            except httpx.ConnectError as exc:
                raise ProbeError(f"{method} {url} could not connect: {_reason(exc)}.") from exc
            except httpx.DecodingError as exc:
                raise ProbeError(f"{method} {url} sent a body that could not be decoded: {_reason(exc)}.") from exc
            except _BROKEN:
                raise  # _one retries it once on a fresh connection
            except httpx.HTTPError as exc:
                raise ProbeError(f"{method} {url} failed: {_reason(exc)}.") from exc
        body = b"".join(chunks)[:body_cap]
        return HttpResponse(
            method=method,
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=body,
            truncated=truncated,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )


def _client(verify: ssl.SSLContext | bool, timeout: float, transport: httpx.AsyncBaseTransport | None, limits: httpx.Limits) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        verify=verify,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
        transport=transport,
        limits=limits,
    )


def _same_origin(a: str, b: str) -> bool:
    one, two = urlsplit(a), urlsplit(b)
    return (one.scheme, (one.hostname or "").lower(), one.port) == (two.scheme, (two.hostname or "").lower(), two.port)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc.__cause__ or exc.__context__, ssl.SSLError) and not text:
        text = str(exc.__cause__ or exc.__context__)
    return text or type(exc).__name__


@dataclass
class CheckHttp:
    """A check's view of the run's client: its own request counter and bound."""

    scoped: ScopedHttp
    check_id: str
    max_requests: int
    requests: int = 0

    def _count(self) -> None:
        if self.requests >= self.max_requests:
            raise ProbeError(f"{self.check_id} reached its bound of {self.max_requests} requests.")
        self.requests += 1

    async def request(
        self,
        method: str,
        url_or_path: str,
        *,
        as_user: str | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        json: Any = None,
        files: Any = None,
        form: Mapping[str, str] | None = None,
        follow_redirects: bool | None = None,
        body_cap: int = DEFAULT_BODY_CAP,
        timeout: float | None = None,
        fresh: bool = False,
    ) -> HttpResponse:
        """Send one request to the target; ``as_user`` adds that user's credentials (logging
        the user in first, and again once if a credential that worked gets a 401).

        By default same-origin redirects are followed (at most 5) before the caller judges a
        status: a 307 to ``/items/`` is the route answering, not a refusal. ``fresh`` sends a
        destructive or malformed probe on a connection of its own, so a server that drops the
        connection after it cannot break the next probe."""
        sessions = self.scoped.sessions
        for attempt in (1, 2):
            credential = await sessions.credential(as_user, self._count) if as_user else None
            merged, url = sessions.apply(as_user, credential, url_or_path)
            merged.update(headers or {})
            response = await self.scoped.send(
                method,
                url,
                count=self._count,
                headers=merged,
                content=content,
                json=json,
                files=files,
                form=form,
                follow_redirects=follow_redirects,
                body_cap=body_cap,
                timeout=timeout,
                fresh=fresh,
            )
            renew = sessions.should_renew(as_user, credential, response, method, url_or_path)
            if attempt == 2 or not renew:
                if attempt == 2 and response.status == 401:
                    sessions.refuses_fresh(as_user or "", method, url_or_path)
                return response
            assert as_user is not None and credential is not None
            await sessions.renew(as_user, credential, self._count)
        return response

    async def get(self, url_or_path: str, **kwargs: Any) -> HttpResponse:
        return await self.request("GET", url_or_path, **kwargs)


class DnsClient:
    """A resolver on the target's nameservers (or the system's), counting its queries."""

    def __init__(self, nameservers: list[str], *, timeout: float = 5.0) -> None:
        self.queries = 0
        self.nameservers = nameservers
        if nameservers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [_nameserver(ns) for ns in nameservers]
        else:
            resolver = dns.asyncresolver.Resolver()
        resolver.lifetime = timeout
        resolver.timeout = timeout
        self.resolver = resolver

    async def resolve(self, name: str, rdtype: str) -> list[Any]:
        """The answer's records, ``[]`` for NXDOMAIN or no answer; :class:`ProbeError` when
        no nameserver answers."""
        self.queries += 1
        try:
            answer = await self.resolver.resolve(name, rdtype, raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.LifetimeTimeout) as exc:
            servers = ", ".join(self.nameservers) or "the system resolver"
            raise ProbeError(f"DNS lookup of {name} {rdtype} failed at {servers}: {exc}") from exc
        return list(answer) if answer.rrset is not None else []

    async def txt(self, name: str) -> list[str]:
        """TXT records as strings, the 255-byte pieces of each joined."""
        records = await self.resolve(name, "TXT")
        return [b"".join(r.strings).decode("utf-8", errors="replace") for r in records]


def _nameserver(value: str) -> dns.nameserver.Do53Nameserver:
    host, port = value, 53
    if value.count(":") == 1:
        host, _, text = value.partition(":")
        port = int(text)
    return dns.nameserver.Do53Nameserver(host, port=port)


@dataclass
class RunResources:
    """What the checks of one run share."""

    target: Target
    target_name: str
    root: Path
    http: ScopedHttp
    dns: DnsClient
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    started_at: datetime | None = None  # when the run began (wall time)
    # Owned objects found or created once per run and shared by the checks that probe them.
    objects: ObjectResolver = field(default_factory=ObjectResolver)

    @classmethod
    def open(
        cls,
        target: Target,
        *,
        target_name: str,
        root: Path,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> RunResources:
        clock = clock or (lambda: datetime.now(UTC))
        return cls(
            target=target,
            target_name=target_name,
            root=root,
            http=ScopedHttp(target, root=root, transport=transport, clock=clock),
            dns=DnsClient(target.nameservers),
            clock=clock,
            started_at=datetime.now(UTC),  # wall time: compared with file times (secrets.logs)
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def log_in(self, target: Target) -> None:
        """Every user with ``login:`` signs in at the start of the run (the run's requests, not
        a check's). A failure is kept and reported by each check that acts as that user."""
        users = [name for name, user in target.users.items() if user.login is not None]
        http = CheckHttp(self.http, "logins", len(users))
        for name in users:
            try:
                await self.http.sessions.credential(name, http._count)
            except ProbeError:
                continue

    async def resolve_objects(self, target: Target) -> Target:
        """The target with the ids of discovered and created objects filled in, found once at
        the start of the run so every check sees them. An object that cannot be found keeps
        no id; ``auth.tenant_isolation`` reports why (the resolver keeps the error)."""
        pending = [i for i, o in enumerate(target.objects) if o.id is None and not o.body_addressed]
        if not pending:
            return target
        logins = 2 * sum(1 for u in target.users.values() if u.login is not None)
        http = CheckHttp(self.http, "objects", len(pending) + logins)
        objects = list(target.objects)
        for index in pending:
            try:
                resolved = await self.objects.resolve(index, target.objects[index], http, safe=target.is_safe)
            except Exception:  # kept by the resolver; the checks that probe objects report it
                continue
            objects[index] = objects[index].model_copy(update={"id": resolved.id})
        return target.model_copy(update={"objects": objects})


@dataclass
class CheckContext:
    """Everything one check touches. Built by the runner; checks never build their own."""

    target: Target
    target_name: str
    root: Path  # the directory app.yaml lives in: relative paths resolve against it
    http: CheckHttp
    dns: DnsClient
    resources: RunResources
    # Plain data the caller hands to checks that judge more than the target itself (e.g.
    # monitor state for obs.monitoring_live). Keys are documented by the checks that read them.
    facts: Mapping[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.resources.clock()

    async def owned_object(self, index: int) -> ResolvedObject:
        """``target.objects[index]`` with its id (named, discovered or created as its owner)."""
        return await self.resources.objects.resolve(index, self.target.objects[index], self.http, safe=self.target.is_safe)

    def path(self, value: Path | str) -> Path:
        return self.target.resolve_path(value, self.root)

    def ensure_host(self, host: str) -> None:
        """For checks that open their own sockets (TLS): the host must be the target's."""
        if host.lower() not in self.target.hosts:
            raise ProbeError(f"Refused to contact {host}: it is not one of the target's hosts.")

    @property
    def ssl_verify(self) -> ssl.SSLContext | bool:
        return self.resources.http.verify
