"""Every rule finds its true positive and ignores its placeholder; no rule fires on the
negatives; the gitleaks TOML format loads (own config, extend, allowlists, RE2 spellings)."""

from __future__ import annotations

import json
import zlib

import pytest

from checks.secrets.rules import RuleError, default_rules, load_rules, parse_rules
from checks.secrets.scanner import Scanner
from tests.checks.secrets.fakes import CASES, NEGATIVES, placeholder, rand_source

RULES = default_rules()
SCANNER = Scanner(RULES)


def test_rule_set_is_large_and_every_rule_has_a_case():
    assert len(RULES) >= 40
    ids = {r.id for r in RULES.rules}
    assert ids == set(CASES), (
        f"rules without a test case: {ids - set(CASES)}; cases without a rule: {set(CASES) - ids}"
    )
    assert all(r.keywords for r in RULES.rules), "every rule needs keywords for the prefilter"


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_true_positive(rule_id):
    line = CASES[rule_id](rand_source(zlib.crc32(rule_id.encode())))
    found = SCANNER.scan_text(f"# config\n{line}\n", "config/app.env")
    assert [f.rule_id for f in found] == [rule_id], line
    finding = found[0]
    assert finding.line == 2
    assert finding.secret and finding.secret in line
    shown = str(finding) + json.dumps(finding.to_dict())
    assert finding.secret not in shown
    assert finding.preview.startswith(finding.secret[:4])


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_placeholder_is_not_a_finding(rule_id):
    line = CASES[rule_id](placeholder)
    assert SCANNER.scan_text(line + "\n", "docs/setup.md") == [], line


@pytest.mark.parametrize("name", [name for name, _ in NEGATIVES])
def test_false_positive_free(name):
    line = dict(NEGATIVES)[name](rand_source(3))
    assert SCANNER.scan_text(line + "\n", "app/settings.py") == [], line


def test_scanner_finds_every_case_in_one_file_with_line_numbers():
    rand = rand_source(11)
    lines = [CASES[rule_id](rand) for rule_id in sorted(CASES)]
    text = "\n".join(lines) + "\n"
    found = SCANNER.scan_text(text, "all.txt")
    assert {f.rule_id for f in found} == set(CASES)
    starts = {}
    number = 1
    for rule_id, line in zip(sorted(CASES), lines, strict=True):
        starts[rule_id] = number
        number += line.count("\n") + 1
    for finding in found:
        assert finding.line == starts[finding.rule_id]


def test_own_gitleaks_config_replaces_our_rules(tmp_path):
    config = tmp_path / ".gitleaks.toml"
    config.write_text(
        """
title = "team"
[[rules]]
id = "acme-internal-token"
description = "Acme internal token"
regex = '''\\b(acme_[a-z0-9]{24})\\b'''
keywords = ["acme_"]
[rules.allowlist]
stopwords = ["acme_test"]
""",
        encoding="utf-8",
    )
    rules = load_rules(config)
    assert [r.id for r in rules.rules] == ["acme-internal-token"]
    scanner = Scanner(rules)
    rand = rand_source(5)
    token = "acme_" + rand(24, "abcdefghijklmnopqrstuvwxyz0123456789")
    assert [f.rule_id for f in scanner.scan_text(f"T={token}\n", "a")] == ["acme-internal-token"]
    assert scanner.scan_text("T=acme_test" + "a" * 0 + "0123456789abcdefghijk\n", "a") == []
    stripe = "sk_" + "live_" + rand(40)
    assert scanner.scan_text(stripe, "a") == []


def test_extend_use_default_adds_our_rules(tmp_path):
    config = tmp_path / "extra.toml"
    config.write_text(
        "[extend]\nuseDefault = true\n[[rules]]\nid = \"acme-token\"\nregex = '''acme_[a-z]{20}'''\nkeywords = [\"acme_\"]\n",
        encoding="utf-8",
    )
    rules = load_rules(config)
    assert "acme-token" in rules.by_id and "stripe-access-token" in rules.by_id


def test_new_style_allowlists_with_and_condition(tmp_path):
    rules = parse_rules(
        """
[[rules]]
id = "demo"
regex = '''demo_([a-z0-9]{16})'''
keywords = ["demo_"]
[[rules.allowlists]]
condition = "AND"
paths = ['''^tests/''']
regexTarget = "line"
regexes = ['''fixture''']
"""
    )
    scanner = Scanner(rules)
    value = "demo_" + rand_source(2)(16, "abcdefghijklmnopqrstuvwxyz0123456789")
    assert scanner.scan_text(f"x = '{value}'  # fixture", "tests/a.py") == []
    assert len(scanner.scan_text(f"x = '{value}'  # fixture", "src/a.py")) == 1
    assert len(scanner.scan_text(f"x = '{value}'", "tests/a.py")) == 1


def test_global_path_allowlist_skips_lock_files():
    line = CASES["stripe-access-token"](rand_source(9))
    assert SCANNER.scan_text(line, "web/package-lock.json") == []
    assert SCANNER.scan_text(line, "web/node_modules/pkg/index.js") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rules]]\nid = 'x'\nregex = '''(unclosed'''\n", "does not compile"),
        ("[[rules]]\ndescription = 'no id'\nregex = 'a'\n", "has no id"),
        ("[[rules]]\nid = 'a'\nregex = '(a)'\nsecretGroup = 3\n", "secretGroup is 3"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_bad_rule_files_say_what_is_wrong(text, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(")):
        parse_rules(text, source="bad.toml")


def test_missing_rule_file_is_a_rule_error(tmp_path):
    with pytest.raises(RuleError, match="cannot read rule file"):
        load_rules(tmp_path / "nope.toml")
