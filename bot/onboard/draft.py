"""From an API spec to a draft target: every key init fills in, each with the reason it guessed.

The rules read the spec only (paths, methods, summaries, tags, security, schemas). Nothing here
talks to the app; :mod:`bot.onboard.discover` does, and only to the URL the user gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.onboard.examples import example_for, string_fields
from bot.onboard.spec import ApiSpec, Operation

__all__ = ["Draft", "Guess", "UserSeed", "draft_from_spec"]

MAX_PRIVATE = 40
MAX_OBJECTS = 3
MAX_LATENCY = 3
PROBE_EMAIL = "launchready-probe@example.com"

_DOCS = re.compile(r"/(docs|redoc|swagger|openapi|api-docs)(\b|/|\.|-)", re.I)
_HEALTH = re.compile(r"(health|healthz|livez|readyz|heartbeat|/ping\b|/status$)", re.I)
_LOGIN = re.compile(r"(log-?in|sign-?in|/token\b|access-token|/auth/?$|/session)", re.I)
_SESSION_END = re.compile(r"(logout|log-out|sign-?out|revoke)", re.I)
_NOT_LOGIN = re.compile(r"(refresh|logout|log-out|verify|test-token|revoke|introspect)", re.I)
_SIGNUP = re.compile(r"(sign-?up|register|/users/open|create-account)", re.I)
_RESET = re.compile(r"(password-recovery|forgot|reset-password|password/reset|recover)", re.I)
_CHAT = re.compile(r"(chat|completion|/ask\b|prompt|assistant|/messages?\b)", re.I)
_WEBHOOK = re.compile(r"(webhook|/hooks?/|callback)", re.I)
_ADMIN = re.compile(r"(/admin|/superuser|/internal|/staff|/manage)", re.I)
_ADMIN_WORDS = re.compile(r"\b(admin|superuser|staff only|administrator)\b", re.I)
_USERS_COLLECTION = re.compile(r"/users/?$", re.I)
_PLACEHOLDER = re.compile(r"\{[^{}]+\}")
_USERNAME_KEYS = ("username", "email", "login", "user", "name")
_PASSWORD_KEYS = ("password", "pass", "passwd", "pwd")
_OWNER_KEYS = (
    "username",
    "user_id",
    "userId",
    "owner",
    "owner_id",
    "ownerId",
    "account",
    "account_id",
    "login",
)
_CHAT_KEYS = ("message", "prompt", "content", "input", "query", "question", "text")
_REPLY_KEYS = ("reply", "answer", "response", "content", "message", "text", "output", "completion")
_IDENTITY = re.compile(r"mail|user_?name|pass|pwd|login|phone", re.I)
_TOKEN_KEYS = ("access_token", "accessToken", "token", "jwt", "id_token", "auth_token")


@dataclass
class Guess:
    value: Any
    why: str


@dataclass(frozen=True)
class UserSeed:
    name: str
    username: str
    role: str


@dataclass
class Draft:
    base_url: str
    title: str = ""
    auth: Guess | None = None
    users: dict[str, Guess] = field(default_factory=dict)
    public_routes: list[Guess] = field(default_factory=list)
    health_routes: list[Guess] = field(default_factory=list)
    private_routes: list[Guess] = field(default_factory=list)
    objects: list[Guess] = field(default_factory=list)
    rate_limits: list[Guess] = field(default_factory=list)
    chat: Guess | None = None
    latency: Guess | None = None
    webhooks: list[Guess] = field(default_factory=list)  # written commented out: they need secrets
    todo: list[str] = field(default_factory=list)  # keys still to fill in, one sentence each
    public_items: set[str] = field(default_factory=set)  # item reads whose collection is public
    ca_file: str | None = None  # the CA bundle init trusted, for an HTTPS app with a private CA
    openapi: str | None = None  # where init read the spec: checks read request schemas there
    env: list[str] = field(default_factory=list)  # variables the file reads


def _has_param(op: Operation) -> bool:
    return "{" in op.path


def _is_docs(op: Operation) -> bool:
    return bool(_DOCS.search(op.path))


def _login_op(spec: ApiSpec) -> tuple[Operation | None, str]:
    for scheme in spec.schemes.values():
        if scheme.token_url:
            path = urlsplit(scheme.token_url).path or scheme.token_url
            path = path if path.startswith("/") else "/" + path
            op = next(
                (
                    o
                    for o in spec.operations
                    if o.method == "POST" and (o.path == path or o.path.endswith(path))
                ),
                None,
            )
            return (
                op
                or Operation(
                    "POST",
                    path,
                    "",
                    None,
                    {
                        "type": "object",
                        "properties": {
                            "username": {"type": "string"},
                            "password": {"type": "string"},
                        },
                        "required": ["username", "password"],
                    },
                    "form",
                ),
                f"the OAuth2 password flow of scheme {scheme.name} posts a form to its tokenUrl {scheme.token_url}",
            )
    for op in spec.operations:
        if (
            op.method == "POST"
            and _LOGIN.search(op.path)
            and not _NOT_LOGIN.search(op.text)
            and _password_path(op.body_schema)
        ):
            return op, f"{op.route} takes a password and its path looks like a login"
    return None, ""


def _password_path(schema: Any, trail: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where the password sits in a body schema (top level or one object down)."""
    if not isinstance(schema, dict):
        return None
    properties = schema.get("properties") or {}
    for key in properties:
        if key.lower() in _PASSWORD_KEYS:
            return (*trail, key)
    if len(trail) < 2:
        for key, value in properties.items():
            found = _password_path(value, (*trail, key))
            if found:
                return found
    return None


