"""secrets.public_env: no secret-looking value in variables that frameworks ship to the browser
(NEXT_PUBLIC_, VITE_, REACT_APP_, PUBLIC_, EXPO_PUBLIC_), in env files and in the bundle."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity
from checks.redact import fingerprint, redact
from checks.secrets.bundle import MAX_REQUESTS, collect
from checks.secrets.envvars import bundle_variables, is_public_name, judge, parse_env
from checks.secrets.evidence import count
from checks.secrets.rules import default_rules
from checks.secrets.scanner import Scanner
from checks.secrets.sources import read_text_file
from checks.target import Target

__all__ = ["CHECK"]


@check(
    id="secrets.public_env",
    title="No secret in public (browser-exposed) environment variables",
    severity=Severity.CRITICAL,
    passes_when=(
        "No NEXT_PUBLIC_, VITE_, REACT_APP_, PUBLIC_ or EXPO_PUBLIC_ variable, in the env files or in the served "
        "bundle, holds a value that matches a secret rule or has a secret's name and a random-looking value."
    ),
    why="Frameworks inline these variables into the JavaScript every visitor downloads; the prefix means public.",
    breaks="A server key named NEXT_PUBLIC_OPENAI_API_KEY ships to every browser; anyone can copy it from the bundle.",
    remediation=(
        "Rename the variable without the public prefix, use it only in server code (API routes, server actions), "
        "rotate the key, and rebuild. Publishable keys (Stripe pk_live_, Supabase anon) may stay public."
    ),
    max_requests=MAX_REQUESTS,
    timeout=60.0,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if not target.env_files and not target.pages:
        return Outcome.skipped(
            f"Nothing to read: set targets.{ctx.target_name}.env_files (e.g. [.env.production]) or .pages."
        )
    scanner = Scanner(default_rules())
    findings: list[Finding] = []
    notes: list[Finding] = []
    checked = 0
    sources = 0
    for name in target.env_files:
        path = ctx.path(name)
        text, why = read_text_file(path) if path.is_file() else (None, "missing")
        if text is None:
            notes.append(Finding(name, f"Env file {path} was not read ({why})."))
            continue
        sources += 1
        for var in parse_env(text):
            if not is_public_name(var.name):
                continue
            checked += 1
            findings += _judge(scanner, var.name, var.value, f"{name}:{var.line}", {"file": name, "line": var.line})
    if target.pages:
        bundle = await collect(target, ctx)
        if bundle.pages_ok:
            sources += 1
            seen: set[tuple[str, str]] = set()
            for document in bundle.documents:
                for var_name, value, offset in bundle_variables(document.text):
                    if (var_name, value) in seen:
                        continue
                    seen.add((var_name, value))
                    checked += 1
                    line = document.text.count("\n", 0, offset) + 1
                    findings += _judge(scanner, var_name, value, f"{document.name}:{line}", {"url": document.name, "line": line})
        else:
            notes += [Finding("pages", message) for message in bundle.page_errors]
    if not sources:
        return Outcome.errored("No env file and no page could be read: " + "; ".join(n.message for n in notes), notes)
    if findings:
        return Outcome.failed(
            f"{len(findings)} of {count(checked, 'public variable')} hold a secret that ships to every browser.", findings + notes
        )
    return Outcome.passed(f"None of the {count(checked, 'public variable')} holds a secret.", notes)


def _judge(scanner: Scanner, name: str, value: str, resource: str, where: dict) -> list[Finding]:
    verdict = judge(name, value, scanner)
    if verdict is None:
        return []
    evidence = {**where, "variable": name, "rule": verdict.rule_id, "preview": redact(value), "secret_hash": fingerprint(value)}
    return [Finding(resource, f"{name} is public (its prefix ships it to the browser) and {verdict.reason}: {redact(value)}.", evidence)]


