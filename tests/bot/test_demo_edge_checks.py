"""The demo's edge: flawed mode fails the edge, TLS and email checks; hardened passes them."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from bot.demo import DemoTarget
from checks import edge, email, http, tls
from checks.model import RunReport, Status
from checks.runner import run_checks
from checks.target import Target

EDGE_CHECKS = [*tls.CHECKS, *http.CHECKS, *edge.CHECKS, *email.CHECKS]


async def run_edge(tmp_path: Path, *, hardened: bool) -> tuple[RunReport, dict]:
    workdir = tmp_path / ("hardened" if hardened else "flawed")
    async with DemoTarget(hardened=hardened, workdir=workdir) as demo:
        config = demo.target_config()
        target = Target.model_validate(config)
        report = await run_checks(target, EDGE_CHECKS, root=workdir, target_name="demo")
    return report, config


async def test_flawed_demo_fails_each_edge_check(tmp_path):
    report, config = await run_edge(tmp_path, hardened=False)
    assert config["base_url"].startswith("https://localhost:")
    statuses = {r.check_id: r.status for r in report.results}
    assert statuses == {
        "tls.certificate": Status.FAIL,
        "tls.protocols": Status.FAIL,
        "http.https_redirect": Status.FAIL,
        "http.hsts": Status.FAIL,
        "http.security_headers": Status.FAIL,
        "edge.cdn": Status.SKIPPED,  # loopback: no CDN can be seen from here, in either mode
        "email.spf": Status.FAIL,
        "email.dkim": Status.FAIL,
        "email.dmarc": Status.FAIL,
    }, {r.check_id: r.summary for r in report.results}
    summaries = {r.check_id: r.summary for r in report.results}
    assert "expires in 4 days" in summaries["tls.certificate"] or "expires in 5 days" in summaries["tls.certificate"]
    assert "still accepts TLS 1.0" in summaries["tls.protocols"]
    assert "answered 200 over plain HTTP" in summaries["http.https_redirect"]
    assert "without Strict-Transport-Security" in summaries["http.hsts"]
    assert "grade below B" in summaries["http.security_headers"]
    graded = report.result("http.security_headers").findings[0].evidence
    assert {d["test"] for d in graded["deductions"]} >= {"content-security-policy", "cookies", "x-frame-options"}
    assert "+all" in summaries["email.spf"]
    assert "No DKIM key for acme.test" in summaries["email.dkim"]
    assert "p=none" in summaries["email.dmarc"]


async def test_hardened_demo_passes_each_edge_check(tmp_path):
    report, _ = await run_edge(tmp_path, hardened=True)
    statuses = {r.check_id: r.status for r in report.results}
    expected = {check.id: Status.PASS for check in EDGE_CHECKS} | {"edge.cdn": Status.SKIPPED}
    assert statuses == expected, {r.check_id: r.summary for r in report.results}
    headers = report.result("http.security_headers").findings[0].evidence
    assert headers["grade"] == "A+"


async def test_hardened_plain_http_redirects_and_cookies_are_flagged(tmp_path):
    async with DemoTarget(hardened=True, workdir=tmp_path / "w") as demo:
        config = demo.target_config()
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=config["ca_file"])) as client:
            first = await client.get(config["http_url"] + "/health")
            page = await client.get(config["base_url"] + "/")
    assert first.status_code == 301
    assert first.headers["location"] == config["base_url"] + "/health"
    cookie = page.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "'sha256-" in page.headers["content-security-policy"]
