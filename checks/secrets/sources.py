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
from datetime import UTC, datetime
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
    "list_commits",
    "list_tree",
    "read_file_bytes",
    "read_text_file",
]

MAX_FILE_BYTES = 20 * 1024 * 1024  # bigger files are skipped with a note
BINARY_SNIFF = 8192


class SourceError(Exception):
    """The source cannot be read (no git, not a repository, git failed): a sentence."""


def git_binary() -> str:
    found = shutil.which("git")
    if not found:
        raise SourceError(
            "git is not installed (no `git` on PATH), so the repository cannot be read."
        )
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
        notes.append(
            "git is not installed; every file under the directory was scanned (.gitignore not applied)."
        )
    elif is_git_repo(root):
        done = _git(root, "ls-files", "-co", "--exclude-standard", "-z")
        if done.returncode == 0:
            files = tuple(sorted({p for p in done.stdout.split("\0") if p}))
            return TreeListing(root, files, "git")
        notes.append(
            f"git ls-files failed ({done.stderr.strip()}); every file was scanned instead."
        )
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            files.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    return TreeListing(root, tuple(files), "walk", tuple(notes))


def read_file_bytes(
    path: Path, *, max_bytes: int = MAX_FILE_BYTES
) -> tuple[bytes | None, str | None]:
    """``(bytes, None)``, or ``(None, why it was skipped)`` for huge, binary or unreadable files."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return (
                None,
                f"larger than {max_bytes // (1024 * 1024)} MB ({size / 1024 / 1024:.1f} MB)",
            )
        if not path.is_file():
            return None, "not a regular file"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if b"\0" in data[:BINARY_SNIFF]:
        return None, "binary"
    return data, None


def read_text_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, str | None]:
    """``(text, None)``, or ``(None, why it was skipped)`` for huge, binary or unreadable files."""
    data, why = read_file_bytes(path, max_bytes=max_bytes)
    return (None, why) if data is None else (data.decode("utf-8", errors="replace"), None)


@dataclass
class HistoryFragment:
    """The lines one commit added to one file: ``data`` holds its hunks one after another,
    ``segments`` each hunk's ``(offset in data, first line number in the new file)``."""

    commit: str
    author: str
    email: str
    date: str  # the author date in UTC, RFC 3339 (as gitleaks reports it)
    message: str
    path: str
    data: bytearray = field(default_factory=bytearray)
    segments: list[tuple[int, int]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [
            line
            for start, _ in self._hunks()
            for line in start.decode("utf-8", "replace").split("\n")
        ]

    @property
    def line_numbers(self) -> list[int]:
        return [
            first + i
            for hunk, first in self._hunks()
            for i in range(hunk.count(b"\n") + (not hunk.endswith(b"\n")))
        ]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def _hunks(self) -> list[tuple[bytes, int]]:
        ends = [offset for offset, _ in self.segments[1:]] + [len(self.data)]
        hunks = []
        for (offset, first), end in zip(self.segments, ends, strict=True):
            piece = bytes(self.data[offset:end])
            hunks.append((piece[:-1] if piece.endswith(b"\n") else piece, first))
        return hunks


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        inner = path[1:-1]
        try:
            return (
                inner.encode("latin-1", "backslashreplace")
                .decode("unicode_escape")
                .encode("latin-1")
                .decode("utf-8", "replace")
            )
        except (UnicodeError, ValueError):
            return inner
    return path


_COMMIT = b"\x01launchready-commit\x00"
_END = b"\x02launchready-end\x00"
_FORMAT = "--format=%x01launchready-commit%x00%H%x00%an%x00%ae%x00%at%x00%B%x02launchready-end%x00"
_HUNK_B = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def list_commits(root: Path, *, refs: tuple[str, ...] = ("--all",)) -> list[str]:
    """Every commit reachable from ``refs`` (what ``git log --all`` walks)."""
    _check_repo(root)
    done = _git(root, "rev-list", "--full-history", *refs)
    if done.returncode != 0:
        raise SourceError(
            f"git rev-list failed in {root}: {(done.stderr.strip().splitlines() or ['no output'])[-1]}"
        )
    return done.stdout.split()


def _check_repo(root: Path) -> None:
    if not root.is_dir():
        raise SourceError(f"{root} is not a directory.")
    git_binary()
    if not is_git_repo(root):
        raise SourceError(
            f"{root} is not a git repository (git rev-parse found no work tree), so it has no history to scan."
        )


def history_fragments(
    root: Path, *, refs: tuple[str, ...] = ("--all",), commits: list[str] | None = None
) -> Iterator[HistoryFragment]:
    """Added lines of every commit reachable from ``refs`` (or of exactly ``commits``), per
    commit and file, streamed from ``git log -p -U0`` as gitleaks reads it (added, copied,
    modified and renamed files; merges show no diff)."""
    _check_repo(root)
    select = ["--no-walk=unsorted", "--stdin"] if commits is not None else ["--full-history", *refs]
    command = [
        git_binary(),
        "-C",
        str(root),
        "-c",
        "core.quotepath=off",
        "log",
        "-p",
        "-U0",
        *select,
        "--diff-filter=tuxdb",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        _FORMAT,
    ]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if commits is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    assert proc.stdout is not None
    if commits is not None:
        assert proc.stdin is not None
        proc.stdin.write(("\n".join(commits) + "\n").encode())
        proc.stdin.close()
    yield from _parse_log(proc)


def _parse_log(proc: subprocess.Popen[bytes]) -> Iterator[HistoryFragment]:
    assert proc.stdout is not None
    header: list[str] = ["", "", "", "", ""]
    fragment: HistoryFragment | None = None
    old_left = new_left = 0
    last_added = False
    stdout = proc.stdout
    try:
        for line in stdout:
            if old_left > 0 or new_left > 0:
                # Inside a hunk: with -U0 only removed and added lines (and "\ No newline").
                first = line[:1]
                if first == b"+":
                    new_left -= 1
                    if fragment is not None:
                        fragment.data += line[1:]
                    last_added = True
                    continue
                if first == b"-":
                    old_left -= 1
                    last_added = False
                    continue
                if first == b"\\":
                    continue
                old_left = new_left = 0  # a malformed hunk: fall through to headers
            if (
                line.startswith(b"\\")
                and last_added
                and fragment is not None
                and fragment.data.endswith(b"\n")
            ):
                del fragment.data[-1:]  # "\ No newline at end of file" after an added line
                continue
            last_added = False
            if line.startswith(_COMMIT):
                if fragment is not None and fragment.data:
                    yield fragment
                fragment = None
                body = line[len(_COMMIT) :]
                while _END not in body:
                    more = stdout.readline()
                    if not more:
                        break
                    body += more
                body = body[: body.find(_END)] if _END in body else body
                sha, author, email, stamp, message = (body.split(b"\x00", 4) + [b""] * 5)[:5]
                header = [
                    sha.decode(),
                    author.decode("utf-8", "replace"),
                    email.decode("utf-8", "replace"),
                    _utc(stamp.decode() or "0"),
                    message.decode("utf-8", "replace").strip(),
                ]
            elif line.startswith(b"diff --git "):
                if fragment is not None and fragment.data:
                    yield fragment
                fragment = None
            elif line.startswith(b"+++ "):
                target = _unquote(line[4:].rstrip(b"\n").rstrip(b"\t").decode("utf-8", "replace"))
                path = None if target == "/dev/null" else target.removeprefix("b/")
                fragment = HistoryFragment(*header, path=path) if path else None  # type: ignore[misc]
            elif line.startswith(b"@@ "):
                hunk = _HUNK_B.match(line)
                if hunk:
                    old_left = int(hunk.group(1)) if hunk.group(1) is not None else 1
                    new_left = int(hunk.group(3)) if hunk.group(3) is not None else 1
                    if fragment is not None and new_left:
                        fragment.segments.append((len(fragment.data), int(hunk.group(2))))
        if fragment is not None and fragment.data:
            yield fragment
    finally:
        if proc.poll() is None:
            stdout.close()
            proc.kill()
        proc.wait()
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    if proc.returncode not in (0, None) and stderr.strip():
        raise SourceError(f"git log failed: {stderr.strip().splitlines()[-1]}")


def _utc(stamp: str) -> str:
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
