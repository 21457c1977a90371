from __future__ import annotations

from checks.http.hsts import CHECK, parse_hsts
from checks.model import Status
from tests.checks.tls.servers import https_server, plain_app
from tests.conftest import make_target, run_one


async def run_with(tmp_path, headers):
    async with https_server(tmp_path, app=plain_app(headers)) as server:
        return await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))


async def test_pass_with_a_year_and_subdomains(tmp_path):
    result = await run_with(tmp_path, {"Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload"})
    assert result.status is Status.PASS
    assert "includeSubDomains set, preload ready" in result.summary
    assert result.requests == 1


async def test_pass_at_exactly_six_months_reports_missing_flags(tmp_path):
    result = await run_with(tmp_path, {"Strict-Transport-Security": "max-age=15552000"})
    assert result.status is Status.PASS
    assert "includeSubDomains not set, preload not set" in result.summary


async def test_fail_without_the_header(tmp_path):
    result = await run_with(tmp_path, {})
    assert result.status is Status.FAIL
    assert "without Strict-Transport-Security" in result.summary


async def test_fail_with_a_short_max_age(tmp_path):
    result = await run_with(tmp_path, {"Strict-Transport-Security": "max-age=300"})
    assert result.status is Status.FAIL
    assert "max-age is 300 (0 days), under 15552000" in result.summary


async def test_fail_with_an_unparsable_max_age(tmp_path):
    result = await run_with(tmp_path, {"Strict-Transport-Security": "max-age=forever"})
    assert result.status is Status.FAIL
    assert "no valid max-age" in result.summary


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, make_target("https://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "could not connect" in result.summary


async def test_skipped_over_plain_http():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.SKIPPED


def test_parse_hsts():
    parsed = parse_hsts('max-age="63072000"; includeSubDomains; preload')
    assert parsed.max_age == 63072000 and parsed.include_subdomains and parsed.preload_ready
