"""http.security_headers: an Observatory-style score and grade for each configured page."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext, ProbeError
from checks.http.observatory import PASSING_SCORE, Score, score_response
from checks.model import Finding, Outcome, Severity
from checks.target import Target

__all__ = ["CHECK", "MAX_PAGES"]

MAX_PAGES = 10
HOPS_PER_PAGE = 5  # ctx.http follows up to five redirects per page


def _finding(where: str, url: str, score: Score) -> Finding:
    lines = [r.line() for r in score.results if r.points != 0]
    if not score.bonuses_counted and score.bonuses:
        lines.append("bonuses not counted: penalties leave less than 90")
    message = f"{where} ({url}) scored {score.score}/100, grade {score.grade}"
    message += (": " + "; ".join(lines) + ".") if lines else "."
    evidence = {
        "url": url,
        "score": score.score,
        "grade": score.grade,
        "deductions": [r.to_dict() for r in score.deductions],
        "bonuses": [r.to_dict() for r in score.bonuses] if score.bonuses_counted else [],
        "results": {r.test: r.result for r in score.results},
    }
    return Finding(where, message, evidence)


@check(
    id="http.security_headers",
    title="Security headers grade B or better (Observatory-style)",
    severity=Severity.MEDIUM,
    passes_when="Every configured GET page (up to 10) scores at least 70 (grade B) on the Observatory-style table: "
    "CSP, cookie flags, framing, X-Content-Type-Options, Referrer-Policy, CORP/COOP and subresource integrity.",
    why="These headers are the browser-side defence against XSS, clickjacking, cookie theft and referrer leaks.",
    breaks="A single injected script runs unrestricted, the login page can be framed, and session cookies are readable "
    "or sent over HTTP.",
    remediation="Set Content-Security-Policy (default-src 'self'; frame-ancestors 'none'; object-src 'none'), "
    "X-Content-Type-Options: nosniff, Referrer-Policy: strict-origin-when-cross-origin, and Secure; HttpOnly; "
    "SameSite=Lax on session cookies. The finding lists each deduction and the header to set.",
    max_requests=MAX_PAGES * (1 + HOPS_PER_PAGE),
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    pages = [r for r in target.pages if r.method == "GET" and "{" not in r.path][:MAX_PAGES]
    if not pages:
        return Outcome.skipped(f"No GET page is configured: set targets.{ctx.target_name}.pages (e.g. [GET /]).")
    scored: list[tuple[Score, Finding]] = []
    unreachable: list[Finding] = []
    for route in pages:
        try:
            response = await ctx.http.request("GET", route.path, follow_redirects=True)
        except ProbeError as exc:
            unreachable.append(Finding(str(route), str(exc)))
            continue
        is_html = "html" in response.headers.get("content-type", "").lower()
        score = score_response(response.headers, url=response.url, html=response.text if is_html else None)
        scored.append((score, _finding(str(route), response.url, score)))
    if not scored:
        return Outcome.errored(f"No page could be fetched: {unreachable[0].message}", unreachable)
    worst, _ = min(scored, key=lambda item: item[0].score)
    findings = [f for _, f in sorted(scored, key=lambda item: item[0].score)] + unreachable
    failing = [s for s, _ in scored if not s.passed]
    if failing:
        worst_lines = ", ".join(f"{r.points} {r.test}" for r in worst.deductions)
        return Outcome.failed(
            f"{len(failing)} of {len(scored)} pages grade below B (worst score {worst.score}, {worst.grade}: {worst_lines}).",
            findings,
        )
    if unreachable:
        return Outcome.errored(
            f"{len(unreachable)} of {len(pages)} pages could not be fetched; the rest grade B or better.", findings
        )
    which = "The page grades" if len(scored) == 1 else f"All {len(scored)} pages grade"
    return Outcome.passed(
        f"{which} B or better (worst score {worst.score}, {worst.grade}; pass at {PASSING_SCORE}).", findings
    )
