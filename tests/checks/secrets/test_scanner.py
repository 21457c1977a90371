from __future__ import annotations

import json

import pytest

from checks.secrets.rules import default_rules
from checks.secrets.scanner import Scanner, is_placeholder, shannon_entropy
from tests.checks.secrets.fakes import CASES, rand_source

SCANNER = Scanner(default_rules())


@pytest.mark.parametrize(
    "value",
    [
        "xxxxxxxxxxxxxxxx",
        "your-api-key-here",
        "${OPENAI_API_KEY}",
        "{{ secrets.TOKEN }}",
        "<token>",
        "changeme-please-1",
        "sk-proj-************",
        "abc12345678def",
        "REDACTED_TOKEN_1",
        "process.env.KEY1",
    ],
)
def test_placeholders(value):
    assert is_placeholder(value)


def test_random_value_is_not_a_placeholder():
    assert not is_placeholder(rand_source(1)(32))


def test_entropy():
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2
    assert shannon_entropy(rand_source(2)(40)) > 4


def test_low_entropy_value_is_dropped():
    assert SCANNER.scan_text('client_secret = "ab12ab12ab12ab12"', "a.py") == []


def test_private_key_in_json_with_escaped_newlines():
    pem = CASES["private-key"](rand_source(4))
    blob = json.dumps({"type": "service_account", "private_key": pem})
    found = SCANNER.scan_text(blob, "sa.json")
    assert [f.rule_id for f in found] == ["private-key"]
    assert "\\n" not in found[0].preview[:4]


def test_private_key_header_without_body_is_not_a_finding():
    assert (
        SCANNER.scan_text(
            "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n", "docs.md"
        )
        == []
    )


def test_service_role_jwt_is_found_and_anon_jwt_is_not():
    rand = rand_source(6)
    role = CASES["supabase-service-role-key"](rand)
    found = SCANNER.scan_text(role, ".env")
    assert [f.rule_id for f in found] == ["supabase-service-role-key"]


def test_text_whose_lowercase_changes_length_is_still_scanned():
    # "İ" lowercases to two characters; offsets must not drift (the scanner falls back to whole-text search).
    line = CASES["stripe-access-token"](rand_source(8))
    found = SCANNER.scan_text("İstanbul\n" + line + "\n", "a.py")
    assert [(f.rule_id, f.line) for f in found] == [("stripe-access-token", 2)]


def test_history_line_numbers_are_mapped():
    rand = rand_source(9)
    text = "\n".join(["a = 1", CASES["github-pat"](rand)])
    found = SCANNER.scan_text(text, "a.py", commit="c0ffee", line_numbers=[10, 42])
    assert found[0].line == 42 and found[0].commit == "c0ffee"
    assert found[0].fingerprint == "c0ffee:a.py:github-pat:42"


def test_same_secret_is_reported_once_by_the_most_specific_rule():
    line = 'STRIPE_SECRET_KEY = "' + "sk_" + "live_" + rand_source(10)(40) + '"'
    assert [f.rule_id for f in SCANNER.scan_text(line, "a.py")] == ["stripe-access-token"]


def test_minified_line_with_many_keywords():
    rand = rand_source(12)
    key = "sk-" + "proj-" + rand(64)
    code = ";".join(f"var token{i}=t.key{i}" for i in range(2000)) + f';var k="{key}";' + "x" * 1000
    found = SCANNER.scan_text(code, "app.js")
    assert [f.rule_id for f in found] == ["openai-api-key"]
    assert found[0].line == 1 and found[0].column > 2000
