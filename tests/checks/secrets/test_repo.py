from __future__ import annotations

from checks.model import Status
from checks.secrets.repo import CHECK
from tests.checks.secrets.fakes import CASES, make_repo, rand_source
from tests.conftest import make_target, run_one

BASE = "http://127.0.0.1:9"


async def test_pass_on_a_clean_repository(tmp_path):
    make_repo(tmp_path / "app", [{"app.py": "import os\nKEY = os.environ['OPENAI_API_KEY']\n"}])
    result = await run_one(CHECK, make_target(BASE, repo={"path": "app"}), root=tmp_path)
    assert result.status is Status.PASS
    assert result.requests == 0


async def test_fail_on_an_untracked_env_file_with_redacted_evidence(tmp_path):
    rand = rand_source(51)
    line = CASES["anthropic-api-key"](rand)
    make_repo(tmp_path / "app", [{"app.py": "print(1)\n", ".gitignore": "logs/\n"}])
    (tmp_path / "app" / ".env.production").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "app" / "logs").mkdir()
    (tmp_path / "app" / "logs" / "x.log").write_text(
        CASES["npm-access-token"](rand) + "\n", encoding="utf-8"
    )
    result = await run_one(CHECK, make_target(BASE, repo={"path": "app"}), root=tmp_path)
    assert result.status is Status.FAIL
    assert [f.resource for f in result.findings] == [
        ".env.production:1"
    ]  # the ignored log is not scanned
    evidence = result.findings[0].evidence
    assert evidence["rule"] == "anthropic-api-key" and evidence["preview"].startswith("sk-a")
    secret = line.split('"')[1]
    assert secret not in str(result.to_dict())


async def test_plain_directory_without_git_is_scanned(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "config.js").write_text(
        CASES["stripe-access-token"](rand_source(52)) + "\n", encoding="utf-8"
    )
    result = await run_one(CHECK, make_target(BASE, repo={"path": "site"}), root=tmp_path)
    assert result.status is Status.FAIL


async def test_error_when_the_path_does_not_exist(tmp_path):
    result = await run_one(CHECK, make_target(BASE, repo={"path": "missing"}), root=tmp_path)
    assert result.status is Status.ERROR
    assert "does not exist" in result.summary


async def test_error_on_a_broken_rule_file(tmp_path):
    make_repo(
        tmp_path / "app",
        [{"app.py": "x\n", ".gitleaks.toml": "[[rules]]\nid='a'\nregex='(open'\n"}],
    )
    result = await run_one(CHECK, make_target(BASE, repo={"path": "app"}), root=tmp_path)
    assert result.status is Status.ERROR
    assert "does not compile" in result.summary


async def test_skipped_without_repo(tmp_path):
    result = await run_one(CHECK, make_target(BASE), root=tmp_path)
    assert result.status is Status.SKIPPED
    assert "repo.path" in result.summary
