"""POST /ingest/alertmanager: v4 payloads with bearer auth; firing opens, resolved resolves,
repeats of the same status are acknowledged and not processed twice."""

from __future__ import annotations

from tests.ingest.conftest import AM_TOKEN

AUTH = {"Authorization": f"Bearer {AM_TOKEN}"}


def payload(status: str = "firing", fingerprint: str = "a1b2c3", **extra):
    alert = {
        "status": status,
        "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "api"},
        "annotations": {"summary": "5xx above 5% for 5 minutes"},
        "startsAt": "2026-11-30T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph?g0.expr=rate",
        "fingerprint": fingerprint,
        **extra,
    }
    return {"version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "status": status, "receiver": "launchready", "alerts": [alert]}


async def post(ingest, body, headers=AUTH):
    return await ingest.client.post("/ingest/alertmanager", json=body, headers=headers)


async def test_firing_opens_and_resolved_resolves(ingest):
    answer = await post(ingest, payload("firing"))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    incident = ingest.monitoring.incidents.find_open("alertmanager:a1b2c3")
    assert incident is not None and incident.kind == "alertmanager"
    assert incident.title == "HighErrorRate (critical)"
    assert "5xx above 5% for 5 minutes" in incident.summary and "service=api" in incident.summary
    await ingest.monitoring.idle()
    assert len(ingest.notifier.posts(threaded=False)) == 1
    answer = await post(ingest, payload("resolved", endsAt="2026-11-30T06:10:00Z"))
    assert answer.json()["accepted"] == 1
    assert ingest.monitoring.incidents.find_open("alertmanager:a1b2c3") is None
    await ingest.monitoring.idle()
    assert "Alertmanager" in ingest.notifier.posts(threaded=True)[0].text


async def test_repeated_firing_is_a_duplicate(ingest):
    await post(ingest, payload("firing"))
    again = await post(ingest, payload("firing"))
    assert again.status_code == 200 and again.json() == {"status": "accepted", "accepted": 0, "duplicates": 1}
    assert ingest.monitoring.count_events("alertmanager") == 1
    await ingest.monitoring.idle()
    assert len(ingest.notifier.posts()) == 1


async def test_bad_or_missing_token_is_401(ingest):
    assert (await post(ingest, payload(), headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await post(ingest, payload(), headers={})).status_code == 401
    assert (await post(ingest, payload(), headers={"Authorization": f"Basic {AM_TOKEN}"})).status_code == 401
    assert ingest.monitoring.count_events() == 0
    assert ingest.monitoring.rejections["alertmanager:unauthorized"] == 3


async def test_malformed_payloads_are_400_naming_the_field(ingest):
    bad_version = payload()
    bad_version["version"] = "3"
    answer = await post(ingest, bad_version)
    assert answer.status_code == 400 and answer.json()["error"].startswith("version:")
    bad_status = payload(status="pending")
    answer = await post(ingest, bad_status)
    assert answer.status_code == 400 and answer.json()["error"].startswith("alerts[0].status:")
    answer = await ingest.client.post("/ingest/alertmanager", content=b"{not json", headers=AUTH)
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]
    assert ingest.monitoring.count_events() == 0


async def test_stale_resolved_without_an_open_incident_is_harmless(ingest):
    answer = await post(ingest, payload("resolved", fingerprint="never-fired"))
    assert answer.status_code == 200
    assert ingest.monitoring.incidents.open_incidents() == []


async def test_missing_fingerprint_uses_the_label_set(ingest):
    body = payload()
    del body["alerts"][0]["fingerprint"]
    assert (await post(ingest, body)).status_code == 200
    assert len(ingest.monitoring.incidents.open_incidents()) == 1
    assert (await post(ingest, body)).json()["duplicates"] == 1
