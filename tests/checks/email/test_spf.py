from __future__ import annotations

import pytest

from checks.email.spf import CHECK, all_policy
from checks.model import Status
from tests.checks.email.zones import target_for, zone_server
from tests.conftest import make_target, run_one

INCLUDES = {f"i{i}.acme.test": {"TXT": ["v=spf1 ip4:192.0.2.1 -all"]} for i in range(11)}


async def spf_of(record: str | list[str] | None, *, sends_email: bool = True, extra: dict | None = None):
    zone = {"acme.test": {"A": ["192.0.2.10"]} | ({"TXT": [record] if isinstance(record, str) else record} if record else {})}
    zone |= INCLUDES | (extra or {})
    async with zone_server(zone) as server:
        target = target_for(server, {"name": "acme.test", "sends_email": sends_email})
        return await run_one(CHECK, target)


async def test_pass_with_dash_all_and_an_include():
    result = await spf_of("v=spf1 include:i0.acme.test -all")
    assert result.status is Status.PASS
    assert "ends in -all (1/10 lookups, 0/2 void)" in result.summary
    assert result.findings[0].evidence["dns_lookups"] == 1


async def test_pass_with_tilde_all_and_a_note():
    result = await spf_of("v=spf1 ip4:192.0.2.1 ~all")
    assert result.status is Status.PASS
    assert "-all is stricter" in result.summary


async def test_pass_through_a_redirect():
    result = await spf_of("v=spf1 redirect=i0.acme.test")
    assert result.status is Status.PASS
    assert result.findings[0].evidence["all"] == "-all"


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ("v=spf1 +all", "authorises every server"),
        ("v=spf1 ip4:192.0.2.1 all", "authorises every server"),
        ("v=spf1 ?all", "neutral"),
        ("v=spf1 ip4:192.0.2.1", "no 'all' term"),
        (["v=spf1 -all", "v=spf1 ~all"], "multiple SPF"),
        ("v=spf1 bogus:x -all", "not a valid SPF mechanism"),
        ("v=spf1 include:acme.test -all", "loop"),
        ("v=spf1 " + " ".join(f"include:i{i}.acme.test" for i in range(11)) + " -all", "11/10"),
        ("v=spf1 a:v1.acme.test a:v2.acme.test a:v3.acme.test -all", "void"),
        (None, "does not exist"),
    ],
)
async def test_fail(record, words):
    result = await spf_of(record)
    assert result.status is Status.FAIL, result.summary
    assert words in result.summary


async def test_parked_domain_needs_exactly_dash_all():
    assert (await spf_of("v=spf1 -all", sends_email=False)).status is Status.PASS
    result = await spf_of("v=spf1 include:i0.acme.test -all", sends_email=False)
    assert result.status is Status.FAIL and "parked domain" in result.summary


async def test_error_when_dns_fails():
    async with zone_server({}, servfail=True) as server:
        result = await run_one(CHECK, target_for(server, {"name": "acme.test"}))
    assert result.status is Status.ERROR
    assert "could not be read" in result.summary and "SERVFAIL" in result.summary


async def test_cache_is_cleared_between_runs():
    assert (await spf_of("v=spf1 +all")).status is Status.FAIL
    assert (await spf_of("v=spf1 -all")).status is Status.PASS


async def test_skipped_without_domains():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.SKIPPED and "domains" in result.summary


def test_all_policy():
    assert all_policy("v=spf1 mx -ALL") == "-all"
    assert all_policy("v=spf1 include:allow.test") is None
