"""What a result records it was measured against, and when that stops holding."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.freshness import Current, stale_reason
from checks.basis import Basis, ReadRecorder, config_hash
from checks.build import json_path
from checks.model import CheckResult, Severity, Status, Verdict, compute_verdict
from checks.target import Target

MEASURED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def target(**extra) -> Target:
    return Target(
        base_url="https://staging.acme.test", users={"alice": {"token": "tok_a"}}, **extra
    )


def test_the_recorder_notes_fields_read_directly_and_through_methods() -> None:
    recorder = ReadRecorder(target(private_routes=["GET /api/me"]))
    assert isinstance(recorder, Target)
    _ = recorder.private_routes
    recorder.auth_headers("alice")  # reads auth and users inside the method
    assert set(recorder.keys_read) == {"base_url", "private_routes", "auth", "users"}
    assert "objects" not in recorder.keys_read
    with pytest.raises(AttributeError):
        recorder.base_url = "https://elsewhere.test"


def test_the_hash_moves_with_the_keys_read_and_only_those() -> None:
    before = target(private_routes=["GET /api/me"], pages=["GET /"])
    keys = ("base_url", "private_routes")
    assert config_hash(before, keys) == config_hash(
        target(private_routes=["GET /api/me"], pages=["GET /about"]), keys
    )
    assert config_hash(before, keys) != config_hash(
        target(private_routes=["GET /api/me", "GET /api/x"]), keys
    )


def test_a_rotated_secret_changes_the_hash_without_being_in_it() -> None:
    keys = ("users",)
    one, two = (
        config_hash(target(), keys),
        config_hash(
            Target(base_url="https://staging.acme.test", users={"alice": {"token": "tok_b"}}), keys
        ),
    )
    assert one != two and "tok_a" not in one


@pytest.mark.parametrize(
    ("basis", "current", "expected"),
    [
        (
            Basis(("base_url",), "", build="4f2a1b9"),
            {"build": "9c1e2d0"},
            "passed on 12-01 against build 4f2a1b9; the app is now at 9c1e2d0",
        ),
        (
            Basis(("base_url",), "", repo_head="a" * 40),
            {"repo_head": "b" * 40},
            "passed on 12-01 at commit aaaaaaa; the repository is now at bbbbbbb",
        ),
        (
            Basis(("base_url", "pages"), "0" * 16),
            {},
            "passed on 12-01; the config it read (pages) has changed since",
        ),
    ],
)
def test_each_kind_of_change_is_named(basis: Basis, current: dict, expected: str) -> None:
    basis = Basis(basis.config_keys, basis.config_hash, basis.repo_head, basis.build, MEASURED)
    assert stale_reason("pass", basis, Current(target=target(), **current)) == expected


def test_nothing_moved_and_unknowns_are_not_reasons() -> None:
    now = target()
    keys = ("base_url", "users")
    basis = Basis(
        keys, config_hash(now, keys), repo_head="a" * 40, build="4f2a", measured_at=MEASURED
    )
    assert stale_reason("pass", basis, Current(now, repo_head="a" * 40, build="4f2a")) is None
    assert stale_reason("pass", basis, Current(now)) is None  # build and HEAD unknown now
    assert (
        stale_reason("fail", basis, Current(now, build="9c1e")) is None
    )  # a failure stays a failure


def test_a_stale_critical_pass_is_not_a_go() -> None:
    def result(severity: Severity, stale: str | None) -> CheckResult:
        return CheckResult("a.b", "t", "a", severity, Status.PASS, "ok", stale=stale)

    assert compute_verdict([result(Severity.CRITICAL, None)]) is Verdict.GO
    assert (
        compute_verdict([result(Severity.CRITICAL, "passed on 12-01 ...")])
        is Verdict.GO_WITH_WARNINGS
    )
    assert compute_verdict([result(Severity.LOW, "passed on 12-01 ...")]) is Verdict.GO


def test_the_basis_round_trips_through_the_json_report() -> None:
    basis = Basis(("base_url", "pages"), "abc", "d" * 40, "4f2a", MEASURED)
    result = CheckResult("a.b", "t", "a", Severity.LOW, Status.PASS, "ok", basis=basis, stale="why")
    data = result.to_dict()
    assert data["basis"]["build"] == "4f2a" and data["stale"] == "why"
    assert CheckResult.from_dict(data) == result
    assert "basis" not in CheckResult("a.b", "t", "a", Severity.LOW, Status.PASS, "ok").to_dict()


def test_version_config_needs_exactly_one_source() -> None:
    assert (
        target(version={"route": "GET /version", "json": "$.build"}).version.json_path == "$.build"
    )
    assert target(version={"header": "X-Build"}).version.route.path == "/version"
    with pytest.raises(ValidationError, match="exactly one of json"):
        target(version={"route": "GET /version"})
    with pytest.raises(ValidationError, match="not a JSONPath"):
        target(version={"json": "build"})


def test_json_path() -> None:
    document = {"app": {"builds": [{"sha": "4f2a"}]}, "a-b": 1}
    assert json_path(document, "$.app.builds[0].sha") == "4f2a"
    assert json_path(document, "$['a-b']") == 1
    assert json_path(document, "$.app.missing") is None
    assert json_path(document, "$.app.builds[3]") is None
