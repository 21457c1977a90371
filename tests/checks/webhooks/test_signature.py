from __future__ import annotations

import base64

import pytest

from checks.model import Status
from checks.webhooks.signature import CHECK
from tests.checks.faults import broken_server
from tests.checks.webhooks.receiver import receiver
from tests.conftest import make_target, run_one

SECRETS = {
    "stripe": "whsec_stripe_test_secret_0001",
    "standard": "whsec_" + base64.b64encode(b"k" * 24).decode(),
    "github": "github_secret_0001",
    "hmac-sha256": "hmac_secret_0001",
}


def hook(scheme: str, **extra) -> dict:
    header = "X-Signature" if scheme == "hmac-sha256" else None
    return {"route": "POST /webhooks/in", "scheme": scheme, "secret": SECRETS[scheme], "header": header, **extra}


@pytest.mark.parametrize("scheme", list(SECRETS))
async def test_pass_when_the_receiver_verifies(serve, scheme):
    header = "X-Signature" if scheme == "hmac-sha256" else None
    base = await serve(receiver(scheme, SECRETS[scheme], verify=True, dedup=True, header=header))
    result = await run_one(CHECK, make_target(base, webhooks=[hook(scheme)]))
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert result.requests == (4 if scheme in ("stripe", "standard") else 3)


async def test_fail_when_unsigned_and_stale_are_accepted(serve):
    base = await serve(receiver("stripe", SECRETS["stripe"], verify=False, dedup=False))
    result = await run_one(CHECK, make_target(base, webhooks=[hook("stripe")]))
    assert result.status is Status.FAIL
    accepted = [f.message for f in result.findings if "was accepted with" in f.message and "correctly signed delivery was" not in f.message]
    assert accepted == [
        "A delivery unsigned was accepted with 200.",
        "A delivery signed with the wrong secret was accepted with 200.",
        "A delivery correctly signed 10 minutes ago was accepted with 200.",
    ]


async def test_fail_when_only_the_timestamp_is_ignored(serve):
    base = await serve(receiver("standard", SECRETS["standard"], verify=True, dedup=True, tolerance=None))
    result = await run_one(CHECK, make_target(base, webhooks=[hook("standard")]))
    assert result.status is Status.FAIL
    assert "10 minutes ago was accepted" in result.summary or any("10 minutes ago was accepted" in f.message for f in result.findings)


async def test_error_when_a_good_delivery_is_rejected(serve):
    base = await serve(receiver("stripe", SECRETS["stripe"], verify=True, dedup=True, accept=False))
    result = await run_one(CHECK, make_target(base, webhooks=[hook("stripe")]))
    assert result.status is Status.ERROR
    assert "cannot tell forged from genuine" in result.summary
    assert result.requests == 1


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, make_target(base, webhooks=[hook("stripe")]))
    assert result.status is Status.ERROR


async def test_skipped_on_safe_targets():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9", webhooks=[hook("stripe")], safe=True))
    assert result.status is Status.SKIPPED


async def test_error_names_the_event_when_the_app_rejects_the_delivery_body(serve):
    # issue 13, class 2: a genuine delivery refused as invalid input proves nothing either way
    from aiohttp import web

    async def strict(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"detail": [{"loc": ["body", "data", "object", "customer"], "msg": "field required"}]}, status=422)

    app = web.Application()
    app.router.add_post("/webhooks/in", strict)
    result = await run_one(CHECK, make_target(await serve(app), webhooks=[hook("stripe")]))
    assert result.status is Status.ERROR
    assert "the app rejects this body: 422 body.data.object.customer: field required; fix `webhooks[].event of POST /webhooks/in`" in result.summary


async def test_an_app_that_drops_the_connection_after_a_forged_delivery_is_judged_the_same_twice(serve):
    # issue 13, class 4: the signature check raises (500) and the server drops that keep-alive
    # connection; forged probes go on their own connections, so no later probe is blamed.
    from aiohttp import web

    from tests.checks.webhooks.receiver import _valid

    poisoned: set[object] = set()

    @web.middleware
    async def keepalive_then_close(request: web.Request, handler):
        if request.transport in poisoned:
            request.transport.close()
            return web.Response(status=204)
        try:
            return await handler(request)
        except RuntimeError:
            if request.headers.get("Connection", "").lower() != "close":
                poisoned.add(request.transport)
            return web.Response(status=500, text="Internal Server Error")

    async def hook_route(request: web.Request) -> web.Response:
        body = await request.read()
        if not _valid("stripe", SECRETS["stripe"], request.headers, body, 300, None):
            raise RuntimeError("SignatureVerificationError")
        return web.json_response({"received": True})

    app = web.Application(middlewares=[keepalive_then_close])
    app.router.add_post("/webhooks/in", hook_route)
    base = await serve(app)
    runs = [await run_one(CHECK, make_target(base, webhooks=[hook("stripe")])) for _ in range(2)]
    assert [r.status for r in runs] == [Status.PASS, Status.PASS], runs[0].summary
    assert [len(r.findings) for r in runs] == [4, 4]
    assert not poisoned
