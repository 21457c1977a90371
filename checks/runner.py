"""Runs checks against a target: concurrently (bounded), each under its own timeout; checks
marked ``exclusive`` run afterwards, one at a time; checks marked ``after_probes`` (they read
what the probes left behind: log files, headers seen) run last.

An exception or a timeout becomes an ``error`` result with a sentence; each result is handed
to ``on_result`` as it lands, so a CLI or a Slack message can show progress.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from checks.basis import Basis, ReadRecorder, config_hash, repo_head
from checks.build import observe_build
from checks.check import Check
from checks.context import CheckContext, CheckHttp, ProbeError, RunResources
from checks.model import CheckResult, Finding, Outcome, RunReport, Status, new_run_id
from checks.redact import redact_evidence, redact_text
from checks.secrets.rules import default_rules
from checks.secrets.scanner import Scanner
from checks.target import Target

__all__ = ["ResultCallback", "run_checks"]

log = logging.getLogger(__name__)

# Areas whose checks act as users (who log in before they run) or probe owned objects
# (whose discovered and created ids are found before they run).
SIGNED_IN_AREAS = frozenset({"auth", "api", "obs", "perf", "ai", "webhooks"})
OBJECT_AREAS = frozenset({"auth", "api", "obs"})

ResultCallback = Callable[[CheckResult], Awaitable[None] | None]


async def run_checks(
    target: Target,
    checks: Iterable[Check],
    *,
    project: str = "",
    target_name: str = "default",
    root: Path | None = None,
    concurrency: int = 6,
    timeout: float | None = None,
    on_result: ResultCallback | None = None,
    on_start: Callable[[Check], None] | None = None,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> RunReport:
    """Run ``checks`` and return the report. ``timeout`` overrides every check's own."""
    checks = list(checks)
    root = root or Path.cwd()
    started = datetime.now(UTC)
    resources = RunResources.open(target, target_name=target_name, root=root, transport=transport, clock=clock)
    gate = asyncio.Semaphore(max(1, concurrency))
    results: dict[str, CheckResult] = {}
    scanner = Scanner(default_rules())  # the secrets rules, for redacting what responses carried

    def find_secrets(text: str) -> list[str]:
        return [found.secret for found in scanner.scan_text(text, "evidence")]

    # The basis hashes the target as configured: the ids resolved below are not configuration.
    configured = target
    build = await _build(target, resources)
    head: list[str | None] = []  # looked up once, and only if a check reads the repository

    async def one(item: Check) -> None:
        async with gate:
            if on_start:
                on_start(item)
            result = await _run_one(item, target, target_name, root, resources, timeout, facts or {}, find_secrets)
            result = await _with_basis(result, configured, root, build, head, resources)
        results[item.id] = result
        if on_result:
            maybe = on_result(result)
            if inspect.isawaitable(maybe):
                await maybe

    try:
        if any(item.area in SIGNED_IN_AREAS for item in checks):
            await resources.log_in(target)
        if any(item.area in OBJECT_AREAS for item in checks):
            target = await resources.resolve_objects(target)
        await asyncio.gather(*(one(item) for item in checks if not (item.exclusive or item.after_probes)))
        for item in checks:  # alone, in order: nothing else runs while these measure or burst
            if item.exclusive and not item.after_probes:
                await one(item)
        # Last, one at a time; those that still send requests (obs.error_disclosure) before those
        # that only read what the probes left (secrets.logs), so the readers see every probe.
        for item in sorted((c for c in checks if c.after_probes), key=lambda c: c.max_requests == 0):
            await one(item)
    finally:
        await resources.aclose()
    ordered = tuple(results[item.id] for item in checks)
    return RunReport(
        run_id=run_id or new_run_id(),
        project=project,
        target=target_name,
        base_url=target.base_url,
        started_at=started,
        finished_at=datetime.now(UTC),
        requests=resources.http.requests,
        results=ordered,
    )


async def _build(target: Target, resources: RunResources) -> str | None:
    """The app's build at the start of the run, when ``version`` is configured."""
    if target.version is None:
        return None
    try:
        return await observe_build(target, resources.http)
    except (ProbeError, httpx.HTTPError) as exc:
        log.warning("could not read the build of %s: %s", target.base_url, exc)
        return None


async def _with_basis(
    result: CheckResult, target: Target, root: Path, build: str | None, head: list[str | None], resources: RunResources
) -> CheckResult:
    keys = result.basis.config_keys if result.basis else ()
    repo: str | None = None
    if "repo" in keys and target.repo is not None:
        if not head:
            head.append(await asyncio.to_thread(repo_head, target.resolve_path(target.repo.path, root)))
        repo = head[0]
    basis = Basis(
        config_keys=keys,
        config_hash=config_hash(target, keys),
        repo_head=repo,
        build=build if result.requests else None,  # only what talked to the app measured its build
        measured_at=resources.clock(),
    )
    return replace(result, basis=basis)


async def _run_one(
    item: Check,
    target: Target,
    target_name: str,
    root: Path,
    resources: RunResources,
    timeout: float | None,
    facts: Mapping[str, Any],
    find_secrets: Callable[[str], list[str]],
) -> CheckResult:
    http = CheckHttp(resources.http, item.id, item.max_requests)
    recorder = ReadRecorder(target)
    seen: Target = recorder  # type: ignore[assignment]  # the check sees the target through it
    ctx = CheckContext(target=seen, target_name=target_name, root=root, http=http, dns=resources.dns, resources=resources, facts=facts)
    limit = timeout if timeout is not None else item.timeout
    began = time.perf_counter()
    if item.mode == "manual" or item.run is None:
        outcome = Outcome.manual("Awaiting attestation by its owner.")
    else:
        try:
            async with asyncio.timeout(limit):
                outcome = await item.run(seen, ctx)
        except TimeoutError:
            outcome = Outcome.errored(f"{item.id} did not finish within {limit:g}s; the target may be slow or hanging.")
        except ProbeError as exc:
            outcome = Outcome.errored(str(exc))
        except Exception as exc:  # a bug in a check must not take the run down
            log.exception("check %s raised", item.id)
            outcome = Outcome.errored(f"{item.id} failed unexpectedly: {type(exc).__name__}: {exc}")
        if not isinstance(outcome, Outcome):
            outcome = Outcome.errored(f"{item.id} returned {type(outcome).__name__} instead of an Outcome.")
    # One place: nothing a check returns reaches a report, Slack or HANDOVER.md unredacted,
    # the tokens obtained by logging in included.
    secrets = target.secret_values() + resources.http.sessions.secret_values()
    findings = tuple(
        Finding(
            redact_text(f.resource, secrets, find_secrets),
            redact_text(f.message, secrets, find_secrets),
            redact_evidence(f.evidence, secrets, find_secrets),
        )
        for f in outcome.findings
    )
    return CheckResult(
        check_id=item.id,
        title=item.title,
        category=item.category,
        severity=item.severity,
        status=outcome.status,
        summary=redact_text(outcome.summary, secrets, find_secrets),
        findings=findings,
        remediation=item.remediation if outcome.status is not Status.PASS else "",
        duration_ms=int((time.perf_counter() - began) * 1000),
        requests=http.requests,
        basis=Basis(config_keys=recorder.keys_read, config_hash=""),
    )
