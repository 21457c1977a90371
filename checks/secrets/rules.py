"""Rules as data, in the gitleaks TOML format, so a team's own ``.gitleaks.toml`` reads too.

A rule has an ``id``, a ``description``, a ``regex`` (Go RE2 syntax in gitleaks; the few
constructs Python's ``re`` spells differently are translated), an optional ``secretGroup``,
an ``entropy`` floor, ``keywords`` for the prefilter, a ``path`` regex, and allowlists (the
old ``[rules.allowlist]`` table and the newer ``[[rules.allowlists]]`` array). A config with
``[extend] useDefault = true`` adds our rules to its own, as gitleaks does with its defaults.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = ["Allowlist", "Rule", "RuleError", "RuleSet", "default_rules", "load_rules", "parse_rules"]

RegexTarget = Literal["secret", "match", "line"]


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


_POSIX_CLASSES = {
    "[:alnum:]": "a-zA-Z0-9",
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:space:]": r"\s",
    "[:word:]": r"\w",
    "[:punct:]": r"!-/:-@\[-`{-~",
}


def translate_regex(pattern: str) -> str:
    r"""Go RE2 to Python ``re``: ``\z`` is ``\Z``, POSIX classes are spelt out, and global
    flags that RE2 allows mid-pattern (``(?i)`` after text) move to the front."""
    text = pattern.replace(r"\z", r"\Z")
    for posix, plain in _POSIX_CLASSES.items():
        text = text.replace(posix, plain)
    flags = ""
    for flag in ("i", "s", "m"):
        token = f"(?{flag})"
        if token in text[1:] or (token in text and not text.startswith(token)):
            text = text.replace(token, "")
            flags += flag
    if flags:
        lead = re.match(r"^\(\?([ims]+)\)", text)
        if lead:
            flags = "".join(sorted(set(flags + lead.group(1))))
            text = text[lead.end():]
        text = f"(?{flags})" + text
    return text


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(translate_regex(pattern))
    except re.error as exc:
        raise RuleError(f"{where}: regex does not compile: {exc}") from None


@dataclass(frozen=True)
class Allowlist:
    """A reason to drop a match: any of its conditions (``OR``) or all of them (``AND``)."""

    description: str = ""
    condition: Literal["OR", "AND"] = "OR"
    regex_target: RegexTarget = "secret"
    regexes: tuple[re.Pattern[str], ...] = ()
    paths: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()  # lowercased
    commits: frozenset[str] = frozenset()

    def allows(self, *, secret: str, match: str, line: str, path: str, commit: str | None) -> bool:
        target = {"secret": secret, "match": match, "line": line}[self.regex_target]
        lowered = secret.lower()
        tests: list[bool] = []
        if self.commits:
            tests.append(commit is not None and commit in self.commits)
        if self.paths:
            tests.append(any(p.search(path) for p in self.paths))
        if self.regexes:
            tests.append(any(r.search(target) for r in self.regexes))
        if self.stopwords:
            tests.append(any(word in lowered for word in self.stopwords))
        if not tests:
            return False
        return all(tests) if self.condition == "AND" else any(tests)

    @property
    def only_paths(self) -> bool:
        """True when the list can be decided from the path alone (lets a file be skipped)."""
        return bool(self.paths) and not (self.regexes or self.stopwords or self.commits)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    regex: re.Pattern[str] | None
    secret_group: int = 0
    entropy: float = 0.0
    keywords: tuple[str, ...] = ()  # lowercased
    path: re.Pattern[str] | None = None
    allowlists: tuple[Allowlist, ...] = ()
    tags: tuple[str, ...] = ()

    def secret_span(self, match: re.Match[str]) -> tuple[int, int]:
        """Where the secret is inside a match: ``secretGroup``, else the first group that
        took part (alternatives may each carry one), else the whole match."""
        if self.secret_group:
            return match.span(self.secret_group)
        for group in range(1, match.re.groups + 1):
            if match.start(group) >= 0:
                return match.span(group)
        return match.span()


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    allowlists: tuple[Allowlist, ...] = ()
    source: str = "launchready"
    title: str = ""
    by_id: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({r.id: r for r in self.rules})

    def __len__(self) -> int:
        return len(self.rules)


def _allowlist(data: dict[str, Any], where: str) -> Allowlist:
    condition = str(data.get("condition", "OR")).upper()
    if condition not in ("OR", "AND"):
        raise RuleError(f"{where}: condition must be OR or AND, not {condition!r}")
    target = str(data.get("regexTarget", "secret")).lower()
    if target not in ("secret", "match", "line"):
        raise RuleError(f"{where}: regexTarget must be secret, match or line, not {target!r}")
    return Allowlist(
        description=str(data.get("description", "")),
        condition=condition,  # type: ignore[arg-type]
        regex_target=target,  # type: ignore[arg-type]
        regexes=tuple(_compile(r, f"{where}.regexes") for r in data.get("regexes", ())),
        paths=tuple(_compile(p, f"{where}.paths") for p in data.get("paths", ())),
        stopwords=tuple(str(w).lower() for w in data.get("stopwords", ())),
        commits=frozenset(str(c) for c in data.get("commits", ())),
    )


def _allowlists(table: dict[str, Any], where: str) -> tuple[Allowlist, ...]:
    found: list[Allowlist] = []
    if isinstance(table.get("allowlist"), dict):
        found.append(_allowlist(table["allowlist"], f"{where}.allowlist"))
    for i, item in enumerate(table.get("allowlists", ()) or ()):
        found.append(_allowlist(item, f"{where}.allowlists[{i}]"))
    return tuple(found)


def _rule(data: dict[str, Any], where: str) -> Rule:
    rule_id = data.get("id")
    if not rule_id:
        raise RuleError(f"{where}: a rule needs an id")
    where = f"{where} ({rule_id})"
    if not data.get("regex") and not data.get("path"):
        raise RuleError(f"{where}: a rule needs a regex or a path")
    regex = _compile(data["regex"], where) if data.get("regex") else None
    group = int(data.get("secretGroup", 0))
    if regex is not None and group > regex.groups:
        raise RuleError(f"{where}: secretGroup {group} but the regex has {regex.groups} groups")
    return Rule(
        id=str(rule_id),
        description=str(data.get("description", rule_id)),
        regex=regex,
        secret_group=group,
        entropy=float(data.get("entropy", 0.0)),
        keywords=tuple(str(k).lower() for k in data.get("keywords", ())),
        path=_compile(data["path"], f"{where}.path") if data.get("path") else None,
        allowlists=_allowlists(data, where),
        tags=tuple(str(t) for t in data.get("tags", ())),
    )


def parse_rules(text: str, *, source: str = "<rules>") -> tuple[RuleSet, bool]:
    """Parse gitleaks-format TOML; also returns whether ``[extend] useDefault`` is set."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{source} is not valid TOML: {exc}") from None
    rules = tuple(_rule(item, f"{source}: rules[{i}]") for i, item in enumerate(data.get("rules", ())))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{source}: rule id {rule.id} appears twice")
        seen.add(rule.id)
    extend = data.get("extend") or {}
    rule_set = RuleSet(
        rules=rules,
        allowlists=_allowlists(data, f"{source}: global"),
        source=source,
        title=str(data.get("title", "")),
    )
    return rule_set, bool(extend.get("useDefault", False))


def merge(base: RuleSet, extra: RuleSet) -> RuleSet:
    """``extra`` on top of ``base``: a rule with the same id replaces the base one."""
    ids = {r.id for r in extra.rules}
    rules = tuple(r for r in base.rules if r.id not in ids) + extra.rules
    return RuleSet(rules=rules, allowlists=base.allowlists + extra.allowlists, source=f"{base.source} + {extra.source}")


@functools.cache
def default_rules() -> RuleSet:
    """Our shipped rule set, parsed and compiled once per process."""
    text = resources.files("checks.secrets").joinpath("rules/launchready.toml").read_text(encoding="utf-8")
    rule_set, _ = parse_rules(text, source="launchready.toml")
    return rule_set


def load_rules(path: Path | None = None) -> RuleSet:
    """Our rules, or the rules of ``path`` (plus ours when it says ``[extend] useDefault``)."""
    if path is None:
        return default_rules()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read rule file {path}: {exc.strerror or exc}") from None
    own, use_default = parse_rules(text, source=str(path))
    return merge(default_rules(), own) if use_default else own
