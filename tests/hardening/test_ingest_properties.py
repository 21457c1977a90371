"""Each ingest endpoint of `launchready serve` under arbitrary and near-miss payloads.

The whole served application (tests/hardening/served.py) runs once for this module on its
own event loop in a thread; hypothesis sends correctly authenticated requests with arbitrary
bodies over real HTTP on loopback. Whatever the body, the answer is a 2xx or a 4xx with a JSON
sentence naming the problem: never a 5xx, never a traceback.
"""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from bot.ingest import events, sentry
from tests.hardening.served import AM_TOKEN, MAX_BODY, SECRET, SENTRY_SECRET, served_in_thread

bounded = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One served app for the module, on a loop of its own (hypothesis drives synchronous tests)."""
    with served_in_thread(tmp_path_factory.mktemp("served")) as served, httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


def assert_sentence(answer: httpx.Response) -> None:
    """2xx or 4xx, a JSON body, a sentence when refused, no traceback or internal path."""
    if currently_in_test_context():
        event(f"HTTP {answer.status_code}")  # --hypothesis-show-statistics: how many got through
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert 200 <= answer.status_code < 300 or 400 <= answer.status_code < 500, answer.status_code
    assert "Traceback" not in answer.text and 'File "' not in answer.text and "site-packages" not in answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.headers["content-type"]
    data = answer.json()
    assert isinstance(data, dict)
    if answer.status_code >= 400:
        error = data.get("error")
        assert isinstance(error, str) and len(error) >= 15 and error.rstrip().endswith((".", ")")), data
    else:
        assert data.get("status") in ("accepted", "duplicate"), data


# JSON of every shape, and near-misses of what each sender really sends.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),  # Python's json writes NaN/Infinity, and reads them
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=20,
)
odd = st.one_of(
    json_values,
    st.sampled_from(["", "x" * 3000, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-13-45", "now",
                     "1970-01-01T00:00:00Z", "http://", "javascript:alert(1)", "\x00", "\ud7ff"]),
)
garbage = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b"null", b"NaN", b"\xff\xfe{}", b"[" * 5000, b'{"a":' * 3000, b"1" * 500, b"{}" * 10,
                     b"x" * (MAX_BODY + 1)]),
)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


# -- POST /ingest/events ----------------------------------------------------------------

event_data = st.fixed_dictionaries(
    {},
    optional={
        "route": st.one_of(st.just("GET /api/chat"), odd),
        "status": st.one_of(st.sampled_from([200, 500, 99, 600, 0, -1]), odd),
        "latency_ms": st.one_of(st.sampled_from([0, 42.5, -1, float("nan"), float("inf"), 10**400]), odd),
        "provider": st.one_of(st.just("stripe"), odd),
        "event_id": st.one_of(st.just("evt_1"), odd),
        "reason": st.one_of(st.just("timeout"), odd),
        "version": st.one_of(st.just("1.4.2"), odd),
    },
)
valid_data = {
    "http.request": st.fixed_dictionaries({"route": st.text(max_size=30), "status": st.integers(100, 599),
                                          "latency_ms": st.one_of(st.integers(0, 10**6), st.floats(0, 1e9))}),
    "webhook.failure": st.fixed_dictionaries({"provider": st.text(max_size=70), "event_id": st.text(max_size=30),
                                             "reason": st.text(max_size=30)}),
    "deploy": st.fixed_dictionaries({"version": st.text(max_size=30)}),
}
stamps = st.one_of(st.builds(now_iso), st.datetimes(timezones=st.timezones()).map(datetime.isoformat), st.datetimes().map(datetime.isoformat))
valid_events = st.sampled_from(events.TYPES).flatmap(
    lambda kind: st.builds(
        lambda stamp, data, extra: dumps({"type": kind, "timestamp": stamp, "data": {**data, **extra}}),
        stamps, valid_data[kind], st.dictionaries(st.text(max_size=8), json_values, max_size=2),
    )
)
event_bodies = st.one_of(
    valid_events,
    st.builds(
        lambda kind, stamp, data: dumps({"type": kind, "timestamp": stamp, "data": data}),
        st.one_of(st.sampled_from(events.TYPES), st.sampled_from(["HTTP.REQUEST", "deploy ", ""]), odd),
        st.one_of(st.builds(now_iso), odd),
        st.one_of(event_data, odd),
    ),
    st.fixed_dictionaries({}, optional={"type": odd, "timestamp": odd, "data": odd}).map(dumps),
    json_values.map(dumps),
    garbage,
)


def signed_event(body: bytes, stamp: int | None = None) -> dict[str, str]:
    msg_id = "msg_" + uuid.uuid4().hex
    stamp = int(datetime.now(UTC).timestamp()) if stamp is None else stamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": events.sign(SECRET, msg_id, stamp, body),
            "content-type": "application/json"}


@bounded
@given(body=event_bodies)
def test_events_with_a_valid_signature_answer_2xx_or_a_4xx_sentence(service, body):
    client = service
    assert_sentence(client.post("/ingest/events", content=body, headers=signed_event(body)))


header_text = st.text(alphabet=string.printable.strip() + " ", max_size=40).map(str.strip)  # as HTTP sends them


@bounded
@given(
    msg_id=st.one_of(st.just("msg_x"), header_text),
    stamp=st.one_of(st.sampled_from(["9" * 400, "-" + "9" * 400, "1e10", "nan", "0", "+1", "0x10", "1_0", "9" * 5000]), header_text),
    signature=st.one_of(st.sampled_from(["v1,", "v1", "v2,abc", "v1,====", ",", "v1,a v1,b"]), header_text),
)
def test_events_with_broken_signing_headers_are_a_401_sentence(service, msg_id, stamp, signature):
    client = service
    headers = {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    answer = client.post("/ingest/events", content=b'{"type": "deploy"}', headers=headers)
    assert_sentence(answer)
    assert answer.status_code == 401


def test_an_event_timestamp_far_outside_a_floats_range_is_401(service):
    client = service
    body = b"{}"
    for stamp in ("9" * 400, "-" + "9" * 400):
        headers = {"webhook-id": "msg_far", "webhook-timestamp": stamp, "webhook-signature": "v1,AAAA"}
        answer = client.post("/ingest/events", content=body, headers=headers)
        assert answer.status_code == 401, answer.text
        assert "webhook-timestamp" in answer.json()["error"]


def test_a_nesting_bomb_is_a_400_sentence(service):
    client = service
    body = b"[" * 5000
    answer = client.post("/ingest/events", content=body, headers=signed_event(body))
    assert answer.status_code == 400
    assert "nested too deeply" in answer.json()["error"]


# -- POST /ingest/alertmanager ------------------------------------------------------------

alert = st.fixed_dictionaries(
    {},
    optional={
        "status": st.one_of(st.sampled_from(["firing", "resolved", "FIRING"]), odd),
        "labels": st.one_of(st.dictionaries(st.sampled_from(["alertname", "severity", "launchready_check", "x"]), odd, max_size=4), odd),
        "annotations": st.one_of(st.dictionaries(st.sampled_from(["summary", "description"]), odd, max_size=2), odd),
        "startsAt": st.one_of(st.builds(now_iso), odd),
        "generatorURL": odd,
        "fingerprint": odd,
    },
)
valid_alert = st.fixed_dictionaries(
    {"status": st.sampled_from(["firing", "resolved"]),
     "labels": st.dictionaries(st.one_of(st.sampled_from(["alertname", "severity", "launchready_check"]), st.text(max_size=8)), json_scalars, max_size=4)},
    optional={"annotations": st.one_of(st.dictionaries(st.sampled_from(["summary", "description"]), json_values, max_size=2), odd),
              "startsAt": st.one_of(stamps, odd), "generatorURL": odd, "fingerprint": odd},
)
alertmanager_bodies = st.one_of(
    st.lists(valid_alert, max_size=4).map(lambda alerts: dumps({"version": "4", "status": "firing", "alerts": alerts})),
    st.builds(
        lambda version, alerts: dumps({"version": version, "status": "firing", "alerts": alerts}),
        st.one_of(st.sampled_from(["4", 4, 4.0, "04", None]), odd),
        st.one_of(st.lists(alert, max_size=4), odd),
    ),
    json_values.map(dumps),
    garbage,
)


@bounded
@given(body=alertmanager_bodies)
def test_alertmanager_with_the_right_token_answers_2xx_or_a_4xx_sentence(service, body):
    client = service
    headers = {"Authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json"}
    assert_sentence(client.post("/ingest/alertmanager", content=body, headers=headers))


@bounded
@given(authorization=header_text)
def test_alertmanager_with_any_other_authorization_is_a_401_sentence(service, authorization):
    client = service
    answer = client.post("/ingest/alertmanager", content=b"{}", headers={"Authorization": authorization})
    assert_sentence(answer)
    assert answer.status_code == 401


# -- POST /ingest/sentry --------------------------------------------------------------------

sentry_data = st.fixed_dictionaries(
    {},
    optional={
        "issue": st.one_of(
            st.fixed_dictionaries({}, optional={k: odd for k in ("id", "title", "shortId", "culprit", "level", "web_url", "permalink")}),
            odd,
        ),
        "metric_alert": st.one_of(
            st.fixed_dictionaries({}, optional={"id": odd, "alert_rule": st.one_of(st.fixed_dictionaries({}, optional={"id": odd, "name": odd}), odd)}),
            odd,
        ),
        "event": st.one_of(st.fixed_dictionaries({}, optional={k: odd for k in ("issue_id", "event_id", "title", "web_url")}), odd),
        "description_title": odd,
        "description_text": odd,
        "web_url": odd,
        "triggered_rule": odd,
    },
)
sentry_bodies = st.one_of(
    st.builds(
        lambda action, data: dumps({"action": action, "data": data}),
        st.one_of(st.sampled_from(sorted(sentry.OPENS | sentry.RESOLVES)), odd),
        st.one_of(sentry_data, odd),
    ),
    json_values.map(dumps),
    garbage,
)
resources = st.one_of(st.sampled_from(["issue", "metric_alert", "event_alert", "installation", "comment", ""]), header_text)
sentry_stamps = st.one_of(
    st.none(),
    st.builds(lambda: str(datetime.now(UTC).timestamp())),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "9" * 400, "garbage", str((datetime.now(UTC) - timedelta(hours=1)).timestamp())]),
)


@bounded
@given(body=sentry_bodies, resource=resources, stamp=sentry_stamps)
def test_sentry_with_a_valid_signature_answers_2xx_or_a_4xx_sentence(service, body, resource, stamp):
    client = service
    headers = {"Sentry-Hook-Signature": sentry.sign(SENTRY_SECRET, body), "Sentry-Hook-Resource": resource,
               "content-type": "application/json"}
    if stamp is not None:
        headers["Sentry-Hook-Timestamp"] = stamp
    assert_sentence(client.post("/ingest/sentry", content=body, headers=headers))


@bounded
@given(signature=header_text, body=garbage)
def test_sentry_with_any_other_signature_is_a_401_sentence(service, signature, body):
    client = service
    answer = client.post("/ingest/sentry", content=body, headers={"Sentry-Hook-Signature": signature, "Sentry-Hook-Resource": "issue"})
    assert_sentence(answer)
    assert answer.status_code in (401, 413)  # past the cap the body is refused before the signature is read


def test_a_sentry_link_that_is_not_a_string_is_not_stored_as_one(service):
    client = service
    body = dumps({"action": "created", "data": {"issue": {"id": "42", "title": "boom", "web_url": {"not": "a url"}}}})
    headers = {"Sentry-Hook-Signature": sentry.sign(SENTRY_SECRET, body), "Sentry-Hook-Resource": "issue"}
    assert_sentence(client.post("/ingest/sentry", content=body, headers=headers))


def test_an_alertmanager_generator_url_that_is_not_a_string_is_not_stored_as_one(service):
    client = service
    alert = {"status": "firing", "labels": {"alertname": "HighErrorRate"}, "generatorURL": ["not", "a", "url"]}
    body = dumps({"version": "4", "alerts": [alert]})
    answer = client.post("/ingest/alertmanager", content=body, headers={"Authorization": f"Bearer {AM_TOKEN}"})
    assert_sentence(answer)
    assert answer.status_code == 200
