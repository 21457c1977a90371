"""Mozilla Observatory-style scoring of one response: the modifier table and the grade.

Each test (CSP, cookies, framing, ...) yields exactly one result with its points, as the
Observatory does. The score starts at 100 and adds every result; bonuses count only when
the penalties alone leave at least 90; the grade follows the Observatory's bands.
HSTS and the HTTP->HTTPS redirect are scored by their own checks (http.hsts,
http.https_redirect), so they are not part of this score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["GRADES", "PASSING_SCORE", "Result", "Score", "grade", "score_response"]

GRADES: tuple[tuple[int, str], ...] = (
    (100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"),
    (60, "C+"), (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"),
)
PASSING_SCORE = 70  # grade B
SESSION_WORDS = ("session", "sess", "sid", "auth", "token", "login", "jwt", "remember")
CSRF_WORDS = ("csrf", "xsrf")
PRIVATE_REFERRERS = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
UNSAFE_REFERRERS = {"origin", "origin-when-cross-origin", "unsafe-url"}
KNOWN_REFERRERS = PRIVATE_REFERRERS | UNSAFE_REFERRERS | {"no-referrer-when-downgrade"}


@dataclass(frozen=True)
class Result:
    """One test's outcome: the Observatory-style result name, its points and what to set."""

    test: str
    result: str
    points: int
    header: str
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"test": self.test, "result": self.result, "points": self.points, "header": self.header, "message": self.message}

    def line(self) -> str:
        sign = "+" if self.points > 0 else ""
        return f"{sign}{self.points} {self.message} (set {self.header})" if self.points < 0 else f"{sign}{self.points} {self.message}"


@dataclass(frozen=True)
class Score:
    score: int
    grade: str
    results: tuple[Result, ...]
    bonuses_counted: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def deductions(self) -> list[Result]:
        return [r for r in self.results if r.points < 0]

    @property
    def bonuses(self) -> list[Result]:
        return [r for r in self.results if r.points > 0]

    @property
    def passed(self) -> bool:
        return self.score >= PASSING_SCORE


def grade(score: int) -> str:
    return next(letter for floor, letter in GRADES if score >= floor)


# -- headers -----------------------------------------------------------------------------


def _csp_directives(policy: str) -> dict[str, list[str]] | None:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.strip().split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if not re.fullmatch(r"[a-z-]+", name):
            return None
        directives.setdefault(name, [t.lower() for t in tokens[1:]])  # the first occurrence wins
    return directives or None


def _csp(headers: _Headers) -> Result:
    test, header = "content-security-policy", "Content-Security-Policy"
    policy = ", ".join(headers.get_list("content-security-policy"))
    if not policy:
        if headers.get_list("content-security-policy-report-only"):
            return Result(test, "csp-report-only", -25, header,
                          "Content-Security-Policy is report-only, which enforces nothing")
        return Result(test, "csp-not-implemented", -25, header, "Content-Security-Policy missing")
    directives = _csp_directives(policy.split(",")[0])
    if directives is None:
        return Result(test, "csp-header-invalid", -25, header, "Content-Security-Policy cannot be parsed")
    default = directives.get("default-src")
    script = directives.get("script-src", default)
    objects = directives.get("object-src", default)
    issues: list[Result] = []
    if script is None:
        issues.append(Result(test, "csp-scripts-unrestricted", -20, header,
                             "Content-Security-Policy has neither script-src nor default-src, so any script may load"))
    else:
        hashed = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in script)
        if "'unsafe-inline'" in script and not hashed:
            issues.append(Result(test, "csp-implemented-with-unsafe-inline", -20, header,
                                 "Content-Security-Policy allows 'unsafe-inline' scripts"))
        wide = sorted({s for s in script + (objects or []) if s in ("*", "http:", "https:", "data:") or s.startswith("http://")})
        if wide:
            issues.append(Result(test, "csp-implemented-with-wildcard-sources", -20, header,
                                 "Content-Security-Policy allows scripts or objects from " + ", ".join(wide)))
        if "'unsafe-eval'" in script:
            issues.append(Result(test, "csp-implemented-with-unsafe-eval", -10, header,
                                 "Content-Security-Policy allows 'unsafe-eval'"))
    if issues:
        worst = min(issues, key=lambda r: r.points)
        others = [r.message for r in issues if r is not worst]
        return worst if not others else Result(worst.test, worst.result, worst.points, header,
                                               worst.message + "; also: " + "; ".join(others))
    if default == ["'none'"]:
        return Result(test, "csp-implemented-with-no-unsafe-default-src-none", 10, header,
                      "Content-Security-Policy with default-src 'none' and nothing unsafe")
    styles = directives.get("style-src", default) or []
    if "'unsafe-inline'" in styles:
        return Result(test, "csp-implemented-with-unsafe-inline-in-style-src-only", 0, header,
                      "Content-Security-Policy allows 'unsafe-inline' styles only")
    return Result(test, "csp-implemented-with-no-unsafe", 5, header, "Content-Security-Policy with nothing unsafe")


