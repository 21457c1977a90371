from __future__ import annotations

import pytest

from checks.email.dmarc import CHECK
from checks.model import Status
from tests.checks.email.zones import target_for, zone_server
from tests.conftest import make_target, run_one


async def dmarc_of(record, *, name="acme.test", sends_email=True, extra=None):
    zone = {"acme.test": {"TXT": ["v=spf1 -all"]}} | (extra or {})
    if record is not None:
        zone["_dmarc.acme.test"] = {"TXT": record if isinstance(record, list) else [record]}
    async with zone_server(zone) as server:
        return await run_one(CHECK, target_for(server, {"name": name, "sends_email": sends_email}))


async def test_pass_with_reject_and_reports():
    result = await dmarc_of(
        "v=DMARC1; p=reject; rua=mailto:dmarc@acme.test",
        extra={"_mta-sts.acme.test": {"TXT": ["v=STSv1; id=20261130"]}},
    )
    assert result.status is Status.PASS
    assert "p=reject" in result.summary and "rua set" in result.summary and "MTA-STS present" in result.summary
    assert result.findings[0].evidence["bimi"] is False


async def test_pass_with_quarantine_without_rua_says_so():
    result = await dmarc_of("v=DMARC1; p=quarantine")
    assert result.status is Status.PASS and "rua not set" in result.summary


async def test_fail_with_p_none_gives_the_path():
    result = await dmarc_of("v=DMARC1; p=none")
    assert result.status is Status.FAIL
    assert "p=quarantine" in result.summary and "rua=mailto" in result.summary


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (None, "no DMARC record"),
        (["v=DMARC1; p=reject", "v=DMARC1; p=none"], "2 DMARC records"),
        ("v=DMARC1; p=maybe", "no valid p="),
    ],
)
async def test_fail(record, words):
    result = await dmarc_of(record)
    assert result.status is Status.FAIL and words in result.summary


async def test_warn_when_pct_is_partial():
    result = await dmarc_of("v=DMARC1; p=reject; pct=20")
    assert result.status is Status.WARN and "pct=20" in result.summary


async def test_warn_when_subdomains_are_open():
    result = await dmarc_of("v=DMARC1; p=reject; sp=none")
    assert result.status is Status.WARN and "sp=none" in result.summary


async def test_subdomain_inherits_the_parent_sp():
    result = await dmarc_of("v=DMARC1; p=reject; sp=none", name="mail.acme.test")
    assert result.status is Status.FAIL and result.findings[0].evidence["inherited"] is True


async def test_parked_domain_needs_reject():
    assert (await dmarc_of("v=DMARC1; p=reject", sends_email=False)).status is Status.PASS
    result = await dmarc_of("v=DMARC1; p=quarantine", sends_email=False)
    assert result.status is Status.FAIL and "should be p=reject" in result.summary


async def test_error_when_dns_fails():
    async with zone_server({}, servfail=True) as server:
        result = await run_one(CHECK, target_for(server, {"name": "acme.test"}))
    assert result.status is Status.ERROR and "_dmarc.acme.test" in result.summary


async def test_skipped_without_domains():
    assert (await run_one(CHECK, make_target("http://127.0.0.1:9"))).status is Status.SKIPPED
