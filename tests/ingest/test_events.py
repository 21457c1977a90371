"""POST /ingest/events: Standard Webhooks signatures, validation naming the field, duplicates,
the body cap, and the alert thresholds the events feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.ingest.events import sign
from tests.ingest.conftest import SECRET


def signed(body: bytes, *, msg_id: str = "msg_1", timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(datetime.now(UTC).timestamp()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, msg_id, stamp, body),
        "content-type": "application/json",
    }


def event(kind: str = "http.request", at: datetime | None = None, **data) -> bytes:
    data = data or {"route": "GET /api/chat", "status": 200, "latency_ms": 42}
    return json.dumps({"type": kind, "timestamp": (at or datetime.now(UTC)).isoformat(), "data": data}).encode()


async def post(ingest, body: bytes, headers: dict[str, str]):
    return await ingest.client.post("/ingest/events", content=body, headers=headers)


async def test_good_event_is_stored_before_the_2xx(ingest):
    body = event()
    answer = await post(ingest, body, signed(body))
    assert answer.status_code == 202
    assert answer.json() == {"status": "accepted", "id": "msg_1"}
    assert ingest.monitoring.count_events("events") == 1


async def test_several_signatures_one_of_them_right(ingest):
    body = event()
    headers = signed(body)
    headers["webhook-signature"] = "v1,d3Jvbmc= " + headers["webhook-signature"]
    assert (await post(ingest, body, headers)).status_code == 202


async def test_bad_signature_is_401_and_nothing_is_stored(ingest):
    body = event()
    headers = signed(body, secret="whsec_" + "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXk=")
    answer = await post(ingest, body, headers)
    assert answer.status_code == 401
    assert "does not match" in answer.json()["error"]
    tampered = signed(body)
    answer = await post(ingest, body.replace(b"200", b"500"), tampered)
    assert answer.status_code == 401
    assert ingest.monitoring.count_events() == 0
    assert ingest.monitoring.rejections["events:signature"] == 2


async def test_missing_headers_are_401_naming_the_header(ingest):
    body = event()
    headers = signed(body)
    del headers["webhook-signature"]
    answer = await post(ingest, body, headers)
    assert answer.status_code == 401 and "webhook-signature" in answer.json()["error"]


async def test_stale_timestamp_is_401(ingest):
    body = event()
    old = int(datetime.now(UTC).timestamp()) - 6 * 60
    answer = await post(ingest, body, signed(body, timestamp=old))
    assert answer.status_code == 401
    assert "5 minutes" in answer.json()["error"]
    future = int(datetime.now(UTC).timestamp()) + 6 * 60
    assert (await post(ingest, body, signed(body, timestamp=future))).status_code == 401
    assert ingest.monitoring.count_events() == 0


async def test_malformed_json_is_400(ingest):
    body = b'{"type": "http.request", '
    answer = await post(ingest, body, signed(body))
    assert answer.status_code == 400
    assert "not JSON" in answer.json()["error"]


async def test_unknown_type_is_400_naming_the_field(ingest):
    body = event("user.signup", email="a@acme.test")
    answer = await post(ingest, body, signed(body))
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("type: 'user.signup' is not a known event type")


async def test_wrong_field_is_400_naming_it(ingest):
    for data, field in (
        ({"route": "GET /", "status": "oops", "latency_ms": 1}, "data.status"),
        ({"route": "GET /", "status": 200}, "data.latency_ms"),
        ({"route": "GET /", "status": 99, "latency_ms": 1}, "data.status"),
    ):
        body = event(**data)
        answer = await post(ingest, body, signed(body, msg_id=field))
        assert answer.status_code == 400
        assert answer.json()["error"].startswith(field + ":")
    body = event("webhook.failure", provider="stripe", event_id="evt_1")
    answer = await post(ingest, body, signed(body, msg_id="wf"))
    assert answer.json()["error"].startswith("data.reason:")
    assert ingest.monitoring.count_events() == 0


async def test_duplicate_webhook_id_is_acknowledged_not_processed(ingest):
    body = event()
    first = await post(ingest, body, signed(body, msg_id="msg_dup"))
    second = await post(ingest, body, signed(body, msg_id="msg_dup"))
    assert first.status_code == 202
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert ingest.monitoring.count_events() == 1


async def test_body_over_the_cap_is_413(ingest):
    body = event(route="GET /" + "x" * 5000, status=200, latency_ms=1)
    answer = await post(ingest, body, signed(body))
    assert answer.status_code == 413
    assert "ingest.max_body" in answer.json()["error"]
    assert ingest.monitoring.count_events() == 0


async def test_not_configured_is_503_with_the_key(ingest):
    ingest.monitoring.config.ingest.secret = None
    body = event()
    answer = await post(ingest, body, signed(body))
    assert answer.status_code == 503 and "ingest.secret" in answer.json()["error"]


async def test_slow_requests_open_a_latency_incident_and_recovery_resolves_it(ingest):
    for i in range(6):
        body = event(route="GET /api/conversations", status=200, latency_ms=900 + i)
        assert (await post(ingest, body, signed(body, msg_id=f"slow_{i}"))).status_code == 202
    await ingest.monitoring.idle()
    opened = ingest.monitoring.incidents.find_open("alert:latency")
    assert opened is not None and opened.kind == "latency" and opened.related_check == "perf.latency_p95"
    assert opened.summary.startswith("p95 90")
    assert "> 500 ms over the last 5m" in opened.summary and "GET /api/conversations" in opened.summary
    assert len(ingest.notifier.posts(threaded=False)) == 1
    ingest.clock.advance(minutes=6)  # the slow requests leave the window
    for i in range(6):
        body = event(route="GET /api/conversations", at=ingest.clock.now, status=200, latency_ms=20)
        stamp = int(ingest.clock.now.timestamp())
        assert (await post(ingest, body, signed(body, msg_id=f"fast_{i}", timestamp=stamp))).status_code == 202
    await ingest.monitoring.idle()
    assert ingest.monitoring.incidents.find_open("alert:latency") is None
    assert "Resolved" in ingest.notifier.updates()[0].text


async def test_5xx_rate_opens_an_errors_incident(ingest):
    for i, status in enumerate((500, 502, 200, 503)):
        body = event(route="POST /api/chat", status=status, latency_ms=10)
        await post(ingest, body, signed(body, msg_id=f"e_{i}"))
    await ingest.monitoring.idle()
    incident = ingest.monitoring.incidents.find_open("alert:errors")
    assert incident is not None
    assert "5xx rate 75.0% >= 50%" in incident.summary and "most on POST /api/chat (3)" in incident.summary


async def test_webhook_failures_open_a_webhooks_incident(ingest):
    for i in range(3):
        body = event("webhook.failure", provider="stripe", event_id=f"evt_{i}", reason="signature mismatch")
        await post(ingest, body, signed(body, msg_id=f"w_{i}"))
    await ingest.monitoring.idle()
    incident = ingest.monitoring.incidents.find_open("alert:webhooks")
    assert incident is not None and incident.related_check == "webhooks.signature"
    assert "3 webhook failures >= 3 in the last 10m (stripe: 3; last reason: signature mismatch)" in incident.summary


async def test_deploy_event_is_stored(ingest):
    body = event("deploy", version="1.4.2")
    assert (await post(ingest, body, signed(body))).status_code == 202
    assert ingest.monitoring.count_events("events") == 1