def _token_path(schema: Any, trail: str = "$") -> str | None:
    if not isinstance(schema, dict):
        return None
    properties = schema.get("properties") or {}
    for key in _TOKEN_KEYS:
        if key in properties:
            return f"{trail}.{key}"
    for key, value in properties.items():
        if isinstance(value, dict) and value.get("properties") and trail.count(".") < 2:
            found = _token_path(value, f"{trail}.{key}")
            if found:
                return found
    return None


def _login_body(op: Operation, seed: UserSeed) -> dict[str, Any]:
    """The login body for a user: the schema's example with the username and password
    replaced by the user's (the password from the environment)."""
    body = example_for(op.body_schema) if op.body_schema else None
    if not isinstance(body, dict):
        body = {}
    where = _password_path(op.body_schema) or ("password",)
    holder = body
    for key in where[:-1]:
        holder = holder.setdefault(key, {}) if isinstance(holder.get(key, {}), dict) else holder
    holder[where[-1]] = f"${{{seed.name.upper()}_PASSWORD}}"
    name_key = next((k for k in holder if k.lower() in _USERNAME_KEYS), None) or next(
        (k for k in ("username", "email") if k in ((op.body_schema or {}).get("properties") or {})),
        "username",
    )
    holder[name_key] = f"${{{seed.name.upper()}_USERNAME:-{seed.username}}}"
    if op.content_type == "form" and "grant_type" in holder:
        holder["grant_type"] = "password"
    return body


def _users(spec: ApiSpec, draft: Draft, seeds: list[UserSeed]) -> None:
    login, why = _login_op(spec)
    schemes = [s for s in spec.schemes.values()]
    key_scheme = next((s for s in schemes if s.kind == "apiKey"), None)
    if login is not None:
        token_path = _token_path(login.response_schema)
        for seed in seeds:
            entry: dict[str, Any] = {
                "route": f"POST {login.path}",
                "body": _login_body(login, seed),
            }
            if login.content_type == "form":
                entry["content_type"] = "form"
            if token_path:
                entry["token"] = token_path
            if (
                key_scheme is not None
                and key_scheme.location == "cookie"
                and not token_path
                and key_scheme.key_name
            ):
                entry["cookies"] = [key_scheme.key_name]
            user: dict[str, Any] = {"login": entry}
            if seed.role != "user":
                user["role"] = seed.role
            draft.users[seed.name] = Guess(
                user,
                f"logs in at POST {login.path}: {why}"
                + (f"; token at {token_path}" if token_path else ""),
            )
            draft.env += [
                f"{seed.name.upper()}_PASSWORD",
                f"{seed.name.upper()}_USERNAME (default {seed.username})",
            ]
        draft.todo.append(
            f"Create the test accounts {', '.join(s.username for s in seeds)} (or export *_USERNAME), with {seeds[-1].name} as an admin, and export {', '.join(s.name.upper() + '_PASSWORD' for s in seeds)}."
        )
        return
    if key_scheme is not None:
        draft.auth = Guess(
            {
                "in": key_scheme.location or "header",
                "header": key_scheme.key_name or "X-API-Key",
                "scheme": "",
            },
            f"security scheme {key_scheme.name} is an API key in the {key_scheme.location} {key_scheme.key_name}",
        )
    for seed in seeds:
        user = {"token": f"${{{seed.name.upper()}_TOKEN}}"}
        if seed.role != "user":
            user["role"] = seed.role
        draft.users[seed.name] = Guess(
            user, "no login route in the spec: a token (or API key) per user from the environment"
        )
        draft.env.append(f"{seed.name.upper()}_TOKEN")
    draft.todo.append(
        "No login route was found: export a token per user ("
        + ", ".join(s.name.upper() + "_TOKEN" for s in seeds)
        + "), or give each user a login: (see docs/onboarding.md)."
    )


