"""Redaction: evidence never holds a whole secret or token.

A secret shows at most its first 4 and last 2 characters and a short sha256 fingerprint, so
two findings of the same secret can be matched without either revealing it.

Three nets, applied by the runner to every finding before it is stored, posted or rendered
(:func:`redact_evidence`): the secrets of the config (:func:`scrub`), values under a
credential-like key in evidence dicts and in the JSON, form and header text of response
bodies (``"new_password": "..."``), and whatever a secret-finding function (the secrets
rules) recognises in the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["SENSITIVE_KEYS", "fingerprint", "is_sensitive_key", "redact", "redact_evidence", "redact_text", "scrub", "scrub_value"]

# A key is sensitive when, lowercased with "-" as "_", it is or ends with one of these:
# password, new_password, access_token, x_api_key, client_secret, set_cookie ...
SENSITIVE_KEYS = ("password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "authorization", "cookie", "private_key", "credentials")
_JSON_PAIR = re.compile(r'"(?P<key>[\w.-]{1,64})"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)')
_FORM_PAIR = re.compile(r"(?<![\w-])(?P<key>[\w.-]{1,64})=(?P<value>[^&\s\"'<>]+)")
_HEADER = re.compile(r"(?im)\b(?P<key>authorization|proxy-authorization|cookie|set-cookie|x-api-key)\s*:\s*(?:(?:bearer|basic|token)\s+)?(?P<value>[A-Za-z0-9._~+/=-]{8,})")


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", errors="replace")).hexdigest()[:12]


def redact(secret: str) -> str:
    """``sk-p…Zx (sha256:1a2b3c4d5e6f)``; short secrets keep no characters at all."""
    shown = f"{secret[:4]}…{secret[-2:]}" if len(secret) >= 12 else "…"
    return f"{shown} (sha256:{fingerprint(secret)})"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each known secret in ``text`` by its redaction."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, redact(secret))
    return text


def scrub_value(value: Any, secrets: Iterable[str]) -> Any:
    """:func:`scrub` through dicts, lists and strings (evidence structures)."""
    secrets = list(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v, secrets) for v in value]
    return value


def is_sensitive_key(key: str) -> bool:
    normalised = key.lower().replace("-", "_")
    return any(normalised.endswith(word) for word in SENSITIVE_KEYS)


def _hide(value: str) -> str:
    """A value under a credential key, hidden whole (a password shows no characters at all),
    unless it is empty or already redacted."""
    return value if not value or "sha256:" in value else f"… (sha256:{fingerprint(value)})"


def redact_text(text: str, secrets: Iterable[str] = (), find: Callable[[str], Iterable[str]] | None = None) -> str:
    """Known secrets, values under credential-like keys (JSON, form, headers), and whatever
    ``find`` recognises as a secret in ``text``, each replaced by its redaction."""
    text = scrub(text, secrets)

    def pair(match: re.Match[str]) -> str:
        if not is_sensitive_key(match["key"]):
            return match.group(0)
        start, end = match.span("value")
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + _hide(match["value"]) + whole[end - offset :]

    for pattern in (_JSON_PAIR, _FORM_PAIR, _HEADER):
        text = pattern.sub(pair, text)
    if find is not None:
        text = scrub(text, find(text))
    return text


def redact_evidence(value: Any, secrets: Iterable[str] = (), find: Callable[[str], Iterable[str]] | None = None) -> Any:
    """:func:`redact_text` through dicts, lists and strings; under a sensitive key every
    string and number is redacted whole."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets, find)
    if isinstance(value, dict):
        return {k: _hide_all(v) if isinstance(k, str) and is_sensitive_key(k) else redact_evidence(v, secrets, find) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_evidence(v, secrets, find) for v in value]
    return value


def _hide_all(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str | int | float):
        return _hide(str(value))
    if isinstance(value, dict):
        return {k: _hide_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hide_all(v) for v in value]
    return value
