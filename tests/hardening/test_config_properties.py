"""app.yaml loading under arbitrary input: a valid config or a ConfigError, never a traceback."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import AppConfig, ConfigError, parse_config

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["30s", "5 minutes", "GET /x", "FOO /y", "${NOPE}", "${X:-1}", "https://a.test", "2026-12-15"]),
)
keys = st.sampled_from(
    ["project", "targets", "staging", "base_url", "users", "token", "monitors", "interval", "checklist",
     "slack", "digest", "cron", "timezone", "alerts", "ingest", "private_routes", "objects", "route", "webhooks",
     "scheme", "secret", "chat", "latency", "domains", "name", "bogus"]
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=25,
)

settings_ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_clean(text: str) -> None:
    try:
        config = parse_config(text, env={"X": "1"})
    except ConfigError as exc:
        assert exc.errors, "a ConfigError must carry at least one sentence"
        for line in exc.errors:
            assert isinstance(line, str) and ": " in line, f"error without a key path: {line!r}"
            assert "Traceback" not in line
    else:
        assert isinstance(config, AppConfig)


@settings_
@given(documents)
def test_arbitrary_structures_load_or_fail_with_sentences(document):
    assert_clean(yaml.safe_dump(document))


@settings_
@given(st.text(max_size=200))
def test_arbitrary_text_loads_or_fails_with_sentences(text):
    assert_clean(text)


@settings_
@given(st.dictionaries(keys, documents, max_size=4))
def test_arbitrary_targets_load_or_fail_with_sentences(target):
    document = {"project": "p", "targets": {"staging": {"base_url": "https://a.test", **target}}}
    assert_clean(yaml.safe_dump(document))
