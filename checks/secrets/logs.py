"""secrets.logs: no token, secret or personal data in log files."""

from __future__ import annotations

import glob
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity
from checks.redact import redact
from checks.secrets.escapes import decode_escapes
from checks.secrets.evidence import MAX_LISTED, as_findings, count, in_thread
from checks.secrets.finding import SecretFinding
from checks.secrets.pii import PII_KINDS, find_pii
from checks.secrets.rules import default_rules
from checks.secrets.scanner import Scanner
from checks.target import Target

__all__ = ["CHECK", "scan_logs"]

CHUNK = 4 * 1024 * 1024
MAX_LOG_BYTES = 256 * 1024 * 1024  # per file; the rest is noted, not read
EXAMPLES = 3
_LABELS = {
    "email": ("e-mail address", "e-mail addresses"),
    "phone": ("phone number", "phone numbers"),
    "card": ("Luhn-valid card number", "Luhn-valid card numbers"),
}


class LogScan:
    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.secrets: list[SecretFinding] = []
        self.pii: Counter[str] = Counter()
        self.pii_files: dict[str, set[str]] = defaultdict(set)
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.notes: list[str] = []


def _chunks(path: Path) -> Iterator[tuple[int, str]]:
    """(first line number, text) pieces of about CHUNK bytes, cut at newlines, streamed."""
    line = 1
    read = 0
    with path.open("rb") as handle:
        while read < MAX_LOG_BYTES:
            data = handle.read(CHUNK)
            if not data:
                return
            if not data.endswith(b"\n"):
                data += handle.readline()
            read += len(data)
            text = data.decode("utf-8", errors="replace")
            yield line, text
            line += text.count("\n")


def scan_logs(paths: list[tuple[str, Path]]) -> LogScan:
    """Scan each (display name, path) log for secrets and personal data."""
    scanner = Scanner(default_rules())
    result = LogScan()
    for name, path in paths:
        try:
            if path.stat().st_size > MAX_LOG_BYTES:
                result.notes.append(f"Only the first {MAX_LOG_BYTES // (1024 * 1024)} MB of {name} were read.")
            result.files += 1
            for first_line, text in _chunks(path):
                if "\0" in text[:1024]:
                    result.notes.append(f"{name} looks binary; skipped.")
                    break
                result.bytes += len(text)
                decoded = decode_escapes(text)
                found = scanner.scan_text(text, name)
                if decoded != text:
                    # What only the decoded text shows (a line's token already found as
                    # written is not reported again in its decoded spelling).
                    known = {(f.line, f.rule_id) for f in found}
                    found += [
                        f
                        for f in scanner.scan_text(decoded, name)
                        if (f.line, f.rule_id) not in known
                    ]
                for secret in found:
                    result.secrets.append(replace(secret, line=secret.line + first_line - 1))
                for match in find_pii(decoded):
                    result.pii[match.kind] += 1
                    result.pii_files[match.kind].add(name)
                    shown = redact(match.value)
                    if len(result.examples[match.kind]) < EXAMPLES and shown not in result.examples[match.kind]:
                        result.examples[match.kind].append(shown)
        except OSError as exc:
            result.notes.append(f"{name} could not be read: {exc.strerror or exc}.")
    return result


