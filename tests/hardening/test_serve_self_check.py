"""`launchready serve` passes the checks that apply to it, run by our own runner against the
served application on loopback: its Slack and ingest routes reject missing and bad
credentials, its error responses disclose nothing, its health route answers, and every
response carries a request id."""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx
import pytest

from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.services import Services
from checks.auth.private_routes import CHECK as private_routes
from checks.model import Status
from checks.obs.correlation_id import CHECK as correlation_id
from checks.obs.error_disclosure import CHECK as error_disclosure
from checks.obs.health import CHECK as health
from checks.runner import run_checks
from tests.conftest import make_target
from tests.hardening.served import served_app
from tests.slack.conftest import TinyTarget, make_config
from tests.slack.slack_requests import SlackSender

PRIVATE = ["POST /slack/events", "POST /ingest/events", "POST /ingest/alertmanager", "POST /ingest/sentry"]


@pytest.fixture
async def served(tmp_path):
    async with served_app(tmp_path) as served:
        yield served


def service_target(url: str):
    return make_target(url, private_routes=PRIVATE, health_routes=["GET /healthz"], public_routes=["GET /healthz"])


async def test_serve_passes_its_own_checks(served):
    checks = [private_routes, error_disclosure, health, correlation_id]
    report = await run_checks(service_target(served.url), checks, target_name="self")
    statuses = {r.check_id: r.status for r in report.results}
    details = {r.check_id: r.summary for r in report.results}
    assert statuses == {
        "auth.private_routes": Status.PASS,
        "obs.error_disclosure": Status.PASS,
        "obs.health": Status.PASS,
        "obs.correlation_id": Status.PASS,
    }, details
    # Every private route was actually probed (none skipped as a write, none not found).
    private = next(r for r in report.results if r.check_id == "auth.private_routes")
    assert f"All {len(PRIVATE)} private routes" in private.summary


async def test_every_private_route_answers_401_without_credentials(served):
    async with httpx.AsyncClient(base_url=served.url) as client:
        for route in PRIVATE:
            path = route.split()[1]
            answer = await client.post(path, json={})
            assert answer.status_code == 401, (route, answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith("application/json")


async def test_responses_carry_a_request_id_and_no_version_banner(served):
    async with httpx.AsyncClient(base_url=served.url) as client:
        answers = [
            await client.get("/healthz"),
            await client.get("/nowhere"),
            await client.delete("/healthz"),
            await client.post("/ingest/events", content=b"{"),
        ]
    ids = [a.headers.get("x-request-id") for a in answers]
    assert all(ids) and len(set(ids)) == len(ids)  # present and unique per response
    assert [a.status_code for a in answers] == [200, 404, 405, 401]
    for answer in answers:
        assert "aiohttp" not in answer.headers.get("server", "")
        assert "python" not in answer.headers.get("server", "").lower()


async def test_a_caller_request_id_is_echoed(served):
    async with httpx.AsyncClient(base_url=served.url) as client:
        answer = await client.get("/healthz", headers={"X-Request-Id": "lb-7f3a-1"})
        odd = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith <tags>" + "x" * 300})
    assert answer.headers["x-request-id"] == "lb-7f3a-1"  # the load balancer's id, for one log line across hops
    assert odd.headers["x-request-id"] != "bad id\twith <tags>" + "x" * 300  # not reflected: a fresh one instead
    assert len(odd.headers["x-request-id"]) <= 64


async def test_an_unexpected_failure_is_500_without_internals_and_logged_with_its_request_id(tmp_path, serve, caplog):
    config = make_config("http://127.0.0.1:1", tmp_path)
    runtime = Runtime(config=config, services=Services.open(config, registry=TinyTarget().registry()))
    app = build_server(runtime, None, monitoring=False)

    async def boom(request):
        raise RuntimeError("secret internals at /work/main/bot/x.py")

    app.router.add_get("/boom", boom)
    url = await serve(app)
    with caplog.at_level(logging.ERROR, logger="bot.app.server"):
        async with httpx.AsyncClient(base_url=url) as client:
            answer = await client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error"}
    assert answer.headers["server"] == "launchready"
    assert f"request id {answer.headers['x-request-id']}" in caplog.text


async def test_unsigned_slack_requests_are_401_whatever_they_hold(served):
    # Bolt parses the body before it checks the signature: these were 500s for anyone.
    cases = [
        ({"Content-Type": "application/json"}, b"null"),
        ({"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}, b"[]"),
        ({"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""}, b"command=%2Flaunchready"),
        ({"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"}, b"command=%2Flaunchready"),
    ]
    async with httpx.AsyncClient(base_url=served.url) as client:
        for headers, body in cases:
            answer = await client.post("/slack/events", content=body, headers=headers)
            assert answer.status_code == 401, (headers, body, answer.status_code)
            assert "not signed by Slack" in answer.json()["error"]


async def test_a_signed_payload_slack_never_sends_is_a_400_sentence(served):
    sender = SlackSender(f"{served.url}/slack/events")
    cases = [
        ('{"type": "event_callback", "event": null}', "application/json", "event is not an object"),
        ("null", "application/json", "not a Slack request"),
        ("payload=" + quote('{"type": "block_actions", "actions": []}'), "application/x-www-form-urlencoded", "actions"),
    ]
    for body, content_type, said in cases:
        answer = await sender.send(body, content_type)
        assert answer.status == 400, (body, answer.status, answer.body)
        assert said in answer.json()["error"]
