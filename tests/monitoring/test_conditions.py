from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import ConfigError, parse_config
from bot.monitoring.conditions import ConditionError, Observation, parse_condition

SEEN = Observation(
    status=503,
    response_time_ms=812.4,
    body=b'{"status": "ok", "data": {"items": [{"id": 7}, {"id": 9}]}, "up": true}',
    certificate_expiration=timedelta(hours=30),
    p95_ms=640.0,
    p95_samples=20,
)


@pytest.mark.parametrize(
    ("text", "success", "description"),
    [
        ("[STATUS] == 200", False, "[STATUS] (503) == 200"),
        ("[STATUS] != 200", True, "[STATUS] (503) != 200"),
        ("[STATUS] >= 500", True, "[STATUS] (503) >= 500"),
        ("[STATUS] == any(200, 503)", True, "[STATUS] (503) == any(200, 503)"),
        ("[STATUS] != any(500, 503)", False, "[STATUS] (503) != any(500, 503)"),
        ("[RESPONSE_TIME] < 500", False, "[RESPONSE_TIME] (812 ms) < 500"),
        ("[RESPONSE_TIME] <= 1s", True, "[RESPONSE_TIME] (812 ms) <= 1s"),
        ("[BODY].status == ok", True, "[BODY].status (ok) == ok"),
        ("[BODY].data.items[1].id == 9", True, "[BODY].data.items[1].id (9) == 9"),
        ("len([BODY].data.items) == 2", True, "len([BODY].data.items) (2) == 2"),
        ("has([BODY].errors) == false", True, "has([BODY].errors) (false) == false"),
        ("[BODY].up == true", True, "[BODY].up (true) == true"),
        ("[BODY] == pat(*\"ok\"*)", True, None),
        ("[BODY].status == pat(o*)", True, "[BODY].status (ok) == pat(o*)"),
        ("[BODY].missing == 1", False, "[BODY].missing (INVALID: no such path in the body) == 1"),
        ("[CERTIFICATE_EXPIRATION] > 48h", False, "[CERTIFICATE_EXPIRATION] (30.0 h) > 48h"),
        ("[CERTIFICATE_EXPIRATION] > 1d", True, None),
        ("[P95_RESPONSE_TIME] < 500", False, "[P95_RESPONSE_TIME] (640 ms over the last 20 probes) < 500"),
        ("[CONNECTED] == true", True, "[CONNECTED] (true) == true"),
        ("200 == [STATUS]", False, "200 == [STATUS]"),
    ],
)
def test_evaluation_matches_gatus(text, success, description):
    result = parse_condition(text, monitor="api").evaluate(SEEN)
    assert result.success is success
    if description:
        assert result.description == description


def test_no_answer_fails_status_and_connected():
    seen = Observation(connected=False, error="GET http://x could not connect: refused")
    assert not parse_condition("[STATUS] == 200").evaluate(seen).success
    assert not parse_condition("[CONNECTED] == true").evaluate(seen).success
    assert "could not connect" in parse_condition("[STATUS] == 200").evaluate(seen).observed


def test_non_numeric_comparison_fails_with_a_sentence():
    result = parse_condition("[BODY].status < 5").evaluate(SEEN)
    assert not result.success
    assert "'ok' is not a number" in result.observed


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[STATUS] 200", "no operator found"),
        ("[STATUS] ==", "both sides"),
        ("[FOO] == 1", "[FOO] is not a known placeholder"),
        ("pat(*) == [BODY]", "belongs on the right side"),
        ("[STATUS] < any(1, 2)", "works only with == and !="),
        ("[BODY]junk == 1", "is not a body path"),
        ("1 == 1", "neither side is a placeholder"),
        ("len(5) == 1", "takes a placeholder"),
    ],
)
def test_bad_conditions_name_monitor_and_condition(text, words):
    with pytest.raises(ConditionError) as raised:
        parse_condition(text, monitor="api-health")
    message = str(raised.value)
    assert message.startswith(f'monitor "api-health", condition "{text}"')
    assert words in message


def test_config_refuses_a_bad_condition_with_the_key_path():
    text = """
project: x
targets: {t: {base_url: "http://127.0.0.1:1"}}
monitors:
  - {name: api, url: "http://127.0.0.1:1/health", conditions: ["[STATUS] = 200"]}
"""
    with pytest.raises(ConfigError) as raised:
        parse_config(text, env={})
    assert raised.value.errors[0].startswith("monitors[0].conditions:")
    assert 'monitor "api"' in raised.value.errors[0]


def test_config_refuses_a_bad_maintenance_cron():
    text = """
project: x
targets: {t: {base_url: "http://127.0.0.1:1"}}
monitors:
  - {name: api, url: "http://127.0.0.1:1/health", maintenance: [{cron: "61 * * * *", duration: 1h}]}
"""
    with pytest.raises(ConfigError) as raised:
        parse_config(text, env={})
    assert "monitors[0].maintenance[0].cron" in raised.value.errors[0]


def test_crontab_weekdays_count_from_sunday():
    from datetime import UTC, datetime

    from bot.monitoring.cron import crontab_trigger, weekday_names

    assert weekday_names("1-5") == "mon,tue,wed,thu,fri"
    assert weekday_names("0") == weekday_names("7") == "sun"
    assert weekday_names("mon-fri") == "mon-fri"
    saturday = datetime(2026, 11, 28, tzinfo=UTC)
    fire = crontab_trigger("0 9 * * 1-5", "Europe/Berlin").get_next_fire_time(None, saturday)
    assert fire.isoformat() == "2026-11-30T09:00:00+01:00"  # Monday, not Tuesday
