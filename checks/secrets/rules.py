"""Rules as data, in the gitleaks TOML format, read the way gitleaks reads them.

A rule has an ``id``, a ``description``, a ``regex`` (Go RE2 syntax, compiled by RE2 itself
through the ``google-re2`` binding, so ``(?-i)``, ``\\z`` and ``[[:alnum:]]`` mean what they
mean to gitleaks and matching is linear in the input), an optional ``secretGroup``, an
``entropy`` floor, ``keywords`` for the prefilter, a ``path`` regex (a rule with only a
path reports the file itself), ``tags``, and allowlists: the old ``[rules.allowlist]`` table
or the newer ``[[rules.allowlists]]`` array (not both), and the global ``[allowlist]`` or
``[[allowlists]]`` (which may name ``targetRules``). ``[extend]`` takes ``useDefault`` (our
rules, see :func:`default_rules`), or ``path`` (another file, at most two levels deep), and
``disabledRules``; a rule of the extended config that the extending config also defines is
merged field by field as gitleaks merges it.

Everything is compiled to match bytes: files are read and scanned as bytes.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import re2

__all__ = [
    "Allowlist",
    "Regex",
    "Required",
    "Rule",
    "RuleError",
    "RuleSet",
    "compile_regex",
    "default_rules",
    "load_rules",
    "parse_rules",
]

RegexTarget = Literal["secret", "match", "line"]
Regex = Any  # a compiled google-re2 pattern over bytes (the binding ships no type stubs)
_MAX_EXTEND_DEPTH = 2  # gitleaks' limit: a config may extend one that extends one more


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file, the rule and the field."""


def _re2_options() -> Any:
    options = re2.Options()
    options.max_mem = (
        64 << 20
    )  # gitleaks' bigger rules ({1,4096} repeats) exceed RE2's 8 MB default
    options.log_errors = False
    return options


def compile_regex(pattern: str, where: str) -> Regex:
    """Compile Go RE2 syntax with RE2 (UTF-8 mode, over bytes)."""
    try:
        return re2.compile(pattern.encode("utf-8"), _re2_options())
    except re2.error as exc:
        reason = (
            exc.args[0].decode("utf-8", "replace")
            if exc.args and isinstance(exc.args[0], bytes)
            else str(exc)
        )
        raise RuleError(
            f"{where} does not compile as an RE2 regular expression: {reason}"
        ) from None


@dataclass(frozen=True)
class Allowlist:
    """A reason to drop a match: any of its conditions (``OR``) or all of them (``AND``)."""

    description: str = ""
    condition: Literal["OR", "AND"] = "OR"
    regex_target: RegexTarget = "secret"
    regexes: tuple[Regex, ...] = ()
    paths: tuple[Regex, ...] = ()
    stopwords: tuple[bytes, ...] = ()  # lowercased
    commits: frozenset[str] = frozenset()  # lowercased

    def commit_allowed(self, commit: str | None) -> bool:
        return bool(commit) and commit.lower() in self.commits  # type: ignore[union-attr]

    def path_allowed(self, path: bytes) -> bool:
        return bool(path) and any(p.search(path) for p in self.paths)

    def regex_allowed(self, target: bytes) -> bool:
        return bool(target) and any(r.search(target) for r in self.regexes)

    def stopword_in(self, secret: bytes) -> bool:
        lowered = secret.lower()
        return any(word in lowered for word in self.stopwords)

    def allows_fragment(self, path: bytes, commit: str | None) -> bool:
        """gitleaks' early test (before any regex runs): may the whole file or commit be skipped?"""
        if not path and not commit:
            return False
        if self.condition == "AND":
            if self.regexes or self.stopwords:
                return False  # decided per finding
            checks = ([self.commit_allowed(commit)] if self.commits else []) + (
                [self.path_allowed(path)] if self.paths else []
            )
            return all(checks)
        return self.commit_allowed(commit) or self.path_allowed(path)

    def allows_finding(
        self, *, secret: bytes, match: bytes, line: bytes, path: bytes, commit: str | None
    ) -> bool:
        """gitleaks' per-finding test: with OR, regexes and stopwords; with AND, every condition set."""
        target = {"secret": secret, "match": match, "line": line}[self.regex_target]
        if self.condition == "AND":
            checks: list[bool] = []
            if self.commits:
                checks.append(self.commit_allowed(commit))
            if self.paths:
                checks.append(self.path_allowed(path))
            if self.regexes:
                checks.append(self.regex_allowed(target))
            if self.stopwords:
                checks.append(self.stopword_in(secret))
            return all(checks)
        return self.regex_allowed(target) or self.stopword_in(secret)

    @property
    def only_paths(self) -> bool:
        """True when the list can be decided from the path alone (lets a file be skipped)."""
        return bool(self.paths) and not (self.regexes or self.stopwords or self.commits)


