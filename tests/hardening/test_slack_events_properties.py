"""POST /slack/events of `launchready serve` under arbitrary, correctly signed bodies.

The slash-command parser has its own property tests (tests/slack/test_parser.py); these send
whole requests over real HTTP to the served app (one per module, tests/hardening/served.py):
arbitrary form and JSON bodies, and near-misses of commands, block actions, view submissions
and Events API callbacks. Bolt acknowledges or refuses each; none gets a 5xx or a traceback,
and unsigned or badly signed ones are always 401.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.hardening.served import served_in_thread
from tests.slack.slack_requests import SlackSender

bounded = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, SlackSender]]:
    with served_in_thread(tmp_path_factory.mktemp("slack")) as served, httpx.Client(base_url=served.url, timeout=10) as client:
        yield client, SlackSender(f"{served.url}/slack/events", response_url=served.fake.response_url())


def send(service: tuple[httpx.Client, SlackSender], body: str, content_type: str) -> httpx.Response:
    client, sender = service
    answer = client.post("/slack/events", content=body.encode(), headers={"Content-Type": content_type, **sender.sign(body)})
    event(f"HTTP {answer.status_code}")
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    return answer


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)),
    max_leaves=15,
)
odd = st.one_of(json_values, st.sampled_from(["", "U0ALICE", "C0LAUNCH", "run staging", "help", "\x00", "x" * 2000]))
form_fields = st.dictionaries(
    st.one_of(st.sampled_from(["command", "text", "user_id", "channel_id", "team_id", "response_url", "trigger_id", "payload", "ssl_check"]), st.text(max_size=8)),
    st.text(max_size=60),
    max_size=8,
)
commands = st.builds(
    lambda text, user, channel, command: urlencode({
        "team_id": "T0TEAM", "channel_id": channel, "user_id": user, "command": command, "text": text,
        "api_app_id": "A0APP", "trigger_id": "1337.42.abcd",
    }),
    st.one_of(st.text(max_size=80), st.sampled_from(["", "help", "status", "status nowhere", "done", "assign", "waive x",
                                                      "incidents", "digest", "handover", "checklist", "run nowhere", "\u202e"])),
    st.sampled_from(["U0ALICE", "U0ADMIN", "", "WXYZ"]),
    st.sampled_from(["C0LAUNCH", "", "D0DM"]),
    st.sampled_from(["/launchready", "/other", ""]),
)
interactive = st.builds(
    lambda kind, extra: urlencode({"payload": json.dumps({"type": kind, "team": {"id": "T0TEAM"}, "user": {"id": "U0ALICE"},
                                                           "api_app_id": "A0APP", **extra})}),
    st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion", "nope"]),
    st.fixed_dictionaries({}, optional={
        "actions": st.one_of(st.lists(st.fixed_dictionaries({}, optional={"action_id": st.one_of(st.sampled_from(
            ["assign", "done", "waive", "details", "rerun", "ack"]), odd), "value": odd, "block_id": odd}), max_size=2), odd),
        "view": st.one_of(st.fixed_dictionaries({}, optional={"callback_id": st.one_of(st.sampled_from(["waive", "assign"]), odd),
                                                             "private_metadata": odd, "state": odd}), odd),
        "container": odd, "channel": odd, "message": odd, "response_url": odd, "trigger_id": odd,
    }),
)
events_api = st.builds(
    lambda kind, inner: json.dumps({"type": kind, "token": "legacy", "team_id": "T0TEAM", "api_app_id": "A0APP",
                                    "event_id": "Ev" + str(abs(hash(json.dumps(inner, sort_keys=True)))), "event_time": 1, "event": inner,
                                    "challenge": "abc"}),
    st.sampled_from(["event_callback", "url_verification", "app_rate_limited", "nope"]),
    st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["app_home_opened", "app_mention", "message", "nope"])},
                                    optional={"user": odd, "channel": odd, "tab": odd, "text": odd}), odd),
)


@bounded
@given(body=st.one_of(commands, interactive, form_fields.map(urlencode), st.text(max_size=200)))
def test_signed_form_bodies_never_get_a_5xx(service, body):
    send(service, body, FORM)


@bounded
@given(body=st.one_of(events_api, json_values.map(json.dumps), st.text(max_size=200)), content_type=st.sampled_from(["application/json", "text/plain", FORM]))
def test_signed_json_bodies_never_get_a_5xx(service, body, content_type):
    send(service, body, content_type)


@bounded
@given(
    body=st.one_of(commands, st.text(max_size=100)),
    timestamp=st.one_of(st.sampled_from(["", "0", "nan", "9" * 400, "-1", "1e10"]), st.text(alphabet=string.ascii_letters + string.digits, max_size=20)),
    signature=st.one_of(st.sampled_from(["", "v0=", "v0=00", "v1=abc"]), st.text(alphabet=string.ascii_letters + string.digits + "=", max_size=70)),
)
def test_bad_signatures_are_always_401(service, body, timestamp, signature):
    client, _ = service
    headers: dict[str, Any] = {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    answer = client.post("/slack/events", content=body.encode(), headers=headers)
    assert answer.status_code == 401, (answer.status_code, answer.text[:200])
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("action", [{}, {"action_id": 7}, {"value": "x"}])
def test_a_signed_block_action_without_an_action_id_is_a_400(service, action):
    """Found by the property test above: Bolt's action matchers read action_id unguarded."""
    payload = {"type": "block_actions", "team": {"id": "T0TEAM"}, "user": {"id": "U0ALICE"}, "api_app_id": "A0APP", "actions": [action]}
    client, sender = service
    body = urlencode({"payload": json.dumps(payload)})
    answer = client.post("/slack/events", content=body.encode(), headers={"Content-Type": FORM, **sender.sign(body)})
    assert answer.status_code == 400
    assert "action_id" in answer.text
