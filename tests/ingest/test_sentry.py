"""POST /ingest/sentry: Sentry-Hook-Signature over the raw body; issue and metric alerts open
and resolve incidents; repeats are not processed twice."""

from __future__ import annotations

import json

from bot.ingest.sentry import sign
from tests.ingest.conftest import SENTRY_SECRET


def issue(action: str = "created", issue_id: str = "4242"):
    return {
        "action": action,
        "installation": {"uuid": "inst-1"},
        "data": {"issue": {"id": issue_id, "shortId": "ACME-API-7", "title": "KeyError: 'tenant'", "culprit": "api.chat in reply", "level": "error", "web_url": "https://sentry.io/organizations/acme/issues/4242/"}},
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }


def metric(action: str = "critical"):
    return {
        "action": action,
        "data": {
            "metric_alert": {"id": "77", "alert_rule": {"id": "9", "name": "p95 latency"}},
            "description_title": "Critical: p95 latency",
            "description_text": "1 second above 800 ms in the last 10 minutes",
            "web_url": "https://sentry.io/organizations/acme/alerts/rules/details/9/",
        },
    }


async def post(ingest, payload, resource: str = "issue", *, secret: str = SENTRY_SECRET, signature: str | None = None, stamp: int | None = None):
    body = json.dumps(payload).encode()
    stamp = int(ingest.clock.now.timestamp()) if stamp is None else stamp
    headers = {"Content-Type": "application/json", "Sentry-Hook-Resource": resource, "Sentry-Hook-Timestamp": str(stamp)}
    headers["Sentry-Hook-Signature"] = signature if signature is not None else sign(secret, body)
    return await ingest.client.post("/ingest/sentry", content=body, headers=headers)


async def test_issue_created_opens_and_resolved_resolves(ingest):
    answer = await post(ingest, issue("created"))
    assert answer.status_code == 200 and answer.json()["processed"] is True
    incident = ingest.monitoring.incidents.find_open("sentry:issue:4242")
    assert incident is not None and incident.kind == "sentry"
    assert "ACME-API-7 (error): KeyError: 'tenant' in api.chat in reply" in incident.summary
    assert incident.link.startswith("https://sentry.io/")
    assert (await post(ingest, issue("resolved"))).status_code == 200
    assert ingest.monitoring.incidents.find_open("sentry:issue:4242") is None


async def test_metric_alert_critical_then_resolved(ingest):
    await post(ingest, metric("critical"), "metric_alert")
    incident = ingest.monitoring.incidents.find_open("sentry:metric:77")
    assert incident is not None and incident.title == "Critical: p95 latency"
    await post(ingest, metric("resolved"), "metric_alert")
    assert ingest.monitoring.incidents.find_open("sentry:metric:77") is None


async def test_duplicate_delivery_is_acknowledged_once(ingest):
    await post(ingest, issue("created"))
    again = await post(ingest, issue("created"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert ingest.monitoring.count_events("sentry") == 1


async def test_bad_or_missing_signature_is_401(ingest):
    assert (await post(ingest, issue(), secret="another-secret")).status_code == 401
    assert (await post(ingest, issue(), signature="")).status_code == 401
    assert ingest.monitoring.count_events() == 0
    assert ingest.monitoring.rejections["sentry:signature"] == 1
    assert ingest.monitoring.rejections["sentry:unsigned"] == 1


async def test_malformed_is_400(ingest):
    answer = await post(ingest, {"action": "created", "data": {"issue": {}}})
    assert answer.status_code == 400 and answer.json()["error"].startswith("data.issue.id:")
    body = b"{nope"
    headers = {"Sentry-Hook-Resource": "issue", "Sentry-Hook-Signature": sign(SENTRY_SECRET, body)}
    answer = await ingest.client.post("/ingest/sentry", content=body, headers=headers)
    assert answer.status_code == 400


async def test_other_resources_are_stored_not_processed(ingest):
    answer = await post(ingest, {"action": "created", "data": {"installation": {"uuid": "x"}}}, "installation")
    assert answer.status_code == 200 and answer.json()["processed"] is False
    assert ingest.monitoring.count_events("sentry") == 1
    assert ingest.monitoring.incidents.open_incidents() == []


async def test_stale_delivery_is_401(ingest):
    old = int(ingest.clock.now.timestamp()) - 600
    answer = await post(ingest, issue(), stamp=old)
    assert answer.status_code == 401 and "5 minutes" in answer.json()["error"]
    assert ingest.monitoring.count_events() == 0


async def test_rejections_are_logged_without_secrets_or_bodies(ingest, caplog):
    caplog.set_level("WARNING")
    await post(ingest, issue(), secret="another-secret")
    assert "sentry rejected (signature)" in caplog.text
    assert SENTRY_SECRET not in caplog.text and "KeyError" not in caplog.text
