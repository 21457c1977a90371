"""An OpenAPI document read into plain operations: OpenAPI 3.0 and 3.1, Swagger 2.0, JSON or YAML.

``launchready init`` drafts app.yaml from it; checks read a route's request schema from it
(``targets.<name>.openapi``: a file or a URL on the target) to judge a body against what the
route promises.

``$ref``s are resolved with ``referencing`` (the JSON Schema project's resolver: JSON pointers,
escaping, relative references), a circular one is cut at its second visit. Swagger 2.0 is
brought to the same shape: ``basePath`` prefixes paths, ``in: body`` and ``formData``
parameters become request bodies, ``securityDefinitions`` become security schemes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

if TYPE_CHECKING:
    from checks.context import CheckContext
    from checks.target import Route

__all__ = [
    "ApiSpec",
    "Operation",
    "SecurityScheme",
    "SpecError",
    "load_document",
    "load_for_target",
    "parse_spec",
]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_BASE = "urn:launchready:spec"
MAX_DEPTH = 40  # a schema nested deeper than this is cut (bodies are examples, not proofs)


class SpecError(ValueError):
    """The document is not an OpenAPI/Swagger spec we can read; the message says why."""


@dataclass(frozen=True)
class SecurityScheme:
    name: str
    kind: str  # oauth2, http, apiKey, openIdConnect, basic
    scheme: str | None = None  # http: bearer/basic
    location: str | None = None  # apiKey: header, query, cookie
    key_name: str | None = None  # apiKey: the header/parameter/cookie name
    token_url: str | None = None  # oauth2 password flow


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # with the server/basePath prefix
    summary: str
    # None: public (no requirement, or an empty one allowed); else the scheme names required
    security: tuple[str, ...] | None
    body_schema: dict[str, Any] | None = None
    content_type: str | None = None  # json or form
    response_schema: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def text(self) -> str:
        """Path, summary and tags in lower case: what the heuristics look at."""
        return " ".join((self.path, self.summary, *self.tags)).lower()


@dataclass
class ApiSpec:
    version: str  # "3.0.3", "3.1.0", "2.0"
    title: str
    operations: list[Operation] = field(default_factory=list)
    schemes: dict[str, SecurityScheme] = field(default_factory=dict)

    def operation(self, route: Route) -> Operation | None:
        """The operation for a configured route: placeholders match whatever their names
        (``{id}`` and ``{item_id}``), a trailing slash does not count."""
        wanted = _shape(route.path)
        return next(
            (
                op
                for op in self.operations
                if op.method == route.method and _shape(op.path) == wanted
            ),
            None,
        )


def _shape(path: str) -> str:
    return re.sub(r"\{[^{}]*\}", "{}", path.split("?")[0]).rstrip("/") or "/"


async def load_for_target(location: str, ctx: CheckContext) -> ApiSpec:
    """The target's spec from a file (relative to the config) or a URL on the target's hosts;
    a :class:`ProbeError` whose sentence names ``openapi``."""
    from checks.context import ProbeError

    key = f"targets.{ctx.target_name}.openapi"
    if location.startswith(("http://", "https://")):
        response = await ctx.http.request("GET", location)
        if response.status != 200:
            raise ProbeError(f"{key}: {location} answered {response.status}, not a spec.")
        text, source = response.text, location
    else:
        path = ctx.path(location)
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ProbeError(f"{key}: {path} cannot be read ({exc.__class__.__name__}).") from None
    try:
        return parse_spec(load_document(text, source), source)
    except SpecError as exc:
        raise ProbeError(f"{key}: {exc}.") from None


def _embedded(text: str) -> dict[str, Any] | None:
    """The spec swagger-ui-express embeds in its ``swagger-ui-init.js`` (``"swaggerDoc": {...}``),
    for Express apps that publish their swagger-jsdoc spec only through Swagger UI."""
    at = text.find('"swaggerDoc":')
    if at < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[at + len('"swaggerDoc":') :].lstrip())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def load_document(text: str, source: str) -> dict[str, Any]:
    """JSON or YAML text as a mapping, or a :class:`SpecError` naming the source."""
    if source.endswith(".js"):
        embedded = _embedded(text)
        if embedded is None:
            raise SpecError(f"{source} holds no swaggerDoc")
        return embedded
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(
                f"{source} is neither JSON nor YAML ({str(exc).splitlines()[0]})"
            ) from None
    if not isinstance(data, dict):
        raise SpecError(f"{source} is not an OpenAPI document (its top level is not a mapping)")
    return data


def parse_spec(document: dict[str, Any], source: str) -> ApiSpec:
    version = str(document.get("openapi") or document.get("swagger") or "")
    if not (version.startswith("3.") or version == "2.0"):
        raise SpecError(
            f'{source} is not an OpenAPI 3.x or Swagger 2.0 document (no openapi: 3.x or swagger: "2.0" key)'
        )
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise SpecError(f"{source} has no paths: mapping, so there are no operations to read")
    resolved = _Resolver(document).resolve(document)
    title = str((resolved.get("info") or {}).get("title") or "")
    spec = ApiSpec(version=version, title=title)
    swagger = version == "2.0"
    spec.schemes = _schemes(resolved, swagger)
    prefix = _prefix(resolved, swagger)
    global_security = resolved.get("security")
    for path, item in (resolved.get("paths") or {}).items():
        if not isinstance(item, dict) or not str(path).startswith("/"):
            continue
        shared = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            security = op.get("security", global_security)
            body, content_type = (
                _swagger_body(op, shared, resolved) if swagger else _openapi_body(op)
            )
            spec.operations.append(
                Operation(
                    method=method.upper(),
                    path=(prefix + str(path)) if prefix else str(path),
                    summary=str(
                        op.get("summary") or op.get("operationId") or op.get("description") or ""
                    )[:200],
                    security=_requirement(security),
                    body_schema=body,
                    content_type=content_type,
                    response_schema=_response_schema(op, swagger),
                    tags=tuple(str(t) for t in op.get("tags") or ()),
                )
            )
    return spec


class _Resolver:
    """Every ``$ref`` replaced by what it points at, through ``referencing``."""

    def __init__(self, document: dict[str, Any]) -> None:
        registry = Registry().with_resource(_BASE, Resource.opaque(document))
        self.resolver = registry.resolver(base_uri=_BASE)

    def resolve(self, node: Any, seen: tuple[str, ...] = (), depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return {}
        if isinstance(node, list):
            return [self.resolve(v, seen, depth + 1) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen:  # circular (a tree of comments): stop at the second visit
                return {"type": "object", "x-circular": ref}
            try:
                target = self.resolver.lookup(ref).contents
            except Unresolvable:
                return {"x-unresolved": ref}
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            merged = {**target, **siblings} if isinstance(target, dict) else target
            return self.resolve(merged, (*seen, ref), depth + 1)
        return {k: self.resolve(v, seen, depth + 1) for k, v in node.items()}


def _requirement(security: Any) -> tuple[str, ...] | None:
    """None when the operation may be called without credentials."""
    if not isinstance(security, list) or not security:
        return None
    if any(isinstance(r, dict) and not r for r in security):  # {} among the alternatives
        return None
    names = [name for r in security if isinstance(r, dict) for name in r]
    return tuple(dict.fromkeys(names)) or None


def _schemes(document: dict[str, Any], swagger: bool) -> dict[str, SecurityScheme]:
    raw = (
        document.get("securityDefinitions")
        if swagger
        else (document.get("components") or {}).get("securitySchemes")
    )
    schemes: dict[str, SecurityScheme] = {}
    for name, item in (raw or {}).items():
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type", ""))
        token_url = None
        if kind == "oauth2":
            if swagger:
                token_url = item.get("tokenUrl") if item.get("flow") == "password" else None
            else:
                token_url = ((item.get("flows") or {}).get("password") or {}).get("tokenUrl")
        schemes[name] = SecurityScheme(
            name=name,
            kind="http" if kind == "basic" else kind,
            scheme="basic" if kind == "basic" else (str(item.get("scheme", "")).lower() or None),
            location=item.get("in"),
            key_name=item.get("name"),
            token_url=str(token_url) if token_url else None,
        )
    return schemes


def _prefix(document: dict[str, Any], swagger: bool) -> str:
    """The path every operation sits under: Swagger's basePath, or the first server's path."""
    if swagger:
        base = str(document.get("basePath") or "")
    else:
        servers = document.get("servers") or []
        url = str(servers[0].get("url", "")) if servers and isinstance(servers[0], dict) else ""
        base = urlsplit(url).path if "{" not in url else ""
    return base.rstrip("/") if base not in ("", "/") else ""


def _openapi_body(op: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    content = (op.get("requestBody") or {}).get("content") or {}
    for media, kind in (
        ("application/json", "json"),
        ("application/x-www-form-urlencoded", "form"),
        ("multipart/form-data", "form"),
    ):
        for key, value in content.items():
            if key.split(";")[0].strip().lower() == media and isinstance(value, dict):
                return value.get("schema") or {}, kind
    for key, value in content.items():
        if key.endswith("+json") and isinstance(value, dict):
            return value.get("schema") or {}, "json"
    return None, None


def _swagger_body(
    op: dict[str, Any], shared: list[Any], document: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    params = [p for p in [*shared, *(op.get("parameters") or [])] if isinstance(p, dict)]
    for param in params:
        if param.get("in") == "body":
            return param.get("schema") or {}, "json"
    form = [p for p in params if p.get("in") == "formData"]
    if not form:
        return None, None
    properties = {
        p["name"]: {
            k: v for k, v in p.items() if k in ("type", "format", "enum", "default", "example")
        }
        for p in form
        if "name" in p
    }
    required = [p["name"] for p in form if p.get("required") and "name" in p]
    return {"type": "object", "properties": properties, "required": required}, "form"


def _response_schema(op: dict[str, Any], swagger: bool) -> dict[str, Any] | None:
    responses = op.get("responses") or {}
    for code in ("200", "201", 200, 201):
        answer = responses.get(code)
        if not isinstance(answer, dict):
            continue
        if swagger:
            return answer.get("schema")
        for media, value in (answer.get("content") or {}).items():
            if "json" in media and isinstance(value, dict):
                return value.get("schema")
    return None