def _is_admin_route(op: Operation) -> str | None:
    if _ADMIN.search(op.path):
        return f"its path ({op.path}) looks like an admin area"
    if _ADMIN_WORDS.search(op.summary):
        return f'its summary says "{op.summary[:60]}"'
    if op.method == "GET" and _USERS_COLLECTION.search(op.path):
        return "listing every user is usually for admins only"
    return None


def _sample_body(op: Operation) -> tuple[Any, str | None]:
    if op.body_schema is None:
        return None, None
    return example_for(op.body_schema), ("form" if op.content_type == "form" else None)


def _harmless(op: Operation, body: Any) -> Any:
    """A private route's body without the fields that would change who a test user is:
    checks send these bodies signed in (input_validation), and a changed e-mail or password
    would lock the user out of the rest of the run."""
    if not isinstance(body, dict) or not (
        op.method in ("PUT", "PATCH") or re.search(r"/me\b|password", op.path, re.I)
    ):
        return body
    kept = {
        k: (_harmless(op, v) if isinstance(v, dict) else v)
        for k, v in body.items()
        if not _IDENTITY.search(k)
    }
    kept = {k: v for k, v in kept.items() if v is not None}
    return kept or None


def _routes(spec: ApiSpec, draft: Draft, object_paths: set[str], admin_user: str | None) -> None:
    private = 0
    skipped_logout: list[str] = []
    for op in spec.operations:
        if _is_docs(op) or op.method in ("HEAD", "OPTIONS"):
            continue
        if op.security is None:
            if op.method == "GET" and _HEALTH.search(op.path) and not _has_param(op):
                draft.health_routes.append(
                    Guess(op.route, "a public GET whose path looks like a health check")
                )
            elif op.method == "GET" and not _has_param(op) and len(draft.public_routes) < 10:
                draft.public_routes.append(
                    Guess(op.route, "the spec lists no security requirement for it")
                )
            continue
        if _has_param(op) and op.path not in object_paths:
            continue  # its placeholder needs an object; see objects
        if op.route in draft.public_items:
            continue  # its collection is public: a read of one item is public too
        if op.method != "GET" and _SESSION_END.search(op.path):
            skipped_logout.append(op.route)
            continue  # checks sign in as the users: a logout probe would end their sessions
        if private >= MAX_PRIVATE:
            continue
        private += 1
        entry: dict[str, Any] = {"route": op.route}
        why = f"requires {', '.join(op.security)}"
        admin = _is_admin_route(op) if op.method == "GET" else None
        if admin and admin_user:
            entry["roles"] = ["admin"]
            why += f"; roles [admin] because {admin}"
        body, content_type = _sample_body(op)
        body = _harmless(op, body)
        if body is not None:
            entry["body"] = body
            why += "; body from its request schema"
        if content_type:
            entry["content_type"] = content_type
        draft.private_routes.append(Guess(entry if len(entry) > 1 else op.route, why))
    if skipped_logout:
        draft.todo.append(
            f"Left out of private_routes because checks sign in as your users: {', '.join(skipped_logout)} (a probe would end their sessions)."
        )
    extra = (
        sum(1 for op in spec.operations if op.security is not None and not _is_docs(op))
        - private
        - len(skipped_logout)
    )
    if extra > 0:
        draft.todo.append(
            f"{extra} more private operations are not listed (path placeholders without an object, or past {MAX_PRIVATE}); add the ones that matter to private_routes."
        )


