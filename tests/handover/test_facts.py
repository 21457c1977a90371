"""Edge, e-mail and secrets facts read generically from findings and evidence."""

from __future__ import annotations

from dataclasses import replace

from checks.model import CheckResult, Finding, Severity, Status
from handover.facts import edge_facts, email_facts, public_env_inventory, secret_leaks
from reports.sanitize import Sanitizer
from tests.handover.sample import sample_report


def _result(check_id: str, status: Status, *findings: Finding) -> CheckResult:
    return CheckResult(check_id, check_id, check_id.split(".")[0], Severity.HIGH, status, "summary", tuple(findings))


def test_edge_facts_show_whatever_evidence_there_is() -> None:
    blocks = edge_facts(sample_report(), Sanitizer())
    assert [b.check_id for b in blocks] == ["tls.certificate", "http.https_redirect", "http.hsts", "http.security_headers", "edge.cdn"]
    cert = blocks[0]
    assert cert.lines[0].evidence == "subject=CN=staging.acme.test; issuer=CN=Acme Test CA; not_after=2027-02-01; days_left=63"
    # A key no one anticipated still shows.
    report = replace(sample_report(), results=(_result("edge.cdn", Status.PASS, Finding("x", "y", {"pop": "FRA"})),))
    assert edge_facts(report, Sanitizer())[0].lines[0].evidence == "pop=FRA"


def test_failing_email_checks_get_records_to_publish() -> None:
    blocks = {b.check_id: b for b in email_facts(sample_report(), Sanitizer())}
    assert blocks["email.spf"].publish == ('acme.test TXT "v=spf1 include:<your mail provider\'s SPF domain> -all"',)
    assert blocks["email.dmarc"].publish[0].startswith('_dmarc.acme.test TXT "v=DMARC1; p=quarantine; rua=mailto:')
    assert blocks["email.dkim"].publish == ()  # it passes


def test_a_check_suggestion_wins_and_dkim_names_its_selector() -> None:
    report = replace(
        sample_report(),
        results=(
            _result("email.spf", Status.FAIL, Finding("acme.test", "none", {"suggested_record": "v=spf1 include:_spf.google.com -all"})),
            _result("email.dkim", Status.FAIL, Finding("google._domainkey.acme.test", "missing", {"selector": "google"})),
        ),
    )
    blocks = {b.check_id: b for b in email_facts(report, Sanitizer())}
    assert blocks["email.spf"].publish == ("v=spf1 include:_spf.google.com -all",)
    assert blocks["email.dkim"].publish[0].startswith('google._domainkey.acme.test TXT "v=DKIM1; k=rsa; p=')


def test_leaks_carry_kind_place_commit_history_and_rotation() -> None:
    leaks = secret_leaks(sample_report(), Sanitizer())
    assert [(leak.kind, leak.place, leak.commit) for leak in leaks] == [
        ("openai", "config/settings.py:12", ""),
        ("stripe", ".env:3", ""),
        ("stripe", ".env.old:2", "a1b2c3d4e5f6"),
    ]
    # The OpenAI key is not in history; the Stripe key is (same fingerprint as the history finding).
    assert [leak.in_history.split(":")[0] for leak in leaks] == ["no", "yes", "yes"]
    assert "platform.openai.com" in leaks[0].rotation and "Stripe dashboard" in leaks[1].rotation
    assert all("(sha256:" in leak.value for leak in leaks)


def test_history_not_scanned_says_so() -> None:
    report = replace(sample_report(), results=(sample_report().result("secrets.repo"),))
    assert {leak.in_history for leak in secret_leaks(report, Sanitizer())} == {"not checked"}


def test_public_env_inventory() -> None:
    rows = public_env_inventory(sample_report(), Sanitizer())
    assert [(r.name, r.place) for r in rows] == [("NEXT_PUBLIC_OPENAI_KEY", ".env.production:4"), ("NEXT_PUBLIC_APP_URL", ".env.production:5")]
