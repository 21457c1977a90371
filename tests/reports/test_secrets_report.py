from __future__ import annotations

import json

from checks.secrets.engine import scan_history, scan_tree
from checks.secrets.rules import default_rules
from reports.sarif import SARIF_SCHEMA
from reports.secrets import to_json, to_sarif, to_text
from tests.checks.secrets.fakes import CASES, make_repo, rand_source


def _reports(tmp_path):
    rand = rand_source(41)
    make_repo(
        tmp_path,
        [
            {"config.py": CASES["openai-api-key"](rand) + "\n"},
            {"config.py": "import os\nOPENAI_API_KEY = os.environ['OPENAI_API_KEY']\n", "deploy.sh": CASES["slack-webhook-url"](rand) + "\n"},
        ],
    )
    tree = scan_tree(tmp_path)
    history = scan_history(tmp_path)
    secrets = [f.secret for r in (tree, history) for f in r.findings]
    return [tree, history], secrets


def test_sarif_2_1_0_shape(tmp_path):
    reports, secrets = _reports(tmp_path)
    sarif = to_sarif(reports, default_rules())
    assert sarif["version"] == "2.1.0" and sarif["$schema"] == SARIF_SCHEMA
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] and len(driver["rules"]) >= 40
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(run["results"]) == 3  # the webhook in the tree; the webhook and the OpenAI key in history
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == "error" and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] in ("config.py", "deploy.sh")
        assert location["region"]["startLine"] >= 1
    history_results = [r for r in run["results"] if "commit" in r["properties"]]
    assert {r["properties"]["inTree"] for r in history_results} == {True, False}
    text = json.dumps(sarif)
    assert all(secret not in text for secret in secrets)


def test_json_and_text_never_hold_a_secret(tmp_path):
    reports, secrets = _reports(tmp_path)
    data = to_json(reports)
    assert len(data["findings"]) == 3
    assert {"rule", "file", "line", "preview", "secret_hash", "fingerprint"} <= set(data["findings"][0])
    text = to_text(reports)
    assert "3 secrets found" in text and "rewrite history" in text
    for secret in secrets:
        assert secret not in json.dumps(data) and secret not in text


def test_text_when_clean(tmp_path):
    (tmp_path / "a.py").write_text("print('hello')\n", encoding="utf-8")
    assert "no secrets found" in to_text([scan_tree(tmp_path)])
