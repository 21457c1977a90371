"""A fixed, realistic handover input: a NO_GO run with failing, waived, manual and stale items,
edge and e-mail facts, leaked secrets, monitors and incidents. The golden files render it.

The catalog metadata is written out here (not read from checks.catalog) so the golden files
change only when the handover changes, not when a check's wording does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from checks.check import Check, manual_check
from checks.model import CheckResult, Finding, Outcome, RunReport, Severity, Status
from checks.redact import redact
from handover.model import (
    DigestView,
    HandoverInput,
    IncidentView,
    ItemState,
    MonitorView,
    build_items,
)

# Planted secrets: a configured one (known to the config) and an unknown token-shaped one.
PLANTED_SECRET = "demo_Zq8sXv3LmN0pR4tY7uW1aB5c"  # launchready:allow (a fake, planted on purpose)
PLANTED_TOKEN = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789"  # launchready:allow
PLANTED_STRIPE = "sk_live_51HqZx9TkLmNoPqRsTuVwXyZ0a"  # launchready:allow

T0 = datetime(2026, 11, 30, 8, 0, 0, tzinfo=UTC)


async def _noop(target, ctx) -> Outcome:  # pragma: no cover - never run
    return Outcome.passed("unused")


def _auto(id: str, title: str, severity: Severity, passes: str, why: str, breaks: str, fix: str) -> Check:
    return Check(
        id=id, title=title, severity=severity, category=id.split(".")[0], passes_when=passes,
        why=why, breaks=breaks, remediation=fix, run=_noop,
    )


CATALOG: list[Check] = [
    _auto("auth.private_routes", "Private routes reject missing and bad tokens", Severity.CRITICAL,
          "Every private route rejects no token, a malformed token and a bad token with 401/403.",
          "Anyone on the internet can call a route that forgets its auth check.",
          "Strangers read conversations and call the admin API.",
          "Put every private route behind the auth middleware; deny by default."),
    _auto("auth.tenant_isolation", "Tenants cannot read each other's objects", Severity.CRITICAL,
          "A user of another tenant gets 403/404 on an owned object.",
          "Marketplaces and chat apps hold many customers' data in one database.",
          "One customer reads another's conversations.",
          "Scope every query by the caller's tenant."),
    _auto("api.cors", "CORS allows only your own origins", Severity.HIGH,
          "Hostile, null and look-alike origins are not allowed; no wildcard with credentials.",
          "A permissive CORS policy lets any site read your API with the visitor's cookies.",
          "A hostile page reads a logged-in user's data.",
          "Allow-list exact origins; never reflect Origin with credentials."),
    _auto("webhooks.replay", "Replayed webhook deliveries are rejected", Severity.HIGH,
          "A replayed delivery with its original timestamp is rejected; a duplicate event id is not processed twice.",
          "Payment webhooks that are processed twice grant credit twice.",
          "A captured delivery, replayed, tops up an account again.",
          "Reject timestamps older than 5 minutes and store processed event ids."),
    _auto("secrets.repo", "No secret in the working tree", Severity.CRITICAL,
          "No secret in the working tree.", "Repositories get shared, forked and leaked.",
          "Anyone with the repo calls your providers as you.", "Move secrets to the secret store and rotate them."),
    _auto("secrets.history", "No secret in git history", Severity.HIGH,
          "No secret anywhere in git history.", "Deleting a file does not delete it from history.",
          "A clone from last year still holds the key.", "Rotate every secret found in history."),
    _auto("secrets.public_env", "No secret in public environment variables", Severity.MEDIUM,
          "No secret-looking value in NEXT_PUBLIC_ / VITE_ / REACT_APP_ / PUBLIC_ variables.",
          "Public variables are compiled into the browser bundle.",
          "Every visitor can read the value.", "Keep secret values out of public variables."),
    _auto("tls.certificate", "TLS certificate is valid for a while", Severity.CRITICAL,
          "Chain trusted, hostname matches, expires in more than 30 days.", "Browsers refuse invalid certificates.",
          "Nobody can open the site.", "Automate renewal (ACME)."),
    _auto("http.https_redirect", "Plain HTTP redirects to HTTPS", Severity.HIGH,
          "Plain HTTP answers 301/308 to HTTPS on the same host first.", "Users type the bare domain.",
          "Sessions travel in clear text.", "Redirect port 80 to HTTPS with 301."),
    _auto("http.hsts", "HSTS is long enough", Severity.MEDIUM,
          "Strict-Transport-Security max-age at least 15552000.", "HSTS stops downgrade attacks.",
          "A network attacker strips TLS on the first visit.", "Send max-age=31536000; includeSubDomains."),
    _auto("http.security_headers", "Security headers grade B or better", Severity.MEDIUM,
          "Observatory-style grade B or better.", "Headers are cheap defence in depth.",
          "XSS and clickjacking have nothing in their way.", "Add CSP, X-Frame-Options and friends."),
    _auto("edge.cdn", "Served through a CDN", Severity.LOW,
          "The site is served through a CDN/proxy.", "A CDN absorbs launch-day traffic and floods.",
          "The origin takes the whole load.", "Put the site behind a CDN."),
    _auto("email.spf", "SPF is strict", Severity.HIGH,
          "One valid SPF record, at most 10 lookups, ending in -all or ~all.", "Spoofed mail hurts trust.",
          "Phishing from your domain lands in inboxes.", "Publish one SPF record ending in -all."),
    _auto("email.dkim", "DKIM keys are published", Severity.MEDIUM,
          "A DKIM key on a configured selector, RSA at least 1024 bits.", "Receivers verify your mail.",
          "Your mail goes to spam.", "Publish the provider's DKIM key."),
    _auto("email.dmarc", "DMARC enforces", Severity.HIGH,
          "DMARC with p=quarantine or p=reject.", "DMARC tells receivers to drop spoofed mail.",
          "Spoofed mail is delivered.", "Publish p=quarantine, then p=reject."),
    _auto("obs.health", "Health routes answer 2xx", Severity.HIGH,
          "Every health route answers 2xx.", "Monitors decide from it.", "Dead instances stay in rotation.",
          "Serve GET /health with 200."),
    _auto("perf.latency_p95", "p95 latency under budget", Severity.MEDIUM,
          "p95 under the budget on each non-model route.", "Slow apps lose users.", "Users leave.",
          "Profile and cache the slow routes."),
    manual_check(id="manual.keys_rotated", title="Development keys rotated", severity=Severity.HIGH,
                 passes_when="Every pre-launch key has been replaced and revoked.",
                 why="Keys pasted during development are widely known.", breaks="Old keys still work.",
                 remediation="Rotate each provider key and revoke the old ones, then attest."),
    manual_check(id="manual.alert_routing", title="Alerts reach a person", severity=Severity.HIGH,
                 passes_when="Alerts go to a watched channel with an on-call owner.",
                 why="An alert nobody reads is no alert.", breaks="Downtime goes unnoticed.",
                 remediation="Route alerts to the launch channel and name an on-call person."),
    manual_check(id="manual.edge_rules", title="DDoS and edge rules in place", severity=Severity.MEDIUM,
                 passes_when="Edge rate rules and bot protection exist.", why="Launch brings bots.",
                 breaks="Signup floods.", remediation="Configure edge rate limits, then attest."),
]

_META = {c.id: c for c in CATALOG}


def _result(check_id: str, status: Status, summary: str, *findings: Finding, **extra) -> CheckResult:
    meta = _META[check_id]
    return CheckResult(
        check_id=check_id, title=meta.title, category=meta.category, severity=meta.severity, status=status,
        summary=summary, findings=tuple(findings),
        remediation=meta.remediation if status is not Status.PASS else "", duration_ms=12, requests=3, **extra,
    )


def sample_report() -> RunReport:
    long_body = "Traceback (most recent call last): " + "x" * 2000
    results = (
        _result("auth.private_routes", Status.FAIL, "2 of 5 private routes answer without a token.",
                Finding("GET /admin/users", "GET /admin/users without a token answered 200, not 401/403.",
                        {"sent": "no Authorization header", "status": 200, "body": long_body}),
                Finding("GET /api/conversations", "GET /api/conversations with a malformed token answered 200.",
                        {"sent": f"Authorization: Bearer {PLANTED_SECRET}x", "status": 200})),
        _result("auth.tenant_isolation", Status.PASS, "bob cannot read or change c_1001 (alice's)."),
        _result("api.cors", Status.FAIL, "2 hostile origins are allowed with credentials.",
                Finding("GET /api/conversations", "Origin https://evil.test | null was allowed\nwith credentials.",
                        {"origin": "https://evil.test", "allow-origin": "https://evil.test",
                         "allow-credentials": "true"})),
        _result("webhooks.replay", Status.WAIVED, "A replayed delivery was processed twice.",
                Finding("POST /webhooks/stripe", "The same event id evt_1 was processed twice.", {"event": "evt_1"}),
                waived_status=Status.FAIL, waiver_reason="Stripe retries are idempotent in the queue; fix after launch."),
        _result("secrets.repo", Status.FAIL, "2 secrets in the working tree.",
                Finding("config/settings.py:12", f"An OpenAI API key is committed: {PLANTED_TOKEN}",
                        {"file": "config/settings.py", "line": 12, "kind": "openai", "redacted": redact(PLANTED_TOKEN)}),
                Finding(".env:3", "A Stripe live secret key is committed.",
                        {"file": ".env", "line": 3, "kind": "stripe", "value": PLANTED_STRIPE})),
        _result("secrets.history", Status.FAIL, "1 secret in git history.",
                Finding("a1b2c3d4e5f6:.env.old:2", "A Stripe live secret key was committed and later deleted.",
                        {"file": ".env.old", "line": 2, "commit": "a1b2c3d4e5f60718293a", "kind": "stripe",
                         "redacted": redact(PLANTED_STRIPE)})),
        _result("secrets.public_env", Status.WARN, "1 public variable looks like a secret.",
                Finding("NEXT_PUBLIC_OPENAI_KEY", "NEXT_PUBLIC_OPENAI_KEY looks like a secret and ships to browsers.",
                        {"name": "NEXT_PUBLIC_OPENAI_KEY", "file": ".env.production", "line": 4,
                         "value": redact(PLANTED_TOKEN)}),
                Finding("NEXT_PUBLIC_APP_URL", "NEXT_PUBLIC_APP_URL is a URL (fine to be public).",
                        {"name": "NEXT_PUBLIC_APP_URL", "file": ".env.production", "line": 5})),
        _result("tls.certificate", Status.PASS, "The certificate for staging.acme.test is trusted and expires in 63 days.",
                Finding("staging.acme.test:443", "Certificate issued by Acme Test CA, valid until 2027-02-01.",
                        {"subject": "CN=staging.acme.test", "issuer": "CN=Acme Test CA", "not_after": "2027-02-01",
                         "days_left": 63})),
        _result("http.https_redirect", Status.PASS, "Plain HTTP redirects to HTTPS on the same host.",
                Finding("http://staging.acme.test/", "301 to https://staging.acme.test/.",
                        {"chain": ["http://staging.acme.test/ 301", "https://staging.acme.test/ 200"]})),
        _result("http.hsts", Status.FAIL, "HSTS max-age is 300 (needs 15552000).",
                Finding("https://staging.acme.test/", "Strict-Transport-Security: max-age=300.",
                        {"header": "max-age=300"})),
        _result("http.security_headers", Status.WARN, "Grade C (55/100).",
                Finding("https://staging.acme.test/", "Content-Security-Policy is missing (-25).",
                        {"grade": "C", "score": 55, "deduction": -25}),
                Finding("https://staging.acme.test/", "X-Frame-Options is missing (-20).",
                        {"grade": "C", "deduction": -20})),
        _result("edge.cdn", Status.PASS, "Served through Cloudflare (cf-ray header).",
                Finding("https://staging.acme.test/", "cf-ray: 8a1b2c3d4e5f-FRA", {"provider": "cloudflare", "how": "cf-ray header"})),
        _result("email.spf", Status.FAIL, "acme.test's SPF ends in +all: anyone may send as acme.test.",
                Finding("acme.test", "SPF record v=spf1 +all allows every sender.", {"record": "v=spf1 +all"})),
        _result("email.dkim", Status.PASS, "Selector s1 has a 2048-bit RSA key.",
                Finding("s1._domainkey.acme.test", "RSA 2048 bits.", {"selector": "s1", "bits": 2048})),
        _result("email.dmarc", Status.FAIL, "DMARC for acme.test is p=none.",
                Finding("_dmarc.acme.test", "DMARC policy p=none does not stop spoofed mail.",
                        {"record": "v=DMARC1; p=none"})),
        _result("obs.health", Status.PASS, "All 1 health routes answer 2xx."),
        _result("perf.latency_p95", Status.SKIPPED, "No latency budget: set targets.staging.latency."),
        _result("manual.keys_rotated", Status.MANUAL, "Awaiting attestation by its owner."),
        _result("manual.alert_routing", Status.PASS, "Attested by its owner (PagerDuty rota set)."),
        _result("manual.edge_rules", Status.MANUAL, "Awaiting attestation by its owner."),
    )
    return RunReport(
        run_id="r_20261130075800_abc123", project="Acme Chat", target="staging",
        base_url="https://staging.acme.test", started_at=datetime(2026, 11, 30, 7, 58, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 30, 7, 58, 41, tzinfo=UTC), requests=412, results=results,
    )


STATES = {
    "auth.private_routes": ItemState(owner="U0ALICE", due=date(2026, 12, 10)),
    "api.cors": ItemState(owner="U0ALICE|ops", due=date(2026, 12, 12)),
    "webhooks.replay": ItemState(owner="U0BOB", waiver_reason="Stripe retries are idempotent in the queue; fix after launch.",
                                 waiver_by="U0ADMIN", waiver_expires=date(2026, 12, 31)),
    "secrets.repo": ItemState(owner="U0CAROL", due=date(2026, 12, 5)),
    "manual.keys_rotated": ItemState(owner="U0BOB", attest_every="30d"),
    "manual.alert_routing": ItemState(owner="U0CAROL", attested_by="U0CAROL", attested_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
                                      attestation_note="PagerDuty rota set", attest_every="30d"),
    "manual.edge_rules": ItemState(owner="U0DAN", attested_by="U0DAN", attested_at=datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
                                   attestation_note="Cloudflare rules", attest_every="30d", stale=True),
}


def sample_input() -> HandoverInput:
    report = sample_report()
    return HandoverInput(
        project="Acme Chat",
        target="staging",
        base_url="https://staging.acme.test",
        launch_date=date(2026, 12, 15),
        generated_at=T0,
        report=report,
        items=build_items(report, CATALOG, STATES),
        admins=("U0ADMIN", "U0CTO"),
        monitors=(
            MonitorView(name="api-health", url="https://acme.test/health", interval="30s",
                        conditions=("[STATUS] == 200", "[RESPONSE_TIME] < 500"), failure_threshold=3,
                        success_threshold=2, reminder_every="1h"),
        ),
        incidents=(
            IncidentView(title="api-health is down", source="api-health", severity="critical",
                         opened_at=datetime(2026, 11, 28, 14, 0, tzinfo=UTC),
                         resolved_at=datetime(2026, 11, 28, 14, 47, tzinfo=UTC),
                         resolution="Rolled back deploy 412", resolved_by="U0ALICE"),
            IncidentView(title="p95 latency 930 ms over 500 ms", source="alerts.latency", severity="high",
                         opened_at=datetime(2026, 11, 30, 7, 30, tzinfo=UTC)),
        ),
        digest_schedule=DigestView(cron="0 9 * * 1-5", timezone="Europe/Berlin", channel="C0LAUNCH"),
        config_summary=(
            ("project", "Acme Chat"),
            ("targets.staging.base_url", "https://staging.acme.test"),
            ("targets.staging.users", "alice (acme/buyer), bob (globex/buyer), root (acme/admin); tokens from the environment"),
            ("targets.staging.webhooks", "POST /webhooks/stripe (stripe)"),
            ("slack.channel", "C0LAUNCH"),
        ),
        known_secrets=(PLANTED_SECRET,),
    )