def _framing(headers: _Headers) -> Result:
    test, header = "x-frame-options", "Content-Security-Policy: frame-ancestors 'none' (or X-Frame-Options: DENY)"
    policy = (headers.get_list("content-security-policy") or [""])[0]
    directives = _csp_directives(policy) or {}
    ancestors = directives.get("frame-ancestors")
    if ancestors and "*" not in ancestors:
        return Result(test, "x-frame-options-implemented-via-csp", 5, header, "framing limited by CSP frame-ancestors")
    value = (headers.get("x-frame-options") or "").strip().lower()
    if value in ("deny", "sameorigin"):
        return Result(test, "x-frame-options-sameorigin-or-deny", 0, header, f"X-Frame-Options: {value.upper()}")
    if value.startswith("allow-from"):
        return Result(test, "x-frame-options-allow-from-origin", 0, header, "X-Frame-Options: ALLOW-FROM (ignored by modern browsers)")
    if value:
        return Result(test, "x-frame-options-header-invalid", -20, header, f"X-Frame-Options has an invalid value {value!r}")
    return Result(test, "x-frame-options-not-implemented", -20, header, "no X-Frame-Options or CSP frame-ancestors: any site can frame the page")


def _nosniff(headers: _Headers) -> Result:
    test, header = "x-content-type-options", "X-Content-Type-Options: nosniff"
    value = headers.get("x-content-type-options")
    if value is None:
        return Result(test, "x-content-type-options-not-implemented", -5, header, "X-Content-Type-Options missing")
    if value.strip().lower() != "nosniff":
        return Result(test, "x-content-type-options-header-invalid", -5, header, f"X-Content-Type-Options has an invalid value {value!r}")
    return Result(test, "x-content-type-options-nosniff", 0, header, "X-Content-Type-Options: nosniff")


def _referrer(headers: _Headers) -> Result:
    test, header = "referrer-policy", "Referrer-Policy: strict-origin-when-cross-origin"
    value = headers.get("referrer-policy")
    if value is None:
        return Result(test, "referrer-policy-not-implemented", 0, header, "Referrer-Policy not set (browsers default to strict-origin-when-cross-origin)")
    # Browsers use the last policy they understand.
    known = [t.strip().lower() for t in value.split(",") if t.strip().lower() in KNOWN_REFERRERS]
    if not known:
        return Result(test, "referrer-policy-header-invalid", -5, header, f"Referrer-Policy has an invalid value {value!r}")
    policy = known[-1]
    if policy in PRIVATE_REFERRERS:
        return Result(test, "referrer-policy-private", 5, header, f"Referrer-Policy: {policy}")
    if policy in UNSAFE_REFERRERS:
        return Result(test, "referrer-policy-unsafe", -5, header, f"Referrer-Policy: {policy} leaks full URLs or origins")
    return Result(test, "referrer-policy-no-referrer-when-downgrade", 0, header, f"Referrer-Policy: {policy}")


