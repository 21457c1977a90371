from __future__ import annotations

from checks.model import Status
from checks.webhooks.replay import CHECK
from tests.checks.faults import broken_server
from tests.checks.webhooks.receiver import receiver
from tests.conftest import make_target, run_one

SECRET = "whsec_stripe_test_secret_0001"
USERS = {"alice": {"token": "tok_alice_0000000000"}}


def target(base: str, observe: bool = True, scheme: str = "stripe"):
    hook = {"route": "POST /webhooks/in", "scheme": scheme, "secret": SECRET}
    if observe:
        hook |= {"observe": "GET /billing", "observe_as": "alice"}
    return make_target(base, users=USERS, webhooks=[hook])


async def test_pass_when_duplicates_are_acknowledged_but_not_processed(serve):
    result = await run_one(CHECK, target(await serve(receiver("stripe", SECRET, verify=True, dedup=True))))
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert result.requests == 8


async def test_fail_when_duplicates_are_processed_twice(serve):
    result = await run_one(CHECK, target(await serve(receiver("stripe", SECRET, verify=True, dedup=False))))
    assert result.status is Status.FAIL
    messages = [f.message for f in result.findings]
    assert any(m.startswith("The first delivery replayed byte for byte was processed again") for m in messages)
    assert any("sent again with a fresh signature was processed again" in m for m in messages)
    assert result.findings[0].evidence["observe_before"] == '{"payments": 1}'


async def test_fail_when_a_captured_old_delivery_is_accepted(serve):
    result = await run_one(CHECK, target(await serve(receiver("stripe", SECRET, verify=True, dedup=True, tolerance=None))))
    assert result.status is Status.FAIL
    assert "past the 300 s tolerance" in result.findings[0].message


async def test_warn_without_an_observe_route(serve):
    result = await run_one(CHECK, target(await serve(receiver("stripe", SECRET, verify=True, dedup=True)), observe=False))
    assert result.status is Status.WARN
    assert "webhooks[].observe" in result.summary
    assert result.requests == 4


async def test_github_scheme_relies_on_delivery_id(serve):
    result = await run_one(CHECK, target(await serve(receiver("github", SECRET, verify=True, dedup=True)), scheme="github"))
    assert result.status is Status.PASS, [f.message for f in result.findings]


async def test_error_on_garbage():
    async with broken_server("garbage") as base:
        result = await run_one(CHECK, target(base))
    assert result.status is Status.ERROR
