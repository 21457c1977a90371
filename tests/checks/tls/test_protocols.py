from __future__ import annotations

import ssl
import warnings

import pytest

from checks.model import Status
from checks.tls.protocols import CHECK, LEGACY_CIPHERS
from tests.checks.tls.servers import https_server
from tests.conftest import make_target, run_one


def _openssl_can_serve_tls10() -> str | None:
    """The reason TLS 1.0 cannot be tested here, or None when it can."""
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers(LEGACY_CIPHERS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    except (ssl.SSLError, ValueError) as exc:
        return f"local OpenSSL ({ssl.OPENSSL_VERSION}) refuses TLS 1.0: {exc}"
    return None


async def test_pass_for_a_modern_server(tmp_path):
    async with https_server(tmp_path) as server:
        result = await run_one(CHECK, make_target(server.base_url, ca_file=str(server.ca_file)))
    assert result.status is Status.PASS, result.summary
    assert "TLS 1.2, TLS 1.3" in result.summary
    handshakes = result.findings[0].evidence["handshakes"]
    assert handshakes["TLS 1.0"].startswith(("refused", "the local OpenSSL"))
    assert handshakes["TLS 1.3"].startswith("accepted")


async def test_pass_for_a_tls12_only_server(tmp_path):
    async with https_server(tmp_path, maximum=ssl.TLSVersion.TLSv1_2) as server:
        result = await run_one(CHECK, make_target(server.base_url))
    assert result.status is Status.PASS, result.summary
    assert "offers TLS 1.2 and" in result.summary


async def test_fail_for_a_server_offering_tls10(tmp_path):
    reason = _openssl_can_serve_tls10()
    if reason:
        pytest.skip(reason)
    async with https_server(tmp_path, minimum=ssl.TLSVersion.TLSv1, ciphers=LEGACY_CIPHERS) as server:
        result = await run_one(CHECK, make_target(server.base_url))
    if "TLS 1.0" not in result.summary and "cannot offer TLS 1.0" in str(result.findings):
        pytest.skip("the local OpenSSL client cannot offer TLS 1.0")
    assert result.status is Status.FAIL
    assert "still accepts TLS 1.0" in result.summary


async def test_fail_for_a_server_accepting_null_suites(tmp_path):
    async with https_server(
        tmp_path, maximum=ssl.TLSVersion.TLSv1_2, ciphers="ALL:eNULL:@SECLEVEL=0"
    ) as server:
        result = await run_one(CHECK, make_target(server.base_url))
    assert result.status is Status.FAIL
    assert "NULL suites" in result.summary


async def test_reports_suites_it_could_not_offer(tmp_path):
    async with https_server(tmp_path) as server:
        result = await run_one(CHECK, make_target(server.base_url))
    untested = [f.message for f in result.findings if f.message.startswith("Not tested")]
    offerable = []
    for family in ("RC4", "3DES", "EXPORT"):
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).set_ciphers(f"{family}:@SECLEVEL=0")
            offerable.append(family)
        except ssl.SSLError:
            assert any(f"cannot offer {family} suites" in m for m in untested)
    assert len(untested) == 3 - len(offerable) + sum("TLS 1." in m for m in untested)


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, make_target("https://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "Could not connect" in result.summary


async def test_error_when_the_port_speaks_plain_http(serve):
    from tests.checks.tls.servers import plain_app

    base = await serve(plain_app())
    result = await run_one(CHECK, make_target(base.replace("http://", "https://")))
    assert result.status is Status.ERROR
    assert "no TLS handshake" in result.summary
