"""The scoring table: one test per modifier, and the grade bands."""

from __future__ import annotations

import pytest

from checks.http.observatory import grade, score_response

STRONG = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
PAGE = "https://app.acme.test/"


def result_of(test: str, headers: dict, html: str | None = "<html></html>") -> tuple[str, int]:
    score = score_response(headers, url=PAGE, html=html)
    found = next(r for r in score.results if r.test == test)
    return found.result, found.points


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, ("csp-not-implemented", -25)),
        ({"Content-Security-Policy-Report-Only": "default-src 'self'"}, ("csp-report-only", -25)),
        ({"Content-Security-Policy": "default-src 'self' 'unsafe-inline'"}, ("csp-implemented-with-unsafe-inline", -20)),
        ({"Content-Security-Policy": "script-src 'self' 'unsafe-inline' 'nonce-abc'"}, ("csp-implemented-with-no-unsafe", 5)),
        ({"Content-Security-Policy": "default-src 'self' 'unsafe-eval'"}, ("csp-implemented-with-unsafe-eval", -10)),
        ({"Content-Security-Policy": "default-src *"}, ("csp-implemented-with-wildcard-sources", -20)),
        ({"Content-Security-Policy": "script-src https:"}, ("csp-implemented-with-wildcard-sources", -20)),
        ({"Content-Security-Policy": "img-src 'self'"}, ("csp-scripts-unrestricted", -20)),
        ({"Content-Security-Policy": "default-src 'self' 'unsafe-inline' 'unsafe-eval'"}, ("csp-implemented-with-unsafe-inline", -20)),
        ({"Content-Security-Policy": "default-src 'none'"}, ("csp-implemented-with-no-unsafe-default-src-none", 10)),
        ({"Content-Security-Policy": "default-src 'self'"}, ("csp-implemented-with-no-unsafe", 5)),
        ({"Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'"},
         ("csp-implemented-with-unsafe-inline-in-style-src-only", 0)),
        ({"Content-Security-Policy": "default-src 'self'; 0bad$ x"}, ("csp-header-invalid", -25)),
    ],
)
def test_csp_modifiers(headers, expected):
    assert result_of("content-security-policy", headers) == expected


@pytest.mark.parametrize(
    ("cookies", "hsts", "expected"),
    [
        ([], False, ("cookies-not-found", 0)),
        (["sid=1; Secure; HttpOnly; SameSite=Lax"], False, ("cookies-secure-with-httponly-sessions-and-samesite", 5)),
        (["sid=1; Secure; HttpOnly"], False, ("cookies-secure-with-httponly-sessions", 0)),
        (["sessionid=1; HttpOnly; SameSite=Lax"], False, ("cookies-session-without-secure-flag", -40)),
        (["sessionid=1; HttpOnly; SameSite=Lax"], True, ("cookies-session-without-secure-flag-but-protected-by-hsts", -10)),
        (["auth_token=1; Secure; SameSite=Lax"], False, ("cookies-session-without-httponly-flag", -30)),
        (["theme=dark; SameSite=Lax"], False, ("cookies-without-secure-flag", -20)),
        (["theme=dark; SameSite=Lax"], True, ("cookies-without-secure-flag-but-protected-by-hsts", -5)),
        (["theme=dark; Secure; SameSite=Sometimes"], False, ("cookies-samesite-flag-invalid", -20)),
        (["csrftoken=1; Secure"], False, ("cookies-anticsrf-without-samesite-flag", -20)),
    ],
)
def test_cookie_modifiers(cookies, hsts, expected):
    headers = {"Set-Cookie": cookies}
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    assert result_of("cookies", headers) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, ("x-frame-options-not-implemented", -20)),
        ({"X-Frame-Options": "DENY"}, ("x-frame-options-sameorigin-or-deny", 0)),
        ({"X-Frame-Options": "ALLOW-FROM https://a.test"}, ("x-frame-options-allow-from-origin", 0)),
        ({"X-Frame-Options": "maybe"}, ("x-frame-options-header-invalid", -20)),
        ({"Content-Security-Policy": "frame-ancestors 'none'"}, ("x-frame-options-implemented-via-csp", 5)),
        ({"Content-Security-Policy": "frame-ancestors *"}, ("x-frame-options-not-implemented", -20)),
    ],
)
def test_framing_modifiers(headers, expected):
    assert result_of("x-frame-options", headers) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("x-content-type-options-not-implemented", -5)),
        ("nosniff", ("x-content-type-options-nosniff", 0)),
        ("sniff-away", ("x-content-type-options-header-invalid", -5)),
    ],
)
def test_nosniff_modifiers(value, expected):
    headers = {} if value is None else {"X-Content-Type-Options": value}
    assert result_of("x-content-type-options", headers) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("referrer-policy-not-implemented", 0)),
        ("strict-origin-when-cross-origin", ("referrer-policy-private", 5)),
        ("no-referrer-when-downgrade", ("referrer-policy-no-referrer-when-downgrade", 0)),
        ("unsafe-url", ("referrer-policy-unsafe", -5)),
        ("bogus", ("referrer-policy-header-invalid", -5)),
        ("bogus, no-referrer", ("referrer-policy-private", 5)),
    ],
)
def test_referrer_modifiers(value, expected):
    headers = {} if value is None else {"Referrer-Policy": value}
    assert result_of("referrer-policy", headers) == expected


