"""What an error response must not show: stack traces, debugger pages, version banners, SQL
errors and internal paths. Shared by obs.error_disclosure and api.input_validation.

Version banners are judged on any response (:func:`version_banner`): a versioned
``X-Powered-By`` on a 200 health route tells as much as on an error page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checks.context import REMEMBERED_HEADERS, HttpResponse

__all__ = ["Disclosure", "find_disclosures", "version_banner"]

_BODY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Python stack trace", re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")),
    ("Java stack trace", re.compile(r"\bat (?:[a-z][\w$]*\.){2,}[\w$<>]+\([\w$]+\.java:\d+\)|java\.lang\.\w+Exception")),
    ("Node.js stack trace", re.compile(r"\bat (?:\S+ )?\(?(?:/|[A-Z]:\\)[^\s()]+\.(?:js|ts|mjs|cjs):\d+:\d+\)?")),
    (".NET stack trace", re.compile(r"System\.\w+Exception|\bat [\w.]+\(.*\) in .+:line \d+")),
    ("Ruby stack trace", re.compile(r"\.rb:\d+:in `")),
    ("PHP error", re.compile(r"(?:Fatal error|Parse error|Warning): .+ in .+\.php on line \d+")),
    ("Go panic", re.compile(r"goroutine \d+ \[running\]|panic: runtime error")),
    ("debugger page", re.compile(r"Werkzeug Debugger|You're seeing this error because you have <code>DEBUG = True|Whoops! There was an error|__debugger__|Django Version:", re.I)),
    ("SQL error", re.compile(r"SQLSTATE\[|syntax error at or near|You have an error in your SQL syntax|sqlite3\.\w+Error|psycopg2?\.\w+|ORA-\d{5}|unterminated quoted string|SQLException", re.I)),
    ("internal file path", re.compile(r"(?:/home/\w[\w.-]*/|/usr/(?:local/)?lib/python3|/site-packages/|/var/www/|/srv/\w+/|(?:/opt|/app|/work|/code|/src)/\S+\.(?:py|rb|js|ts|php|go|java)\b|node_modules/|[A-Z]:\\\\?(?:Users|inetpub)\\)")),
)
# The headers the run remembers from every response (ScopedHttp) are exactly the banner headers:
# one list, so a banner this module judges is never one the run forgot.
_BANNER_HEADERS = REMEMBERED_HEADERS
_VERSION = re.compile(r"\d+\.\d+")
# X-Runtime is also Rails' request duration ("0.012345"): only a product with a version counts.
_PRODUCT_VERSION = re.compile(r"[A-Za-z][\w.-]*[/ ]v?\d+(?:\.\d+)+")


@dataclass(frozen=True)
class Disclosure:
    kind: str
    sample: str  # the matching text, short


def version_banner(header: str, value: str) -> bool:
    """Does this response header name the software behind the app with its version?"""
    header = header.lower()
    if header not in _BANNER_HEADERS or not value:
        return False
    if header.startswith("x-aspnet"):
        return True
    if header == "x-runtime":
        return bool(_PRODUCT_VERSION.search(value))
    return bool(_VERSION.search(value))


def find_disclosures(response: HttpResponse, *, banners: bool = True) -> list[Disclosure]:
    """Everything in ``response`` that tells an attacker about the stack behind it."""
    found: list[Disclosure] = []
    for header in _BANNER_HEADERS if banners else ():
        value = response.headers.get(header)
        if value and version_banner(header, value):
            found.append(Disclosure("version banner", f"{header}: {value}"))
    text = response.text[:200_000]
    for kind, pattern in _BODY_PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(Disclosure(kind, match.group(0)[:120]))
    return found
