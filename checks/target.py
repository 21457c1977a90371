"""The Target: one deployment of the app under test, as ``targets.<name>`` in app.yaml says.

Pydantic models with ``extra="forbid"``, so a misspelt key is an error that names its path.
Environment expansion happens before these models see the data (see ``bot.config``); the
models only validate. Secrets are ``SecretStr`` so they never print by accident.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    field_validator,
    model_validator,
)

__all__ = [
    "AppVersion",
    "Chat",
    "ContentType",
    "Cors",
    "Domain",
    "Duration",
    "Latency",
    "Login",
    "OwnedObject",
    "PrivateRoute",
    "PublicWrite",
    "RateLimitRule",
    "RepoSpec",
    "Route",
    "RouteField",
    "Target",
    "User",
    "Webhook",
    "body_kwargs",
    "body_leaves",
    "fill_body",
    "parse_duration",
]

_NAME_KEYS = frozenset({"username", "email", "login", "user", "name", "grant_type", "scope", "client_id"})
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """``500ms``, ``30s``, ``5m``, ``2h``, ``1d`` (a bare number is seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (use 30s, 5m, 1h)")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f'"{value}" is not a duration (use 30s, 5m, 1h)')
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    try:
        return timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # past timedelta's range (or not a finite number)
        raise ValueError(f'"{str(value)[:40]}" is not a duration this side of a million years (use 30s, 5m, 1h)') from None


def format_duration(value: timedelta) -> str:
    """A period as app.yaml writes it: ``30s``, ``5m``, ``1d`` (``250ms`` below a second)."""
    seconds = value.total_seconds()
    for unit in ("d", "h", "m", "s"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{int(seconds * 1000)}ms"


Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]


class Route(BaseModel):
    """``METHOD /path``; the path may hold ``{placeholders}``."""

    model_config = ConfigDict(frozen=True)

    method: str
    path: str

    @classmethod
    def parse(cls, value: Any) -> Route:
        if isinstance(value, Route):
            return value
        if isinstance(value, dict) and set(value) == {"method", "path"}:
            return cls(method=str(value["method"]).upper(), path=str(value["path"]))
        text = str(value).strip()
        parts = text.split()
        if len(parts) != 2 or parts[0].upper() not in HTTP_METHODS or not parts[1].startswith("/"):
            raise ValueError(f'"{text}" is not a route (write it as METHOD /path, e.g. GET /health)')
        return cls(method=parts[0].upper(), path=parts[1])

    @property
    def placeholders(self) -> list[str]:
        """The names in ``{braces}``, in order: ``/users/{user_id}`` has ``user_id`` (and
        ``/items/{item_id:int}``, Starlette's converter syntax, has ``item_id``)."""
        return [name.split(":", 1)[0] for name in _PLACEHOLDER.findall(self.path)]

    def fill(self, value: str) -> str:
        """The path with every placeholder, whatever its name, set to ``value``."""
        return _PLACEHOLDER.sub(lambda _: value, self.path)

    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


RouteField = Annotated[Route, BeforeValidator(Route.parse), PlainSerializer(str, return_type=str)]

_CONTENT_TYPES = {
    "json": "json",
    "application/json": "json",
    "form": "form",
    "application/x-www-form-urlencoded": "form",
}


def _content_type(value: Any) -> Any:
    if value is None:
        return None
    key = str(value).split(";")[0].strip().lower()
    if key not in _CONTENT_TYPES:
        raise ValueError(f'"{value}" is not a body encoding (use json or form)')
    return _CONTENT_TYPES[key]


# How a route's sample body is encoded: JSON (the default) or an HTML form
# (application/x-www-form-urlencoded, as OAuth2 password logins expect).
ContentType = Annotated[Literal["json", "form"] | None, BeforeValidator(_content_type)]


def body_kwargs(body: Any, content_type: str | None) -> dict[str, Any]:
    """The keyword arguments that send ``body`` the way the route expects it."""
    if body is None:
        return {}
    if content_type == "form" and isinstance(body, dict):
        return {"form": {str(k): "" if v is None else str(v) for k, v in body.items()}}
    return {"json": body}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AuthScheme(_Model):
    header: str = "Authorization"
    scheme: str = "Bearer"
    # Where the token goes: a header (default), a query parameter or a cookie named ``header``
    # (OpenAPI's apiKey schemes put keys in all three).
    location: Literal["header", "query", "cookie"] = Field(default="header", alias="in")

    def header_value(self, token: str) -> str:
        return f"{self.scheme} {token}" if self.scheme else token

    def carry(self, token: str) -> tuple[dict[str, str], str]:
        """Headers and a query string that carry ``token`` where the app reads it."""
        if self.location == "query":
            return {}, urlencode({self.header: token})
        if self.location == "cookie":
            return {"Cookie": f"{self.header}={token}"}, ""
        return {self.header: self.header_value(token)}, ""


class Login(_Model):
    """How a user signs in: a form or JSON login route (an OAuth2 password grant is a form
    POST to the token URL), and where the answer carries the credential."""

    route: RouteField
    body: dict[str, Any] = Field(default_factory=dict)  # passwords as ${ENV} only (bot.config)
    content_type: ContentType = None  # json (default) or form
    # JSONPath to the token in the answer (default: the first of access_token, token, jwt...).
    token: str | None = None
    # Session cookies to keep instead of a token (default: every cookie the login sets, when
    # the answer carries no token). Kept per user, never shared between users.
    cookies: list[str] = Field(default_factory=list)
    expires_in: Duration | None = None  # log in again after this long (default: the JWT's exp)


class User(_Model):
    token: SecretStr | None = None
    login: Login | None = None
    # Tenant; absent, each user is a tenant of its own (consumer apps).
    tenant: str | None = None
    role: str = "user"
    # How the app names this user in bodies (username, e-mail): ``{owner}`` in object bodies.
    # Default: the login body's username or email.
    identity: str | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> User:
        if (self.token is None) == (self.login is None):
            raise ValueError("set token (a static token) or login (how the user signs in), one of the two")
        return self

    @property
    def name_in_app(self) -> str | None:
        if self.identity:
            return self.identity
        leaves = dict(body_leaves(self.login.body)) if self.login else {}
        for key in ("username", "email", "login", "user", "name"):
            if isinstance(leaves.get(key), str):
                return leaves[key]
        return None


def fill_body(body: Any, values: dict[str, str]) -> Any:
    """The body with every ``{name}`` of ``values`` replaced in its strings, nested ones
    included (``{prompt}`` in a chat body, ``{owner}`` and ``{user}`` in a body-addressed write)."""
    if isinstance(body, str):
        for name, value in values.items():
            body = body.replace("{" + name + "}", value)
        return body
    if isinstance(body, dict):
        return {k: fill_body(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [fill_body(v, values) for v in body]
    return body


def body_leaves(body: Any) -> list[tuple[str, Any]]:
    """(key, value) of every non-mapping value in a body, nested ones included
    (``{user: {email, password}}`` logins)."""
    if not isinstance(body, dict):
        return []
    leaves: list[tuple[str, Any]] = []
    for key, value in body.items():
        leaves += body_leaves(value) if isinstance(value, dict) else [(str(key), value)]
    return leaves


def _private_route(value: Any) -> Any:
    if isinstance(value, str):
        return {"route": value}
    return value


class PrivateRoute(_Model):
    route: RouteField
    roles: list[str] = Field(default_factory=list)
    body: Any = None  # a valid sample body, for routes that take one
    content_type: ContentType = None  # json (default) or form


class PublicWrite(_Model):
    """A public route that takes a body (sign-up): api.input_validation probes it, and reads a
    created account back by logging in as it (``login``, whose body's ``"{field}"`` values come
    from what was sent) and reading ``read`` (``GET /me``)."""

    route: RouteField
    body: dict[str, Any]
    content_type: ContentType = None
    login: Login | None = None
    read: RouteField | None = None


class OwnedObject(_Model):
    """An object one user owns. Its id is named (``id``), found by listing the owner's objects
    (``discover``), or made fresh (``create`` with ``body``). A route without ``{id}`` whose
    ``body`` names the owner (``{owner}``) is a body-addressed object, read back with ``read``."""

    route: RouteField
    id: str | None = None
    owner: str
    methods: list[str] = Field(default_factory=lambda: ["GET"])
    discover: RouteField | None = None  # GET /orders: the owner's list
    create: RouteField | None = None  # POST /orders: the owner makes a fresh one
    body: Any = None  # the create body, or the body-addressed write's body
    content_type: ContentType = None  # json (default) or form
    id_path: str | None = None  # JSONPath to the id(s) in the answer (default: the first id-like field)
    read: RouteField | None = None  # body-addressed: how the owner reads the object back
    public: bool = False  # anyone may read it (a published article): only writes are probed

    @model_validator(mode="after")
    def _how_to_find(self) -> OwnedObject:
        sources = [k for k in ("id", "discover", "create") if getattr(self, k) is not None]
        if len(sources) > 1:
            raise ValueError(f"give one of id, discover or create, not {' and '.join(sources)}")
        if not sources and not self.body_addressed:
            raise ValueError("give id, discover (e.g. GET /orders) or create (e.g. POST /orders), or a body naming {owner}")
        return self

    @property
    def id_source(self) -> str:
        """Where the id comes from, in words: the id itself, or how it is found."""
        if self.id is not None:
            return self.id
        if self.discover or self.create:
            return f"from {self.discover or self.create}"
        return "named in the body"

    @property
    def body_addressed(self) -> bool:
        return "{" not in self.route.path and self.body is not None and self.discover is None and self.create is None and self.id is None
    # The object may be deleted or changed by probes (DELETE, role changes, bad bodies); an
    # object the run creates (``create``) is disposable whatever this says.
    disposable: bool = False

    @property
    def may_destroy(self) -> bool:
        """Probes may delete or change it: marked disposable, or made by the run (``create``)."""
        return self.disposable or self.create is not None

    @field_validator("methods")
    @classmethod
    def _upper(cls, methods: list[str]) -> list[str]:
        methods = [m.upper() for m in methods]
        for method in methods:
            if method not in HTTP_METHODS:
                raise ValueError(f'"{method}" is not an HTTP method')
        return methods


class RateLimitRule(_Model):
    route: RouteField
    as_user: str | None = Field(default=None, alias="as")
    max_per_minute: int = Field(gt=0)
    body: Any = None
    content_type: ContentType = None  # json (default) or form


_ORIGIN_PATTERN = re.compile(r"^https?://\*\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?$", re.I)


class Cors(_Model):
    # Exact origins, or patterns with one leading wildcard label: https://*.acme.com
    allowed_origins: list[str] = Field(default_factory=list)
    # Routes to probe; default: the first private GET route without roles, else the first page.
    routes: list[RouteField] = Field(default_factory=list)
    as_user: str | None = Field(default=None, alias="as")  # default: the first configured user

    @field_validator("allowed_origins")
    @classmethod
    def _patterns(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if "*" in origin and not _ORIGIN_PATTERN.match(origin):
                raise ValueError(f'"{origin}" is not an origin pattern (write https://*.acme.com: one leading * label)')
        return origins


class Webhook(_Model):
    route: RouteField
    scheme: Literal["stripe", "standard", "github", "hmac-sha256"]
    secret: SecretStr
    header: str | None = None  # the signature header, for hmac-sha256
    event: dict[str, Any] | None = None
    observe: RouteField | None = None
    observe_as: str | None = None  # the user whose token reads the observe route
    tolerance: Duration = timedelta(minutes=5)

    @model_validator(mode="after")
    def _header_for_hmac(self) -> Webhook:
        if self.scheme == "hmac-sha256" and not self.header:
            raise ValueError("scheme hmac-sha256 needs header: (the request header that carries the signature)")
        return self


class Chat(_Model):
    route: RouteField
    as_user: str | None = Field(default=None, alias="as")
    body: Any = Field(default_factory=lambda: {"message": "{prompt}"})
    content_type: ContentType = None  # json (default) or form
    reply: str = "reply"
    canary: SecretStr | None = None
    system_prompt_file: Path | None = None
    upload: RouteField | None = None  # where a document can be uploaded for indirect injection

    @field_validator("canary", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class Latency(_Model):
    routes: list[RouteField] = Field(default_factory=list)
    p95_ms: int = Field(default=500, gt=0)
    samples: int = Field(default=40, ge=5, le=1000)
    concurrency: int = Field(default=8, ge=1, le=64)
    warmup: int = Field(default=3, ge=0, le=50)
    load: Duration = timedelta(seconds=3)
    load_p95_ms: int | None = Field(default=None, gt=0)  # the budget under load; default p95_ms
    as_user: str | None = Field(default=None, alias="as")


class Domain(_Model):
    name: str
    dkim_selectors: list[str] = Field(default_factory=list)
    sends_email: bool = True


class AppVersion(_Model):
    """Where the app says which build it is: a route's JSON (``json: $.build``) or a header."""

    route: RouteField = Field(default_factory=lambda: Route.parse("GET /version"))
    json_path: str | None = Field(default=None, alias="json")
    header: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> AppVersion:
        if bool(self.json_path) == bool(self.header):
            raise ValueError("version needs exactly one of json: (e.g. $.build) or header: (e.g. X-Build)")
        if self.json_path and not self.json_path.startswith("$"):
            raise ValueError(f'"{self.json_path}" is not a JSONPath (write it as $.build or $.app.version)')
        return self


class RepoSpec(_Model):
    path: Path = Path(".")
    history: bool = True


class Target(_Model):
    base_url: str
    production: bool = False
    safe: bool = False
    http_url: str | None = None
    ca_file: Path | None = None
    nameservers: list[str] = Field(default_factory=list)
    extra_hosts: list[str] = Field(default_factory=list)
    auth: AuthScheme = Field(default_factory=AuthScheme)
    users: dict[str, User] = Field(default_factory=dict)
    # Roles that may read every tenant by design (admin, support): tenant isolation leaves
    # them to auth.role_boundaries.
    cross_tenant_roles: list[str] = Field(default_factory=list)
    public_routes: list[RouteField] = Field(default_factory=list)
    health_routes: list[RouteField] = Field(default_factory=lambda: [Route.parse("GET /health")])
    # The app's OpenAPI document (a file, or a URL on the target): request schemas, so
    # api.input_validation judges a body against what the route promises. init writes it.
    openapi: str | None = None
    # Not a list: left as is, so pydantic says "should be a valid list" instead of a TypeError.
    private_routes: Annotated[list[PrivateRoute], BeforeValidator(lambda v: [_private_route(x) for x in v or []] if isinstance(v, list | None) else v)] = Field(default_factory=list)
    objects: list[OwnedObject] = Field(default_factory=list)
    # Public routes that take a body (sign-up), probed by api.input_validation.
    public_writes: list[PublicWrite] = Field(default_factory=list)
    rate_limits: list[RateLimitRule] = Field(default_factory=list)
    cors: Cors | None = None
    webhooks: list[Webhook] = Field(default_factory=list)
    chat: Chat | None = None
    latency: Latency | None = None
    pages: list[RouteField] = Field(default_factory=lambda: [Route.parse("GET /")])
    domains: list[Domain] = Field(default_factory=list)
    repo: RepoSpec | None = None
    version: AppVersion | None = None  # the app's build, so a pass knows what it was measured against
    logs: list[str] = Field(default_factory=list)
    env_files: list[str] = Field(default_factory=list)
    schedule: str | None = None  # cron for scheduled runs
    request_timeout: Duration = timedelta(seconds=10)
    max_requests: int = Field(default=5000, gt=0)

    @field_validator("base_url", "http_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f'"{value}" is not an absolute http(s) URL (e.g. https://staging.acme.test)')
        return value.rstrip("/")

    @field_validator("nameservers")
    @classmethod
    def _nameservers(cls, values: list[str]) -> list[str]:
        for value in values:
            host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
            if port and not port.isdigit():
                raise ValueError(f'"{value}" is not a nameserver (write "ip" or "ip:port")')
            _ = host
        return values

    @model_validator(mode="after")
    def _users_exist(self) -> Target:
        known = set(self.users)
        refs: list[tuple[str, str | None]] = [(f"objects[{i}].owner", o.owner) for i, o in enumerate(self.objects)]
        refs += [(f"rate_limits[{i}].as", r.as_user) for i, r in enumerate(self.rate_limits)]
        refs += [(f"webhooks[{i}].observe_as", w.observe_as) for i, w in enumerate(self.webhooks)]
        if self.chat:
            refs.append(("chat.as", self.chat.as_user))
        if self.latency:
            refs.append(("latency.as", self.latency.as_user))
        for key, name in refs:
            if name is not None and name not in known:
                choices = ", ".join(sorted(known)) or "none are configured"
                raise ValueError(f'{key}: "{name}" is not one of the users ({choices})')
        return self

    @model_validator(mode="after")
    def _roles_exist(self) -> Target:
        """Role names must match ``users:`` exactly: ``chef`` against a user whose role is
        ``Chef`` would make every real chef a violator."""
        known = sorted({u.role for u in self.users.values()})
        if not known:
            return self
        refs = [(f"private_routes[{i}].roles", r.roles) for i, r in enumerate(self.private_routes)]
        refs.append(("cross_tenant_roles", self.cross_tenant_roles))
        for key, roles in refs:
            for role in roles:
                # A role no configured user holds is allowed (nobody logs in as it); one that
                # nearly matches a user's role is a typo that would make real users violators.
                if role not in known and _did_you_mean(role, known):
                    raise ValueError(f'{key}: "{role}" is not the role of any user ({", ".join(known)}){_did_you_mean(role, known)}')
        return self

    @model_validator(mode="after")
    def _placeholders_filled(self) -> Target:
        """Every ``{placeholder}`` gets a value from an ``objects`` entry, or validate says so."""
        for i, obj in enumerate(self.objects):
            names = obj.route.placeholders
            if len(names) > 1:
                raise ValueError(f"objects[{i}].route: {obj.route} has {len(names)} placeholders ({', '.join(names)}); an object route takes one, filled with its id")
        # Role-limited routes are sent with their placeholders filled; other private routes
        # without an object are skipped by auth.private_routes with a note.
        for i, private in enumerate(self.private_routes):
            names = private.route.placeholders
            if names and private.roles and self.object_for(private.route) is None:
                raise ValueError(
                    f"private_routes[{i}].route: nothing fills {{{'}, {'.join(names)}}} in {private.route}; "
                    f"add an objects entry with route: GET {private.route.path} (and its id and owner)"
                )
        return self

    # -- derived facts -------------------------------------------------------------------

    @property
    def is_safe(self) -> bool:
        """No bursts, replays, writes or injection prompts: safe, or production."""
        return self.safe or self.production

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def plain_http_url(self) -> str:
        if self.http_url:
            return self.http_url
        return f"http://{self.host}"

    @property
    def hosts(self) -> frozenset[str]:
        """Every host a check may talk to: the base URL's, the plain-HTTP one's and extras."""
        hosts = {self.host, urlsplit(self.plain_http_url).hostname or ""}
        hosts.update(h.lower() for h in self.extra_hosts)
        return frozenset(h.lower() for h in hosts if h)

    def object_for(self, route: Route) -> OwnedObject | None:
        """The ``objects`` entry whose route has the same path as ``route``, if any."""
        index = self.object_index(route)
        return None if index is None else self.objects[index]

    def object_index(self, route: Route) -> int | None:
        """The index of that entry (``ctx.owned_object(index)`` resolves its id)."""
        return next((i for i, o in enumerate(self.objects) if o.route.path == route.path), None)

    def fill(self, route: Route) -> str | None:
        """``route``'s path with its placeholders filled from the matching ``objects`` entry."""
        if not route.placeholders:
            return route.path
        obj = self.object_for(route)
        return route.fill(obj.id) if obj and obj.id is not None else None

    def url(self, path: str) -> str:
        return self.base_url + path

    def token(self, user: str) -> str:
        """The user's static token ('' for users who log in: theirs comes at run time)."""
        token = self.users[user].token
        return token.get_secret_value() if token else ""

    def tenant_of(self, user: str) -> str:
        """The user's tenant; a user without one is a tenant of its own."""
        return self.users[user].tenant or f"{user} (own)"

    def auth_headers(self, user: str | None) -> dict[str, str]:
        if user is None:
            return {}
        return {self.auth.header: self.auth.header_value(self.token(user))}

    def secret_values(self) -> list[str]:
        """Every secret the config holds, so the runner can scrub them from any evidence."""
        values = [u.token.get_secret_value() for u in self.users.values() if u.token]
        # Login bodies hold passwords (from ${ENV}); scrub every string in them but the name.
        for user in self.users.values():
            if user.login:
                values += [v for k, v in body_leaves(user.login.body) if isinstance(v, str) and k not in _NAME_KEYS]
        values += [w.secret.get_secret_value() for w in self.webhooks]
        if self.chat and self.chat.canary:
            values.append(self.chat.canary.get_secret_value())
        return [v for v in values if v]

    def resolve_path(self, path: Path | str, base: Path) -> Path:
        path = Path(path)
        return path if path.is_absolute() else base / path


def _did_you_mean(value: str, choices: list[str]) -> str:
    folded = {c.lower(): c for c in choices}
    close = folded.get(value.lower()) or next(iter(difflib.get_close_matches(value, choices, n=1)), None)
    return f'; did you mean "{close}"?' if close else ""
