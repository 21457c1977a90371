"""`launchready secrets PATH`: exit codes 0/1/2, text/JSON/SARIF, baseline, own rules, this repository."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.checks.secrets.fakes import CASES, make_repo, rand_source

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["secrets", *map(str, args)])


def leaky_repo(tmp_path: Path) -> tuple[Path, list[str]]:
    rand = rand_source(101)
    stripe = CASES["stripe-access-token"](rand)
    token = CASES["github-pat"](rand)
    repo = tmp_path / "repo"
    make_repo(
        repo,
        [
            {"billing.py": stripe + "\n"},
            {"billing.py": "import os\n", "ci/deploy.env": token + "\n"},
        ],
    )
    return repo, [stripe.split("'")[1], token.split("=", 1)[1]]


def test_clean_directory_exits_0(tmp_path):
    (tmp_path / "a.py").write_text("print('hi')\n", encoding="utf-8")
    result = invoke(tmp_path)
    assert result.exit_code == 0, result.output
    assert "no secrets found" in result.output


def test_findings_exit_1_and_history_adds_the_deleted_key(tmp_path):
    repo, secrets = leaky_repo(tmp_path)
    tree = invoke(repo)
    assert tree.exit_code == 1
    assert "github-pat" in tree.output and "stripe-access-token" not in tree.output
    history = invoke(repo, "--history")
    assert history.exit_code == 1
    assert (
        "stripe-access-token" in history.output
        and "no longer in the working tree" in history.output
    )
    for secret in secrets:
        assert secret not in tree.output + history.output


def test_json_output_is_only_json(tmp_path):
    repo, secrets = leaky_repo(tmp_path)
    result = invoke(repo, "--history", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert sorted({f["rule"] for f in data["findings"]}) == ["github-pat", "stripe-access-token"]
    assert [s["kind"] for s in data["scans"]] == ["tree", "history"]
    assert all(secret not in result.stdout for secret in secrets)


def test_sarif_to_a_file(tmp_path):
    repo, secrets = leaky_repo(tmp_path)
    out = tmp_path / "secrets.sarif"
    result = invoke(repo, "--history", "--format", "sarif", "--output", out)
    assert result.exit_code == 1
    sarif = json.loads(out.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == 3
    assert all(secret not in out.read_text(encoding="utf-8") for secret in secrets)


def test_write_baseline_then_only_new_findings_fail(tmp_path):
    repo, _ = leaky_repo(tmp_path)
    baseline = tmp_path / "baseline.json"
    written = invoke(repo, "--history", "--write-baseline", baseline)
    assert written.exit_code == 0 and baseline.exists()
    assert invoke(repo, "--history", "--baseline", baseline).exit_code == 0
    (repo / "new.env").write_text(
        CASES["npm-access-token"](rand_source(102)) + "\n", encoding="utf-8"
    )
    again = invoke(repo, "--history", "--baseline", baseline)
    assert again.exit_code == 1 and "npm-access-token" in again.output


def test_own_rule_file(tmp_path):
    repo, _ = leaky_repo(tmp_path)
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[[rules]]\nid = 'only-this'\nregex = '''zzz_[0-9]{30}'''\nkeywords = ['zzz_']\n",
        encoding="utf-8",
    )
    assert invoke(repo, "--config", rules).exit_code == 0


def test_bad_input_exits_2_with_a_sentence(tmp_path):
    missing = invoke(tmp_path / "nope")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    plain = tmp_path / "plain"
    plain.mkdir()
    history = invoke(plain, "--history")
    assert history.exit_code == 2 and "not a git repository" in history.output
    fmt = invoke(plain, "--format", "xml")
    assert fmt.exit_code == 2 and "--format" in fmt.output
    bad_rules = tmp_path / "bad.toml"
    bad_rules.write_text("[[rules]]\nid='x'\nregex='(oops'\n", encoding="utf-8")
    rules = invoke(plain, "--config", bad_rules)
    assert rules.exit_code == 2 and "does not compile" in rules.output
    bad_baseline = tmp_path / "b.json"
    bad_baseline.write_text('{"x": 1}', encoding="utf-8")  # "[]" is an empty gitleaks report
    base = invoke(plain, "--baseline", bad_baseline)
    assert base.exit_code == 2 and "findings" in base.output
    assert (
        "Traceback" not in missing.output + history.output + fmt.output + rules.output + base.output
    )


def test_this_repository_holds_no_secret():
    result = invoke(ROOT)
    assert result.exit_code == 0, result.output


def test_gitleaks_json_format_is_gitleaks_report_without_secrets(tmp_path):
    repo, secrets = leaky_repo(tmp_path)
    result = invoke(repo, "--history", "--format", "gitleaks-json")
    assert result.exit_code == 1
    records = json.loads(result.output)
    history = [r for r in records if r["Commit"]]
    assert {r["RuleID"] for r in history} == {"stripe-access-token", "github-pat"}
    assert all(
        r["Secret"] == "REDACTED" and r["Fingerprint"].startswith(r["Commit"]) for r in history
    )
    assert not any(secret in result.output for secret in secrets)
    clean = tmp_path / "clean"
    clean.mkdir()
    empty = invoke(clean, "--format", "gitleaks-json")
    assert empty.exit_code == 0 and json.loads(empty.output) == []
