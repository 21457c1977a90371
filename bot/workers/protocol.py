"""What a serve process and a worker process say to each other about a run: one JSON object
per line.

To the worker: ``{"job": {...}}`` starts a run (:class:`RunJob`), ``{"cancel": true}``
cancels the run in progress. From the worker: ``{"ready": pid}`` once it can take a job,
then per job ``{"started": run_id}``, ``{"result": {...}}`` for each check as it lands (already
saved in the store), and finally ``{"done": report}`` or ``{"failed": kind, "message": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import ConfigError
from bot.services import NotAllowed, RunInProgress
from checks.registry import UnknownCheckError

__all__ = ["RunFailed", "RunJob", "WorkerDied", "decode", "encode", "failure", "raise_failure"]


class WorkerDied(RuntimeError):
    """The worker process running a run stopped before the run finished."""


class RunFailed(RuntimeError):
    """The run raised in the worker something the serve process has no type for."""


@dataclass(frozen=True)
class RunJob:
    target: str
    only: Sequence[str] = ()
    trigger: str = "slack"
    who: str | None = None
    run_id: str | None = None  # chosen by the caller when it must know it before the worker starts

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "only": list(self.only),
            "trigger": self.trigger,
            "who": self.who,
            "run_id": self.run_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunJob:
        return cls(
            target=str(data["target"]),
            only=tuple(data.get("only") or ()),
            trigger=str(data.get("trigger", "slack")),
            who=data.get("who"),
            run_id=data.get("run_id"),
        )


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"a worker message must be a JSON object, not {type(message).__name__}")
    return message


# The exceptions a run raises on purpose, by name, so the serve process answers them as if
# the run had been in-process (RunInProgress: "follow it here"; NotAllowed: admins only).
_KINDS: dict[str, type[Exception]] = {
    "RunInProgress": RunInProgress,
    "NotAllowed": NotAllowed,
    "ConfigError": ConfigError,
    "UnknownCheckError": UnknownCheckError,
}


def failure(exc: BaseException) -> dict[str, Any]:
    message: dict[str, Any] = {"failed": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, RunInProgress):
        message["target"], message["run_id"] = exc.target, exc.run_id
    if isinstance(exc, ConfigError):
        message["errors"] = list(exc.errors)
    return message


def raise_failure(message: Mapping[str, Any]) -> None:
    kind, text = str(message.get("failed")), str(message.get("message", ""))
    if kind == "RunInProgress":
        error: Exception = RunInProgress(str(message.get("target", "")), message.get("run_id"))
        error.args = (text,)
        raise error
    if kind == "ConfigError":
        raise ConfigError(list(message.get("errors") or [text]))
    raise _KINDS.get(kind, RunFailed)(text if kind in _KINDS else f"{kind}: {text}")