@dataclass(frozen=True)
class Required:
    rule_id: str
    within_lines: int | None = None
    within_columns: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    regex: Regex | None
    secret_group: int = 0
    entropy: float = 0.0
    keywords: tuple[str, ...] = ()  # lowercased
    path: Regex | None = None
    allowlists: tuple[Allowlist, ...] = ()
    tags: tuple[str, ...] = ()
    # Our own rules also drop placeholders (``your-key-here``, ``xxxx``), public JWTs, and let
    # a specific rule's verdict stand for the generic one; a team's rules get gitleaks'
    # semantics exactly (templates such as ``${VAR}`` are never secrets in either).
    heuristics: bool = False
    # gitleaks' multi-part rules: a finding stands only when each required rule also finds
    # something in the same fragment (within the given lines / columns when set); a rule with
    # skip_report serves only as such a part.
    required: tuple[Required, ...] = ()
    skip_report: bool = False

    @property
    def generic(self) -> bool:
        """gitleaks drops a ``generic`` finding that a specific rule found on the same line."""
        return "generic" in self.id.lower()


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    allowlists: tuple[Allowlist, ...] = ()
    source: str = "launchready"
    title: str = ""
    # Files the scan never reports on: the config itself (gitleaks skips its own config).
    config_paths: tuple[str, ...] = ()
    by_id: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({r.id: r for r in self.rules})

    def __len__(self) -> int:
        return len(self.rules)


# -- parsing -----------------------------------------------------------------------------


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where} must be a list of strings.")
    return value


def _allowlist(data: Any, where: str) -> Allowlist:
    if not isinstance(data, dict):
        raise RuleError(f"{where} must be a table.")
    raw_condition = str(data.get("condition", "") or "").upper()
    conditions = {"": "OR", "OR": "OR", "||": "OR", "AND": "AND", "&&": "AND"}
    if raw_condition not in conditions:
        raise RuleError(f"{where}: condition must be OR or AND, not {data.get('condition')!r}.")
    target = str(data.get("regexTarget", "") or "secret")
    if target not in ("secret", "match", "line"):
        raise RuleError(f"{where}: regexTarget must be secret, match or line, not {target!r}.")
    allowlist = Allowlist(
        description=str(data.get("description", "")),
        condition=conditions[raw_condition],  # type: ignore[arg-type]
        regex_target=target,  # type: ignore[arg-type]
        regexes=tuple(
            compile_regex(r, f"{where}: regexes[{i}]")
            for i, r in enumerate(_strings(data.get("regexes"), f"{where}: regexes"))
        ),
        paths=tuple(
            compile_regex(p, f"{where}: paths[{i}]")
            for i, p in enumerate(_strings(data.get("paths"), f"{where}: paths"))
        ),
        stopwords=tuple(
            sorted(
                {
                    w.lower().encode("utf-8")
                    for w in _strings(data.get("stopwords"), f"{where}: stopwords")
                }
            )
        ),
        commits=frozenset(
            c.strip().lower() for c in _strings(data.get("commits"), f"{where}: commits")
        ),
    )
    if not (allowlist.regexes or allowlist.paths or allowlist.stopwords or allowlist.commits):
        raise RuleError(
            f"{where} must contain at least one of commits, paths, regexes or stopwords."
        )
    return allowlist


def _allowlists(
    table: dict[str, Any], old: str, new: str, where: str
) -> list[tuple[Allowlist, list[str]]]:
    """The old single table or the new array (gitleaks refuses both at once), with targetRules."""
    found: list[tuple[Allowlist, list[str]]] = []
    if table.get("allowlist") is not None and table.get("allowlists"):
        raise RuleError(
            f"{where}: {old} is the older spelling of {new}; use one of them, not both."
        )
    if table.get("allowlist") is not None:
        item = table["allowlist"]
        found.append(
            (
                _allowlist(item, f"{where} {old}"),
                _strings(
                    item.get("targetRules") if isinstance(item, dict) else None,
                    f"{where} {old}: targetRules",
                ),
            )
        )
    items = table.get("allowlists") or []
    if not isinstance(items, list):
        raise RuleError(f"{where}: {new} must be an array of tables ([[...]]).")
    for i, item in enumerate(items):
        label = f"{where} {new}[{i}]"
        targets = _strings(
            item.get("targetRules") if isinstance(item, dict) else None, f"{label}: targetRules"
        )
        found.append((_allowlist(item, label), targets))
    return found