def _enum_header(headers: _Headers, name: str, allowed: Sequence[str], example: str) -> Result:
    test = name.lower()
    value = headers.get(name)
    if value is None:
        return Result(test, f"{test}-not-implemented", 0, f"{name}: {example}", f"{name} not set")
    if value.strip().lower() not in allowed:
        return Result(test, f"{test}-header-invalid", -5, f"{name}: {example}", f"{name} has an invalid value {value!r}")
    return Result(test, f"{test}-implemented", 0, f"{name}: {example}", f"{name}: {value.strip()}")


# -- cookies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool
    samesite: str | None

    @property
    def is_session(self) -> bool:
        lowered = self.name.lower()
        return not self.is_csrf and any(w in lowered for w in SESSION_WORDS)

    @property
    def is_csrf(self) -> bool:
        lowered = self.name.lower()
        return any(w in lowered for w in CSRF_WORDS)


def parse_cookie(header: str) -> Cookie:
    parts = [p.strip() for p in header.split(";")]
    name = parts[0].split("=", 1)[0].strip()
    attrs: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        attrs[key.strip().lower()] = value.strip()
    return Cookie(name, "secure" in attrs, "httponly" in attrs, attrs.get("samesite"))


def _cookies(headers: _Headers) -> Result:
    test, header = "cookies", "Set-Cookie: <name>=...; Secure; HttpOnly; SameSite=Lax"
    cookies = [parse_cookie(h) for h in headers.get_list("set-cookie")]
    if not cookies:
        return Result(test, "cookies-not-found", 0, header, "no cookies set")
    hsts = "max-age=" in (headers.get("strict-transport-security") or "").lower()
    issues: list[Result] = []

    def names(items: Iterable[Cookie]) -> str:
        return ", ".join(sorted(c.name for c in items))

    bad_samesite = [c for c in cookies if c.samesite is not None and c.samesite.lower() not in ("strict", "lax", "none")]
    if bad_samesite:
        issues.append(Result(test, "cookies-samesite-flag-invalid", -20, header, f"cookie {names(bad_samesite)} has an invalid SameSite value"))
    insecure_sessions = [c for c in cookies if c.is_session and not c.secure]
    if insecure_sessions:
        points, suffix = (-10, "-but-protected-by-hsts") if hsts else (-40, "")
        issues.append(Result(test, "cookies-session-without-secure-flag" + suffix, points, header,
                             f"session cookie {names(insecure_sessions)} lacks Secure"))
    readable_sessions = [c for c in cookies if c.is_session and not c.httponly]
    if readable_sessions:
        issues.append(Result(test, "cookies-session-without-httponly-flag", -30, header,
                             f"session cookie {names(readable_sessions)} lacks HttpOnly, so scripts can steal it"))
    insecure = [c for c in cookies if not c.is_session and not c.secure]
    if insecure:
        points, suffix = (-5, "-but-protected-by-hsts") if hsts else (-20, "")
        issues.append(Result(test, "cookies-without-secure-flag" + suffix, points, header, f"cookie {names(insecure)} lacks Secure"))
    csrf = [c for c in cookies if c.is_csrf and not c.samesite]
    if csrf:
        issues.append(Result(test, "cookies-anticsrf-without-samesite-flag", -20, header, f"anti-CSRF cookie {names(csrf)} lacks SameSite"))
    if issues:
        worst = min(issues, key=lambda r: r.points)
        others = [r.message for r in issues if r is not worst]
        return worst if not others else Result(worst.test, worst.result, worst.points, header,
                                               worst.message + "; also: " + "; ".join(others))
    no_samesite = [c for c in cookies if not c.samesite]
    if no_samesite:
        return Result(test, "cookies-secure-with-httponly-sessions", 0, header,
                      f"cookies are Secure and sessions HttpOnly, but {names(no_samesite)} lack SameSite (set it for +5)")
    return Result(test, "cookies-secure-with-httponly-sessions-and-samesite", 5, header,
                  "cookies are Secure, sessions HttpOnly, all with SameSite")


