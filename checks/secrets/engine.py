"""Scans of a working tree and of a git history: sources, scanner and suppression together.

Both are synchronous (checks call them in a thread). Both spread their work over worker
processes when asked to and when there is enough to pay for them: a tree scan by batches of
files, a history scan by batches of commits (each worker runs its own ``git log -p`` on its
commits, so git's diffing is spread over the cores too). Workers are forked after the rules
and the prefilter database are compiled, so they share them.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from checks.secrets.finding import SecretFinding
from checks.secrets.rules import RuleSet, load_rules
from checks.secrets.scanner import Scanner
from checks.secrets.sources import (
    MAX_FILE_BYTES,
    HistoryFragment,
    SourceError,
    history_fragments,
    list_commits,
    list_tree,
    read_file_bytes,
    read_text_file,
)
from checks.secrets.suppress import Baseline, IgnoreList

__all__ = ["ScanReport", "SourceError", "config_for", "scan_history", "scan_tree"]

_PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this, starting workers costs more than it saves
_BATCH_BYTES = 2 * 1024 * 1024
_PARALLEL_MIN_COMMITS = 200
# A history is cut in about 4 batches per worker (load balance), of at least this many
# commits (each batch starts a git process).
_COMMIT_BATCH = 100


@dataclass
class ScanReport:
    root: str
    kind: str  # "tree" or "history"
    rules: int
    findings: list[SecretFinding] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    commits: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    suppressed: int = 0  # by ignore files
    baselined: int = 0  # by the baseline
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0


def config_for(root: Path, explicit: Path | None = None) -> Path | None:
    """The rule file to use: the explicit one, else a ``.gitleaks.toml`` at the root."""
    if explicit is not None:
        return explicit
    found = (root if root.is_dir() else root.parent) / ".gitleaks.toml"
    return found if found.is_file() else None


def _suppress(
    report: ScanReport, findings: list[SecretFinding], ignore: IgnoreList, baseline: Baseline | None
) -> None:
    for finding in findings:
        if ignore.ignores(finding):
            report.suppressed += 1
        elif baseline is not None and baseline.covers(finding):
            report.baselined += 1
        else:
            report.findings.append(finding)


# -- working tree ------------------------------------------------------------------------

# Set once in each worker process (the rules compile once per process, not once per batch).
_WORKER_SCANNER: Scanner | None = None
_BatchResult = tuple[list[SecretFinding], list[tuple[str, str]], int, int]


def _init_worker(scanner: Scanner) -> None:
    global _WORKER_SCANNER
    _WORKER_SCANNER = scanner


def _config_files(root: Path, rules: RuleSet) -> set[str]:
    """gitleaks does not scan the config file it was given (nor the files it extends)."""
    found = set()
    base = root.resolve()
    for config in rules.config_paths:
        try:
            found.add(Path(config).resolve().relative_to(base).as_posix())
        except (ValueError, OSError):
            continue
    return found


def _scan_batch(
    root: str, paths: Sequence[str], max_bytes: int, scanner: Scanner | None = None
) -> _BatchResult:
    scanner = scanner or _WORKER_SCANNER
    assert scanner is not None
    findings: list[SecretFinding] = []
    skipped: list[tuple[str, str]] = []
    files = size = 0
    for rel in paths:
        if scanner.skips_path(rel):
            continue
        data, why = read_file_bytes(Path(root) / rel, max_bytes=max_bytes)
        if data is None:
            if why and why != "not a regular file" and not why.startswith("a symbolic link"):
                skipped.append((rel, why))
            continue
        files += 1
        size += len(data)
        findings.extend(scanner.scan_bytes(data, rel))
    return findings, skipped, files, size


def _batches(root: Path, files: Sequence[str]) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    size = 0
    for rel in files:
        try:
            length = (root / rel).stat().st_size
        except OSError:
            length = 0
        if size >= _BATCH_BYTES and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(rel)
        size += length
    return batches


def scan_tree(
    path: Path,
    *,
    rules: RuleSet | None = None,
    config: Path | None = None,
    baseline: Baseline | None = None,
    workers: int = 1,
    max_bytes: int = MAX_FILE_BYTES,
    all_files: bool = False,
) -> ScanReport:
    """Scan the working tree at ``path`` (tracked + untracked-not-ignored, or every file)."""
    started = time.perf_counter()
    rules = rules or load_rules(config_for(path, config))
    listing = list_tree(path, all_files=all_files)
    root = listing.root
    report = ScanReport(root=str(path), kind="tree", rules=len(rules), notes=list(listing.notes))
    own = _config_files(root, rules)
    batches = _batches(root, [f for f in listing.files if f not in own])
    total = sum(len(b) for b in batches)
    results: list[_BatchResult] = []
    if workers > 1 and len(batches) > 1 and _tree_bytes(root, listing.files) >= _PARALLEL_MIN_BYTES:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        scanner = Scanner(rules)
        scanner.prefilter.warm()
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(scanner,)
        ) as pool:
            results = list(
                pool.map(
                    _scan_batch, [str(root)] * len(batches), batches, [max_bytes] * len(batches)
                )
            )
    elif total:
        scanner = Scanner(rules)
        results = [_scan_batch(str(root), batch, max_bytes, scanner) for batch in batches]
    found: list[SecretFinding] = []
    for findings, skipped, files, size in results:
        found.extend(findings)
        report.skipped.extend(skipped)
        report.files += files
        report.bytes += size
    _suppress(report, found, IgnoreList.load(root), baseline)
    report.findings.sort(key=lambda f: (f.file, f.line, f.column))
    report.seconds = time.perf_counter() - started
    return report


def _tree_bytes(root: Path, files: Sequence[str]) -> int:
    total = 0
    for rel in files:
        try:
            total += (root / rel).stat().st_size
        except OSError:
            pass
        if total >= _PARALLEL_MIN_BYTES:
            break
    return total


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# -- history -----------------------------------------------------------------------------


def scan_history(
    path: Path,
    *,
    rules: RuleSet | None = None,
    config: Path | None = None,
    baseline: Baseline | None = None,
    workers: int = 1,
) -> ScanReport:
    """Scan the lines every commit added; each finding says whether it is still in the tree.

    Raises :class:`SourceError` when git is missing or ``path`` is not a repository.
    """
    started = time.perf_counter()
    rules = rules or load_rules(config_for(path, config))
    report = ScanReport(root=str(path), kind="history", rules=len(rules))
    own = _config_files(path, rules)
    scanner = Scanner(rules)
    results: list[_HistoryResult]
    commits = list_commits(path) if workers > 1 else []
    if workers > 1 and len(commits) >= _PARALLEL_MIN_COMMITS:
        scanner.prefilter.warm()
        size = max(_COMMIT_BATCH, -(-len(commits) // (workers * 4)))
        chunks = [commits[i : i + size] for i in range(0, len(commits), size)]
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(scanner,)
        ) as pool:
            results = list(
                pool.map(_scan_commits, [str(path)] * len(chunks), chunks, [own] * len(chunks))
            )
    else:
        results = [_scan_fragments(history_fragments(path), own, scanner)]
    found: list[SecretFinding] = []
    seen: set[tuple[str, str, str]] = set()
    commit_set: set[str] = set()
    paths: set[str] = set()
    for findings, scanned, files, size in results:
        commit_set |= scanned
        paths |= files
        report.bytes += size
        for finding in findings:
            key = (finding.commit or "", finding.fingerprint, finding.secret_hash)
            if key not in seen:
                seen.add(key)
                found.append(finding)
    report.commits = len(commit_set)
    report.files = len(paths)
    found = [replace(f, in_tree=_in_tree(path, f)) for f in found]
    _suppress(report, found, IgnoreList.load(path), baseline)
    report.findings.sort(key=lambda f: (f.date or "", f.file, f.line))
    report.seconds = time.perf_counter() - started
    return report


_HistoryResult = tuple[list[SecretFinding], set[str], set[str], int]


def _scan_commits(root: str, commits: list[str], own: set[str]) -> _HistoryResult:
    assert _WORKER_SCANNER is not None
    return _scan_fragments(history_fragments(Path(root), commits=commits), own, _WORKER_SCANNER)


def _scan_fragments(
    fragments: Iterator[HistoryFragment], own: set[str], scanner: Scanner
) -> _HistoryResult:
    findings: list[SecretFinding] = []
    commits: set[str] = set()
    paths: set[str] = set()
    size = 0
    for fragment in fragments:
        commits.add(fragment.commit)
        paths.add(fragment.path)
        size += len(fragment.data)
        if fragment.path in own or not fragment.segments:
            continue
        findings.extend(
            scanner.scan_bytes(
                bytes(fragment.data),
                fragment.path,
                commit=fragment.commit,
                segments=fragment.segments,
                author=fragment.author,
                email=fragment.email,
                date=fragment.date,
                message=fragment.message,
            )
        )
    return findings, commits, paths, size


def _in_tree(root: Path, finding: SecretFinding) -> bool:
    """Is the secret still in the file it was added to (in the working tree)?"""
    text, _ = read_text_file(root / finding.file)
    return bool(text) and bool(finding.secret) and finding.secret in text  # type: ignore[operator]
