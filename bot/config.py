"""app.yaml: read, expand ``${VAR}`` from the environment, validate, fail with key paths.

Loading is a chain that fails fast with named errors, Gatus-style: parse YAML (a syntax error
names the line), expand the environment (a missing variable names the key that needs it),
then validate with pydantic models (every error names its key path and the fix).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from checks.model import Severity
from checks.target import Duration, Target, body_leaves

__all__ = [
    "AlertsConfig",
    "AppConfig",
    "ChecklistEntry",
    "ConfigError",
    "DEFAULT_DATABASE",
    "IngestConfig",
    "MonitorConfig",
    "SlackConfig",
    "expand_env",
    "load_config",
    "parse_config",
]

DEFAULT_DATABASE = "sqlite:///launchready.db"
_NESTED_KEY = re.compile(r"^[a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*: ")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """One or more configuration errors, each ``key.path: what is wrong and the fix``."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DigestConfig(_Model):
    cron: str = "0 9 * * 1-5"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'"{value}" is not a time zone (use an IANA name such as Europe/Berlin)'
            ) from None
        return value

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(
                f'"{value}" is not a cron expression (five fields: minute hour day month weekday)'
            )
        return value


class SlackConfig(_Model):
    channel: str | None = None
    admins: list[str] = Field(default_factory=list)
    digest: DigestConfig | None = Field(default_factory=DigestConfig)


class ChecklistEntry(_Model):
    owner: str | None = None
    due: date | None = None
    attest_every: Duration | None = None
    title: str | None = None  # for manual items of your own (manual.<name>)
    severity: Severity | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _known_severity(cls, value: Any) -> Any:
        if value is None or isinstance(value, Severity):
            return value
        word = value.strip().lower() if isinstance(value, str) else value
        if word in {str(s) for s in Severity}:
            return Severity(word)
        names = ", ".join(str(s) for s in Severity)
        raise ValueError(f'"{str(value)[:80]}" is not a severity (use one of {names})')


class MaintenanceWindow(_Model):
    cron: str
    duration: Duration
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from bot.monitoring.cron import crontab_trigger

        try:
            crontab_trigger(value)
        except ValueError as exc:
            raise ValueError(f'"{value}" is not a cron expression ({exc})') from None
        return value


class MonitorConfig(_Model):
    name: str
    url: str
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    interval: Duration = timedelta(seconds=60)
    timeout: Duration = timedelta(seconds=10)
    conditions: list[str] = Field(default_factory=lambda: ["[STATUS] == 200"])
    failure_threshold: int = Field(default=3, ge=1)
    success_threshold: int = Field(default=2, ge=1)
    send_on_resolved: bool = True
    reminder_every: Duration | None = None
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    ca_file: Path | None = None
    target: str | None = None  # the target this monitor watches, for obs.monitoring_live
    p95_samples: int = Field(default=20, ge=5, le=1000)  # probes [P95_RESPONSE_TIME] looks back on

    @field_validator("conditions")
    @classmethod
    def _parse_conditions(cls, value: list[str], info: Any) -> list[str]:
        # Parsed once here so a bad condition stops the start with its monitor named.
        from bot.monitoring.conditions import ConditionError, parse_conditions

        try:
            parse_conditions(value, monitor=str(info.data.get("name", "")))
        except ConditionError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f'"{value}" is not an absolute http(s) URL')
        return value


class LatencyAlert(_Model):
    p95_ms: int = Field(default=500, gt=0)
    window: Duration = timedelta(minutes=5)
    min_samples: int = Field(default=20, ge=1)


class ErrorAlert(_Model):
    rate: float = Field(default=0.05, gt=0, le=1)
    window: Duration = timedelta(minutes=5)
    min_samples: int = Field(default=20, ge=1)


class WebhookAlert(_Model):
    failures: int = Field(default=3, ge=1)
    window: Duration = timedelta(minutes=10)


class AlertsConfig(_Model):
    latency: LatencyAlert = Field(default_factory=LatencyAlert)
    errors: ErrorAlert = Field(default_factory=ErrorAlert)
    webhooks: WebhookAlert = Field(default_factory=WebhookAlert)


