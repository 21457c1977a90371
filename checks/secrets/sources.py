"""Where text comes from: the working tree and the git history.

Git runs as a subprocess with an argument list (never a shell string). The history is read
from ``git log -p`` as it streams, one commit and file at a time, keeping only added lines,
so memory stays flat however long the history is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "BINARY_SNIFF",
    "MAX_FILE_BYTES",
    "HistoryFragment",
    "SourceError",
    "TreeListing",
    "git_binary",
    "history_fragments",
    "is_git_repo",
    "list_tree",
    "read_text_file",
]

MAX_FILE_BYTES = 20 * 1024 * 1024  # bigger files are skipped with a note
BINARY_SNIFF = 8192
_FRAGMENT_CAP = 4 * 1024 * 1024  # an added file bigger than this is scanned in pieces
_COMMIT_MARK = "\x01launchready-commit\x00"
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class SourceError(Exception):
    """The source cannot be read (no git, not a repository, git failed): a sentence."""


def git_binary() -> str:
    found = shutil.which("git")
    if not found:
        raise SourceError("git is not installed (no `git` on PATH), so the repository cannot be read.")
    return found


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [git_binary(), "-C", str(root), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )


def is_git_repo(root: Path) -> bool:
    """True when ``root`` is inside a git work tree (False also when git is missing)."""
    try:
        done = _git(root, "rev-parse", "--is-inside-work-tree")
    except SourceError:
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


@dataclass(frozen=True)
class TreeListing:
    root: Path
    files: tuple[str, ...]  # relative to root, with forward slashes
    method: str  # "git" (tracked + untracked, not ignored) or "walk" (plain directory)
    notes: tuple[str, ...] = ()


def list_tree(root: Path) -> TreeListing:
    """The files to scan: git's tracked and untracked-not-ignored files, or a plain walk."""
    if not root.exists():
        raise SourceError(f"{root} does not exist.")
    if root.is_file():
        return TreeListing(root.parent, (root.name,), "file")
    notes: list[str] = []
    if shutil.which("git") is None:
        notes.append("git is not installed; every file under the directory was scanned (.gitignore not applied).")
    elif is_git_repo(root):
        done = _git(root, "ls-files", "-co", "--exclude-standard", "-z")
        if done.returncode == 0:
            files = tuple(sorted({p for p in done.stdout.split("\0") if p}))
            return TreeListing(root, files, "git")
        notes.append(f"git ls-files failed ({done.stderr.strip()}); every file was scanned instead.")
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            files.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    return TreeListing(root, tuple(files), "walk", tuple(notes))


def read_text_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, str | None]:
    """``(text, None)``, or ``(None, why it was skipped)`` for huge, binary or unreadable files."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, f"larger than {max_bytes // (1024 * 1024)} MB ({size / 1024 / 1024:.1f} MB)"
        if not path.is_file():
            return None, "not a regular file"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if b"\0" in data[:BINARY_SNIFF]:
        return None, "binary"
    return data.decode("utf-8", errors="replace"), None


@dataclass
class HistoryFragment:
    """The lines one commit added to one file (``line_numbers`` are their numbers there)."""

    commit: str
    author: str
    date: str
    path: str
    lines: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    size: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        inner = path[1:-1]
        try:
            return inner.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
        except (UnicodeError, ValueError):
            return inner
    return path


def history_fragments(root: Path, *, refs: tuple[str, ...] = ("--all",)) -> Iterator[HistoryFragment]:
    """Added lines of every commit reachable from ``refs``, per commit and file, streamed."""
    if not root.is_dir():
        raise SourceError(f"{root} is not a directory.")
    git = git_binary()
    if not is_git_repo(root):
        raise SourceError(f"{root} is not a git repository (git rev-parse found no work tree), so it has no history to scan.")
    command = [
        git, "-C", str(root), "-c", "core.quotepath=off", "log", "-p", *refs,
        "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0", "--format=" + _COMMIT_MARK.replace("\x00", "%x00").replace("\x01", "%x01") + "%H%x00%an%x00%aI",
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    assert proc.stdout is not None
    commit = author = date = ""
    path: str | None = None
    fragment: HistoryFragment | None = None
    new_line = old_left = new_left = 0
    try:
        for raw in proc.stdout:
            line = raw[:-1] if raw.endswith("\n") else raw
            if old_left > 0 or new_left > 0:
                # Inside a hunk: with -U0 only removed and added lines (and "\ No newline").
                if line.startswith("+"):
                    new_left -= 1
                    if fragment is not None:
                        fragment.lines.append(line[1:])
                        fragment.line_numbers.append(new_line)
                        fragment.size += len(line)
                        if fragment.size > _FRAGMENT_CAP:
                            yield fragment
                            fragment = HistoryFragment(commit, author, date, fragment.path)
                    new_line += 1
                    continue
                if line.startswith("-"):
                    old_left -= 1
                    continue
                if line.startswith("\\"):
                    continue
                old_left = new_left = 0  # a malformed hunk: fall through to headers
            if line.startswith(_COMMIT_MARK):
                if fragment is not None and fragment.lines:
                    yield fragment
                fragment, path = None, None
                commit, author, date = line[len(_COMMIT_MARK):].split("\x00", 2)
            elif line.startswith("diff --git "):
                if fragment is not None and fragment.lines:
                    yield fragment
                fragment, path = None, None
            elif line.startswith("+++ "):
                target = _unquote(line[4:].rstrip("\t"))
                path = None if target == "/dev/null" else target.removeprefix("b/")
                fragment = HistoryFragment(commit, author, date, path) if path else None
            elif line.startswith("@@ "):
                hunk = _HUNK.match(line)
                if hunk:
                    old_left = int(hunk.group(1)) if hunk.group(1) is not None else 1
                    new_line = int(hunk.group(2))
                    new_left = int(hunk.group(3)) if hunk.group(3) is not None else 1
        if fragment is not None and fragment.lines:
            yield fragment
    finally:
        if proc.poll() is None:
            proc.stdout.close()
            proc.kill()
        proc.wait()
        stderr = proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    if proc.returncode not in (0, None) and stderr.strip():
        raise SourceError(f"git log failed in {root}: {stderr.strip().splitlines()[-1]}")
