"""The condition language of monitors, as Gatus has it: ``[STATUS] == 200``.

A condition is ``left OPERATOR right`` with one of ``== != < <= > >=``. Either side may be a
placeholder (``[STATUS]``, ``[RESPONSE_TIME]``, ``[BODY]``, ``[BODY].path.to[0].field``,
``[CERTIFICATE_EXPIRATION]``, ``[CONNECTED]``, ``[P95_RESPONSE_TIME]``), a function of one
(``len(...)``, ``has(...)``), or a literal. On the right of ``==``/``!=``, ``pat(*wild*)``
matches with ``*`` wildcards and ``any(a, b, c)`` matches any listed value. Durations
(``48h``, ``500ms``) compare as milliseconds, the unit of every time placeholder.

Conditions are parsed once, when the config is read; a bad one is a :class:`ConditionError`
whose sentence names the monitor and the condition.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

__all__ = [
    "Condition",
    "ConditionError",
    "ConditionResult",
    "Observation",
    "parse_condition",
    "parse_conditions",
]

OPERATORS = ("==", "!=", "<=", ">=", "<", ">")  # two-character ones first: "<=" before "<"
PLACEHOLDERS = (
    "[STATUS]",
    "[RESPONSE_TIME]",
    "[BODY]",
    "[CERTIFICATE_EXPIRATION]",
    "[CONNECTED]",
    "[P95_RESPONSE_TIME]",
)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message names the monitor and the condition."""


@dataclass(frozen=True)
class Observation:
    """What one probe saw, plus the history a ``[P95_RESPONSE_TIME]`` needs."""

    status: int | None = None  # None: no HTTP answer at all
    response_time_ms: float | None = None
    body: bytes = b""
    certificate_expiration: timedelta | None = None
    connected: bool = True
    p95_ms: float | None = None
    p95_samples: int = 0
    error: str | None = None

    def body_json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nesting
            return _NOT_JSON


class _NotJson:
    pass


_NOT_JSON = _NotJson()


class _Missing:
    """A placeholder that has no value in this observation (no body path, no certificate)."""

    def __init__(self, why: str) -> None:
        self.why = why


@dataclass(frozen=True)
class _Operand:
    kind: str  # "placeholder", "literal", "pattern", "any"
    text: str
    placeholder: str = ""
    path: tuple[str | int, ...] = ()
    function: str = ""  # "len" or "has"
    values: tuple[str, ...] = ()

    def resolve(self, seen: Observation) -> Any:
        if self.kind != "placeholder":
            return self.text
        value = _placeholder_value(self.placeholder, self.path, seen)
        if self.function == "has":
            return "false" if isinstance(value, _Missing) else "true"
        if isinstance(value, _Missing):
            return value
        if self.function == "len":
            if isinstance(value, list | dict | str):
                return len(value)
            return len(_text(value))
        return value


@dataclass(frozen=True)
class ConditionResult:
    condition: str
    success: bool
    description: str  # "[STATUS] (503) == 200", the form Gatus shows
    observed: str  # the left side's value as text, e.g. "503" or "812 ms"


@dataclass(frozen=True)
class Condition:
    text: str
    left: _Operand
    operator: str
    right: _Operand

    @property
    def placeholders(self) -> set[str]:
        return {o.placeholder for o in (self.left, self.right) if o.kind == "placeholder"}

    def evaluate(self, seen: Observation) -> ConditionResult:
        left = self.left.resolve(seen)
        right = self.right.resolve(seen)
        if isinstance(left, _Missing) or isinstance(right, _Missing):
            missing = left if isinstance(left, _Missing) else right
            return self._result(False, left, missing.why, seen=seen)  # type: ignore[union-attr]
        if self.right.kind == "pattern":
            matched = fnmatch.fnmatchcase(_text(left), self.right.values[0])
            return self._result(matched if self.operator == "==" else not matched, left, seen=seen)
        if self.right.kind == "any":
            matched = any(_equal(left, v) for v in self.right.values)
            return self._result(matched if self.operator == "==" else not matched, left, seen=seen)
        if self.operator in ("==", "!="):
            equal = _equal(left, right)
            return self._result(equal if self.operator == "==" else not equal, left, seen=seen)
        a, b = _number(left), _number(right)
        if a is None or b is None:
            bad = left if a is None else right
            shown = _text(bad) if len(_text(bad)) <= 80 else _text(bad)[:80] + "…"  # a whole body is no message
            return self._result(False, left, f"{shown!r} is not a number", seen=seen)
        ok = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[self.operator]
        return self._result(ok, left, seen=seen)

    def _result(self, success: bool, left: Any, problem: str | None = None, *, seen: Observation) -> ConditionResult:
        observed = problem or _display(self.left, left, seen)
        if self.left.kind == "placeholder":
            shown = f"{self.left.text} ({observed})"
        else:
            shown = self.left.text
        return ConditionResult(
            condition=self.text,
            success=success,
            description=f"{shown} {self.operator} {self.right.text}",
            observed=observed,
        )


def parse_conditions(texts: Sequence[str], *, monitor: str) -> list[Condition]:
    """Parse every condition of one monitor; the first bad one raises."""
    return [parse_condition(text, monitor=monitor) for text in texts]


