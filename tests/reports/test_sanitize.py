"""Redaction and truncation of everything the documents print."""

from __future__ import annotations

from reports.sanitize import Sanitizer


def test_known_secrets_and_token_shapes_are_redacted() -> None:
    clean = Sanitizer(["hunter2-the-password"])
    text = clean.clean("pw=hunter2-the-password key=ghp_" + "a" * 36 + " aws=AKIAABCDEFGHIJKLMNOP")
    assert "hunter2-the-password" not in text and "ghp_" + "a" * 36 not in text and "AKIAABCDEFGHIJKLMNOP" not in text
    assert "hunt…rd (sha256:" in text and "AKIA…OP (sha256:" in text


def test_private_keys_are_redacted_whole() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----"
    text = Sanitizer().clean(f"found {key} in repo")
    assert "MIIEowIBAAKCAQEA" not in text and text.startswith("found ----…-- (sha256:") and text.endswith(" in repo")


def test_truncation_happens_after_redaction() -> None:
    secret = "s3cr3t-" + "q" * 60
    text = Sanitizer([secret]).short("x" * 10 + secret, 30)
    assert "q" * 10 not in text and len(text) <= 30


def test_evidence_on_one_line() -> None:
    clean = Sanitizer()
    assert clean.evidence({"status": 500, "headers": {"server": "nginx"}}) == 'status=500; headers={"server": "nginx"}'
    assert clean.evidence({str(i): i for i in range(6)}, keys=2) == "0=0; 1=1; (+4 more)"
    assert clean.clean(None) == ""
