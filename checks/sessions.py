"""Signed-in users: each configured user's credential, obtained by logging in when needed.

A user with a static ``token`` needs nothing here. A user with ``login:`` signs in through the
scoped client (so the login route must be on the target's hosts, and every login counts
toward the run's budget) at the start of the run (``RunResources.log_in``), or the first time
a check acts as that user, and again, counted toward the check that needs it, when the
credential expires: the JWT's ``exp`` (or the answer's ``expires_in``, or the
configured ``expires_in``) has passed, or the app answers 401 to a credential it accepted
before. A session cookie is kept per user and sent only with that user's requests.

Every token and cookie obtained is a secret: :meth:`Sessions.secret_values` hands them to the
runner, which scrubs them from evidence like the configured ones.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jsonpath_ng import parse as parse_jsonpath
from jsonpath_ng.exceptions import JsonPathParserError

from checks.target import Login, Target, body_kwargs

if TYPE_CHECKING:
    from checks.context import HttpResponse

__all__ = ["Credential", "Sessions", "find_token", "jwt_expiry"]

# Where login answers usually put the token, looked for when no JSONPath is configured.
TOKEN_KEYS = (
    "access_token",
    "accessToken",
    "token",
    "jwt",
    "id_token",
    "idToken",
    "auth_token",
    "authToken",
    "key",
)
RENEW_MARGIN = timedelta(seconds=10)  # log in again this long before the credential expires


def _probe_error() -> type[Exception]:
    from checks.context import ProbeError  # context imports this module: import it late

    return ProbeError


@dataclass
class Credential:
    """What one login returned: a token or session cookies, and when it stops working."""

    token: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None
    accepted: bool = False  # the app answered something other than 401 to it at least once


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT (unverified: we only need to know when to log in again)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            return datetime.fromtimestamp(exp, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def find_token(data: Any, path: str | None) -> str | None:
    """The token at the JSONPath, or the first value under a usual key (breadth first)."""
    if path:
        try:
            matches = parse_jsonpath(path).find(data)
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises plain Exceptions too
            raise ValueError(f'"{path}" is not a JSONPath ({exc})') from None
        values = [m.value for m in matches if isinstance(m.value, str) and m.value]
        return values[0] if values else None
    level = [data]
    for _ in range(4):
        nested: list[Any] = []
        for item in level:
            if not isinstance(item, dict):
                continue
            for key in TOKEN_KEYS:
                value = item.get(key)
                if isinstance(value, str) and len(value) >= 8:
                    return value
            nested += [v for v in item.values() if isinstance(v, dict)]
        level = nested
    return None


def _set_cookies(response: HttpResponse) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        cookies.update({name: morsel.value for name, morsel in jar.items() if morsel.value})
    return cookies


Send = Callable[..., Any]  # ScopedHttp.send


class Sessions:
    """One per run: credentials per user, shared by every check, never across users."""

    def __init__(
        self, target: Target, send: Send, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.target = target
        self._send = send  # ScopedHttp.send: the only way out
        self._clock = clock or (lambda: datetime.now(UTC))
        self._credentials: dict[str, Credential] = {}
        self._failures: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._obtained: list[str] = []
        # (user, method, path) that answered 401 to a fresh credential too: not an expiry.
        self._refusing: set[tuple[str, str, str]] = set()
        self.logins = 0

    def secret_values(self) -> list[str]:
        return list(self._obtained)

    def logs_in(self, user: str | None) -> bool:
        return (
            user is not None
            and user in self.target.users
            and self.target.users[user].login is not None
        )

    async def credential(self, user: str, count: Callable[[], None]) -> Credential:
        """The user's credential, logging in first when there is none or it has expired."""
        spec = self.target.users[user]
        if spec.login is None:
            return Credential(token=self.target.token(user), accepted=True)
        lock = self._locks.setdefault(user, asyncio.Lock())
        async with lock:
            if user in self._failures:
                raise _probe_error()(self._failures[user])
            current = self._credentials.get(user)
            if current is not None and not self._expired(current):
                return current
            return await self._login(user, spec.login, count)

    async def renew(self, user: str, stale: Credential, count: Callable[[], None]) -> Credential:
        """Log in again after a 401 to a credential that worked (unless another check did)."""
        login = self.target.users[user].login
        assert login is not None
        async with self._locks.setdefault(user, asyncio.Lock()):
            current = self._credentials.get(user)
            if current is not None and current is not stale:
                return current
            return await self._login(user, login, count)

    def should_renew(
        self,
        user: str | None,
        credential: Credential | None,
        response: HttpResponse,
        method: str,
        path: str,
    ) -> bool:
        if user is None or credential is None or not self.logs_in(user):
            return False
        if response.status != 401:
            credential.accepted = True
            return False
        return credential.accepted and (user, method, path) not in self._refusing

    def refuses_fresh(self, user: str, method: str, path: str) -> None:
        """A fresh credential got 401 too: this route refuses the user, it did not expire."""
        self._refusing.add((user, method, path))

    def apply(
        self, user: str | None, credential: Credential | None, url: str
    ) -> tuple[dict[str, str], str]:
        """Headers (and URL, for query keys) that carry the user's credential."""
        if user is None or credential is None:
            return {}, url
        headers: dict[str, str] = {}
        cookies = dict(credential.cookies)
        auth = self.target.auth
        if credential.token:
            if auth.location == "query":
                url += ("&" if "?" in url else "?") + urlencode({auth.header: credential.token})
            elif auth.location == "cookie":
                cookies[auth.header] = credential.token
            else:
                headers[auth.header] = auth.header_value(credential.token)
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return headers, url

    def _expired(self, credential: Credential) -> bool:
        return (
            credential.expires_at is not None
            and self._clock() >= credential.expires_at - RENEW_MARGIN
        )

    async def _login(self, user: str, login: Login, count: Callable[[], None]) -> Credential:
        ProbeError = _probe_error()
        where = f"User {user} could not log in at {login.route}"
        try:
            response = await self._send(
                login.route.method,
                login.route.path,
                count=count,
                headers={"Accept": "application/json"},
                **body_kwargs(login.body or None, login.content_type),
            )
        except ProbeError as exc:
            raise ProbeError(f"{where}: {exc}") from None
        self.logins += 1
        try:
            credential = self._read(response, login)
        except ValueError as exc:
            self._failures[user] = f"{where}: {exc}"
            raise ProbeError(self._failures[user]) from None
        self._credentials[user] = credential
        self._obtained += [credential.token or "", *credential.cookies.values()]
        return credential

    def _read(self, response: HttpResponse, login: Login) -> Credential:
        if not (200 <= response.status < 400):
            raise ValueError(
                f"it answered {response.status} ({response.excerpt(120)!r}); check the user's password variable and the login body."
            )
        cookies = _set_cookies(response)
        data = response.json_or_none()
        token = find_token(data, login.token) if data is not None else None
        if login.token and token is None:
            raise ValueError(f"the answer ({response.status}) has no token at {login.token}.")
        if login.cookies:
            missing = [name for name in login.cookies if name not in cookies]
            if missing:
                raise ValueError(
                    f"the answer ({response.status}) set no cookie {', '.join(missing)}."
                )
            cookies = {name: cookies[name] for name in login.cookies}
        elif token:
            cookies = {}
        if not token and not cookies:
            raise ValueError(
                f"the answer ({response.status}) carries neither a token (looked for {', '.join(TOKEN_KEYS[:4])}...; set login.token to its JSONPath) nor a session cookie."
            )
        return Credential(
            token=token, cookies=cookies, expires_at=self._expiry(token, response, login)
        )

    def _expiry(self, token: str | None, response: HttpResponse, login: Login) -> datetime | None:
        now = self._clock()
        if login.expires_in is not None:
            return now + login.expires_in
        if token and (exp := jwt_expiry(token)) is not None:
            return exp
        data = response.json_or_none()
        seconds = data.get("expires_in") if isinstance(data, dict) else None
        if (
            isinstance(seconds, int | float)
            and not isinstance(seconds, bool)
            and 0 < seconds < 10**8
        ):
            return now + timedelta(seconds=seconds)
        return None
