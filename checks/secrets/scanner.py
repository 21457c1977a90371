"""The scanning core, with gitleaks' semantics, over bytes.

For each text (a file, or the lines one commit added to one file, as hunks):

1. the global allowlists may skip it by path or commit;
2. the prefilter says which keywords occur and which rules can match (one pass);
3. each rule whose keyword occurs runs its RE2 regex over the whole text (so a match may span
   lines, as a PEM key does), and each match is judged as gitleaks judges it: trailing
   newlines trimmed, ``gitleaks:allow`` on its lines, the secret re-extracted from the match
   (``secretGroup``, else the first non-empty group), the entropy floor, then the global and
   the rule's allowlists;
4. a ``generic`` finding that a specific rule also found on that line is dropped.

Interpolation placeholders (``${DB_PASSWORD}``, ``{password}``, ``%(password)s``,
``{{ .Values.password }}``) are never secrets. Our own rules (``Rule.heuristics``) also drop
documentation placeholders and public JWTs.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import re2

from checks.secrets.finding import SecretFinding
from checks.secrets.prefilter import Prefilter
from checks.secrets.rules import Allowlist, Rule, RuleSet

__all__ = ["INLINE_ALLOW", "Scanner", "is_placeholder", "is_template", "shannon_entropy"]

INLINE_ALLOW = ("launchready:allow", "gitleaks:allow")
_INLINE_ALLOW = tuple(mark.encode() for mark in INLINE_ALLOW)
_UNANCHORED = re2._Anchor.UNANCHORED
# Compiling the Hyperscan database takes a fraction of a second: worth it once a scanner has
# been given this much text (a tree, a history), not for a few short strings.
_HYPERSCAN_AFTER_BYTES = 256 * 1024

# Values that stand for a secret in docs, templates and examples (our rules only).
_PLACEHOLDER_WORDS = (
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "dummy",
    "sample",
    "redacted",
    "insert",
    "xxxx",
    "****",
    "....",
    "<your",
    "notreal",
    "not_real",
    "not-real",
    "foobar",
)
_CODE_MARKS = ("process.env", "os.environ", "getenv", "import.meta.env")
_SEQUENCES = ("12345678", "abcdefgh", "abcdefghij", "qwertyui")
# All of the above in one pass (lowercased text).
_STAND_IN = re.compile(
    "|".join(
        re.escape(w)
        for w in ("${", "{{", "}}", "$(", "%(", *_CODE_MARKS, *_PLACEHOLDER_WORDS, *_SEQUENCES)
    )
    + r"|(.)\1{5,}|^<.*>$",
    re.DOTALL,
)
_TEMPLATE_MARK = re.compile(r"[${%]|\[\[")

# Interpolation placeholders of shells, compose files, Helm/Go/Jinja/Handlebars templates,
# Python %-formatting, str.format and f-strings, Ruby, ERB and printf.
_TEMPLATE = re.compile(
    r"""\$\{[^{}]*\}                      # ${DB_PASSWORD} ${DB_PASSWORD:-x}
    | \$\([^()]*\)                       # $(cat /run/secrets/db)
    | \$(?:[A-Z_][A-Z0-9_]*|[a-z_]+)\b   # $DB_PASSWORD
    | \{\{.*?\}\} | \{%.*?%\} | <%=?.*?%> | \[\[.*?\]\]
    | \#\{[^{}]*\} | @\{[^{}]*\}
    | %\([A-Za-z_][\w.]*\)[sdrfi]        # %(password)s
    | \{[A-Za-z_][\w.\[\]'"-]*(?:![rsa])?(?::[^{}]*)?\}   # {password} {cfg.db.password}
    | \{\d*\}                            # {0} {}
    | %[sdvq]\b""",
    re.VERBOSE,
)


def is_template(secret: str) -> bool:
    """Is the value an interpolation placeholder (with at most a few literal characters around
    it, such as ``sk_live_${KEY}``), i.e. the real value is filled in elsewhere?"""
    if not _TEMPLATE_MARK.search(secret):
        return False
    rest, count = _TEMPLATE.subn("", secret)
    return count > 0 and sum(ch.isalnum() for ch in rest) < 10


def is_placeholder(secret: str) -> bool:
    """``xxxx``, ``your-key-here``, ``${VAR}``, ``<token>``: a stand-in, not a secret."""
    return bool(_STAND_IN.search(secret.lower())) or is_template(secret)


def shannon_entropy(value: str | bytes) -> float:
    """gitleaks' entropy: characters counted as code points, divided by the length in bytes."""
    data = value.encode("utf-8", "replace") if isinstance(value, str) else value
    if not data:
        return 0.0
    chars = data if data.isascii() else data.decode("utf-8", "replace")
    size = len(data)
    return -sum(n / size * math.log2(n / size) for n in Counter(chars).values())


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


@dataclass(frozen=True)
class Location:
    """Where a match is, computed exactly as gitleaks computes it (0-based lines within the
    fragment; its columns count the newline before a line as that line's first byte)."""

    start_line: int
    end_line: int
    start_column: int
    end_column: int
    line_start: int  # the reported "line" is raw[line_start:line_end]
    line_end: int
    column: int  # ours: 1-based byte column of the match in its line


class Newlines:
    """Newlines in ``raw[:index]``, counted on from the last question (matches come in order,
    so a text is counted through about once however many matches it holds)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0
        self.count = 0

    def before(self, index: int) -> int:
        if index < self.pos:
            self.pos = self.count = 0
        self.count += self.raw.count(b"\n", self.pos, index)
        self.pos = index
        return self.count


def locate(raw: bytes, start: int, end: int, newlines: Newlines | None = None) -> Location:
    """gitleaks' ``location()`` over the newline positions n0 < n1 < ...: the start line k has
    n(k-1) <= start < n(k), the end line m has n(m-1) < end <= n(m); a text without a newline
    acts as if one followed it; a match after the last newline takes gitleaks' fallback."""
    newlines = newlines or Newlines(raw)
    column = start - (raw.rfind(b"\n", 0, start) + 1) + 1
    if b"\n" not in raw:
        size = len(raw)
        if start < size:
            end_column, line_end = (end, size) if 0 < end <= size else (0, size)
            return Location(0, 0, start + 1, end_column, 0, max(line_end, end), column)
        return Location(1, 1, start - size + 1, end - size, 0, max(size, end), column)
    next_nl = raw.find(b"\n", start + 1)
    if next_nl == -1:  # no newline after the start: gitleaks' "last line" fallback
        last = raw.rfind(b"\n")
        lines = newlines.before(len(raw))
        stop = end
        while stop < len(raw) and raw[stop] not in (0x0A, 0x0D):
            stop += 1
        return Location(lines, lines, start - last + 1, end - last, 0, max(stop, end), column)
    start_line = newlines.before(start + 1)
    line_start = raw.rfind(b"\n", 0, start + 1) if start_line else 0
    end_line, end_column, line_end = start_line, 0, next_nl
    end_nl = raw.find(b"\n", end) if end > 0 else -1
    if end_nl != -1:
        end_line = newlines.before(end)
        end_column = end - (raw.rfind(b"\n", 0, end) if end_line else 0)
        line_end = end_nl
    return Location(
        start_line,
        end_line,
        start - line_start + 1,
        end_column,
        line_start,
        max(line_end, end),
        column,
    )


@dataclass(frozen=True, slots=True)
class _Fragment:
    """One piece of input scanned on its own (a file, or one hunk of a commit) and what every
    rule run on it shares; ``claimed`` collects values a specific rule judged fine."""

    raw: bytes
    first_line: int
    path: str
    path_b: bytes
    commit: str | None
    meta: dict[str, str | None]
    claimed: set[tuple[int, bytes]]


@dataclass(frozen=True)
class _Hit:
    rule: Rule
    finding: SecretFinding
    secret: bytes


class Scanner:
    """Compiled once per rule set; :meth:`scan_bytes` is the core, :meth:`scan_text` wraps it."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._rules = tuple(rules.rules)
        self.prefilter = Prefilter(self._rules)
        self._global = tuple(rules.allowlists)
        self._path_skip = tuple(a for a in rules.allowlists if a.only_paths)
        self._seen = 0

    def skips_path(self, path: str) -> bool:
        """The global allowlists drop this path whatever it holds."""
        encoded = path.encode("utf-8", "surrogateescape")
        return any(a.allows_fragment(encoded, None) for a in self._path_skip)

    def scan_text(
        self,
        text: str,
        path: str,
        *,
        commit: str | None = None,
        line_numbers: Sequence[int] | None = None,
    ) -> list[SecretFinding]:
        """Every secret in ``text``. ``line_numbers[i]`` is the real number of the text's
        line ``i`` (default ``i + 1``)."""
        found = self.scan_bytes(text.encode("utf-8", "surrogateescape"), path, commit=commit)
        if line_numbers is None:
            return found
        mapped = []
        for f in found:
            number = line_numbers[f.line - 1] if 0 < f.line <= len(line_numbers) else f.line
            end = (
                line_numbers[f.end_line - 1] if 0 < f.end_line <= len(line_numbers) else f.end_line
            )
            mapped.append(f.with_history(line=number, end_line=end))
        return mapped

    def scan_bytes(
        self,
        data: bytes,
        path: str,
        *,
        commit: str | None = None,
        segments: Sequence[tuple[int, int]] = ((0, 1),),
        author: str | None = None,
        email: str | None = None,
        date: str | None = None,
        message: str | None = None,
    ) -> list[SecretFinding]:
        """Every secret in ``data``. ``segments`` are ``(offset, first line number)`` of the
        fragments it is made of (a commit's hunks); each is scanned on its own, as gitleaks
        scans each hunk, and line numbers count from the segment's first line."""
        path_b = path.encode("utf-8", "surrogateescape")
        if any(a.allows_fragment(path_b, commit) for a in self._global):
            return []
        meta = {
            "commit": commit,
            "author": author,
            "email": email,
            "date": date,
            "message": message,
        }
        self._seen += len(data)
        chosen = self.prefilter.candidates(data) if self._seen >= _HYPERSCAN_AFTER_BYTES else None
        lowered: bytes | None = None
        if chosen is None:
            lowered = data.lower()
            chosen = self.prefilter.rules_for(self.prefilter.keywords_in(lowered))
        bounds = [
            (offset, segments[i + 1][0] if i + 1 < len(segments) else len(data), first)
            for i, (offset, first) in enumerate(segments)
        ]
        hits: list[_Hit] = []
        claimed: set[tuple[int, bytes]] = set()
        if len(bounds) == 1:
            plan = [(bounds[0], sorted(chosen))]
        else:
            # Each hunk is its own fragment for gitleaks: a rule runs on a hunk that holds
            # one of its keywords. Look only for the keywords of the rules still in play.
            lowered = data.lower() if lowered is None else lowered
            words = {k for i in chosen for k in self._rules[i].keywords}
            plan = []
            for begin, finish, first in bounds:
                piece = lowered[begin:finish]
                here = self.prefilter.rules_for({k for k in words if k.encode() in piece})
                plan.append(((begin, finish, first), sorted(chosen & here)))
        for (begin, finish, first), indexes in plan:
            fragment = _Fragment(
                data if len(bounds) == 1 else data[begin:finish],
                first,
                path,
                path_b,
                commit,
                meta,
                claimed,
            )
            for index in indexes:
                rule = self._rules[index]
                if rule.skip_report:
                    continue
                found = self._rule_hits(rule, fragment)
                if rule.required and found:
                    found = self._with_required(rule, found, fragment)
                hits.extend(found)
        return _filter(hits, claimed)

    def _rule_hits(self, rule: Rule, fragment: _Fragment) -> list[_Hit]:
        path, path_b = fragment.path, fragment.path_b
        if any(a.allows_fragment(path_b, fragment.commit) for a in rule.allowlists):
            return []
        if rule.path is not None and not rule.path.search(path_b):
            return []
        if rule.regex is None:
            finding = SecretFinding(
                rule.id,
                rule.description,
                path,
                0,
                match=f"file detected: {path}",
                tags=rule.tags,
                **fragment.meta,
            )
            return [_Hit(rule, finding, b"")]
        return self._detect(rule, fragment)

    def _with_required(self, rule: Rule, primary: list[_Hit], fragment: _Fragment) -> list[_Hit]:
        """gitleaks' multi-part rules: keep a finding when every required rule has a finding
        in the same fragment, near enough (required rules run whatever their keywords)."""
        parts = {
            part.rule_id: self._rule_hits(self.rules.by_id[part.rule_id], fragment)
            for part in rule.required
            if part.rule_id in self.rules.by_id
        }

        def near(hit: _Hit, other: _Hit, lines: int | None, columns: int | None) -> bool:
            a, b = hit.finding, other.finding
            return (lines is None or abs(a.line - b.line) <= lines) and (
                columns is None or abs(a.start_column - b.start_column) <= columns
            )

        return [
            hit
            for hit in primary
            if all(
                any(
                    near(hit, other, part.within_lines, part.within_columns)
                    for other in parts.get(part.rule_id, [])
                )
                for part in rule.required
            )
        ]

    def _detect(self, rule: Rule, fragment: _Fragment) -> list[_Hit]:
        raw, first_line, claimed = fragment.raw, fragment.first_line, fragment.claimed
        path, path_b, commit, meta = fragment.path, fragment.path_b, fragment.commit, fragment.meta
        regex = rule.regex
        hits: list[_Hit] = []
        match_at = regex._regexp.Match  # RE2 itself: spans, without the wrapper's match objects
        grouped = regex.groups > 0
        newlines = Newlines(raw)
        pos, size = 0, len(raw)
        while pos <= size:
            start, end = match_at(_UNANCHORED, raw, pos, size)[0]
            if start < 0:
                break
            pos = end if end > start else end + 1
            text = raw[start:end].strip(b"\n")
            end = start + len(text)
            where = locate(raw, start, end, newlines)
            line = raw[where.line_start : where.line_end]
            if any(mark in line for mark in _INLINE_ALLOW):
                continue
            secret = text
            if grouped:  # gitleaks runs the regex again on the match to take the secret
                spans = match_at(_UNANCHORED, text, 0, len(text))
                if spans[0][0] >= 0:
                    if rule.secret_group:
                        first, last = spans[rule.secret_group]
                        secret = text[first:last] if first >= 0 else b""
                    else:
                        secret = next((text[a:b] for a, b in spans[1:] if b > a >= 0), text)
            entropy = shannon_entropy(secret)
            if rule.entropy and entropy <= rule.entropy:
                continue
            decoded = secret.decode("utf-8", "replace")
            number = first_line + where.start_line
            if not decoded.strip() or is_template(decoded):
                continue
            if rule.heuristics and is_placeholder(decoded):
                continue
            if rule.heuristics and "jwt" in rule.tags and _jwt_is_public(decoded):
                claimed.add((number, secret))
                continue
            context = {
                "secret": secret,
                "match": text,
                "line": line,
                "path": path_b,
                "commit": commit,
            }
            if _allowed(self._global, context):
                continue
            if _allowed(rule.allowlists, context):
                if rule.heuristics:
                    claimed.add((number, secret))  # a specific rule knows this value is fine
                continue
            finding = SecretFinding(
                rule_id=rule.id,
                description=rule.description,
                file=path,
                line=number,
                column=where.column,
                end_line=first_line + where.end_line,
                start_column=where.start_column,
                end_column=where.end_column,
                entropy=entropy,
                tags=rule.tags,
                secret=decoded,
                match=text.decode("utf-8", "replace"),
                **meta,
            )
            hits.append(_Hit(rule, finding, secret))
        return hits


def _allowed(allowlists: Sequence[Allowlist], context: dict) -> bool:
    return any(a.allows_finding(**context) for a in allowlists)


def _filter(hits: list[_Hit], claimed: set[tuple[int, bytes]]) -> list[SecretFinding]:
    """gitleaks' rule: a generic finding gives way to a specific finding on the same line whose
    secret contains it. Our own rules also report one value once (the first rule wins), and
    a value a specific rule claimed as fine is not reported by the generic rule either."""
    kept: list[SecretFinding] = []
    reported: set[tuple[int, bytes]] = set()
    specific: dict[int, list[_Hit]] = {}
    for hit in hits:
        if not hit.rule.generic:
            specific.setdefault(hit.finding.line, []).append(hit)
    for hit in hits:
        f = hit.finding
        if (
            hit.rule.generic
            and hit.secret
            and any(hit.secret in other.secret for other in specific.get(f.line, ()))
        ):
            continue
        if hit.rule.heuristics and hit.secret:
            if hit.rule.generic and any(
                line == f.line and hit.secret in value for line, value in claimed
            ):
                continue
            key = (f.line, hit.secret)
            if key in reported:
                continue
            reported.add(key)
        kept.append(f)
    kept.sort(key=lambda f: (f.line, f.column, f.rule_id))
    return kept
