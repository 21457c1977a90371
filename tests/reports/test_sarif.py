"""SARIF 2.1.0: the shape code-scanning dashboards accept, file and line where known."""

from __future__ import annotations

import json

from checks.model import Status
from reports.sarif import to_sarif
from tests.handover.sample import (
    CATALOG,
    PLANTED_SECRET,
    PLANTED_STRIPE,
    PLANTED_TOKEN,
    sample_report,
)


def _sarif() -> dict:
    return json.loads(to_sarif(sample_report(), catalog=CATALOG, secrets=[PLANTED_SECRET]))


def test_the_2_1_0_shape() -> None:
    data = _sarif()
    assert data["version"] == "2.1.0"
    assert data["$schema"].endswith("sarif-2.1.0.json")
    (run,) = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "launchready"
    report = sample_report()
    assert [rule["id"] for rule in driver["rules"]] == [r.check_id for r in report.results]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert result["partialFingerprints"]["launchready/v1"]
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["automationDetails"]["id"] == "launchready/staging/r_20261130075800_abc123"


def test_results_only_for_what_needs_work() -> None:
    run = _sarif()["runs"][0]
    reported = {r["ruleId"] for r in run["results"]}
    report = sample_report()
    expected = {r.check_id for r in report.results if r.status in (Status.FAIL, Status.WARN, Status.ERROR, Status.WAIVED)}
    assert reported == expected
    # One result per finding.
    assert sum(1 for r in run["results"] if r["ruleId"] == "auth.private_routes") == 2


def test_secrets_findings_point_at_file_and_line() -> None:
    run = _sarif()["runs"][0]
    leak = next(r for r in run["results"] if r["ruleId"] == "secrets.repo")
    physical = leak["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "config/settings.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 12}
    history = next(r for r in run["results"] if r["ruleId"] == "secrets.history")
    assert history["properties"]["commit"] == "a1b2c3d4e5f60718293a"
    # A URL finding points at the config and names its resource.
    cors = next(r for r in run["results"] if r["ruleId"] == "api.cors")
    assert cors["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.yaml"
    assert cors["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "GET /api/conversations"


def test_waived_results_are_suppressed_with_the_reason() -> None:
    run = _sarif()["runs"][0]
    waived = next(r for r in run["results"] if r["ruleId"] == "webhooks.replay")
    assert waived["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "Stripe retries are idempotent in the queue; fix after launch."}
    ]
    assert waived["properties"]["status"] == "fail"


def test_fingerprints_are_stable_and_no_secret_leaks() -> None:
    first, second = _sarif(), _sarif()
    prints = [r["partialFingerprints"] for r in first["runs"][0]["results"]]
    assert prints == [r["partialFingerprints"] for r in second["runs"][0]["results"]]
    text = to_sarif(sample_report(), catalog=CATALOG, secrets=[PLANTED_SECRET])
    for secret in (PLANTED_SECRET, PLANTED_TOKEN, PLANTED_STRIPE):
        assert secret not in text
