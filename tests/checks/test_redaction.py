"""Evidence never carries credentials from responses (issue 13, class 11): a probe that makes
the app answer with a password, a token or a provider key leaves only redactions in the
report, whichever check quoted the body."""

from __future__ import annotations

import json
import secrets

from aiohttp import web

from checks.auth.private_routes import CHECK as private_routes
from checks.model import Status
from checks.redact import redact_evidence, redact_text
from checks.runner import run_checks
from tests.checks.secrets.fakes import CASES, rand_source
from tests.conftest import make_target


def provider_key() -> str:
    line = CASES["stripe-access-token"](rand_source(11))  # built at run time: no literal key here
    return line.split("'")[1]


async def test_a_password_reset_answer_leaves_no_credential_in_the_report(serve):
    new_password = "Pw-" + secrets.token_urlsafe(12)
    api_token = secrets.token_hex(20)
    key = provider_key()

    async def reset(request: web.Request) -> web.Response:  # no auth guard: the leak under test
        body = {"note": f"billing uses {key}", "new_password": new_password, "api_token": api_token}
        return web.json_response(body, headers={"X-Debug": f"api_key={api_token}"})

    app = web.Application()
    app.router.add_post("/api/users/1/reset", reset)
    target = make_target(await serve(app), private_routes=["POST /api/users/1/reset"])
    report = await run_checks(target, [private_routes])
    result = report.results[0]
    assert result.status is Status.FAIL
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    for value in (new_password, api_token, key):
        assert value not in dumped
    bodies = [f.evidence.get("body", "") for f in result.findings]
    assert any(
        '"new_password": "… (sha256:' in b or '"new_password":"… (sha256:' in b for b in bodies
    ), bodies
    # a provider key is redacted as the secrets rules show it
    assert key[:4] + "…" in dumped, bodies


def test_values_under_credential_keys_are_hidden_in_dicts_and_text():
    password = secrets.token_urlsafe(10)
    evidence = {
        "Set-Cookie": "session=" + password,
        "headers": {"authorization": "Bearer " + password, "content-type": "application/json"},
        "body": f"grant_type=password&username=alice&password={password}",
        "raw": f"Authorization: Bearer {password}\nX-Request-Id: r-1",
        "token_type": "bearer",
        "secret_hash": "hash-" + "ab" * 4,
        "statuses": {"200": 3},
    }
    redacted = redact_evidence(evidence)
    assert password not in json.dumps(redacted)
    assert redacted["token_type"] == "bearer"  # a key that merely mentions a token is not one
    assert redacted["secret_hash"] == evidence["secret_hash"]
    assert redacted["statuses"] == {"200": 3}
    assert redacted["headers"]["content-type"] == "application/json"
    assert "username=alice" in redacted["body"] and "X-Request-Id: r-1" in redacted["raw"]


def test_a_cut_json_excerpt_is_still_redacted():
    password = secrets.token_urlsafe(16)
    excerpt = '{"id": 7, "password": "' + password[:12] + "…"
    assert password[:12] not in redact_text(excerpt)
