"""The scanning core: keyword prefilter, compiled rules, entropy, allowlists, placeholders.

One pass lowercases the text; each distinct keyword is looked for once in it; only rules with
a keyword present run their regex, over the whole text (not line by line). Then each match
goes through the rule's entropy floor, the placeholder test, the rule's and the global
allowlists, and inline ``launchready:allow`` / ``gitleaks:allow`` comments.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Sequence

from checks.secrets.finding import SecretFinding
from checks.secrets.rules import Rule, RuleSet

__all__ = ["INLINE_ALLOW", "Scanner", "is_placeholder", "shannon_entropy"]

INLINE_ALLOW = ("launchready:allow", "gitleaks:allow")

# Values that stand for a secret in docs, templates and examples.
_PLACEHOLDER_WORDS = (
    "example", "placeholder", "your_", "your-", "yourkey", "yourtoken", "yoursecret", "changeme",
    "change_me", "change-me", "replace", "dummy", "sample", "redacted", "insert", "xxxx", "****",
    "....", "<your", "notreal", "not_real", "not-real", "foobar",
)
_TEMPLATE_MARKS = ("${", "{{", "}}", "$(", "%(", "process.env", "os.environ", "getenv", "import.meta.env")
_RUN = re.compile(r"(.)\1{5,}")
_SEQUENCES = ("12345678", "abcdefgh", "abcdefghij", "qwertyui")


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s character distribution."""
    if not value:
        return 0.0
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


def is_placeholder(secret: str) -> bool:
    """``xxxx``, ``your-key-here``, ``${VAR}``, ``<token>``: a stand-in, not a secret."""
    lowered = secret.lower()
    if any(mark in lowered for mark in _TEMPLATE_MARKS):
        return True
    if lowered.startswith("<") and lowered.endswith(">"):
        return True
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    if _RUN.search(lowered):
        return True
    return any(seq in lowered for seq in _SEQUENCES)


def _jwt_is_public(token: str) -> bool:
    """A JWT that is public by design (Supabase anon key) or not a JWT at all."""
    parts = token.split(".")
    if len(parts) < 2:
        return True
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return True
    return not isinstance(claims, dict) or claims.get("role") == "anon"


_MULTILINE_WINDOW = 16 * 1024
# A match is searched for from this far before a keyword to this far after it (within the
# line): enough for any rule's prefix and secret, and it keeps minified one-line bundles cheap.
_BEFORE, _AFTER = 256, 1024
_KEEP, _DROP, _CLAIMED = object(), object(), object()


def _spans_lines(rule: Rule) -> bool:
    """Can the rule's regex match across a newline (PEM blocks)?"""
    pattern = rule.regex.pattern if rule.regex is not None else ""
    return bool(rule.regex is not None and rule.regex.flags & re.DOTALL) or any(
        token in pattern for token in ("[\\s\\S]", "[\\S\\s]", "\\n")
    )