# -- subresource integrity ---------------------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[str, bool]] = []  # (src, has integrity)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            values = dict(attrs)
            if values.get("src"):
                self.scripts.append((values["src"] or "", bool(values.get("integrity"))))


def _sri(html: str | None, page_url: str) -> Result:
    test, header = "subresource-integrity", '<script src="https://..." integrity="sha384-..." crossorigin="anonymous">'
    if html is None:
        return Result(test, "sri-not-implemented-response-not-html", 0, header, "not an HTML page")
    parser = _Scripts()
    try:
        parser.feed(html)
    except Exception:  # noqa: BLE001 - broken HTML: judge what was read
        pass
    if not parser.scripts:
        return Result(test, "sri-not-implemented-but-no-scripts-loaded", 0, header, "no external scripts")
    page = urlsplit(page_url)
    external = []
    for src, integrity in parser.scripts:
        url = urlsplit(urljoin(page_url, src))
        if (url.scheme, url.netloc) != (page.scheme, page.netloc):
            external.append((urljoin(page_url, src), integrity, url.scheme == "https"))
    if not external:
        return Result(test, "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0, header, "all scripts are same-origin")
    insecure = [s for s in external if not s[2]]
    missing = [s for s in external if not s[1]]
    if insecure and missing:
        return Result(test, "sri-not-implemented-and-external-scripts-not-loaded-securely", -50, header,
                      f"external script {insecure[0][0]} loads over HTTP without integrity")
    if insecure:
        return Result(test, "sri-implemented-but-external-scripts-not-loaded-securely", -20, header,
                      f"external script {insecure[0][0]} loads over HTTP")
    if missing:
        return Result(test, "sri-not-implemented-but-external-scripts-loaded-securely", -5, header,
                      f"external script {missing[0][0]} has no integrity attribute")
    return Result(test, "sri-implemented-and-external-scripts-loaded-securely", 5, header, "every external script has integrity")


# -- the score ---------------------------------------------------------------------------


class _Headers:
    """The two lookups the scorers need, over httpx.Headers or a plain mapping."""

    def __init__(self, headers: object) -> None:
        self._headers = headers

    def get(self, name: str) -> str | None:
        values = self.get_list(name)
        return values[0] if values else None

    def get_list(self, name: str) -> list[str]:
        get_list = getattr(self._headers, "get_list", None)
        if get_list is not None:
            return list(get_list(name))
        for key, value in dict(self._headers).items():  # type: ignore[call-overload]
            if key.lower() == name.lower():
                return list(value) if isinstance(value, list | tuple) else [value]
        return []


def score_response(headers: object, *, url: str, html: str | None) -> Score:
    """Score one response: ``headers`` is httpx.Headers or a mapping (lists for repeats);
    ``html`` is the body when the response is HTML, else None."""
    wrapped = _Headers(headers)
    results = (
        _csp(wrapped),
        _cookies(wrapped),
        _framing(wrapped),
        _nosniff(wrapped),
        _referrer(wrapped),
        _enum_header(wrapped, "Cross-Origin-Resource-Policy", ("same-origin", "same-site", "cross-origin"), "same-origin"),
        _enum_header(wrapped, "Cross-Origin-Opener-Policy",
                     ("same-origin", "same-origin-allow-popups", "unsafe-none", "noopener-allow-popups"), "same-origin"),
        _sri(html, url),
    )
    penalties = 100 + sum(r.points for r in results if r.points < 0)
    bonuses_counted = penalties >= 90
    score = penalties + (sum(r.points for r in results if r.points > 0) if bonuses_counted else 0)
    score = max(score, 0)
    return Score(score=score, grade=grade(score), results=results, bonuses_counted=bonuses_counted)
