"""Finding the spec and looking at the app: only the URL the user gave, nothing else.

Every request goes to the base URL's own scheme, host and port (or to the exact ``--openapi``
URL); a redirect elsewhere is not followed. Bodies are capped; each request has a timeout.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from bot.onboard.spec import ApiSpec, SpecError, load_document, parse_spec

__all__ = ["WELL_KNOWN", "Found", "OnboardError", "find_spec", "look_around", "read_spec"]

# Where frameworks serve their spec: FastAPI, Swagger/springdoc, NestJS, Django Ninja,
# drf-spectacular, ASP.NET, the same under a common /api or /api/v1 prefix, and Swagger UI's
# init script for Express apps that serve no JSON.
WELL_KNOWN = (
    "/openapi.json",
    "/openapi.yaml",
    "/swagger.json",
    "/swagger.yaml",
    "/v3/api-docs",
    "/v2/api-docs",
    "/api-docs",
    "/api-docs.json",
    "/docs/openapi.json",
    "/docs-json",
    "/api-json",
    "/api/openapi.json",
    "/api/v1/openapi.json",
    "/api/docs-json",
    "/api/swagger.json",
    "/api/schema/",
    "/swagger/v1/swagger.json",
    "/openapi/v1.json",
    # swagger-ui-express (Express + swagger-jsdoc) embeds the spec in its init script
    "/api-docs/swagger-ui-init.js",
    "/docs/swagger-ui-init.js",
    "/swagger/swagger-ui-init.js",
)
HEALTH_CANDIDATES = ("/health", "/healthz", "/api/health", "/status", "/ping", "/livez", "/readyz")
MAX_SPEC_BYTES = 20 * 1024 * 1024
TIMEOUT = 10.0


class OnboardError(Exception):
    """Bad input for init: the message is one sentence for the user."""


@dataclass
class Found:
    spec: ApiSpec | None
    source: str  # where the spec came from, or "no spec"
    tried: list[str] = field(default_factory=list)
    requests: int = 0


def _same_origin(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.hostname, x.port) == (y.scheme, y.hostname, y.port)


class _Client:
    """GETs on one origin only, following redirects that stay on it."""

    def __init__(self, origin: str, verify: bool | str | ssl.SSLContext = True) -> None:
        self.origin = origin
        self.requests = 0
        if isinstance(verify, str):  # a CA bundle: the app's private CA
            verify = ssl.create_default_context(cafile=verify)
        self.http = httpx.Client(
            follow_redirects=False,
            timeout=TIMEOUT,
            verify=verify,
            headers={"User-Agent": "LaunchReady-init/0.1"},
        )

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> httpx.Response | None:
        for _ in range(4):
            if not _same_origin(url, self.origin):
                return None
            self.requests += 1
            with self.http.stream(
                "GET", url, headers={"Accept": "application/json, application/yaml, text/yaml, */*"}
            ) as response:
                if (
                    response.status_code in (301, 302, 303, 307, 308)
                    and "location" in response.headers
                ):
                    url = urljoin(url, response.headers["location"])
                    continue
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_SPEC_BYTES:
                        break
                response._content = body[:MAX_SPEC_BYTES]
                return response
        return None


def _unreachable(url: str, exc: Exception) -> OnboardError:
    reason = str(exc).strip() or type(exc).__name__
    return OnboardError(
        f"{url} could not be reached ({reason}); is the app running, and is the URL right?"
    )


def read_spec(location: str, base_url: str | None, *, verify: bool | str = True) -> Found:
    """The spec from a file or from the exact URL given (``--openapi``)."""
    if location.startswith(("http://", "https://")):
        client = _Client(location, verify)
        try:
            response = client.get(location)
        except httpx.HTTPError as exc:
            raise _unreachable(location, exc) from None
        finally:
            client.close()
        if response is None or response.status_code != 200:
            status = response.status_code if response is not None else "a redirect to another host"
            raise OnboardError(f"{location} answered {status}, not a spec.")
        try:
            return Found(
                parse_spec(load_document(response.text, location), location),
                location,
                [location],
                client.requests,
            )
        except SpecError as exc:
            raise OnboardError(f"{exc}.") from None
    path = Path(location)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OnboardError(
            f"{location} cannot be read ({exc.__class__.__name__}: {exc})."
        ) from None
    try:
        return Found(parse_spec(load_document(text, location), location), location)
    except SpecError as exc:
        raise OnboardError(f"{exc}.") from None


def find_spec(base_url: str, *, verify: bool | str = True) -> Found:
    """Try the well-known paths under the base URL (its own path first, then the root)."""
    base = base_url.rstrip("/")
    root = f"{urlsplit(base).scheme}://{urlsplit(base).netloc}"
    candidates = [base + p for p in WELL_KNOWN]
    if base != root:
        candidates += [root + p for p in WELL_KNOWN]
    client = _Client(base, verify)
    tried: list[str] = []
    try:
        for url in dict.fromkeys(candidates):
            tried.append(url)
            try:
                response = client.get(url)
            except httpx.ConnectError as exc:
                raise _unreachable(base_url, exc) from None
            except httpx.HTTPError:
                continue
            if response is None or response.status_code != 200:
                continue
            try:
                document = load_document(response.text, url)
            except SpecError:
                continue  # an HTML page or another JSON document: not the spec
            if "openapi" not in document and "swagger" not in document:
                continue
            try:
                return Found(parse_spec(document, url), url, tried, client.requests)
            except SpecError as exc:
                raise OnboardError(f"{exc}.") from None
    finally:
        client.close()
    return Found(None, "no spec", tried, client.requests)


def look_around(base_url: str, *, verify: bool | str = True) -> tuple[bool, list[str], int]:
    """Whether the home page answers 2xx, and which usual health routes do."""
    client = _Client(base_url, verify)
    base = base_url.rstrip("/")
    try:
        try:
            home = client.get(base + "/")
        except httpx.HTTPError as exc:
            raise _unreachable(base_url, exc) from None
        healthy = []
        for path in HEALTH_CANDIDATES:
            try:
                answer = client.get(base + path)
            except httpx.HTTPError:
                continue
            if answer is not None and 200 <= answer.status_code < 300:
                healthy.append(path)
        return bool(home is not None and 200 <= home.status_code < 300), healthy, client.requests
    finally:
        client.close()