def _windows(lowered: str, keyword: str) -> list[tuple[int, int]]:
    """Where a match holding ``keyword`` can be: around each occurrence, within its line.

    Occurrences in the first half of a window are covered by it and not looked at again, so a
    short line costs one window however often the keyword repeats in it."""
    spans: list[tuple[int, int]] = []
    size = len(lowered)
    found = lowered.find(keyword)
    while found >= 0:
        line_start = lowered.rfind("\n", 0, found) + 1
        line_end = lowered.find("\n", found)
        line_end = size if line_end < 0 else line_end
        spans.append((max(line_start, found - _BEFORE), min(line_end, found + len(keyword) + _AFTER)))
        found = lowered.find(keyword, min(line_end, found + len(keyword) + _AFTER // 2))
    return spans


def _merge(spans: list[tuple[int, int]], *, extend: int, limit: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        end = min(limit, end + extend)
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class Scanner:
    """Compiled once per rule set; :meth:`scan_text` is safe to call from many threads.

    Speed comes from never running a rule's regex over text that cannot match it: each
    keyword is looked for once per text (keywords that contain a shorter keyword are looked
    for only when that one is present), and a rule's regex runs only over the lines where
    one of its keywords occurs (rules whose regex can span lines get a wider window).
    """

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        keywords = sorted({k for r in rules.rules for k in r.keywords}, key=len)
        anchors: dict[str, list[str]] = {}
        for word in keywords:
            parent = next((a for a in anchors if a in word), None)
            if parent is None:
                anchors[word] = []
            else:
                anchors[parent].append(word)
        self._anchors = tuple((a, tuple(children)) for a, children in anchors.items())
        self._scanned = tuple(r for r in rules.rules if r.regex is not None)
        self._always = tuple(r for r in self._scanned if not r.keywords)
        self._multiline = frozenset(r.id for r in self._scanned if _spans_lines(r))
        self._path_skip = tuple(a for a in rules.allowlists if a.only_paths)
        self._global = tuple(a for a in rules.allowlists if not a.only_paths)

    def skips_path(self, path: str) -> bool:
        """The global allowlists drop this path whatever it holds."""
        return any(a.allows(secret="", match="", line="", path=path, commit=None) for a in self._path_skip)

    def keywords_in(self, lowered: str) -> set[str]:
        present: set[str] = set()
        for anchor, children in self._anchors:
            if anchor in lowered:
                present.add(anchor)
                present.update(c for c in children if c in lowered)
        return present

    def scan_text(
        self,
        text: str,
        path: str,
        *,
        commit: str | None = None,
        line_numbers: Sequence[int] | None = None,
    ) -> list[SecretFinding]:
        """Every secret in ``text``. ``line_numbers[i]`` is the real number of the text's
        line ``i`` (history fragments hold only added lines); default ``i + 1``."""
        if self.skips_path(path):
            return []
        lowered = text.lower()
        present = self.keywords_in(lowered)
        if not present and not self._always:
            return []
        # Offsets in the lowered text are offsets in the text only when lowering kept the length.
        windowed = len(lowered) == len(text)
        line_windows: dict[str, list[tuple[int, int]]] = {}
        findings: list[SecretFinding] = []
        seen: set[tuple[int, int]] = set()
        for rule in self._scanned:
            hits = [k for k in rule.keywords if k in present]
            if rule.keywords and not hits:
                continue
            if rule.path is not None and not rule.path.search(path):
                continue
            if windowed and hits:
                spans = _merge(
                    [w for k in hits for w in line_windows.setdefault(k, _windows(lowered, k))],
                    extend=_MULTILINE_WINDOW if rule.id in self._multiline else 0,
                    limit=len(text),
                )
            else:
                spans = [(0, len(text))]
            line_index, cursor = 0, 0
            regex = rule.regex
            assert regex is not None
            for begin, finish in spans:
                for match in regex.finditer(text, begin, finish):
                    start, end = rule.secret_span(match)
                    if start < 0 or (start, end) in seen:
                        continue
                    secret = text[start:end]
                    at = match.start()  # a finding points at where its match begins (a PEM's BEGIN line)
                    line_index += text.count("\n", cursor, at)
                    cursor = at
                    line_start = text.rfind("\n", 0, at) + 1
                    line_end = text.find("\n", start)
                    line = text[line_start : line_end if line_end >= 0 else len(text)]
                    verdict = self._judge(rule, secret, match.group(0), line, path, commit)
                    if verdict is not _KEEP:
                        if verdict is _CLAIMED:
                            seen.add((start, end))  # a specific rule knows this value is fine
                        continue
                    seen.add((start, end))
                    if line_numbers is not None and line_index < len(line_numbers):
                        number = line_numbers[line_index]
                    else:
                        number = line_index + 1
                    findings.append(
                        SecretFinding(
                            rule_id=rule.id,
                            description=rule.description,
                            file=path,
                            line=number,
                            column=at - line_start + 1,
                            commit=commit,
                            secret=secret,
                        )
                    )
        findings.sort(key=lambda f: (f.line, f.column))
        return findings

    def _judge(self, rule: Rule, secret: str, match: str, line: str, path: str, commit: str | None) -> object:
        if not secret.strip():
            return _DROP
        if rule.entropy and shannon_entropy(secret) <= rule.entropy:
            return _DROP
        if any(mark in line for mark in INLINE_ALLOW):
            return _DROP
        if is_placeholder(secret):
            return _DROP
        if "jwt" in rule.tags and _jwt_is_public(secret):
            return _CLAIMED
        context = {"secret": secret, "match": match, "line": line, "path": path, "commit": commit}
        if any(a.allows(**context) for a in rule.allowlists):
            return _CLAIMED
        if any(a.allows(**context) for a in self._global):
            return _DROP
        return _KEEP
