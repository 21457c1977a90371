"""Differential test: our engine loaded with gitleaks-format configs, held against what
gitleaks' documentation and source say it does (README "Configuration", detect.go,
location.go, config.go). Every expected value below is derived from that behaviour by hand,
not by running our engine; the bench compares against the real gitleaks binary.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checks.secrets.scanner as scanner_module
from checks.secrets.engine import scan_history, scan_tree
from checks.secrets.rules import RuleError, load_rules, parse_rules
from checks.secrets.scanner import Scanner, shannon_entropy
from reports.gitleaks_json import to_gitleaks_json
from tests.checks.secrets.fakes import _pem, make_repo, rand_source

LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def token(seed: int, n: int = 20) -> str:
    return rand_source(seed)(n, LOWER_ALNUM)


def scan(config: str, text: str, path: str = "app/config.py") -> list:
    return Scanner(parse_rules(config, source="t.toml")).scan_text(text, path)


ACME = """
[[rules]]
id = "acme-token"
description = "Acme token"
regex = '''acme_([a-z0-9]{20})'''
keywords = ["acme_"]
"""


# -- matching ------------------------------------------------------------------------------


def test_a_pattern_may_span_lines_and_reports_start_and_end_line():
    config = """
[[rules]]
id = "private-key"
description = "Private Key"
regex = '''(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\\s\\S-]{64,}?KEY(?: BLOCK)?-----'''
keywords = ["-----begin"]
"""
    pem = _pem(rand_source(3))
    text = "# deploy key\n" + pem + "\n"
    [found] = scan(config, text)
    assert (found.line, found.end_line) == (2, 2 + pem.count("\n"))
    assert found.secret == pem  # no group: the whole match


def test_secret_group_picks_the_group_and_entropy_is_computed_on_it():
    value = token(1)
    config = ACME.replace("keywords", "secretGroup = 1\nkeywords")
    [found] = scan(config, f"TOKEN = acme_{value}\n")
    assert found.secret == value and found.match == f"acme_{value}"
    assert found.entropy == pytest.approx(shannon_entropy(value))


def test_without_secret_group_the_first_non_empty_group_is_the_secret():
    config = """
[[rules]]
id = "two-kinds"
regex = '''(?:one_([a-z]{8})|two_([0-9]{8}))'''
keywords = ["one_", "two_"]
"""
    [found] = scan(config, "x = two_73920418\n")
    assert found.secret == "73920418"


def test_entropy_floor_is_exclusive():
    # "aabb" has exactly 1.0 bit per character: gitleaks drops entropy <= floor.
    config = """
[[rules]]
id = "low"
regex = '''low_([a-z]{4})'''
secretGroup = 1
entropy = 1.0
keywords = ["low_"]
"""
    assert scan(config, "x = low_aabb\n") == []
    assert [f.secret for f in scan(config, "x = low_abcd\n")] == ["abcd"]


def test_keywords_gate_the_rule_even_when_its_regex_would_match():
    config = """
[[rules]]
id = "gated"
regex = '''[0-9]{12}'''
keywords = ["invoice"]
"""
    assert scan(config, "id = 902318475560\n") == []
    assert len(scan(config, "Invoice id = 902318475560\n")) == 1  # keywords are case-blind


def test_go_re2_syntax_compiles_as_gitleaks_compiles_it():
    config = """
