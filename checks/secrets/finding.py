"""A secret the scanner found: where it is and what it looks like, never the secret itself
in any output (``to_dict`` and ``str`` show only the redacted preview and a hash)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from checks.redact import fingerprint as secret_hash
from checks.redact import redact

__all__ = ["SecretFinding"]


@dataclass(frozen=True)
class SecretFinding:
    rule_id: str
    description: str
    file: str  # relative to the scanned root, or a URL for served content
    line: int  # 1-based; 0 when a whole file is the finding
    column: int = 1
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    in_tree: bool | None = None  # history findings: is the secret still in the working tree?
    # gitleaks' report fields (its own column arithmetic, byte based; see docs/secrets.md).
    end_line: int = 0
    start_column: int = 0
    end_column: int = 0
    entropy: float = 0.0
    tags: tuple[str, ...] = ()
    email: str | None = None
    message: str | None = None
    # Kept in memory only (suppression, in-tree test, redacted reports); never serialised
    # whole, never printed.
    secret: str = field(default="", repr=False, compare=False)
    match: str = field(default="", repr=False, compare=False)

    @property
    def preview(self) -> str:
        return redact(self.secret)

    @property
    def secret_hash(self) -> str:
        return secret_hash(self.secret)

    @property
    def fingerprint(self) -> str:
        """gitleaks' form, so a ``.gitleaksignore`` written for gitleaks works here too."""
        where = f"{self.file}:{self.rule_id}:{self.line}"
        return f"{self.commit}:{where}" if self.commit else where

    @property
    def location(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} @ {self.commit[:12]}" if self.commit else where

    def with_history(self, **changes: Any) -> SecretFinding:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule_id,
            "description": self.description,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "preview": self.preview,
            "secret_hash": self.secret_hash,
            "fingerprint": self.fingerprint,
        }
        if self.commit:
            data.update(
                commit=self.commit, author=self.author, date=self.date, in_tree=self.in_tree
            )
        return data

    def __str__(self) -> str:
        return f"{self.rule_id} at {self.location}: {self.preview}"
