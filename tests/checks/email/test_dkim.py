from __future__ import annotations

from checks.email.dkim import CHECK, COMMON_SELECTORS
from checks.model import Status
from tests.checks.email.zones import dkim_record, target_for, zone_server
from tests.conftest import make_target, run_one


async def dkim_of(records: dict[str, str], selectors: list[str] | None = None, sends_email: bool = True):
    zone = {"acme.test": {"TXT": ["v=spf1 -all"]}} | {f"{s}._domainkey.acme.test": {"TXT": [r]} for s, r in records.items()}
    async with zone_server(zone) as server:
        domain = {"name": "acme.test", "sends_email": sends_email}
        if selectors is not None:
            domain["dkim_selectors"] = selectors
        result = await run_one(CHECK, target_for(server, domain))
        return result, server.queries


async def test_pass_with_rsa_2048_on_a_configured_selector():
    result, queries = await dkim_of({"s1": dkim_record(2048)}, ["s1"])
    assert result.status is Status.PASS
    assert "s1._domainkey is RSA 2048" in result.summary
    assert queries.count(("s1._domainkey.acme.test", "TXT")) >= 1


async def test_pass_with_ed25519():
    result, _ = await dkim_of({"k1": dkim_record(ed=True)}, ["k1"])
    assert result.status is Status.PASS and "Ed25519" in result.summary


async def test_pass_on_a_common_selector_when_none_configured():
    result, queries = await dkim_of({"google": dkim_record(2048)})
    assert result.status is Status.PASS
    assert {name for name, _ in queries} == {f"{s}._domainkey.acme.test" for s in COMMON_SELECTORS}


async def test_warn_with_rsa_1024():
    result, _ = await dkim_of({"s1": dkim_record(1024)}, ["s1"])
    assert result.status is Status.WARN and "RSA 1024" in result.summary


async def test_fail_with_rsa_512():
    result, _ = await dkim_of({"s1": dkim_record(512)}, ["s1"])
    assert result.status is Status.FAIL and "RSA 512" in result.summary


async def test_fail_with_a_revoked_key():
    result, _ = await dkim_of({"s1": "v=DKIM1; k=rsa; p="}, ["s1"])
    assert result.status is Status.FAIL and "revoked" in result.summary


async def test_fail_with_a_wrong_version():
    result, _ = await dkim_of({"s1": dkim_record(2048).replace("DKIM1", "DKIM2")}, ["s1"])
    assert result.status is Status.FAIL and "not DKIM1" in result.summary


async def test_fail_without_any_key():
    result, _ = await dkim_of({}, ["s1", "s2"])
    assert result.status is Status.FAIL
    assert "No DKIM key for acme.test on the configured selectors (s1, s2)" in result.summary


async def test_best_selector_wins_and_missing_ones_are_named():
    result, _ = await dkim_of({"s2": dkim_record(2048)}, ["s1", "s2"])
    assert result.status is Status.PASS and "no record for s1" in result.summary


async def test_parked_domain_needs_no_key():
    result, queries = await dkim_of({}, ["s1"], sends_email=False)
    assert result.status is Status.PASS and queries == []


async def test_error_when_dns_fails():
    async with zone_server({}, servfail=True) as server:
        result = await run_one(CHECK, target_for(server, {"name": "acme.test", "dkim_selectors": ["s1"]}))
    assert result.status is Status.ERROR and "DNS lookup of s1._domainkey.acme.test" in result.summary


async def test_skipped_without_domains():
    assert (await run_one(CHECK, make_target("http://127.0.0.1:9"))).status is Status.SKIPPED