[[rules]]
id = "re2"
regex = '''(?i)prefix_(?-i)[A-Z]{4}[[:digit:]]{4}\\z'''
keywords = ["prefix_"]
"""
    assert len(scan(config, "PREFIX_ABCD1234")) == 1  # (?i) before, case-sensitive after (?-i)
    assert scan(config, "PREFIX_abcd1234") == []
    assert scan(config, "PREFIX_ABCD1234\n") == []  # \z is the very end of the text


def test_lookaround_is_not_re2_and_is_a_sentence():
    with pytest.raises(
        RuleError, match=r"rule 'bad': regex does not compile as an RE2 regular expression"
    ):
        parse_rules("[[rules]]\nid = 'bad'\nregex = '''a(?=b)'''\n", source="t.toml")


def test_gitleaks_columns_and_lines():
    value = token(2)
    [first] = scan(ACME, f"acme_{value}\n")
    assert (first.line, first.start_column, first.end_column) == (1, 1, 25)
    [second] = scan(ACME, f"x\n  acme_{value}\n")
    # location.go counts a later line's columns from the newline before it.
    assert (second.line, second.start_column, second.end_column) == (2, 4, 28)
    assert second.column == 3  # ours, for people


def test_path_only_rule_reports_the_file():
    config = "[[rules]]\nid = \"pkcs12-file\"\ndescription = \"PKCS12 file\"\npath = '''(?i)\\.(?:p12|pfx)$'''\n"
    rules = parse_rules(config, source="t.toml")
    found = Scanner(rules).scan_text("anything", "certs/prod.p12")
    assert [(f.rule_id, f.line, f.match) for f in found] == [
        ("pkcs12-file", 0, "file detected: certs/prod.p12")
    ]
    assert Scanner(rules).scan_text("anything", "certs/prod.pem") == []


def test_rule_with_path_and_regex_needs_both():
    config = ACME.replace('keywords = ["acme_"]', "keywords = [\"acme_\"]\npath = '''\\.env$'''")
    line = f"T=acme_{token(4)}\n"
    assert scan(config, line, ".env") and not scan(config, line, "app.py")


def test_generic_finding_gives_way_to_a_specific_one_on_the_same_line():
    config = (
        ACME
        + """
