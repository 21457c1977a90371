"""secrets.client_bundle: no secret in served pages, scripts, JSON blobs or source maps."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity
from checks.secrets.bundle import MAX_MAPS, MAX_PAGES, MAX_REQUESTS, MAX_SCRIPTS, Bundle, collect
from checks.secrets.evidence import as_findings, count
from checks.secrets.finding import SecretFinding
from checks.secrets.rules import default_rules
from checks.secrets.scanner import Scanner
from checks.target import Target

__all__ = ["CHECK"]


@check(
    id="secrets.client_bundle",
    title="No secret in served scripts or source maps",
    severity=Severity.CRITICAL,
    passes_when=(
        f"The configured pages (up to {MAX_PAGES}), their inline scripts and JSON blobs, same-site scripts and the "
        f"chunks they load lazily or build manifests list (up to {MAX_SCRIPTS}) and the source maps they point to "
        f"(up to {MAX_MAPS}) hold no secret."
    ),
    why="Everything the browser downloads is public: a model-provider key in a bundle is found by scrapers within hours.",
    breaks="Strangers call OpenAI/Anthropic on your bill, or use a server key to read and write your data.",
    remediation=(
        "Call providers from your server, never the browser; keep server keys out of NEXT_PUBLIC_/VITE_ variables; "
        "do not serve source maps publicly (upload them to your error tracker instead); rotate any key that was served."
    ),
    max_requests=MAX_REQUESTS,
    timeout=60.0,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if not target.pages:
        return Outcome.skipped(f"No page is configured: set targets.{ctx.target_name}.pages (e.g. [GET /]).")
    bundle = await collect(target, ctx)
    if not bundle.pages_ok:
        return Outcome.errored(
            f"None of the {len(target.pages)} pages could be read: {bundle.page_errors[0]}",
            [Finding("pages", message) for message in bundle.page_errors],
        )
    scanner = Scanner(default_rules())
    # One entry per secret, however many documents carry it (page, inline blob, bundle, map).
    found: dict[tuple[str, str], tuple[str, SecretFinding, list[str]]] = {}
    for document in bundle.documents:
        for secret in scanner.scan_text(document.text, document.name):
            key = (secret.rule_id, secret.secret_hash)
            if key in found:
                found[key][2].append(document.name)
            else:
                found[key] = (document.kind, secret, [])
    scope = (
        f"{count(bundle.pages_ok, 'page')}, {_scripts(bundle)} and "
        f"{count(len(bundle.source_maps), 'source map')} ({bundle.bytes / 1e6:.2f} MB)"
    )
    notes = [Finding("bundle", note) for note in bundle.notes + bundle.page_errors]
    if bundle.source_maps:
        notes.append(
            Finding(
                "source maps",
                f"{count(len(bundle.source_maps), 'source map')} served publicly and expose the original source: "
                + ", ".join(bundle.source_maps[:5]),
            )
        )
    if found:
        findings = []
        for kind, secret, also in found.values():
            item = as_findings([secret], where=kind)[0]
            if also:
                item.evidence["also_in"] = also[:10]
            findings.append(item)
        return Outcome.failed(f"{count(len(found), 'secret')} served to every browser in {scope}.", findings + notes)
    return Outcome.passed(f"No secret in {scope}.", notes)


def _scripts(bundle: Bundle) -> str:
    """"1 script", or "17 of 19 scripts (16 lazily loaded chunks, 1 manifest)"."""
    read = bundle.scripts_read
    if not bundle.chunks_found and not bundle.manifests and read == bundle.scripts_found:
        return count(read, "script")
    extra = [count(bundle.chunks_found, "lazily loaded chunk")]
    if bundle.manifests:
        extra.append(count(len(bundle.manifests), "build manifest"))
    return f"{read} of {count(bundle.scripts_found, 'script')} ({', '.join(extra)})"