def _number(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key, kind())
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise RuleError(
            f"{where}: {key} must be a{'n integer' if kind is int else ' number'}, not {value!r}."
        )
    return kind(value)


def _rule(data: Any, index: int, source: str, heuristics: bool) -> Rule:
    if not isinstance(data, dict):
        raise RuleError(f"{source}: rules[{index}] must be a table ([[rules]]).")
    rule_id = str(data.get("id", "") or "").strip()
    if not rule_id:
        described = f" (description {data['description']!r})" if data.get("description") else ""
        raise RuleError(f"{source}: rules[{index}]{described} has no id; every rule needs one.")
    where = f"{source}: rule {rule_id!r}"
    for key in ("regex", "path", "description"):
        if key in data and not isinstance(data[key], str):
            raise RuleError(f"{where}: {key} must be a string.")
    regex = compile_regex(data["regex"], f"{where}: regex") if data.get("regex") else None
    path = compile_regex(data["path"], f"{where}: path") if data.get("path") else None
    secret_group = _number(data, "secretGroup", int, where)
    if secret_group < 0:
        raise RuleError(f"{where}: secretGroup must be 0 or more, not {secret_group}.")
    allowlists = [
        a for a, _ in _allowlists(data, "[rules.allowlist]", "[[rules.allowlists]]", where)
    ]
    skip_report = data.get("skipReport", False)
    if not isinstance(skip_report, bool):
        raise RuleError(f"{where}: skipReport must be true or false.")
    return Rule(
        id=rule_id,
        description=str(data.get("description", "")),
        regex=regex,
        secret_group=secret_group,
        entropy=_number(data, "entropy", float, where),
        keywords=tuple(k.lower() for k in _strings(data.get("keywords"), f"{where}: keywords")),
        path=path,
        allowlists=tuple(allowlists),
        tags=tuple(_strings(data.get("tags"), f"{where}: tags")),
        heuristics=heuristics,
        required=_required(data.get("required"), where),
        skip_report=skip_report,
    )


