"""The demo's workspace on disk: a git repository, a log file and an ``.env.production``.

Flawed mode plants the classic leaks: a Stripe key committed and then deleted (alive in
history), an untracked ``.env.production`` that is not gitignored and ships an OpenAI key as
``NEXT_PUBLIC_``, and a log with bearer tokens, session cookies, e-mails, a phone number and
a card number. Hardened mode has none of them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bot.demo.fake_keys import fake_keys, random_chars
from bot.demo.state import DemoState

__all__ = ["build_workspace", "start", "target_config", "install", "workspace_dir"]

log = logging.getLogger(__name__)

SERVER_PY = '''"""Acme Chat API server."""
import os

OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]
ANTHROPIC_API_KEY = os.environ.get("ANTHROPIC_API_KEY", "")
'''
README = "# Acme Chat\n\nA chatbot marketplace. Configuration comes from the environment; see .env.example.\n"
ENV_EXAMPLE = "OPENAI_API_KEY=your-openai-key-here\nSTRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n"


def workspace_dir(state: DemoState) -> Path:
    return state.workdir / "acme-chat"


def install(app: Any, state: DemoState) -> None:
    """The workspace serves nothing; it only exists on disk."""


async def start(state: DemoState) -> None:
    await asyncio.to_thread(build_workspace, state)
    return None


def _git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(
        ["git", "-c", "user.name=Dana Developer", "-c", "user.email=dana@acme.test", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null",
         "-c", "init.defaultBranch=main", *args],
        cwd=root, env=env, check=True, capture_output=True,
    )


def _commit(root: Path, files: dict[str, str], message: str, date: str, *, use_git: bool) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if use_git:
        _git(root, "add", "--", *files)
        _git(root, "commit", "-q", "-m", message, date=date)


def build_workspace(state: DemoState) -> Path:
    """Create (or re-create) the workspace; returns its directory."""
    root = workspace_dir(state)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    keys = fake_keys(state)
    use_git = shutil.which("git") is not None
    if use_git:
        _git(root, "init", "-q")
    else:
        log.warning("git is not installed: the demo workspace has no history (secrets.history will report an error)")
    ignore = "logs/\n" if not state.hardened else "logs/\n.env\n.env.*\n!.env.example\n"
    _commit(root, {"README.md": README, "app/server.py": SERVER_PY, ".gitignore": ignore, ".env.example": ENV_EXAMPLE},
            "Initial commit", "2026-10-01T10:00:00+00:00", use_git=use_git)
    if not state.hardened:
        # The classic: a key pasted into code, "fixed" by deleting it in the next commit.
        _commit(root, {"app/billing.py": f'import stripe\n\nstripe.api_key = "{keys.stripe_secret}"\n'},
                "Add billing", "2026-10-05T16:20:00+00:00", use_git=use_git)
    _commit(root, {"app/billing.py": 'import os\n\nimport stripe\n\nstripe.api_key = os.environ["STRIPE_SECRET_KEY"]\n'},
            "Read the Stripe key from the environment", "2026-10-06T09:00:00+00:00", use_git=use_git)
    env = [
        "NEXT_PUBLIC_API_URL=https://api.acme.test",
        f"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY={keys.stripe_publishable}",
        f"NEXT_PUBLIC_FIREBASE_API_KEY={keys.firebase_web}",
    ]
    if not state.hardened:
        env.append(f"NEXT_PUBLIC_OPENAI_API_KEY={keys.openai}")
    (root / ".env.production").write_text("\n".join(env) + "\n", encoding="utf-8")
    (root / "logs").mkdir()
    (root / "logs" / "app.log").write_text(_log_lines(state), encoding="utf-8")
    return root


def _log_lines(state: DemoState) -> str:
    lines = []
    for n, user in enumerate(state.users.values()):
        stamp = f"2026-11-29T10:{n:02d}:00Z"
        if state.hardened:
            lines.append(f"{stamp} INFO request_id=r{n}01 user_id=u_{n} tenant={user.tenant} GET /api/conversations 200 12ms")
            lines.append(f"{stamp} INFO request_id=r{n}02 user_id=u_{n} POST /api/chat 200 840ms")
        else:
            lines.append(f'{stamp} INFO GET /api/conversations 200 headers={{"Authorization": "Bearer {user.token}"}}')
            lines.append(f"{stamp} INFO login ok email={user.email} phone=+1 415 555 01{n:02d}")
            lines.append(f"{stamp} DEBUG Cookie: session_id={random_chars(32)}")
    if not state.hardened:
        lines.append("2026-11-29T10:09:00Z ERROR payment failed card=4242 4242 4242 4242 exp=12/29 email=carol@globex.test")
    return "\n".join(lines) + "\n"


def target_config(state: DemoState) -> dict[str, Any]:
    root = workspace_dir(state)
    return {
        "repo": {"path": str(root), "history": True},
        "logs": [str(root / "logs" / "*.log")],
        "env_files": [str(root / ".env.production")],
    }