def parse_condition(text: str, *, monitor: str = "") -> Condition:
    where = f'monitor "{monitor}", condition "{text}"' if monitor else f'condition "{text}"'
    stripped = text.strip()
    found = _split(stripped)
    if found is None:
        raise ConditionError(f"{where}: no operator found (use one of {', '.join(OPERATORS)}, e.g. [STATUS] == 200).")
    left_text, operator, right_text = found
    if not left_text or not right_text:
        raise ConditionError(f"{where}: both sides of {operator} must be given (e.g. [STATUS] == 200).")
    left = _operand(left_text, where, right_side=False)
    right = _operand(right_text, where, right_side=True)
    if right.kind in ("pattern", "any") and operator not in ("==", "!="):
        raise ConditionError(f"{where}: {right_text.split('(')[0]}(...) works only with == and !=.")
    if left.kind != "placeholder" and right.kind != "placeholder":
        raise ConditionError(f"{where}: neither side is a placeholder ({', '.join(PLACEHOLDERS)}).")
    return Condition(text=stripped, left=left, operator=operator, right=right)


def _split(text: str) -> tuple[str, str, str] | None:
    # The operator outside brackets and parentheses, first by position; a longer one wins a tie.
    depth = 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0:
            for operator in OPERATORS:
                if text.startswith(operator, i):
                    return text[:i].strip(), operator, text[i + len(operator):].strip()
    return None


def _operand(text: str, where: str, *, right_side: bool) -> _Operand:
    for function in ("len", "has"):
        if text.startswith(function + "(") and text.endswith(")"):
            inner = _operand(text[len(function) + 1:-1].strip(), where, right_side=right_side)
            if inner.kind != "placeholder":
                raise ConditionError(f"{where}: {function}(...) takes a placeholder such as [BODY].items.")
            return _Operand("placeholder", text, inner.placeholder, inner.path, function)
    if text.startswith("pat(") and text.endswith(")"):
        if not right_side:
            raise ConditionError(f"{where}: pat(...) belongs on the right side (e.g. [BODY] == pat(*ok*)).")
        return _Operand("pattern", text, values=(text[4:-1].strip(),))
    if text.startswith("any(") and text.endswith(")"):
        if not right_side:
            raise ConditionError(f"{where}: any(...) belongs on the right side (e.g. [STATUS] == any(200, 204)).")
        values = tuple(v.strip() for v in text[4:-1].split(",") if v.strip())
        if not values:
            raise ConditionError(f"{where}: any(...) needs at least one value.")
        return _Operand("any", text, values=values)
    if text.startswith("["):
        for placeholder in PLACEHOLDERS:
            if text == placeholder:
                return _Operand("placeholder", text, placeholder)
        if text.startswith("[BODY]") and len(text) > 6:
            rest = text[6:]
            path = _body_path(rest)
            if path is None:
                raise ConditionError(f"{where}: {text} is not a body path (write [BODY].field.sub[0].name).")
            return _Operand("placeholder", text, "[BODY]", path)
        if re.match(r"^\[[A-Z_0-9]+\]", text):
            known = ", ".join(PLACEHOLDERS)
            raise ConditionError(f"{where}: {text.split(']')[0]}] is not a known placeholder ({known}).")
    return _Operand("literal", text)


def _body_path(rest: str) -> tuple[str | int, ...] | None:
    if not rest.startswith((".", "[")):
        return None
    parts: list[str | int] = []
    position = 0
    for match in _PATH_PART.finditer(rest):
        gap = rest[position:match.start()]
        if gap not in ("", "."):
            return None
        parts.append(int(match.group(2)) if match.group(2) is not None else match.group(1))
        position = match.end()
    if rest[position:] or not parts:
        return None
    return tuple(parts)


def _placeholder_value(placeholder: str, path: tuple[str | int, ...], seen: Observation) -> Any:
    if placeholder == "[CONNECTED]":
        return "true" if seen.connected else "false"
    if placeholder == "[STATUS]":
        return seen.status if seen.status is not None else _Missing(seen.error or "no answer")
    if placeholder == "[RESPONSE_TIME]":
        if seen.response_time_ms is None:
            return _Missing(seen.error or "no answer")
        return seen.response_time_ms
    if placeholder == "[CERTIFICATE_EXPIRATION]":
        if seen.certificate_expiration is None:
            return _Missing(seen.error or "no certificate (not HTTPS)")
        return seen.certificate_expiration.total_seconds() * 1000
    if placeholder == "[P95_RESPONSE_TIME]":
        if seen.p95_ms is None:
            return _Missing("no response times yet")
        return seen.p95_ms
    # [BODY]
    if seen.status is None:
        return _Missing(seen.error or "no answer")
    if not path:
        return seen.body.decode("utf-8", errors="replace")
    value = seen.body_json()
    if isinstance(value, _NotJson):
        return _Missing("body is not JSON")
    for part in path:
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _Missing("INVALID: no such path in the body")
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return "null"
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # a JSON integer past a float's range still orders
            return math.inf if value > 0 else -math.inf
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _DURATION.match(text)
    if match:
        return float(match.group(1)) * _DURATION_MS[match.group(2)]
    return None


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return _text(left) == _text(right).strip('"')


def _display(operand: _Operand, value: Any, seen: Observation) -> str:
    if operand.placeholder == "[P95_RESPONSE_TIME]" and not operand.function:
        return f"{_number(value) or 0:.0f} ms over the last {seen.p95_samples} probes"
    if operand.placeholder == "[RESPONSE_TIME]" and not operand.function:
        return f"{_number(value) or 0:.0f} ms"
    if operand.placeholder == "[CERTIFICATE_EXPIRATION]" and not operand.function:
        hours = (_number(value) or 0) / 3_600_000
        return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"
    text = _text(value)
    return text if len(text) <= 80 else text[:80] + "…"
