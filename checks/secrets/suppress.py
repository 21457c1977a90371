"""Suppression: ignore files of fingerprints and a baseline of known findings.

* ``.launchready-ignore`` (and ``.gitleaksignore`` when present) at the scanned root: one
  entry a line, ``#`` for comments. An entry is a finding's fingerprint (gitleaks' form,
  ``path:rule:line`` or ``commit:path:rule:line``) or its secret hash (``sha256:1a2b3c4d5e6f``
  as shown in every preview), which silences that secret wherever it appears.
* A baseline (``--write-baseline`` / ``--baseline``): JSON listing the findings a repository
  already had, matched by rule, file and secret hash, so moving lines does not resurface them
  and only new findings fail.
* Inline ``launchready:allow`` / ``gitleaks:allow`` comments are handled by the scanner.

As gitleaks does, an ignore entry ``path:rule:line`` also silences that finding in every
commit, and paths are compared with forward slashes. Entries and baselines written with a
rule's earlier id (before our ids took gitleaks' names) still match (see ``aliases``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from checks.secrets.aliases import old_ids
from checks.secrets.finding import SecretFinding

__all__ = [
    "BASELINE_VERSION",
    "IGNORE_FILES",
    "Baseline",
    "BaselineError",
    "IgnoreList",
    "write_baseline",
]

IGNORE_FILES = (".launchready-ignore", ".gitleaksignore")
BASELINE_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class IgnoreList:
    entries: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()

    @classmethod
    def load(cls, root: Path) -> IgnoreList:
        entries: set[str] = set()
        sources: list[str] = []
        for name in IGNORE_FILES:
            path = root / name
            if not path.is_file():
                continue
            sources.append(name)
            for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
                entry = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
                if entry:
                    entries.add(_normalise(entry.removeprefix("sha256:")))
        return cls(frozenset(entries), tuple(sources))

    def ignores(self, finding: SecretFinding) -> bool:
        if not self.entries:
            return False
        if finding.secret_hash in self.entries:
            return True
        for rule in (finding.rule_id, *old_ids(finding.rule_id)):
            where = f"{finding.file}:{rule}:{finding.line}"
            if where in self.entries or (
                finding.commit and f"{finding.commit}:{where}" in self.entries
            ):
                return True
        return False


def _normalise(entry: str) -> str:
    """gitleaks turns backslashes in an entry's path into slashes (3 or 4 fields only)."""
    parts = entry.split(":")
    if len(parts) == 3:
        parts[0] = parts[0].replace("\\", "/")
    elif len(parts) == 4:
        parts[1] = parts[1].replace("\\", "/")
    return ":".join(parts)


def _key(rule: str, file: str, secret_hash: str) -> tuple[str, str, str]:
    return (rule, file, secret_hash)


# gitleaks' baseline (a gitleaks JSON report, ``--baseline-path``) matches a finding on these
# fields (Match and Secret too when unredacted; our reports are always redacted, as with
# ``gitleaks --redact``, where gitleaks skips them as well).
_GITLEAKS_FIELDS = (
    "RuleID", "Description", "StartLine", "EndLine", "StartColumn", "EndColumn",
    "File", "Commit", "Author", "Email", "Date", "Message", "Entropy",
)  # fmt: skip


def _gitleaks_key(finding: SecretFinding) -> tuple[object, ...]:
    return (
        finding.rule_id, finding.description, finding.line, finding.end_line or finding.line,
        finding.start_column, finding.end_column, finding.file, finding.commit or "",
        finding.author or "", finding.email or "", finding.date or "", finding.message or "",
        round(finding.entropy, 5),
    )  # fmt: skip


@dataclass(frozen=True)
class Baseline:
    """Ours (``--write-baseline``: rule, file and secret hash) or gitleaks' (a gitleaks JSON
    report, as ``gitleaks --baseline-path`` takes)."""

    keys: frozenset[tuple[str, str, str]] = field(default_factory=frozenset)
    path: str = ""
    gitleaks: frozenset[tuple[object, ...]] = field(default_factory=frozenset)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise BaselineError(f"baseline {path} is not JSON: {exc}") from None
        if isinstance(data, list):
            return cls(path=str(path), gitleaks=_gitleaks_records(data, path))
        items = data.get("findings") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BaselineError(
                f'baseline {path} has no "findings" list (write one with --write-baseline) and is not a gitleaks report (a JSON array)'
            )
        keys = set()
        for i, item in enumerate(items):
            try:
                keys.add(_key(str(item["rule"]), str(item["file"]), str(item["secret_hash"])))
            except (KeyError, TypeError):
                raise BaselineError(
                    f"baseline {path}: findings[{i}] needs rule, file and secret_hash"
                ) from None
        return cls(frozenset(keys), str(path))

    def covers(self, finding: SecretFinding) -> bool:
        if self.gitleaks and _gitleaks_key(finding) in self.gitleaks:
            return True
        return any(
            _key(rule, finding.file, finding.secret_hash) in self.keys
            for rule in (finding.rule_id, *old_ids(finding.rule_id))
        )


def _gitleaks_records(items: list, path: Path) -> frozenset[tuple[object, ...]]:
    records = set()
    for i, item in enumerate(items):
        try:
            values = [item[name] for name in _GITLEAKS_FIELDS]
            values[-1] = round(float(values[-1]), 5)
        except (KeyError, TypeError, ValueError):
            raise BaselineError(
                f"baseline {path}: item {i} is not a gitleaks finding (it needs {', '.join(_GITLEAKS_FIELDS)})"
            ) from None
        records.add(tuple(values))
    return frozenset(records)


def write_baseline(path: Path, findings: Iterable[SecretFinding]) -> int:
    """Write the findings (redacted) as a baseline; returns how many were written."""
    items = sorted(
        {(f.rule_id, f.file, f.secret_hash): f for f in findings}.values(),
        key=lambda f: (f.file, f.line, f.rule_id),
    )
    data = {
        "tool": "launchready",
        "version": BASELINE_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "findings": [
            {
                "rule": f.rule_id,
                "file": f.file,
                "line": f.line,
                "secret_hash": f.secret_hash,
                "preview": f.preview,
            }
            for f in items
        ],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(items)