[[rules]]
id = "generic-api-key"
regex = '''(?i)token\\s*=\\s*(?:acme_|other_)?([a-z0-9]{10,})'''
secretGroup = 1
keywords = ["token"]
"""
    )
    value = token(5)
    assert [f.rule_id for f in scan(config, f"token = acme_{value}\n")] == ["acme-token"]
    assert [f.rule_id for f in scan(config, f"token = other_{value}\n")] == ["generic-api-key"]


def test_gitleaks_allow_on_the_line_drops_the_finding():
    line = f"T = acme_{token(6)}"
    assert scan(ACME, line + "  # gitleaks:allow\n") == []
    assert len(scan(ACME, line + "\n")) == 1


# -- allowlists ----------------------------------------------------------------------------


def test_rule_allowlist_or_and_and():
    value = token(7)
    either = (
        ACME
        + "[[rules.allowlists]]\npaths = ['''^tests/''']\nregexTarget = \"line\"\nregexes = ['''fixture''']\n"
    )
    both = either.replace("[[rules.allowlists]]", '[[rules.allowlists]]\ncondition = "AND"')
    text = f"T = acme_{value}  # fixture\n"
    # OR: a rule allowlist's paths skip the file, its regexes drop the finding.
    assert (
        scan(either, text, "src/a.py") == []
        and scan(either, f"T = acme_{value}\n", "tests/a.py") == []
    )
    # AND: only both together.
    assert scan(both, text, "tests/a.py") == []
    assert (
        len(scan(both, text, "src/a.py")) == 1
        and len(scan(both, f"T = acme_{value}\n", "tests/a.py")) == 1
    )


def test_regex_target_secret_match_and_line():
    value = token(8)
    text = f"T = acme_{value}  # sandbox\n"
    for target, pattern, dropped in [
        (
            "secret",
            "^acme_",
            False,
        ),  # the secret is the whole match here (no group): starts with acme_
        ("match", "^acme_", True),
        ("line", "sandbox", True),
        ("secret", "sandbox", False),
    ]:
        config = ACME.replace("keywords", "secretGroup = 1\nkeywords") + (
            f"[[rules.allowlists]]\nregexTarget = \"{target}\"\nregexes = ['''{pattern}''']\n"
        )
        assert (scan(config, text) == []) is dropped, (target, pattern)


def test_stopwords_are_looked_for_in_the_secret_case_blind():
    config = (
        ACME.replace("keywords", "secretGroup = 1\nkeywords")
        + '[rules.allowlist]\nstopwords = ["SAMPLE"]\n'
    )
    assert scan(config, "T = acme_sample" + token(9, 14) + "\n") == []
    assert len(scan(config, f"T = acme_{token(9)}\n")) == 1


def test_global_allowlist_old_and_new_spelling_and_target_rules():
    value = token(10)
    old = ACME + "[allowlist]\npaths = ['''^vendor/''']\n"
    new = (
        ACME
        + "[[allowlists]]\nregexTarget = \"match\"\nregexes = ['''^acme_"
        + value[:4]
        + "''']\n"
    )
    targeted = (
        ACME
        + "[[allowlists]]\ntargetRules = [\"acme-token\"]\nregexTarget = \"match\"\nregexes = ['''^acme_''']\n"
    )
    text = f"T = acme_{value}\n"
    assert scan(old, text, "vendor/x.py") == [] and len(scan(old, text, "src/x.py")) == 1
    assert scan(new, text) == []
    assert scan(targeted, text) == []
    both = ACME + "[allowlist]\npaths = ['''a''']\n[[allowlists]]\npaths = ['''b''']\n"
    with pytest.raises(
        RuleError, match=r"\[allowlist\] is the older spelling of \[\[allowlists\]\]"
    ):
        parse_rules(both, source="t.toml")
    with pytest.raises(RuleError, match="targetRules names 'nope'"):
        parse_rules(
            ACME + "[[allowlists]]\ntargetRules = [\"nope\"]\npaths = ['''a''']\n", source="t.toml"
        )


def test_commit_allowlist_in_history(tmp_path):
    value = token(11)
    hashes = make_repo(tmp_path, [{"a.py": f"T = acme_{value}\n"}, {"b.py": f"U = acme_{value}\n"}])
    config = tmp_path / "rules.toml"
    config.write_text(
        ACME + f'[[allowlists]]\ncommits = ["{hashes[0].upper()}"]\n', encoding="utf-8"
    )
    report = scan_history(tmp_path, config=config)
    assert [(f.commit, f.file) for f in report.findings] == [(hashes[1], "b.py")]


# -- extend ----------------------------------------------------------------------------------


def test_extend_use_default_merges_a_rule_field_by_field(tmp_path):
    config = tmp_path / ".gitleaks.toml"
    config.write_text(
        '[extend]\nuseDefault = true\ndisabledRules = ["jwt"]\n'
        '[[rules]]\nid = "github-pat"\nentropy = 4.2\nkeywords = ["ghp_"]\n'
        '[[rules.allowlists]]\nstopwords = ["fixture"]\n',
        encoding="utf-8",
    )
    rules = load_rules(config)
    assert "jwt" not in rules.by_id and "openai-api-key" in rules.by_id
    pat = rules.by_id["github-pat"]
    assert pat.entropy == 4.2 and pat.regex is not None  # our regex kept, entropy overridden
    assert pat.keywords[-1] == "ghp_" and len(pat.allowlists) == 1  # lists are appended


def test_extend_path_and_depth(tmp_path):
    (tmp_path / "base.toml").write_text(
        ACME + "[[rules]]\nid = \"other\"\nregex = '''other_[0-9]{8}'''\n", encoding="utf-8"
    )
    (tmp_path / "team.toml").write_text(
        '[extend]\npath = "base.toml"\ndisabledRules = ["other"]\n', encoding="utf-8"
    )
    rules = load_rules(tmp_path / "team.toml")
    assert [r.id for r in rules.rules] == ["acme-token"]
    (tmp_path / "both.toml").write_text(
        '[extend]\npath = "base.toml"\nuseDefault = true\n', encoding="utf-8"
    )
    with pytest.raises(RuleError, match="sets both useDefault and path"):
        load_rules(tmp_path / "both.toml")
    (tmp_path / "missing.toml").write_text('[extend]\npath = "nope.toml"\n', encoding="utf-8")
    with pytest.raises(RuleError, match="'nope.toml' does not name a readable file"):
        load_rules(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[rules]]\nid = 'a'\nregex = 'a'\nentropy = 'high'\n",
            "rule 'a': entropy must be a number",
        ),
        (
            "[[rules]]\nid = 'a'\nregex = 'a'\nkeywords = 'a'\n",
            "rule 'a': keywords must be a list of strings",
        ),
        ("[[rules]]\nid = 'a'\n", "rule 'a' has neither regex nor path"),
        (
            "[[rules]]\nid = 'a'\nregex = 'a'\n[rules.allowlist]\ndescription = 'x'\n",
            "must contain at least one of",
        ),
        (
            "[[rules]]\nid = 'a'\nregex = 'a'\n[[rules.allowlists]]\ncondition = 'XOR'\nstopwords = ['x']\n",
            "condition must be OR or AND",
        ),
        (
            "[[rules]]\nid = 'a'\nregex = 'a'\n[rules.allowlist]\nstopwords = ['x']\n[[rules.allowlists]]\nstopwords = ['y']\n",
            "older spelling",
        ),
    ],
)
def test_invalid_configs_name_the_rule_and_the_field(text, message):
    with pytest.raises(RuleError, match=message):
        parse_rules(text, source="t.toml")


# -- fingerprints, ignore files, report ----------------------------------------------------


def test_fingerprints_and_gitleaksignore_in_tree_and_history(tmp_path):
    value = token(12)
    hashes = make_repo(
        tmp_path, [{"a.py": f"x = 1\nT = acme_{value}\n", "b.py": f"U = acme_{value}\n"}]
    )
    (tmp_path / ".gitleaks.toml").write_text(ACME, encoding="utf-8")
    tree = scan_tree(tmp_path)
    assert sorted(f.fingerprint for f in tree.findings) == [
        "a.py:acme-token:2",
        "b.py:acme-token:1",
    ]
    history = scan_history(tmp_path)
    assert sorted(f.fingerprint for f in history.findings) == [
        f"{hashes[0]}:a.py:acme-token:2",
        f"{hashes[0]}:b.py:acme-token:1",
    ]
    # gitleaks: a global entry (file:rule:line) also silences the finding in every commit.
    (tmp_path / ".gitleaksignore").write_text(
        f"a.py:acme-token:2\n{hashes[0]}:b.py:acme-token:1 # rotated\n", encoding="utf-8"
    )
    assert scan_history(tmp_path).findings == [] and [
        f.file for f in scan_tree(tmp_path).findings
    ] == ["b.py"]


def test_gitleaks_json_is_gitleaks_report_redacted(tmp_path):
    value = token(13)
    hashes = make_repo(tmp_path, [{"a.py": f"T = acme_{value}\n"}])
    (tmp_path / ".gitleaks.toml").write_text(
        ACME.replace("keywords", "secretGroup = 1\nkeywords"), encoding="utf-8"
    )
    [record] = to_gitleaks_json([scan_history(tmp_path)])
    assert list(record) == [
        "RuleID",
        "Description",
        "StartLine",
        "EndLine",
        "StartColumn",
        "EndColumn",
        "Match",
        "Secret",
        "File",
        "SymlinkFile",
        "Commit",
        "Entropy",
        "Author",
        "Email",
        "Date",
        "Message",
        "Tags",
        "Fingerprint",
    ]
    assert record["Secret"] == "REDACTED" and record["Match"] == "acme_REDACTED"
    assert (record["StartLine"], record["StartColumn"], record["EndColumn"]) == (1, 5, 29)
    assert record["Commit"] == hashes[0] and record["Email"] == "author@acme.test"
    assert record["Date"] == "2026-10-01T12:00:00Z" and record["Message"] == "commit 0"
    assert record["Fingerprint"] == f"{hashes[0]}:a.py:acme-token:1"
    assert value not in json.dumps(record)


def test_old_rule_ids_in_ignore_files_still_match(tmp_path):
    from tests.checks.secrets.fakes import CASES

    line = CASES["stripe-access-token"](rand_source(14))
    (tmp_path / "a.env").write_text(line + "\n", encoding="utf-8")
    assert [f.fingerprint for f in scan_tree(tmp_path).findings] == ["a.env:stripe-access-token:1"]
    (tmp_path / ".launchready-ignore").write_text("a.env:stripe-secret-key:1\n", encoding="utf-8")
    report = scan_tree(tmp_path)
    assert report.findings == [] and report.suppressed == 1


def test_hyperscan_prefilter_changes_nothing(monkeypatch):
    config = (
        Path(__file__).resolve().parents[3] / "checks" / "secrets" / "rules" / "launchready.toml"
    )
    rules = load_rules(config)
    from tests.checks.secrets.fakes import CASES

    rand = rand_source(15)
    text = "\n".join(CASES[rule](rand) for rule in sorted(CASES)) + "\n"
    plain = Scanner(rules).scan_text(text, "all.txt")
    monkeypatch.setattr(scanner_module, "_HYPERSCAN_AFTER_BYTES", 0)
    screened = Scanner(rules)
    if screened.prefilter.candidates(b"x") is None:
        pytest.skip("hyperscan is not installed")
    assert [(f.rule_id, f.line, f.secret) for f in screened.scan_text(text, "all.txt")] == [
        (f.rule_id, f.line, f.secret) for f in plain
    ]
    assert len(plain) >= len(CASES) - 1


MULTI_PART = """
[[rules]]
id = "acme-client-secret"
regex = '''client_secret\\s*=\\s*([a-z0-9]{20})'''
secretGroup = 1
keywords = ["client_secret"]
[[rules.required]]
id = "acme-client-id"
withinLines = 2
[[rules]]
id = "acme-client-id"
regex = '''client_id\\s*=\\s*(cid_[a-z0-9]{8})'''
secretGroup = 1
skipReport = true
"""


def test_multi_part_rules_need_their_parts_nearby_and_parts_are_not_reported():
    secret, client = token(16), "cid_" + token(17, 8)
    near = f"client_id = {client}\nclient_secret = {secret}\n"
    far = f"client_id = {client}\n\n\n\nclient_secret = {secret}\n"
    assert [f.rule_id for f in scan(MULTI_PART, near)] == ["acme-client-secret"]
    assert scan(MULTI_PART, far) == []  # 4 lines apart, withinLines = 2
    assert scan(MULTI_PART, f"client_secret = {secret}\n") == []
    with pytest.raises(RuleError, match="names 'nope', which is not a rule"):
        parse_rules(
            MULTI_PART.replace('id = "acme-client-id"\nwithinLines', 'id = "nope"\nwithinLines'),
            source="t.toml",
        )


def test_all_files_scans_what_gitleaks_dir_scans(tmp_path):
    value = token(18)
    make_repo(tmp_path, [{".gitignore": ".env\n", "a.py": "x = 1\n"}])
    (tmp_path / ".env").write_text(f"T = acme_{value}\n", encoding="utf-8")
    (tmp_path / "link.py").symlink_to(tmp_path / ".env")
    config = tmp_path.parent / f"{tmp_path.name}-rules.toml"
    config.write_text(ACME, encoding="utf-8")
    assert (
        scan_tree(tmp_path, config=config).findings == []
    )  # git ignores .env; links are not followed
    everything = scan_tree(tmp_path, config=config, all_files=True)
    assert [f.file for f in everything.findings] == [".env"]


def test_a_gitleaks_report_works_as_a_baseline(tmp_path):
    from checks.secrets.suppress import Baseline, BaselineError

    value, other = token(19), token(20)
    make_repo(tmp_path, [{"a.py": f"T = acme_{value}\n"}])
    (tmp_path / ".gitleaks.toml").write_text(ACME, encoding="utf-8")
    report = tmp_path.parent / f"{tmp_path.name}-report.json"
    report.write_text(json.dumps(to_gitleaks_json([scan_history(tmp_path)])), encoding="utf-8")
    baseline = Baseline.load(report)
    assert scan_history(tmp_path, baseline=baseline).findings == []
    (tmp_path / "b.py").write_text(f"U = acme_{other}\n", encoding="utf-8")
    assert [f.file for f in scan_tree(tmp_path, baseline=baseline).findings] == [
        "a.py",
        "b.py",
    ]  # tree findings are new
    report.write_text('[{"RuleID": "x"}]', encoding="utf-8")
    with pytest.raises(BaselineError, match="item 0 is not a gitleaks finding"):
        Baseline.load(report)


def test_parallel_history_finds_what_the_sequential_scan_finds(tmp_path, monkeypatch):
    import checks.secrets.engine as engine

    commits = [{f"f{n}.py": f"x = {n}\nT{n} = acme_{token(30 + n)}\n"} for n in range(6)]
    commits.append({"f0.py": None})
    make_repo(tmp_path, commits)
    config = tmp_path.parent / f"{tmp_path.name}-rules.toml"
    config.write_text(ACME, encoding="utf-8")
    sequential = scan_history(tmp_path, config=config, workers=1)
    monkeypatch.setattr(engine, "_PARALLEL_MIN_COMMITS", 1)
    monkeypatch.setattr(engine, "_COMMIT_BATCH", 2)
    parallel = scan_history(tmp_path, config=config, workers=2)
    key = [(f.fingerprint, f.secret_hash, f.in_tree, f.date) for f in sequential.findings]
    assert len(key) == 6 and sorted(key) == sorted(
        (f.fingerprint, f.secret_hash, f.in_tree, f.date) for f in parallel.findings
    )
    assert parallel.commits == sequential.commits == 6  # commits that added lines
