"""Public environment variables: names that frameworks ship to the browser, and whether the
value they hold is a secret (it matches a rule, or its name says secret and it looks random)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from checks.secrets.scanner import Scanner, is_placeholder, shannon_entropy

__all__ = [
    "PUBLIC_PREFIXES",
    "EnvVar",
    "Verdict",
    "bundle_variables",
    "is_public_name",
    "judge",
    "parse_env",
    "public_kind",
]

# Next.js, Vite, Create React App, SvelteKit/Astro, Expo; Nuxt and Gatsby for good measure.
PUBLIC_PREFIXES = (
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "PUBLIC_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
)
_SECRET_WORDS = re.compile(
    r"(?:^|_)(?:SECRET|KEY|TOKEN|PASSWORD|PASSWD|PWD|PRIVATE|CREDENTIALS?|AUTH)(?:_|$)"
)
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
_BUNDLE = re.compile(
    r"""["']?\b((?:NEXT_PUBLIC|VITE|REACT_APP|EXPO_PUBLIC|NUXT_PUBLIC|GATSBY|PUBLIC)_[A-Z0-9_]+)["']?\s*[:=]\s*(?:"([^"\n]{1,500})"|'([^'\n]{1,500})'|`([^`\n]{1,500})`)"""
)
_HIGH_ENTROPY = 3.5
_MIN_LENGTH = 16


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str
    line: int


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    reason: str


def is_public_name(name: str) -> bool:
    return name.upper().startswith(PUBLIC_PREFIXES)


def parse_env(text: str) -> list[EnvVar]:
    """``NAME=value`` lines of a dotenv file (``export``, quotes and trailing comments handled)."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if not match:
            continue
        name, value = match.group(1), match.group(2)
        if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) >= 2:
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        found.append(EnvVar(name, value, number))
    return found


def bundle_variables(text: str) -> Iterator[tuple[str, str, int]]:
    """``NEXT_PUBLIC_X: "value"`` pairs a build left in served code: (name, value, offset)."""
    for match in _BUNDLE.finditer(text):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        yield match.group(1), value, match.start()


def public_kind(name: str, value: str) -> str | None:
    """What a value is when it is public by design (so not a finding), else None."""
    upper = name.upper()
    if re.match(r"^pk_(?:live|test)_[A-Za-z0-9]{10,}$", value):
        return "a Stripe (or Clerk) publishable key"
    if value.startswith("phc_"):
        return "a PostHog project key"
    if value.startswith("pk.") and "MAPBOX" in upper:
        return "a Mapbox public token"
    if re.match(r"^https://[0-9a-f]{16,}@[\w.-]*sentry\.io/\d+$", value):
        return "a Sentry DSN"
    if value.startswith("AIza") and ("FIREBASE" in upper or "MAPS" in upper):
        return "a Firebase web / Maps browser key (restrict it by referrer)"
    if "ANON" in upper and value.startswith("eyJ"):
        return "a Supabase anon key"
    if "SEARCH" in upper and "ALGOLIA" in upper:
        return "an Algolia search-only key"
    return None


def judge(name: str, value: str, scanner: Scanner) -> Verdict | None:
    """Why this public variable holds a secret, or None when it does not."""
    if not value or is_placeholder(value) or public_kind(name, value):
        return None
    for finding in scanner.scan_text(f'{name}="{value}"', "env"):
        if "generic" not in finding.rule_id:  # the generic rule: judged by name below
            return Verdict(finding.rule_id, f"its value is a {finding.description}")
    if re.match(r"^https?://[^@\s]*$", value):
        return None  # a URL without credentials
    if (
        _SECRET_WORDS.search(name.upper())
        and len(value) >= _MIN_LENGTH
        and shannon_entropy(value) >= _HIGH_ENTROPY
    ):
        return Verdict(
            "public-secret-name", "its name says it is secret and its value looks random"
        )
    return None
