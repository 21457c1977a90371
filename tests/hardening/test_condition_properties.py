"""The monitor condition language under arbitrary input (bot/monitoring/conditions.py).

Parsing either gives a :class:`Condition` or raises :class:`ConditionError` whose sentence
names the monitor and the condition, never another exception; evaluating a parsed condition
against any probe result (any status, any body bytes or JSON, any response time, no answer,
no certificate) gives a :class:`ConditionResult` and never raises.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.monitoring.conditions import (
    OPERATORS,
    PLACEHOLDERS,
    Condition,
    ConditionError,
    ConditionResult,
    Observation,
    parse_condition,
    parse_conditions,
)

MONITOR = "api-health"
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of conditions, right and nearly right.
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789 ", min_size=1, max_size=8)
body_paths = st.builds(
    lambda parts: "[BODY]" + "".join(parts),
    st.lists(
        st.one_of(
            names.map(lambda n: "." + n),
            st.integers(min_value=-3, max_value=12).map(lambda i: f"[{i}]"),
            st.sampled_from([".", "..", "[", "]", "[x]", "[]", ".[0]", "[0].", " ", "[-1]"]),
        ),
        max_size=5,
    ),
)
placeholders = st.one_of(
    st.sampled_from(PLACEHOLDERS),
    st.sampled_from(["[status]", "[STATUS", "STATUS]", "[NOPE]", "[BODY", "[BODY]x", "[RESPONSE_TIME]]", "[]", "[ STATUS ]"]),
    body_paths,
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", "1_000", "١٢٣", "+5", ".5", "5.", "-0"]),
)
durations = st.builds(
    lambda n, unit: f"{n}{unit}",
    st.one_of(st.integers(min_value=0, max_value=10**20), st.floats(min_value=0, allow_infinity=False, allow_nan=False)),
    st.sampled_from(["ms", "s", "m", "h", "d", "w", "", " h", "H", "mss"]),
)
literals = st.one_of(
    numbers,
    durations,
    st.sampled_from(["true", "false", "null", '"ok"', "'ok'", '""', "OK", "*", "pat", "any", "len", "has"]),
    st.text(max_size=12),
)


def wrap(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Functions around an operand, closed or not."""
    return st.one_of(
        inner,
        st.builds(lambda f, x: f"{f}({x})", st.sampled_from(["len", "has", "pat", "any", "nope", "LEN"]), inner),
        st.builds(lambda f, x: f"{f}({x}", st.sampled_from(["len", "has", "pat", "any"]), inner),
        st.builds(lambda xs: "any(" + ", ".join(xs) + ")", st.lists(st.one_of(literals, st.just("")), max_size=4)),
        st.builds(lambda x: f"pat({x})", st.text(alphabet="*?[]!ab.", max_size=8)),
    )


operands = wrap(st.one_of(placeholders, literals))
operators = st.one_of(st.sampled_from(OPERATORS), st.sampled_from(["=", "=>", "=<", "<>", "===", "!", "!==", "<<", "", " == == "]))
spaces = st.sampled_from(["", " ", "  ", "\t", "\n"])
structured = st.builds(
    lambda a, s1, op, s2, b: f"{a}{s1}{op}{s2}{b}", operands, spaces, operators, spaces, operands
)
conditions = st.one_of(structured, st.text(max_size=60), st.text(alphabet="[]().,*<>=! BODYSTATUSlenhaspatany0123456789", max_size=40))


def parse_cleanly(text: str) -> Condition | None:
    try:
        parsed = parse_condition(text, monitor=MONITOR)
    except ConditionError as exc:
        message = str(exc)
        assert f'monitor "{MONITOR}", condition "{text}"' in message, message
        assert message.rstrip().endswith((".", ")")) and len(message) > len(text) + 30
        return None
    assert isinstance(parsed, Condition)
    assert parsed.operator in OPERATORS
    assert parsed.text == text.strip()
    return parsed


@fast
@given(conditions)
def test_any_text_parses_or_raises_a_sentence_naming_the_condition(text):
    parse_cleanly(text)


@fast
@given(st.lists(conditions, min_size=1, max_size=4))
def test_a_monitors_list_of_conditions_fails_on_its_first_bad_one(texts):
    good = [t for t in texts if parse_cleanly(t) is not None]
    try:
        parsed = parse_conditions(texts, monitor=MONITOR)
    except ConditionError as exc:
        first_bad = next(t for t in texts if t not in good)
        assert f'condition "{first_bad}"' in str(exc)
    else:
        assert len(parsed) == len(texts) == len(good)