@pytest.mark.parametrize(
    ("name", "value", "points"),
    [
        ("Cross-Origin-Resource-Policy", None, 0),
        ("Cross-Origin-Resource-Policy", "same-origin", 0),
        ("Cross-Origin-Resource-Policy", "everyone", -5),
        ("Cross-Origin-Opener-Policy", None, 0),
        ("Cross-Origin-Opener-Policy", "same-origin", 0),
        ("Cross-Origin-Opener-Policy", "open", -5),
    ],
)
def test_corp_coop_modifiers(name, value, points):
    headers = {} if value is None else {name: value}
    assert result_of(name.lower(), headers)[1] == points


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (None, ("sri-not-implemented-response-not-html", 0)),
        ("<p>hi</p>", ("sri-not-implemented-but-no-scripts-loaded", 0)),
        ('<script src="/app.js"></script>', ("sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0)),
        ('<script src="https://cdn.test/a.js" integrity="sha384-x"></script>',
         ("sri-implemented-and-external-scripts-loaded-securely", 5)),
        ('<script src="https://cdn.test/a.js"></script>', ("sri-not-implemented-but-external-scripts-loaded-securely", -5)),
        ('<script src="http://cdn.test/a.js" integrity="sha384-x"></script>',
         ("sri-implemented-but-external-scripts-not-loaded-securely", -20)),
        ('<script src="http://cdn.test/a.js"></script>', ("sri-not-implemented-and-external-scripts-not-loaded-securely", -50)),
    ],
)
def test_sri_modifiers(html, expected):
    assert result_of("subresource-integrity", {}, html=html) == expected


def test_bonuses_count_only_when_penalties_leave_90():
    # -5 (no nosniff) leaves 95: the +10 CSP and +5 referrer bonuses count.
    rich = score_response(
        {"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer"},
        url=PAGE, html=None,
    )
    assert rich.bonuses_counted and rich.score == 100 - 5 + 10 + 5 + 5
    # -20 (no framing protection) leaves 80: bonuses are dropped.
    poor = score_response({"Content-Security-Policy": "default-src 'none'", "Referrer-Policy": "no-referrer"}, url=PAGE, html=None)
    assert not poor.bonuses_counted and poor.score == 100 - 20 - 5


@pytest.mark.parametrize(
    ("score", "letter"),
    [(130, "A+"), (100, "A+"), (95, "A"), (85, "A-"), (80, "B+"), (70, "B"), (69, "B-"), (60, "C+"),
     (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (24, "F"), (0, "F")],
)
def test_grade_bands(score, letter):
    assert grade(score) == letter


def test_score_never_goes_below_zero():
    score = score_response({"Set-Cookie": ["sessionid=1"]}, url=PAGE, html='<script src="http://evil.test/x.js"></script>')
    assert score.score == 0 and score.grade == "F"


def test_strong_headers_reach_a_plus():
    score = score_response(
        STRONG | {"Referrer-Policy": "no-referrer", "Set-Cookie": ["sid=1; Secure; HttpOnly; SameSite=Lax"]}, url=PAGE, html=None
    )
    assert score.grade == "A+" and score.passed
