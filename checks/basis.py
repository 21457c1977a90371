"""What a result was measured against: the config it read, the repository, the app's build.

A pass is a statement about one state of the world. :class:`Basis` records that state beside
the result so a later reader can tell whether the pass still speaks for what is deployed now:

* ``config_keys`` / ``config_hash``: the ``targets.<name>`` keys the check read (recorded by
  :class:`ReadRecorder` as the check touched them) and a hash of their values. Secrets enter
  the hash as their own SHA-256, so a rotated test token changes it without ever being stored.
* ``repo_head``: the repository's HEAD, for checks that read ``repo``.
* ``build``: the app's build as it reported it (``targets.<name>.version``), for checks that
  sent the app at least one request.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from checks.target import Target

__all__ = ["Basis", "ReadRecorder", "config_hash", "repo_head", "short"]

# Keys every result depends on: another base URL is another deployment.
ALWAYS_READ = ("base_url",)


@dataclass(frozen=True)
class Basis:
    config_keys: tuple[str, ...]
    config_hash: str
    repo_head: str | None = None
    build: str | None = None
    measured_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "config_keys": list(self.config_keys),
            "config_hash": self.config_hash,
            "repo_head": self.repo_head,
            "build": self.build,
            "measured_at": self.measured_at.astimezone(UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Basis:
        measured = data.get("measured_at")
        return cls(
            config_keys=tuple(data.get("config_keys") or ()),
            config_hash=str(data.get("config_hash") or ""),
            repo_head=data.get("repo_head"),
            build=data.get("build"),
            measured_at=datetime.fromisoformat(measured.replace("Z", "+00:00"))
            if measured
            else datetime.now(UTC),
        )


class ReadRecorder:
    """Stands in for a :class:`Target` while one check runs and notes which fields it reads.

    Properties and methods of ``Target`` run against the recorder, so ``target.url(...)``
    records ``base_url`` and ``target.auth_headers(...)`` records ``auth`` and ``users``.
    """

    def __init__(self, target: Target) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_read", set(ALWAYS_READ))

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(recorder, Target) stays true for the checks
        return Target

    @property
    def keys_read(self) -> tuple[str, ...]:
        return tuple(sorted(object.__getattribute__(self, "_read")))

    def __getattr__(self, name: str) -> Any:
        target: Target = object.__getattribute__(self, "_target")
        if name in type(target).model_fields:
            object.__getattribute__(self, "_read").add(name)
            return getattr(target, name)
        if name.startswith("_") or name.startswith("model_"):
            return getattr(target, name)
        attribute = getattr(type(target), name, None)
        if isinstance(attribute, property) and attribute.fget is not None:
            return attribute.fget(self)
        if callable(attribute) and not isinstance(attribute, type):
            return attribute.__get__(self, type(target))
        return getattr(target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a check may not change the target")


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "sha256:" + hashlib.sha256(value.get_secret_value().encode()).hexdigest()
    if isinstance(value, BaseModel):
        return {k: _plain(getattr(value, k)) for k in type(value).model_fields}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def config_hash(target: Target, keys: Iterable[str]) -> str:
    """A short hash of the values of ``keys`` (unknown keys hash as absent)."""
    fields = type(target).model_fields
    values = {
        key: _plain(getattr(target, key)) if key in fields else None for key in sorted(set(keys))
    }
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def repo_head(path: Path) -> str | None:
    """The commit HEAD points at, or None when ``path`` is not in a git repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    head = done.stdout.strip()
    return head if done.returncode == 0 and head else None


def short(value: str | None) -> str:
    """A commit or build as people read it: 7 characters of a hash, a version in full."""
    if not value:
        return "unknown"
    is_hash = len(value) >= 12 and all(c in "0123456789abcdef" for c in value.lower())
    return value[:7] if is_hash else value
