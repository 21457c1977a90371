"""Where text comes from: the working tree and the git history.

Git runs as a subprocess with an argument list (never a shell string). The history is read
from ``git log -p`` as it streams, one commit and file at a time, keeping only added lines,
so memory stays flat however long the history is.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
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


def list_tree(root: Path, *, all_files: bool = False) -> TreeListing:
    """The files to scan: git's tracked and untracked-not-ignored files, or a plain walk
    (``all_files``: always the walk, git-ignored files included, as ``gitleaks dir`` does)."""
    if not root.exists():
        raise SourceError(f"{root} does not exist.")
    if root.is_file():
        return TreeListing(root.parent, (root.name,), "file")
    notes: list[str] = []
    if shutil.which("git") is None:
        notes.append(
            "git is not installed; every file under the directory was scanned (.gitignore not applied)."
        )
    elif not all_files and is_git_repo(root):
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
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            return None, "a symbolic link (not followed, as gitleaks does not)"
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > max_bytes:
            return (
                None,
                f"larger than {max_bytes // (1024 * 1024)} MB ({info.st_size / 1024 / 1024:.1f} MB)",
            )
        with open(path, "rb") as handle:
            data = handle.read()
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


# A hunk of ``git log -p -U0``: its header, then a run of removed, added and "\ No newline"
# lines (every content line starts with -, + or \; nothing else can, so the run ends at the
# next hunk, file or commit). With -U0 a hunk's removed lines all come before its added ones.
_HUNK_RUN = re.compile(
    rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@[^\n]*\n((?:[-+\\][^\n]*(?:\n|$))*)", re.M
)
_NEW_PATH = re.compile(rb"^\+\+\+ ([^\n]*)$", re.M)
_READ = 8 * 1024 * 1024


def _added(body: bytes) -> bytes:
    """The added lines of a hunk's body, without their ``+``."""
    at = 0 if body.startswith(b"+") else body.find(b"\n+") + 1
    if at == 0 and not body.startswith(b"+"):
        return b""
    block = body[at:]
    if b"\n\\" not in block and not block.startswith(b"\\"):
        return block[1:].replace(b"\n+", b"\n")
    out = bytearray()
    for line in block.splitlines(keepends=True):
        if line.startswith(b"+"):
            out += line[1:]
        elif line.startswith(b"\\") and out.endswith(b"\n"):
            del out[-1:]  # "\ No newline at end of file": the added line before it has none
    return bytes(out)


def _commit_fragments(chunk: bytes) -> Iterator[HistoryFragment]:
    """The fragments of one commit's part of the log (its header and its file sections)."""
    end = chunk.find(_END)
    head = chunk[len(_COMMIT) : end if end >= 0 else len(chunk)]
    sha, author, email, stamp, message = (head.split(b"\x00", 4) + [b""] * 5)[:5]
    header = (
        sha.decode(),
        author.decode("utf-8", "replace"),
        email.decode("utf-8", "replace"),
        _utc(stamp.decode() or "0"),
        message.decode("utf-8", "replace").strip(),
    )
    diff = chunk[end + len(_END) :] if end >= 0 else b""
    sections = diff.split(b"\ndiff --git ")[1:] if diff else []
    for i, section in enumerate(sections):
        if i < len(sections) - 1:
            section += b"\n"  # the split took the newline that ends its last line
        first_hunk = section.find(b"\n@@ ")
        if first_hunk < 0:
            continue
        named = _NEW_PATH.search(section, 0, first_hunk + 1)
        if named is None:
            continue
        target = _unquote(named.group(1).rstrip(b"\t").decode("utf-8", "replace"))
        if target == "/dev/null":
            continue
        fragment = HistoryFragment(*header, path=target.removeprefix("b/"))
        for hunk in _HUNK_RUN.finditer(section, first_hunk + 1):
            if hunk.group(2) == b"0":
                continue
            added = _added(hunk.group(3))
            if added:
                fragment.segments.append((len(fragment.data), int(hunk.group(1))))
                fragment.data += added
        if fragment.data:
            yield fragment


def _parse_log(proc: subprocess.Popen[bytes]) -> Iterator[HistoryFragment]:
    """Cut the log into commits in big reads (no work per line in Python)."""
    assert proc.stdout is not None
    stdout = proc.stdout
    buffer = b""
    try:
        while True:
            data = stdout.read(_READ)
            buffer += data
            cut = buffer.rfind(b"\n" + _COMMIT) if data else len(buffer)
            if cut > 0:
                ready, buffer = buffer[: cut + 1], buffer[cut + 1 :]
                for chunk in _split_commits(ready):
                    yield from _commit_fragments(chunk)
            if not data:
                break
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


def _split_commits(text: bytes) -> list[bytes]:
    """Each commit's part, its last line's newline kept."""
    parts = text.split(b"\n" + _COMMIT)
    chunks = [parts[0]] + [_COMMIT + part for part in parts[1:]]
    return [
        c + b"\n" if i < len(chunks) - 1 else c
        for i, c in enumerate(chunks)
        if c.startswith(_COMMIT)
    ]


def _utc(stamp: str) -> str:
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