class IngestConfig(_Model):
    secret: SecretStr | None = None
    alertmanager_token: SecretStr | None = None
    sentry_secret: SecretStr | None = None
    max_body: int = Field(default=256 * 1024, gt=0)

    @field_validator("secret", "alertmanager_token", "sentry_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class VerifierConfig(_Model):
    enabled: bool = False  # opt-in: the leaked key is sent to its own provider, read-only
    base_url: str | None = None  # the provider's API (default: its public one)


class RotationConfig(_Model):
    """``rotation: {verify: {github: {enabled: true}}}``: revocation verifiers for leaked keys."""

    verify: dict[Literal["github"], VerifierConfig] = Field(default_factory=dict)


class HypercareConfig(_Model):
    """The tighter watch right after launch: ``hypercare: {window: 72h, owner: U0LAUNCH}``."""

    enabled: bool = True  # with a launch_date; false switches it off
    window: Duration = timedelta(hours=72)  # from launch_date 00:00 in the digest's time zone
    owner: str | None = None  # the launch owner, mentioned on every incident (default: first admin)
    monitor_interval: Duration = timedelta(seconds=30)  # monitors probe at least this often
    failure_threshold: int = Field(default=1, ge=1)  # at most this many failures before an incident
    success_threshold: int = Field(default=1, ge=1)
    digest_cron: str = "0 9,17 * * *"  # twice a day, in the digest's time zone

    @field_validator("digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from bot.monitoring.cron import crontab_trigger

        try:
            crontab_trigger(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return value


class AppConfig(_Model):
    project: str
    launch_date: date | None = None
    database: str = DEFAULT_DATABASE
    slack: SlackConfig = Field(default_factory=SlackConfig)
    targets: dict[str, Target]
    checklist: dict[str, ChecklistEntry] = Field(default_factory=dict)
    monitors: list[MonitorConfig] = Field(default_factory=list)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    rotation: RotationConfig = Field(default_factory=RotationConfig)
    hypercare: HypercareConfig = Field(default_factory=HypercareConfig)

    # Where the file was read from: relative paths in it resolve against this directory.
    root: Path = Field(default=Path("."), exclude=True)

    @field_validator("targets")
    @classmethod
    def _at_least_one(cls, targets: dict[str, Target]) -> dict[str, Target]:
        if not targets:
            raise ValueError(
                "no target is configured (add one under targets:, e.g. staging: {base_url: https://...})"
            )
        return targets

    @property
    def database_url(self) -> str:
        url = os.environ.get("LAUNCHREADY_DATABASE_URL") or self.database
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str((self.root / url[len(prefix) :]).resolve())
        return url

    def target(self, name: str | None = None) -> tuple[str, Target]:
        """The named target, or the only/first one when no name is given."""
        if name is None:
            name = next(iter(self.targets))
        if name not in self.targets:
            known = ", ".join(self.targets)
            raise ConfigError([f"targets.{name}: there is no such target (configured: {known})"])
        return name, self.targets[name]

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.slack.admins


# -- loading ------------------------------------------------------------------------------


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> AppConfig:
    """Read and validate app.yaml; :class:`ConfigError` lists every problem with its key path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such file (pass --config, or create app.yaml; see README)"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot be read: {exc}"]) from None
    return parse_config(text, env=env, root=path.resolve().parent, source=str(path))


def parse_config(
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    root: Path | None = None,
    source: str = "app.yaml",
) -> AppConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(
            [f"{source}: YAML syntax error at {where}: {exc.problem or exc}"]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{source}: not valid YAML: {exc}"]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            [f"{source}: the top level must be a mapping of keys (project:, targets:, ...)"]
        )
    errors: list[str] = _inline_passwords(raw)
    expanded = expand_env(raw, os.environ if env is None else env, errors)
    if errors:
        raise ConfigError(errors)
    if root is not None:
        expanded["root"] = root
    try:
        return AppConfig.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, expanded)) from None


def expand_env(value: Any, env: Mapping[str, str], errors: list[str], path: str = "") -> Any:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in every string; record unset variables."""
    if isinstance(value, dict):
        return {k: expand_env(v, env, errors, _join(path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env, errors, f"{path}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        errors.append(
            f"{path}: environment variable {name} is not set (export it, or write ${{{name}:-default}})"
        )
        return ""

    return _VAR.sub(substitute, value)


_PASSWORD_KEY = re.compile(r"pass|secret|pwd", re.IGNORECASE)


def _inline_passwords(raw: Mapping[str, Any]) -> list[str]:
    """Login passwords written into the file: they must come from ${ENV} (the file is shared)."""
    errors = []
    targets = raw.get("targets") if isinstance(raw.get("targets"), dict) else {}
    for name, target in targets.items():
        users = target.get("users") if isinstance(target, dict) else None
        for user, spec in (users or {}).items() if isinstance(users, dict) else ():
            login = spec.get("login") if isinstance(spec, dict) else None
            body = login.get("body") if isinstance(login, dict) else None
            for key, value in body_leaves(body):
                if _PASSWORD_KEY.search(key) and isinstance(value, str) and "${" not in value:
                    errors.append(
                        f"targets.{name}.users.{user}.login.body.{key}: write the password as ${{VARIABLE}} and export it; passwords never live in app.yaml"
                    )
    return errors


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _key_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part.startswith(
            ("function-", "tagged-union", "str", "dict", "list")
        ):
            continue  # pydantic's union/validator branch names are not keys
        else:
            path = _join(path, part)
    return path


def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _describe(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    messages: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = _key_path(loc) or "(top level)"
        kind = error["type"]
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            parent = _lookup(data, loc[:-1])
            message = f"{loc[-1]!r} is not a known key"
            fields = _known_fields(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), fields, n=1) if fields else []
            message += (
                f" (did you mean {close[0]!r}?)" if close else " (remove it, or check the spelling)"
            )
            _ = parent
        elif kind == "value_error" and _NESTED_KEY.match(message):
            # A model validator naming a key below its model: fold it into the key path.
            subkey, _, message = message.partition(": ")
            key = _join(key, subkey) if key != "(top level)" else subkey
        elif kind == "missing":
            message = "is required"
        elif kind in (
            "int_parsing",
            "int_type",
            "float_parsing",
            "bool_parsing",
            "date_from_datetime_parsing",
            "date_parsing",
        ):
            message = f"{error.get('input')!r} {message[0].lower() + message[1:]}"
        messages.append(f"{key}: {message}")
    return messages


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model at ``loc``, for 'did you mean' hints."""
    model: Any = AppConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return []
        if part in fields:
            model = _inner_model(fields[part].annotation)
        else:  # a dict key (e.g. a target name): the value model stays the same
            continue
    fields = getattr(model, "model_fields", None)
    if not fields:
        return []
    names = []
    for name, info in fields.items():
        names.append(info.alias or name)
    return names


def _inner_model(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
