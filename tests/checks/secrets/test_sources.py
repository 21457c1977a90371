from __future__ import annotations

import pytest

from checks.secrets.engine import scan_history, scan_tree
from checks.secrets.sources import SourceError, history_fragments, list_tree, read_text_file
from tests.checks.secrets.fakes import CASES, git, make_repo, rand_source


def test_git_tree_lists_tracked_and_untracked_but_not_ignored(tmp_path):
    make_repo(tmp_path, [{".gitignore": "logs/\n.env\n", "app.py": "print(1)\n"}])
    (tmp_path / "new.py").write_text("x = 2\n", encoding="utf-8")
    (tmp_path / ".env").write_text("A=1\n", encoding="utf-8")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text("x\n", encoding="utf-8")
    listing = list_tree(tmp_path)
    assert listing.method == "git"
    assert set(listing.files) == {".gitignore", "app.py", "new.py"}


def test_plain_directory_is_walked_without_dot_git(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x\n", encoding="utf-8")
    listing = list_tree(tmp_path)
    assert listing.method == "walk" and listing.files == ("src/a.py",)


def test_binary_and_huge_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "img.png").write_bytes(b"\x89PNG\x00\x00" + b"\x01" * 100)
    (tmp_path / "big.txt").write_text("a" * 2048, encoding="utf-8")
    assert read_text_file(tmp_path / "img.png") == (None, "binary")
    text, why = read_text_file(tmp_path / "big.txt", max_bytes=1024)
    assert text is None and "larger than" in why
    report = scan_tree(tmp_path, max_bytes=1024)
    assert dict(report.skipped) == {"img.png": "binary", "big.txt": why}


def test_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        list_tree(tmp_path / "nope")


def test_history_holds_only_added_lines_with_their_numbers(tmp_path):
    rand = rand_source(31)
    secret_line = CASES["stripe-access-token"](rand)
    hashes = make_repo(
        tmp_path,
        [
            {"app.py": "a = 1\nb = 2\n"},
            {"app.py": "a = 1\n" + secret_line + "\nb = 2\n"},
            {"app.py": "a = 1\nb = 2\n"},
        ],
    )
    fragments = list(history_fragments(tmp_path))
    added = {(f.commit, f.path): list(zip(f.line_numbers, f.lines, strict=True)) for f in fragments}
    assert added[(hashes[0], "app.py")] == [(1, "a = 1"), (2, "b = 2")]
    assert added[(hashes[1], "app.py")] == [(2, secret_line)]
    assert (hashes[2], "app.py") not in added  # a pure deletion adds nothing


def test_history_finding_names_commit_author_date_and_tree_state(tmp_path):
    rand = rand_source(32)
    gone = CASES["stripe-access-token"](rand)
    kept = CASES["github-pat"](rand)
    hashes = make_repo(
        tmp_path,
        [
            {"billing.py": "import stripe\n" + gone + "\n", "ci.env": kept + "\n"},
            {"billing.py": "import stripe\nstripe.api_key = os.environ['STRIPE']\n"},
        ],
    )
    report = scan_history(tmp_path)
    assert report.commits == 2
    by_rule = {f.rule_id: f for f in report.findings}
    assert set(by_rule) == {"stripe-access-token", "github-pat"}
    stripe = by_rule["stripe-access-token"]
    assert (stripe.commit, stripe.file, stripe.line) == (hashes[0], "billing.py", 2)
    assert stripe.author == "Test Author" and stripe.date.startswith("2026-10-01")
    assert stripe.in_tree is False
    assert by_rule["github-pat"].in_tree is True


def test_history_covers_every_branch(tmp_path):
    make_repo(tmp_path, [{"a.txt": "x\n"}])
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (tmp_path / "b.txt").write_text(
        CASES["npm-access-token"](rand_source(33)) + "\n", encoding="utf-8"
    )
    git(tmp_path, "add", "b.txt")
    git(tmp_path, "commit", "-q", "-m", "feature work")
    git(tmp_path, "checkout", "-q", "main")
    report = scan_history(tmp_path)
    assert [f.rule_id for f in report.findings] == ["npm-access-token"]
    assert report.findings[0].in_tree is False  # not on the checked-out branch


def test_history_of_a_plain_directory_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="not a git repository"):
        list(history_fragments(tmp_path))


def test_history_without_git_binary_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(SourceError, match="git is not installed"):
        list(history_fragments(tmp_path))


def test_history_of_an_empty_repository_is_clean(tmp_path):
    git(tmp_path, "init", "-q")
    report = scan_history(tmp_path)
    assert report.findings == [] and report.commits == 0


def test_added_line_that_looks_like_a_diff_header(tmp_path):
    rand = rand_source(34)
    token = CASES["npm-access-token"](rand)
    make_repo(
        tmp_path,
        [{"notes.md": "intro\n"}, {"notes.md": "intro\n++ b/x\n+++ b/fake\n" + token + "\n"}],
    )
    report = scan_history(tmp_path)
    assert [(f.file, f.line) for f in report.findings] == [("notes.md", 4)]
