from __future__ import annotations

from checks.model import Status
from checks.secrets.history import CHECK
from tests.checks.secrets.fakes import CASES, make_repo, rand_source
from tests.conftest import make_target, run_one

BASE = "http://127.0.0.1:9"


async def test_pass_when_no_commit_ever_held_a_secret(tmp_path):
    make_repo(tmp_path / "app", [{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}])
    result = await run_one(CHECK, make_target(BASE, repo={"path": "app"}), root=tmp_path)
    assert result.status is Status.PASS
    assert "2 commits" in result.summary


async def test_fail_when_a_deleted_key_lives_in_history(tmp_path):
    line = CASES["stripe-access-token"](rand_source(61))
    hashes = make_repo(
        tmp_path / "app", [{"billing.py": line + "\n"}, {"billing.py": "import os\n"}]
    )
    result = await run_one(CHECK, make_target(BASE, repo={"path": "app"}), root=tmp_path)
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.evidence["commit"] == hashes[0]
    assert finding.evidence["in_tree"] is False
    assert finding.evidence["author"] == "Test Author"
    assert "removed from the tree but alive in history" in finding.message
    assert "rewrite history" in result.summary and "Rotate" in result.summary
    assert line.split("'")[1] not in str(result.to_dict())


async def test_error_when_not_a_git_repository(tmp_path):
    (tmp_path / "plain").mkdir()
    result = await run_one(CHECK, make_target(BASE, repo={"path": "plain"}), root=tmp_path)
    assert result.status is Status.ERROR
    assert "not a git repository" in result.summary


async def test_error_when_the_path_is_missing(tmp_path):
    result = await run_one(CHECK, make_target(BASE, repo={"path": "gone"}), root=tmp_path)
    assert result.status is Status.ERROR


async def test_error_when_git_is_missing(tmp_path, monkeypatch):
    make_repo(tmp_path / "app", [{"a.py": "x\n"}])
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    result = await run_one(CHECK, make_target(BASE, repo={"path": "app"}), root=tmp_path)
    assert result.status is Status.ERROR
    assert "git is not installed" in result.summary


async def test_skipped_when_history_is_off_or_no_repo(tmp_path):
    off = await run_one(
        CHECK, make_target(BASE, repo={"path": ".", "history": False}), root=tmp_path
    )
    assert off.status is Status.SKIPPED and "repo.history" in off.summary
    none = await run_one(CHECK, make_target(BASE), root=tmp_path)
    assert none.status is Status.SKIPPED