# What a probe can see.
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**400), max_value=10**400),  # past a float's range
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(names, children, max_size=4)),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"NaN", b"Infinity", b'{"a": NaN}', b"\xff\xfe", b"[" * 5000, b'{"a":' * 3000, b"1" * 500]),
)
# Measured times: any size a clock can produce, and the NaN/inf a broken measurement could.
millis = st.one_of(st.none(), st.floats(min_value=-1, max_value=1e12), st.sampled_from([math.nan, math.inf, -math.inf]))
observations = st.builds(
    Observation,
    status=st.one_of(st.none(), st.integers(min_value=-1, max_value=1000)),
    response_time_ms=millis,
    body=bodies,
    certificate_expiration=st.one_of(st.none(), st.timedeltas(min_value=timedelta(days=-999_999), max_value=timedelta(days=999_999))),
    connected=st.booleans(),
    p95_ms=millis,
    p95_samples=st.integers(min_value=0, max_value=10_000),
    error=st.one_of(st.none(), st.text(max_size=40)),
)


def evaluate_cleanly(condition: Condition, seen: Observation) -> None:
    result = condition.evaluate(seen)
    assert isinstance(result, ConditionResult)
    assert isinstance(result.success, bool)
    assert result.condition == condition.text
    assert isinstance(result.description, str) and condition.operator in result.description
    assert isinstance(result.observed, str)
    assert len(result.observed) <= 200  # bounded however large the body


valid = st.one_of(
    st.builds(lambda p, op, v: f"{p} {op} {v}", st.sampled_from(PLACEHOLDERS), st.sampled_from(OPERATORS), literals),
    st.builds(lambda p, op, v: f"{p} {op} {v}", body_paths, st.sampled_from(OPERATORS), literals),
    st.builds(lambda f, p, op, v: f"{f}({p}) {op} {v}", st.sampled_from(["len", "has"]), body_paths, st.sampled_from(OPERATORS), numbers),
    st.builds(lambda p, op, v: f"{p} {op} pat({v})", st.sampled_from(["[BODY]", "[STATUS]", "[BODY].status"]), st.sampled_from(["==", "!="]), st.text(max_size=10)),
    st.builds(lambda p, op, vs: f"{p} {op} any({', '.join(vs)})", st.sampled_from(PLACEHOLDERS), st.sampled_from(["==", "!="]), st.lists(literals, min_size=1, max_size=3)),
    st.builds(lambda v, op, p: f"{v} {op} {p}", literals, st.sampled_from(OPERATORS), st.sampled_from(PLACEHOLDERS)),
    structured,
)


@fast
@given(valid, observations)
def test_evaluation_never_raises_whatever_the_probe_saw(text, seen):
    condition = parse_cleanly(text)
    if condition is not None:
        evaluate_cleanly(condition, seen)


@fast
@given(st.sampled_from(PLACEHOLDERS), st.sampled_from(OPERATORS), numbers)
def test_no_answer_at_all_fails_the_condition_and_says_why(placeholder, operator, number):
    condition = parse_cleanly(f"{placeholder} {operator} {number}")
    assert condition is not None
    seen = Observation(status=None, response_time_ms=None, connected=False, error="connection refused")
    result = condition.evaluate(seen)
    if placeholder != "[CONNECTED]":
        # No value to compare: never a success by accident (a NaN or a default 0).
        assert result.success is False
        assert result.observed
    else:
        assert isinstance(result.success, bool)


@fast
@given(st.integers(min_value=10**309, max_value=10**400), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_an_integer_past_a_floats_range_in_the_body_compares(number, operator):
    condition = parse_cleanly(f"[BODY].n {operator} 5")
    assert condition is not None
    result = condition.evaluate(Observation(status=200, body=json.dumps({"n": number}).encode()))
    expected = {"<": False, "<=": False, ">": True, ">=": True, "==": False, "!=": True}[operator]
    assert result.success is expected


def test_a_nesting_bomb_body_is_not_json_rather_than_a_crash():
    condition = parse_cleanly("[BODY].status == ok")
    assert condition is not None
    result = condition.evaluate(Observation(status=200, body=b"[" * 100_000))
    assert result.success is False
    assert "not JSON" in result.observed


def test_nan_never_passes_a_comparison():
    for text in ("[RESPONSE_TIME] < 500", "[RESPONSE_TIME] > 500", "[RESPONSE_TIME] == nan"):
        condition = parse_cleanly(text)
        assert condition is not None
        result = condition.evaluate(Observation(status=200, response_time_ms=math.nan))
        assert result.success is False, text


def test_a_long_body_that_is_not_a_number_is_quoted_short():
    condition = parse_cleanly("[BODY] > 0")
    assert condition is not None
    result = condition.evaluate(Observation(status=200, body=b"x" * 100_000))
    assert result.success is False
    assert result.observed.endswith("is not a number") and len(result.observed) < 120
