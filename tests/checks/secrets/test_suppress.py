from __future__ import annotations

import json

import pytest

from checks.secrets.engine import scan_tree
from checks.secrets.suppress import Baseline, BaselineError, write_baseline
from tests.checks.secrets.fakes import CASES, rand_source


def _tree(tmp_path):
    rand = rand_source(21)
    (tmp_path / "a.py").write_text(
        "x = 1\n" + CASES["stripe-access-token"](rand) + "\n", encoding="utf-8"
    )
    (tmp_path / "b.env").write_text(CASES["github-pat"](rand) + "\n", encoding="utf-8")
    return tmp_path


def test_ignore_file_by_fingerprint_and_by_secret_hash(tmp_path):
    root = _tree(tmp_path)
    first = scan_tree(root)
    assert len(first.findings) == 2
    stripe, github = sorted(first.findings, key=lambda f: f.rule_id, reverse=True)
    (root / ".launchready-ignore").write_text(
        f"# reviewed 2026-11-30\n{stripe.fingerprint}\nsha256:{github.secret_hash}  # rotated\n",
        encoding="utf-8",
    )
    again = scan_tree(root)
    assert again.findings == [] and again.suppressed == 2


def test_gitleaksignore_is_honoured(tmp_path):
    root = _tree(tmp_path)
    first = scan_tree(root)
    (root / ".gitleaksignore").write_text(
        "\n".join(f.fingerprint for f in first.findings) + "\n", encoding="utf-8"
    )
    assert scan_tree(root).findings == []


def test_baseline_reports_only_new_findings_even_when_lines_move(tmp_path):
    root = _tree(tmp_path)
    base = tmp_path / "baseline.json"
    assert write_baseline(base, scan_tree(root).findings) == 2
    stored = base.read_text(encoding="utf-8")
    data = json.loads(stored)
    assert {item["rule"] for item in data["findings"]} == {"stripe-access-token", "github-pat"}
    (root / "a.py").write_text(
        "\n\n\n" + (root / "a.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    new = CASES["npm-access-token"](rand_source(22))
    (root / "c.txt").write_text(new + "\n", encoding="utf-8")
    baseline = Baseline.load(base)
    report = scan_tree(root, baseline=baseline)
    assert [f.rule_id for f in report.findings] == ["npm-access-token"]
    assert report.baselined == 2
    for finding in scan_tree(root).findings:
        assert finding.secret not in stored


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"x": 1}', 'no "findings" list'),
        ('{"findings": [{"rule": "a"}]}', "needs rule, file"),
    ],
)
def test_bad_baseline(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        Baseline.load(path)


def test_missing_baseline(tmp_path):
    with pytest.raises(BaselineError, match="cannot read baseline"):
        Baseline.load(tmp_path / "nope.json")