def _objects(spec: ApiSpec, draft: Draft, owner: str | None, admin_paths: set[str]) -> set[str]:
    """Owned objects: an item route ``C/{id}`` whose collection ``C`` the owner may list or
    create in. Created objects are preferred: destructive probes then touch a fresh one."""
    if owner is None:
        return set()
    by_route = {(o.method, o.path): o for o in spec.operations}
    chosen: set[str] = set()
    for op in spec.operations:
        if len(draft.objects) >= MAX_OBJECTS or op.method != "GET" or op.security is None:
            continue
        match = re.fullmatch(r"(.+)/\{[^{}]+\}/?", op.path)
        if not match or "{" in match.group(1):
            continue
        collection = match.group(1)
        lister = by_route.get(("GET", collection)) or by_route.get(("GET", collection + "/"))
        creator = by_route.get(("POST", collection)) or by_route.get(("POST", collection + "/"))
        if _USERS_COLLECTION.search(collection + "/") or collection in admin_paths:
            continue  # every user's list is admin-only: not an object a user owns
        writes = [m for m in ("PATCH", "PUT") if (m, op.path) in by_route]
        entry: dict[str, Any] = {"route": op.route, "owner": owner}
        public = lister is not None and lister.security is None
        if creator is not None and creator.security is not None and creator.content_type == "json":
            body = example_for(creator.body_schema) if creator.body_schema else {}
            entry |= {"create": creator.route, "body": body if body is not None else {}}
            if ("DELETE", op.path) in by_route:
                writes.append("DELETE")
            why = (
                f"{creator.route} creates one for {owner} (a fresh object, so DELETE may be tried)"
            )
        elif lister is not None and lister.security is not None:
            entry["discover"] = lister.route
            why = f"{owner}'s first object in {lister.route}"
        else:
            continue
        entry["methods"] = ["GET", *writes]
        if public:
            entry["public"] = True
            why += f"; {lister.route} needs no credentials, so anyone may read them: only writes are probed"
            draft.public_items.add(op.route)
        draft.objects.append(
            Guess(entry, f"{op.route} reads one object by id; its id comes from {why}")
        )
        chosen.add(op.path)
    for op in spec.operations:  # objects named in the body (PUT /profile {"username": ...})
        if (
            len(draft.objects) >= MAX_OBJECTS + 1
            or op.security is None
            or op.method not in ("PUT", "PATCH", "POST")
            or _has_param(op)
        ):
            continue
        properties = (op.body_schema or {}).get("properties") or {}
        key = next((k for k in _OWNER_KEYS if k in properties), None)
        if key is None or op.content_type != "json":
            continue
        body = example_for(op.body_schema) or {}
        body = body if isinstance(body, dict) else {}
        body[key] = "{owner}"
        other = next((f for f in string_fields(op.body_schema) if f != key), None)
        if other:
            body[other] = "changed by {user}"
        entry = {"route": op.route, "owner": owner, "body": body}
        if ("GET", op.path) in by_route:
            entry["read"] = f"GET {op.path}"
        draft.objects.append(
            Guess(
                entry,
                f"{op.route} takes a user's {key} in its body: other users name {owner} there, and {owner}'s view is read back",
            )
        )
    return chosen


def _rate_limits(spec: ApiSpec, draft: Draft, chat_user: str | None) -> None:
    seen: set[str] = set()
    for op in spec.operations:
        if op.method != "POST" or op.route in seen:
            continue
        text = op.text
        kind = None
        if (
            op.security is None
            and _LOGIN.search(op.path)
            and not _NOT_LOGIN.search(text)
            and _password_path(op.body_schema)
        ):
            kind, limit = "login", 10
        elif op.security is None and _SIGNUP.search(op.path):
            kind, limit = "signup", 10
        elif op.security is None and _RESET.search(op.path):
            kind, limit = "password reset", 5
        elif op.security is not None and _CHAT.search(op.path) and chat_user:
            kind, limit = "chat-like", 30
        if kind is None:
            continue
        seen.add(op.route)
        path = _PLACEHOLDER.sub(
            PROBE_EMAIL if "mail" in op.path.lower() else "launchready-probe", op.path
        )
        body, content_type = _sample_body(op)
        if kind == "login" and isinstance(body, dict):
            where = _password_path(op.body_schema) or ("password",)
            holder = body
            for key in where[:-1]:
                holder = holder.get(key) if isinstance(holder.get(key), dict) else holder
            holder[where[-1]] = "not-the-password"
            for key in list(holder):
                if key.lower() in _USERNAME_KEYS:
                    holder[key] = PROBE_EMAIL
        entry: dict[str, Any] = {"route": f"POST {path}", "max_per_minute": limit}
        if kind == "chat-like":
            entry["as"] = chat_user
        if body is not None:
            entry["body"] = body
        if content_type:
            entry["content_type"] = content_type
        draft.rate_limits.append(
            Guess(entry, f"a {kind} route; {limit}/min is a guess: set your real limit")
        )


