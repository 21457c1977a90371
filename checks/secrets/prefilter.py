"""Which rules can match a text, decided in one pass over its bytes.

gitleaks runs a rule's regex over a file when one of the rule's keywords occurs in it. We
decide the same thing (which keywords occur), and more cheaply narrow it further: with
Hyperscan (the ``hyperscan`` binding to Intel's multi-pattern engine, Vectorscan on ARM) one
database holds every keyword as a case-blind literal and every rule's regex compiled in
*prefilter* mode, which may report a match that is not one but never misses one. A single
scan of the file then says which keywords occur and which rules might match; the exact RE2
regex runs only for those. Hyperscan reads bytes, so the regex part is trusted only on
ASCII text (where byte and UTF-8 semantics agree); other text falls back to the keywords.

Without Hyperscan (or for short texts, where compiling the database costs more than it
saves) the keywords are looked for with ``bytes.find``, each once.

Compiling a database for a few hundred rules takes about a second, so the compiled database
is kept in a cache directory (``$LAUNCHREADY_CACHE_DIR``, else ``$XDG_CACHE_HOME/launchready``,
else ``~/.cache/launchready``), named by a hash of the patterns, their flags and the
Hyperscan version; a cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from checks.secrets.rules import Rule

__all__ = ["Prefilter", "hyperscan_available"]

try:  # optional speed-up; the scan is the same without it
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform's wheels
    hyperscan = None


def hyperscan_available() -> bool:
    return hyperscan is not None


class Prefilter:
    """Built once per rule set (the Hyperscan database on first use), used by one process."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.keywords = tuple(sorted({k for r in self.rules for k in r.keywords}))
        words = sorted(self.keywords, key=len)
        anchors: dict[str, list[str]] = {}
        for word in words:  # a keyword holding a shorter one is looked for only after it
            parent = next((a for a in anchors if a in word), None)
            anchors.setdefault(word, []) if parent is None else anchors[parent].append(word)
        self._anchors = tuple(
            (a.encode(), tuple(c.encode() for c in children)) for a, children in anchors.items()
        )
        self._database: object | None = None
        self._scratch: object | None = None
        self._exact: frozenset[int] = frozenset()  # rule indexes whose regex is in the database
        self._inexact: frozenset[int] = frozenset(range(len(self.rules)))
        self._built = False
        by_keyword: dict[str, set[int]] = {}
        for i, rule in enumerate(self.rules):
            for word in rule.keywords:
                by_keyword.setdefault(word, set()).add(i)
        self._by_keyword = {k: frozenset(v) for k, v in by_keyword.items()}
        self._unkeyed = frozenset(i for i, r in enumerate(self.rules) if not r.keywords)
        # Keywords Hyperscan cannot look for case-blind (non-ASCII, or empty) are looked for by hand.
        self._odd_keywords = tuple(k for k in self.keywords if not k.isascii() or not k)

    # -- without Hyperscan --------------------------------------------------------------

    def keywords_in(self, lowered: bytes) -> set[str]:
        present: set[str] = set()
        for anchor, children in self._anchors:
            if anchor in lowered:
                present.add(anchor.decode())
                present.update(c.decode() for c in children if c in lowered)
        return present

    # -- with Hyperscan -----------------------------------------------------------------

    def _build(self) -> None:
        self._built = True
        if hyperscan is None:
            return
        expressions: list[bytes] = []
        ids: list[int] = []
        flags: list[int] = []
        literal = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
        for i, word in enumerate(self.keywords):
            if word.isascii() and word:
                expressions.append(re.escape(word).encode())
                ids.append(len(self.rules) + i)
                flags.append(literal)
        loose = (
            hyperscan.HS_FLAG_PREFILTER
            | hyperscan.HS_FLAG_SINGLEMATCH
            | hyperscan.HS_FLAG_ALLOWEMPTY
        )
        regexes = [i for i, rule in enumerate(self.rules) if rule.regex is not None]
        patterns = [self.rules[i].regex.pattern for i in regexes]  # type: ignore[union-attr]
        key = hashlib.sha256(
            repr((hyperscan.__version__, expressions, flags, patterns, loose)).encode()
        ).hexdigest()
        cached = _cached(key)
        if cached is not None:
            database, regexes = cached
        else:
            database = _database(expressions, ids, flags, regexes, self.rules, loose)
            if database is None:
                # One construct Hyperscan lacks (e.g. (?U)) leaves that rule to its keywords.
                regexes = [
                    i for i in regexes if _database([], [], [], [i], self.rules, loose) is not None
                ]
                database = _database(expressions, ids, flags, regexes, self.rules, loose)
            if database is None:
                return
            _store(key, database, regexes)
        exact = set(regexes)
        self._database = database
        self._scratch = hyperscan.Scratch(database)
        self._exact = frozenset(exact)
        self._inexact = frozenset(range(len(self.rules))) - self._exact

    def warm(self) -> None:
        """Compile the database now (before worker processes fork, so they share it)."""
        if not self._built:
            self._build()

    def rules_for(self, present: set[str]) -> frozenset[int]:
        """Indexes of the rules whose keywords occur (and of the rules without keywords)."""
        found = set(self._unkeyed)
        for word in present:
            found |= self._by_keyword.get(word, frozenset())
        return frozenset(found)

    def candidates(self, data: bytes) -> frozenset[int] | None:
        """Indexes of the rules to run on ``data``: a keyword of theirs occurs and (on ASCII
        text) their regex may match, from one Hyperscan pass; None without Hyperscan."""
        if not self._built:
            self._build()
        if self._database is None:
            return None
        hits: set[int] = set()

        def on_match(pattern: int, start: int, end: int, flags: int, context: object) -> int:
            hits.add(pattern)
            return 0

        self._database.scan(data, match_event_handler=on_match, scratch=self._scratch)  # type: ignore[attr-defined]
        size = len(self.rules)
        present = {self.keywords[i - size] for i in hits if i >= size}
        if self._odd_keywords:
            lowered = data.lower()
            present |= {k for k in self._odd_keywords if k.encode() in lowered}
        keyed = self.rules_for(present)
        if not data.isascii():
            return keyed
        return keyed & (frozenset(i for i in hits if i < size) | self._inexact)