def _log_files(patterns: list[str], resolve: Callable[[str], Path], root: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """The files the globs match (shown relative to app.yaml's directory), and the globs that matched none."""
    paths: list[tuple[str, Path]] = []
    empty: list[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(str(resolve(pattern)), recursive=True))
        files = [Path(m) for m in matched if Path(m).is_file()]
        if not files:
            empty.append(pattern)
        for path in files:
            shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            if all(path != known for _, known in paths):
                paths.append((shown, path))
    return paths, empty


@check(
    id="secrets.logs",
    title="No token, secret or personal data in log files",
    severity=Severity.HIGH,
    passes_when="The configured log files hold no secret, bearer token, session cookie or JWT, and no e-mail address, phone number or Luhn-valid card number.",
    why="Logs are copied to log platforms, support tickets and laptops with far weaker access control than the database.",
    breaks="A log export hands out live session tokens and API keys; personal data in logs breaks GDPR/PCI duties (erasure, retention).",
    remediation="Redact Authorization/Cookie headers and request bodies in the logger, log user ids instead of e-mails, never log card data; rotate any token that was logged and purge old logs.",
    max_requests=0,
    timeout=120.0,
    after_probes=True,  # the run's own probes write to these logs: read them afterwards
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if not target.logs:
        return Outcome.skipped(f'No log file is configured: set targets.{ctx.target_name}.logs (e.g. ["logs/*.log"]).')
    paths, empty = await in_thread(lambda: _log_files(target.logs, ctx.path, ctx.root))
    if not paths:
        return Outcome.errored(
            f"No log file matches targets.{ctx.target_name}.logs ({', '.join(target.logs)}) under {ctx.root}."
        )
    result = await in_thread(lambda: scan_logs(paths))
    notes = [Finding("logs", f"{p} matched no file.") for p in empty] + [Finding("logs", n) for n in result.notes]
    stale = _stale(paths, ctx.resources.started_at)
    if stale:
        notes.append(Finding("logs", stale))
    pii_findings = []
    for kind in PII_KINDS:
        number = result.pii[kind]
        if not number:
            continue
        files = sorted(result.pii_files[kind])
        pii_findings.append(
            Finding(
                f"logs: {kind}",
                f"{count(number, *_LABELS[kind])} in {count(len(files), 'log file')}, e.g. {', '.join(result.examples[kind])}.",
                {"kind": kind, "count": number, "files": files, "examples": result.examples[kind]},
            )
        )
    scope = f"{count(result.files, 'log file')} ({result.bytes / 1e6:.1f} MB)"
    if result.secrets or pii_findings:
        parts = []
        if result.secrets:
            kinds = Counter(s.rule_id for s in result.secrets)
            parts.append(f"{count(len(result.secrets), 'secret or token', 'secrets or tokens')} (" + ", ".join(f"{n} {k}" for k, n in kinds.most_common()) + ")")
        parts += [count(result.pii[k], *_LABELS[k]) for k in PII_KINDS if result.pii[k]]
        listed = as_findings(result.secrets)
        if len(result.secrets) > MAX_LISTED:
            notes.append(Finding("logs", f"Only the first {MAX_LISTED} of {len(result.secrets)} secrets are listed."))
        return Outcome.failed(f"Found in {scope}: " + "; ".join(parts) + "." + (f" {stale}" if stale else ""), pii_findings + listed + notes)
    return Outcome.passed(f"No secret or personal data in {scope}." + (f" {stale}" if stale else ""), notes)


def _stale(paths: list[tuple[str, Path]], run_started: datetime | None) -> str | None:
    """A sentence when no log file was written since the run began: the files then cannot show
    what this run's probes did (a rotated or old log, or logs read from the wrong place)."""
    if run_started is None:
        return None
    try:
        newest = max(path.stat().st_mtime for _, path in paths)
    except (OSError, ValueError):
        return None
    written = datetime.fromtimestamp(newest, UTC)
    if written >= run_started:
        return None
    # Within a minute both times print with milliseconds and the gap is named, so the two
    # never read the same ("07:34:52 ... before 07:34:52" looked like a bug).
    gap = (run_started - written).total_seconds()
    shape = "%H:%M:%S.%f" if gap < 60 else "%H:%M:%S"
    at, began = (f"{moment:{shape}}"[: 12 if gap < 60 else 8] for moment in (written, run_started))
    return (
        f"The log files were last written at {written:%Y-%m-%d} {at} UTC, {_span(gap)} before this run "
        f"started ({began} UTC): they do not show this run's probes."
    )


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h" if seconds < 86400 else f"{seconds / 86400:.1f} days"