def _required(items: Any, where: str) -> tuple[Required, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise RuleError(f"{where}: [[rules.required]] must be an array of tables.")
    found = []
    for i, item in enumerate(items):
        label = f"{where}: [[rules.required]][{i}]"
        if not isinstance(item, dict) or not str(item.get("id", "") or "").strip():
            raise RuleError(f"{label} needs the id of the rule it requires.")
        limits = []
        for key in ("withinLines", "withinColumns"):
            value = item.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise RuleError(f"{label}: {key} must be a whole number of 0 or more.")
            limits.append(value)
        found.append(Required(str(item["id"]).strip(), *limits))
    return tuple(found)


def _merge_rule(base: Rule, own: Rule) -> Rule:
    """gitleaks' extend: the extending rule's set fields win; lists are concatenated."""
    return replace(
        base,
        description=own.description or base.description,
        entropy=own.entropy or base.entropy,
        secret_group=own.secret_group or base.secret_group,
        regex=own.regex if own.regex is not None else base.regex,
        path=own.path if own.path is not None else base.path,
        tags=base.tags + own.tags,
        keywords=base.keywords + own.keywords,
        allowlists=base.allowlists + own.allowlists,
        heuristics=base.heuristics and own.regex is None,
    )


def _validate(rule: Rule, source: str, ids: set[str]) -> None:
    where = f"{source}: rule {rule.id!r}"
    if rule.regex is None and rule.path is None:
        raise RuleError(f"{where} has neither regex nor path, so it can never report anything.")
    for part in rule.required:
        if part.rule_id not in ids:
            raise RuleError(
                f"{where}: [[rules.required]] names {part.rule_id!r}, which is not a rule."
            )
    if rule.regex is not None and rule.secret_group > rule.regex.groups:
        raise RuleError(
            f"{where}: secretGroup is {rule.secret_group} but the regex has only {rule.regex.groups} capture group(s)."
        )


def parse_rules(
    text: str,
    *,
    source: str = "<rules>",
    base_dir: Path | None = None,
    heuristics: bool = False,
    _depth: int = 0,
) -> RuleSet:
    """Parse gitleaks-format TOML into a rule set, following ``[extend]``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{source} is not valid TOML: {exc}.") from None
    items = data.get("rules", [])
    if not isinstance(items, list):
        raise RuleError(f"{source}: rules must be an array of tables ([[rules]]).")
    rules: dict[str, Rule] = {}
    for i, item in enumerate(items):
        rule = _rule(item, i, source, heuristics)
        rules[rule.id] = rule  # gitleaks keeps the last rule of an id
    targeted: dict[str, list[Allowlist]] = {}
    global_lists: list[Allowlist] = []
    for allowlist, targets in _allowlists(data, "[allowlist]", "[[allowlists]]", source):
        if targets:
            for rule_id in targets:
                targeted.setdefault(rule_id, []).append(allowlist)
        else:
            global_lists.append(allowlist)
    configs = [source]
    extend = data.get("extend") or {}
    if not isinstance(extend, dict):
        raise RuleError(f"{source}: [extend] must be a table.")
    disabled = set(_strings(extend.get("disabledRules"), f"{source}: [extend] disabledRules"))
    if extend.get("useDefault") and extend.get("path"):
        raise RuleError(
            f"{source}: [extend] sets both useDefault and path; gitleaks accepts one of them."
        )
    if extend.get("url"):
        raise RuleError(
            f"{source}: [extend] url is not supported (gitleaks does not implement it either); use path."
        )
    base: RuleSet | None = None
    if _depth < _MAX_EXTEND_DEPTH and extend.get("useDefault"):
        base = default_rules()
    elif _depth < _MAX_EXTEND_DEPTH and extend.get("path"):
        base = _read(
            _extend_path(str(extend["path"]), base_dir, source), heuristics=False, depth=_depth + 1
        )
    if base is not None:
        configs += list(base.config_paths)
        merged: dict[str, Rule] = dict(rules)
        for rule in base.rules:
            if rule.id in disabled:
                continue
            merged[rule.id] = _merge_rule(rule, rules[rule.id]) if rule.id in rules else rule
        rules = dict(sorted(merged.items()))
        global_lists += list(base.allowlists)
    if _depth == 0:
        for rule in rules.values():
            _validate(rule, source, set(rules))
        for rule_id, extra in targeted.items():
            if rule_id not in rules:
                raise RuleError(
                    f"{source}: [[allowlists]] targetRules names {rule_id!r}, which is not a rule."
                )
            rules[rule_id] = replace(
                rules[rule_id], allowlists=rules[rule_id].allowlists + tuple(extra)
            )
    return RuleSet(
        rules=tuple(rules.values()),
        allowlists=tuple(global_lists),
        source=source,
        title=str(data.get("title", "")),
        config_paths=tuple(configs),
    )


def _extend_path(value: str, base_dir: Path | None, source: str) -> Path:
    """``[extend] path``: gitleaks resolves it against the working directory; a path relative
    to the extending file is tried first, so a repository's configs work from anywhere."""
    candidate = Path(value)
    if not candidate.is_absolute() and base_dir is not None and (base_dir / candidate).is_file():
        return base_dir / candidate
    if candidate.is_file():
        return candidate
    raise RuleError(f"{source}: [extend] path {value!r} does not name a readable file.")


def _read(path: Path, *, heuristics: bool, depth: int) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise RuleError(f"cannot read rule file {path}: {reason}.") from None
    return parse_rules(
        text, source=str(path), base_dir=path.parent, heuristics=heuristics, _depth=depth
    )


@functools.cache
def default_rules() -> RuleSet:
    """Our shipped rule set, parsed and compiled once per process."""
    text = (
        resources.files("checks.secrets")
        .joinpath("rules/launchready.toml")
        .read_text(encoding="utf-8")
    )
    rule_set = parse_rules(text, source="launchready.toml", heuristics=True)
    return replace(rule_set, config_paths=(), by_id={})


def load_rules(path: Path | None = None) -> RuleSet:
    """Our rules, or the rules of ``path`` (plus ours when it says ``[extend] useDefault``)."""
    if path is None:
        return default_rules()
    return _read(path, heuristics=False, depth=0)
