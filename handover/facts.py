"""Facts other checks found, read generically from their findings and evidence.

The edge, e-mail and secrets checks evolve on their own; this module only assumes a finding
has a resource, a message and an evidence dict, and looks for a few common evidence keys
(``file``/``line``, ``commit``, ``kind``, ``record``...). Whatever else is there is shown as
``key=value`` on one line, so a new evidence key appears in the document without a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from checks.model import CheckResult, Finding, RunReport, Status
from reports.sanitize import Sanitizer

__all__ = [
    "EDGE_CHECKS",
    "EMAIL_CHECKS",
    "FactBlock",
    "FactLine",
    "Leak",
    "PublicVariable",
    "edge_facts",
    "email_facts",
    "public_env_inventory",
    "secret_leaks",
    "secret_notes",
]

EDGE_CHECKS = (
    "tls.certificate",
    "tls.protocols",
    "http.https_redirect",
    "http.hsts",
    "http.security_headers",
    "edge.cdn",
)
EMAIL_CHECKS = ("email.spf", "email.dkim", "email.dmarc")
_NOT_OK = (Status.FAIL, Status.WARN, Status.ERROR, Status.WAIVED)
_SUGGESTION_KEYS = ("record_to_publish", "suggested_record", "suggestion", "publish")


@dataclass(frozen=True)
class FactLine:
    resource: str
    message: str
    evidence: str


@dataclass(frozen=True)
class FactBlock:
    check_id: str
    title: str
    status: str
    summary: str
    lines: tuple[FactLine, ...]
    publish: tuple[str, ...] = ()  # DNS records to publish, for failing e-mail checks


@dataclass(frozen=True)
class Leak:
    check_id: str
    kind: str
    place: str
    commit: str
    value: str
    in_history: str
    rotation: str


@dataclass(frozen=True)
class PublicVariable:
    name: str
    place: str
    message: str
    value: str


def edge_facts(report: RunReport, clean: Sanitizer) -> tuple[FactBlock, ...]:
    return tuple(_block(r, clean) for r in _results(report, EDGE_CHECKS))


def email_facts(report: RunReport, clean: Sanitizer) -> tuple[FactBlock, ...]:
    blocks = []
    for result in _results(report, EMAIL_CHECKS):
        block = _block(result, clean)
        if result.status in _NOT_OK:
            block = FactBlock(**{**block.__dict__, "publish": _records_to_publish(result, report, clean)})
        blocks.append(block)
    return tuple(blocks)


_VALUE_KEYS = ("redacted", "preview", "match", "secret", "value", "secret_hash")


def _secret_findings(report: RunReport) -> list[tuple[CheckResult, Finding]]:
    return [
        (result, finding)
        for result in report.results
        if result.check_id.startswith("secrets.") and result.check_id != "secrets.public_env" and result.status in _NOT_OK
        for finding in result.findings
    ]


def _is_leak(finding: Finding) -> bool:
    """A finding about one secret value (not an aggregate such as "4 e-mail addresses in logs")."""
    return _first(finding.evidence, *_VALUE_KEYS) is not None


def secret_leaks(report: RunReport, clean: Sanitizer) -> tuple[Leak, ...]:
    history = _history_fingerprints(report, clean)
    return tuple(_leak(r, f, clean, history) for r, f in _secret_findings(report) if _is_leak(f))


def secret_notes(report: RunReport, clean: Sanitizer) -> tuple[FactLine, ...]:
    """The other findings of failing secrets checks: exposed source maps, personal data in logs."""
    return tuple(
        FactLine(
            resource=clean.short(f.resource, 160),
            message=clean.short(f.message, 400),
            evidence=clean.evidence(f.evidence, keys=4, limit=100),
        )
        for _, f in _secret_findings(report)
        if not _is_leak(f)
    )


_FINGERPRINT = re.compile(r"sha256:([0-9a-f]{12})")


def _history_fingerprints(report: RunReport, clean: Sanitizer) -> set[str] | None:
    """Fingerprints of the secrets found in git history; None when history was not scanned."""
    result = report.result("secrets.history")
    if result is None or result.status in (Status.SKIPPED, Status.ERROR):
        return None
    found: set[str] = set()
    for finding in result.findings:
        found.update(_prints(finding, clean))
    return found


def _prints(finding: Finding, clean: Sanitizer) -> set[str]:
    """The sha256 fingerprints a finding carries (the same secret has the same one everywhere)."""
    prints = set(_FINGERPRINT.findall(clean.clean(f"{finding.message} {finding.evidence}")))
    given = finding.evidence.get("secret_hash")
    if isinstance(given, str) and len(given) >= 12:
        prints.add(given[:12])
    return prints


def public_env_inventory(report: RunReport, clean: Sanitizer) -> tuple[PublicVariable, ...]:
    result = report.result("secrets.public_env")
    if result is None:
        return ()
    rows = []
    for finding in result.findings:
        ev = finding.evidence
        name = _first(ev, "name", "variable", "key", "var") or finding.resource
        rows.append(
            PublicVariable(
                name=clean.short(name, 80),
                place=clean.short(_place(finding), 120),
                message=clean.short(finding.message, 200),
                value=clean.short(_first(ev, "redacted", "value", "preview") or "", 60),
            )
        )
    return tuple(rows)


# -- helpers ---------------------------------------------------------------------------------


def _results(report: RunReport, ids: tuple[str, ...]) -> list[CheckResult]:
    return [r for check_id in ids if (r := report.result(check_id)) is not None]


def _status_label(result: CheckResult) -> str:
    if result.status is Status.WAIVED and result.waived_status:
        return f"waived ({result.waived_status})"
    return str(result.status)


def _block(result: CheckResult, clean: Sanitizer) -> FactBlock:
    lines = tuple(
        FactLine(
            resource=clean.short(f.resource, 120),
            message=clean.short(f.message, 300),
            evidence=clean.evidence(f.evidence, keys=6, limit=100),
        )
        for f in result.findings[:12]
    )
    return FactBlock(
        check_id=result.check_id,
        title=result.title,
        status=_status_label(result),
        summary=clean.short(result.summary, 300),
        lines=lines,
    )


def _first(evidence: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = evidence.get(key)
        if value not in (None, ""):
            return value
    return None


def _place(finding: Finding) -> str:
    ev = finding.evidence
    file = _first(ev, "file", "path")
    line = _first(ev, "line", "line_number", "lineno", "start_line")
    if file:
        return f"{file}:{line}" if line else str(file)
    return finding.resource


_ROTATION = {
    "openai": "Revoke the key at platform.openai.com (API keys), create a new one and store it in the deployment's secret store.",
    "anthropic": "Revoke the key in the Anthropic console, create a new one and store it in the deployment's secret store.",
    "stripe": "Roll the key in the Stripe dashboard (Developers > API keys); update the deployment, then expire the old key.",
    "aws": "Deactivate and delete the access key in IAM, create a new one for a least-privilege role, and check CloudTrail for its use.",
    "github": "Revoke the token in GitHub settings (Developer settings > tokens) and issue a fine-grained one with the least scope.",
    "slack": "Regenerate the token in the Slack app's settings (OAuth & Permissions) and update the deployment.",
    "private_key": "Replace the key pair, reissue anything signed or encrypted with it, and remove the old public key everywhere it is trusted.",
    "webhook": "Roll the webhook signing secret at the provider and update the receiving service.",
    "bearer": "Revoke the logged tokens (sign those sessions out), stop logging Authorization headers, and purge the log files and their copies.",
    "session": "Invalidate the logged sessions, stop logging cookies, and purge the log files and their copies.",
    "cookie": "Invalidate the logged sessions, stop logging cookies, and purge the log files and their copies.",
}


def _rotation(kind: str, evidence: dict[str, Any]) -> str:
    given = _first(evidence, "rotation", "rotate", "remediation")
    if given:
        return str(given)
    lowered = kind.lower()
    for name, step in _ROTATION.items():
        if name.replace("_", " ") in lowered.replace("_", " ").replace("-", " "):
            return step
    if "whsec" in lowered:
        return _ROTATION["webhook"]
    return "Revoke this credential at its provider, issue a new one, keep it in the secret store (not the repository), then attest manual.keys_rotated."


def _leak(result: CheckResult, finding: Finding, clean: Sanitizer, history: set[str] | None) -> Leak:
    ev = finding.evidence
    kind = str(_first(ev, "description", "kind", "rule", "detector", "type", "secret_type") or "secret")
    rule = str(_first(ev, "rule", "kind", "detector", "type") or kind)
    commit = str(_first(ev, "commit", "sha") or "")
    in_history = _first(ev, "in_history", "still_in_history")
    if in_history is None and (result.check_id == "secrets.history" or commit):
        in_history = True
    elif in_history is None and history is not None:
        # The same secret has the same fingerprint wherever it was found.
        prints = _prints(finding, clean)
        in_history = bool(prints & history) if prints else None
    history_text = {True: "yes: rotate it, removing the file does not un-leak it", False: "no"}.get(
        bool(in_history) if in_history is not None else None, "not checked"
    )
    value = _first(ev, *_VALUE_KEYS) or ""
    if value and value == ev.get("secret_hash"):
        value = f"sha256:{value}"
    return Leak(
        check_id=result.check_id,
        kind=clean.short(kind, 60),
        place=clean.short(_place(finding), 160),
        commit=clean.short(commit[:12], 12),
        value=clean.short(value, 60),
        in_history=history_text,
        rotation=clean.short(_rotation(f"{rule} {kind}", ev), 300),
    )


_DOMAIN = re.compile(r"(?:[A-Za-z0-9_-]+\.)+[A-Za-z]{2,}")


def _domain_of(finding: Finding, fallback: str) -> str:
    given = _first(finding.evidence, "domain", "name")
    text = str(given) if given else finding.resource
    match = _DOMAIN.search(text)
    if not match:
        return fallback
    domain = match.group(0)
    domain = re.sub(r"^_dmarc\.", "", domain)
    domain = re.sub(r"^.*\._domainkey\.", "", domain)
    return domain


def _records_to_publish(result: CheckResult, report: RunReport, clean: Sanitizer) -> tuple[str, ...]:
    """What to publish to make the check pass: the check's own suggestion when it gave one."""
    records: list[str] = []
    for finding in result.findings:
        suggestion = _first(finding.evidence, *_SUGGESTION_KEYS)
        if suggestion:
            records.append(clean.short(suggestion, 300))
    if records:
        return tuple(dict.fromkeys(records))
    fallback = urlsplit(report.base_url).hostname or "example.com"
    domains = [_domain_of(f, fallback) for f in result.findings] or [fallback]
    out: list[str] = []
    for domain in dict.fromkeys(domains):
        if result.check_id == "email.spf":
            out.append(f'{domain} TXT "v=spf1 include:<your mail provider\'s SPF domain> -all"')
        elif result.check_id == "email.dmarc":
            out.append(f'_dmarc.{domain} TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{domain}; adkim=s; aspf=s"')
        elif result.check_id == "email.dkim":
            selectors = [
                str(s)
                for f in result.findings
                if (s := _first(f.evidence, "selector")) and _domain_of(f, fallback) == domain
            ] or ["<selector>"]
            for selector in dict.fromkeys(selectors):
                out.append(
                    f'{selector}._domainkey.{domain} TXT "v=DKIM1; k=rsa; p=<2048-bit public key from your mail provider>"'
                )
    return tuple(clean.short(r, 300) for r in out)