def _chat(spec: ApiSpec, draft: Draft, user: str | None) -> None:
    if user is None:
        return
    for op in spec.operations:
        if (
            op.method != "POST"
            or op.security is None
            or not _CHAT.search(op.path)
            or op.content_type != "json"
        ):
            continue
        fields = string_fields(op.body_schema)
        key = next((k for k in _CHAT_KEYS if k in fields), None)
        if key is None:
            continue
        body = example_for(op.body_schema) or {}
        body = body if isinstance(body, dict) else {}
        body[key] = "{prompt}"
        reply = next((k for k in _REPLY_KEYS if k in string_fields(op.response_schema)), "reply")
        draft.chat = Guess(
            {"route": op.route, "as": user, "body": body, "reply": reply},
            f"{op.route} takes a {key} and its path looks like a chat; the answer is read from {reply}",
        )
        return


def _latency(spec: ApiSpec, draft: Draft) -> None:
    routes = []
    for op in spec.operations:
        if (
            op.method != "GET"
            or _has_param(op)
            or _is_docs(op)
            or _HEALTH.search(op.path)
            or _LOGIN.search(op.path)
        ):
            continue
        schema = op.response_schema or {}
        listy = schema.get("type") == "array" or any(
            isinstance(v, dict) and v.get("type") == "array"
            for v in (schema.get("properties") or {}).values()
        )
        if listy or op.path.rstrip("/").endswith("s"):
            routes.append(op.route)
        if len(routes) >= MAX_LATENCY:
            break
    if routes:
        draft.latency = Guess(
            {"routes": routes, "p95_ms": 500},
            "GETs that list things (array answers or plural paths); private ones are measured signed in; 500 ms is a default budget",
        )


def _webhooks(spec: ApiSpec, draft: Draft) -> None:
    for op in spec.operations:
        if op.method == "POST" and _WEBHOOK.search(op.path):
            scheme = (
                "stripe"
                if "stripe" in op.path.lower()
                else "github"
                if "github" in op.path.lower()
                else "standard"
            )
            draft.webhooks.append(
                Guess(
                    {"route": op.route, "scheme": scheme, "secret": "${WEBHOOK_SECRET}"},
                    f"a POST whose path looks like a webhook receiver; scheme {scheme} is a guess",
                )
            )
    if draft.webhooks:
        draft.todo.append(
            "Uncomment webhooks: and set each scheme and secret variable (init cannot know your signing secret)."
        )


def draft_from_spec(spec: ApiSpec, base_url: str, seeds: list[UserSeed]) -> Draft:
    draft = Draft(base_url=base_url, title=spec.title)
    _users(spec, draft, seeds)
    owner = seeds[0].name if seeds else None
    admin = next((s.name for s in seeds if s.role == "admin"), None)
    admin_paths = {
        op.path.rstrip("/")
        for op in spec.operations
        if op.security is not None and _is_admin_route(op)
    }
    object_paths = _objects(spec, draft, owner, admin_paths)
    _routes(spec, draft, object_paths, admin)
    _chat(spec, draft, owner)
    _rate_limits(spec, draft, seeds[1].name if len(seeds) > 1 else owner)
    _latency(spec, draft)
    _webhooks(spec, draft)
    if not draft.health_routes:
        draft.todo.append(
            "No health route is in the spec: add health_routes (e.g. [GET /health]) if the app has one."
        )
    draft.todo.append(
        "cors.allowed_origins: the origins of your own front end (init cannot see them)."
    )
    return draft
