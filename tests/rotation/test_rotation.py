"""A leak stays open after its line is deleted, until history is clean or the rotation is
attested, and (with a verifier enabled) until the provider says the old key is revoked.
Real git repositories in tmp_path; the provider is a loopback fake of GitHub's API."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.checklist import Actor, NotPermitted
from bot.config import parse_config
from bot.rotation import GitHubVerifier, leak_key
from bot.services import Services
from checks.registry import Registry
from checks.secrets.history import CHECK as history_check
from checks.secrets.repo import CHECK as repo_check
from tests.checks.secrets.fakes import CASES, git, make_repo, rand_source

SECRETS = Registry([repo_check, history_check])


class FakeGitHub:
    """GET /user: 200 while the token is live, 401 once it is revoked."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.seen: list[str] = []

    def app(self) -> web.Application:
        async def user(request: web.Request) -> web.Response:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            self.seen.append(token)
            if token in self.revoked:
                return web.json_response({"message": "Bad credentials"}, status=401)
            return web.json_response({"login": "octo"})

        app = web.Application()
        app.router.add_get("/user", user)
        return app


def leaky_repo(root: Path) -> str:
    """A repository whose first commit leaks a GitHub token in config.py line 2."""
    line = CASES["github-pat"](rand_source(11))
    make_repo(root, [{"config.py": f"DEBUG = False\n{line}\n"}])
    return line.split("=", 1)[1]


def delete_the_line(root: Path) -> None:
    (root / "config.py").write_text("DEBUG = False\n")
    git(root, "commit", "-qam", "remove the token")


def rewrite_history(root: Path) -> None:
    """What git filter-repo leaves: the same tree, no commit that ever held the token."""
    git(root, "checkout", "-q", "--orphan", "clean")
    git(root, "commit", "-qm", "clean history")
    git(root, "branch", "-q", "-D", "main")
    git(root, "branch", "-q", "-m", "main")
    git(root, "reflog", "expire", "--expire=now", "--all")
    git(root, "gc", "-q", "--prune=now")


def services(tmp_path: Path, *, github: str | None = None) -> Services:
    rotation = (
        f"rotation: {{verify: {{github: {{enabled: true, base_url: '{github}'}}}}}}\n"
        if github
        else ""
    )
    config = parse_config(
        "project: Leaks\n"
        f"database: sqlite:///{tmp_path / 'lr.db'}\n"
        "slack: {admins: [U0ADMIN]}\n"
        "targets:\n  staging:\n    base_url: http://127.0.0.1:9\n    repo: {path: app}\n"
        "checklist:\n  secrets.repo: {owner: U0SEC}\n" + rotation,
        root=tmp_path,
    )
    return Services.open(config, registry=SECRETS)


async def test_a_deleted_line_keeps_the_leak_open_until_history_is_clean(tmp_path: Path) -> None:
    leaky_repo(tmp_path / "app")
    with services(tmp_path) as lr:
        await lr.run("staging")
        [item] = lr.rotations.items("staging")
        assert (item.key, item.owner, item.in_tree, item.in_history) == (
            "config.py:github-pat:2",
            "U0SEC",
            True,
            True,
        )
        assert not item.closed and item.state == "open: still in the working tree"
        assert item.revocation is None  # no verifier enabled

        delete_the_line(tmp_path / "app")
        await lr.run("staging")
        [item] = lr.rotations.items("staging")
        assert (item.in_tree, item.in_history, item.closed) == (False, True, False)
        assert "removed from the tree but still in git history" in item.state

        rewrite_history(tmp_path / "app")
        await lr.run("staging")
        [item] = lr.rotations.items("staging")
        assert item.closed and item.closed_at is not None
        assert item.state == "closed: gone from the tree and from history"


async def test_an_attested_rotation_closes_a_leak_still_in_history(tmp_path: Path) -> None:
    leaky_repo(tmp_path / "app")
    with services(tmp_path) as lr:
        await lr.run("staging")
        key = lr.rotations.items("staging")[0].key
        with pytest.raises(NotPermitted):  # neither its owner nor an admin
            lr.rotations.attest(
                "staging",
                key,
                rotated_by="U0MALLORY",
                rotated_at=datetime(2026, 12, 1, tzinfo=UTC),
                actor=Actor("U0MALLORY"),
            )
        # Attested while the key is still in the tree: the tree still holds it open.
        item = lr.rotations.attest(
            "staging",
            "config.py",
            rotated_by="U0ALICE",
            rotated_at=datetime(2026, 12, 1, tzinfo=UTC),
            actor=Actor("U0SEC"),
        )
        assert not item.closed and item.attested_by == "U0SEC"

        delete_the_line(tmp_path / "app")
        await lr.run("staging")
        [item] = lr.rotations.items("staging")
        assert item.in_history and item.closed
        assert (
            item.state
            == "closed: rotated by U0ALICE on 2026-12-01, gone from the tree (still in history)"
        )


async def test_a_verifier_keeps_it_open_while_the_provider_accepts_the_old_key(
    tmp_path: Path, serve
) -> None:
    github = FakeGitHub()
    url = await serve(github.app())
    token = leaky_repo(tmp_path / "app")
    with services(tmp_path, github=url) as lr:
        await lr.run("staging")
        [item] = lr.rotations.items("staging")
        assert item.revocation == "live" and "still accepts" in item.state
        assert github.seen == [token]  # the key went to its own provider's API only

        delete_the_line(tmp_path / "app")
        lr.rotations.attest(
            "staging",
            item.key,
            rotated_by="U0ALICE",
            rotated_at=datetime(2026, 12, 1, tzinfo=UTC),
            actor=Actor("U0ADMIN"),
        )
        await lr.run("staging")
        [item] = lr.rotations.items("staging")
        assert not item.closed  # attested, gone from the tree, but GitHub still takes it

        github.revoked.add(token)  # the owner really revokes it
        await lr.run("staging")  # the verifier reads the key from the commit that added it
        [item] = lr.rotations.items("staging")
        assert item.revocation == "revoked" and item.closed
        assert "the provider confirmed it revoked" in item.state
        assert token not in item.state and token not in str(item.to_dict())


def test_leak_key_joins_tree_and_history_fingerprints() -> None:
    tree = {"file": "a.py", "rule": "github-pat", "line": 3, "fingerprint": "a.py:github-pat:3"}
    history = {**tree, "commit": "c0ffee", "fingerprint": "c0ffee:a.py:github-pat:3"}
    assert leak_key(tree) == leak_key(history) == "a.py:github-pat:3"


async def test_the_github_verifier_says_unknown_when_github_cannot_tell(serve) -> None:
    async def teapot(request: web.Request) -> web.Response:
        return web.Response(status=503)

    app = web.Application()
    app.router.add_get("/user", teapot)
    verifier = GitHubVerifier(await serve(app))
    assert (await verifier.verify("x")).verdict == "unknown"
    assert (
        await GitHubVerifier("http://127.0.0.1:9").verify("x")
    ).verdict == "unknown"  # nothing listens
    assert verifier.handles("github-pat") and not verifier.handles("aws-access-key")