def _database(
    expressions: list[bytes],
    ids: list[int],
    flags: list[int],
    regexes: list[int],
    rules: Sequence[Rule],
    loose: int,
) -> object | None:
    patterns = expressions + [rules[i].regex.pattern for i in regexes]  # type: ignore[union-attr]
    if not patterns:
        return None
    database = hyperscan.Database()
    try:
        database.compile(
            expressions=patterns,
            ids=ids + regexes,
            elements=len(patterns),
            flags=flags + [loose] * len(regexes),
        )
    except hyperscan.error:
        return None
    return database


def _cache_dir() -> Path:
    if os.environ.get("LAUNCHREADY_CACHE_DIR"):
        return Path(os.environ["LAUNCHREADY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "launchready"


def _cached(key: str) -> tuple[object, list[int]] | None:
    path = _cache_dir() / f"hyperscan-{key[:32]}.db"
    try:
        blob = path.read_bytes()
        size = int.from_bytes(blob[:4], "little")
        exact = [int(x) for x in blob[4 : 4 + size].decode().split(",") if x]
        return hyperscan.loadb(blob[4 + size :], hyperscan.HS_MODE_BLOCK), exact
    except (OSError, ValueError, TypeError, hyperscan.error):
        return None


def _store(key: str, database: object, exact: list[int]) -> None:
    folder = _cache_dir()
    listed = ",".join(map(str, exact)).encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".hyperscan-{key[:32]}.{os.getpid()}"
        temporary.write_bytes(
            len(listed).to_bytes(4, "little") + listed + hyperscan.dumpb(database)
        )
        temporary.replace(folder / f"hyperscan-{key[:32]}.db")
    except (OSError, hyperscan.error):
        return
