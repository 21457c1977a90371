from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.certs import Authority
from checks.model import Status
from checks.tls.certificate import CHECK, hostname_matches
from tests.checks.tls.servers import HOSTS, https_server
from tests.conftest import make_target, run_one


async def test_pass_for_a_healthy_certificate(tmp_path):
    async with https_server(tmp_path) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.PASS, result.summary
    evidence = result.findings[0].evidence
    assert evidence["host"] == "localhost" and evidence["port"] == server.port
    assert evidence["sans"] == ["localhost", "127.0.0.1"]
    assert evidence["key"] == "RSA 2048" and evidence["trusted"] is True
    assert 360 <= evidence["days_left"] <= 365
    assert result.requests == 0


async def test_fail_when_expiring_in_5_days(tmp_path):
    authority = Authority()
    async with https_server(tmp_path, authority=authority, issued=authority.issue(HOSTS, days=5)) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.FAIL
    assert "expires in 4 days" in result.summary or "expires in 5 days" in result.summary
    assert "fail under 14" in result.summary


async def test_warn_when_expiring_in_20_days(tmp_path):
    authority = Authority()
    async with https_server(tmp_path, authority=authority, issued=authority.issue(HOSTS, days=20)) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.WARN
    assert "warn under 30" in result.summary


async def test_fail_when_expired(tmp_path):
    authority = Authority()
    async with https_server(tmp_path, authority=authority, issued=authority.issue(HOSTS, days=-3)) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.FAIL
    assert "expired on" in result.summary
    assert "not trusted" in result.summary  # OpenSSL refuses the chain too


async def test_fail_for_the_wrong_host(tmp_path):
    authority = Authority()
    async with https_server(tmp_path, authority=authority, issued=authority.issue(["shop.example"])) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.FAIL
    assert "not valid for localhost (SANs: shop.example)" in result.summary
    assert "not trusted" not in result.summary and result.findings[0].evidence["trusted"] is True


async def test_fail_for_a_self_signed_certificate(tmp_path):
    authority = Authority()
    async with https_server(tmp_path, authority=authority, issued=authority.issue(HOSTS, self_signed=True)) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.FAIL
    assert "not trusted" in result.summary and "self-signed" in result.summary


async def test_fail_without_the_private_ca(tmp_path):
    """Without ca_file the system store is used, and it does not know our CA."""
    async with https_server(tmp_path) as server:
        result = await run_one(CHECK, make_target(server.base_url))
    assert result.status is Status.FAIL
    assert "the system trust store" in result.summary


async def test_fail_for_a_small_rsa_key(tmp_path):
    authority = Authority()
    async with https_server(tmp_path, authority=authority, issued=authority.issue(HOSTS, key="rsa1024"), ciphers="DEFAULT:@SECLEVEL=0") as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.FAIL
    assert "1024 bits" in result.summary


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, make_target("https://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "Could not connect to 127.0.0.1:9" in result.summary


async def test_error_when_the_port_speaks_plain_http(serve):
    from tests.checks.tls.servers import plain_app

    base = await serve(plain_app())
    result = await run_one(CHECK, make_target(base.replace("http://", "https://")))
    assert result.status is Status.ERROR
    assert "TLS handshake" in result.summary


async def test_skipped_for_a_plain_http_base_url():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.SKIPPED
    assert "base_url" in result.summary


def test_hostname_matching():
    assert hostname_matches("api.acme.test", ["*.acme.test"])
    assert not hostname_matches("a.b.acme.test", ["*.acme.test"])
    assert hostname_matches("127.0.0.1", ["localhost", "127.0.0.1"])
    assert not hostname_matches("acme.test", ["www.acme.test"])
    assert datetime.now(UTC) + timedelta(days=1) > datetime.now(UTC)
