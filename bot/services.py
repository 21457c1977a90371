"""The service layer: what the CLI, the Slack app and the scheduler call to run checks.

:class:`Services` is a plain object (no globals) holding the config, the store and the check
registry. :meth:`Services.run` is the one path for a run: sync the checklist, refuse a second
concurrent run of the same target, record the run, save each result as it lands, apply the
checklist's owners, waivers and attestations, and record the final report. A run that raises
or is cancelled is marked failed/interrupted, then the exception goes on.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.checklist.service import ChecklistService
from bot.config import AppConfig, ConfigError
from bot.rotation import RotationService
from bot.signoff import SignoffService
from bot.store import Store, in_thread
from checks.catalog import default_registry
from checks.check import Check, manual_check
from checks.model import CheckResult, RunReport, Severity
from checks.registry import Registry, UnknownCheckError
from checks.runner import ResultCallback, run_checks

__all__ = ["NotAllowed", "RunInProgress", "Services", "checklist_problems", "registry_for"]


class RunInProgress(RuntimeError):
    """A run of this target is already going; the message names it."""

    def __init__(self, target: str, run_id: str | None, who: str | None = None) -> None:
        self.target = target
        self.run_id = run_id
        by = f" (started by {who})" if who else ""
        which = f"run {run_id}" if run_id else "another run"
        super().__init__(
            f"Target {target} already has {which} in progress{by}; wait for it to finish."
        )


class NotAllowed(PermissionError):
    """The caller may not do this (e.g. run against production without being an admin)."""


def registry_for(config: AppConfig, base: Registry | None = None) -> Registry:
    """The catalog plus the team's own manual items (``checklist: manual.<name>: {title: ...}``)."""
    registry = base if base is not None else default_registry()
    own: list[Check] = []
    for check_id, entry in config.checklist.items():
        if check_id.startswith("manual.") and check_id not in registry and entry.title:
            own.append(
                manual_check(
                    id=check_id,
                    title=entry.title,
                    severity=entry.severity or Severity.MEDIUM,
                    passes_when=f"Its owner attests: {entry.title}.",
                    why="The team added this item to its own launch checklist.",
                    breaks="Whatever the team feared when it added this item.",
                    remediation="Do it, then attest.",
                )
            )
    if not own:
        return registry
    return Registry([*registry, *own])


def checklist_problems(config: AppConfig, registry: Registry) -> list[str]:
    """Checklist keys that name no check, and custom manual items without a title, as sentences."""
    problems: list[str] = []
    for check_id, entry in config.checklist.items():
        if check_id in registry:
            continue
        if check_id.startswith("manual."):
            if not entry.title:
                problems.append(
                    f"checklist.{check_id}: a manual item of your own needs title: (what its owner attests)"
                )
            continue
        try:
            registry.get(check_id)
        except UnknownCheckError as exc:
            problems.append(f"checklist.{check_id}: {exc}")
    return problems


@dataclass
class Services:
    config: AppConfig
    store: Store
    registry: Registry
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, repr=False)
    # Facts the running service hands to checks (obs.monitoring_live reads "monitoring");
    # set by bot.app.monitoring inside `launchready serve`, None elsewhere.
    facts_provider: Callable[[str], Mapping[str, Any]] | None = field(default=None, repr=False)
    checklist: ChecklistService = field(init=False, repr=False)
    rotations: RotationService = field(init=False, repr=False)
    signoffs: SignoffService = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.checklist = ChecklistService.for_config(self.config, self.store, self.registry)
        self.rotations = RotationService.for_config(self.config, self.store)
        self.signoffs = SignoffService(self.checklist, self.store, self.checklist.policy)

    @classmethod
    def open(
        cls, config: AppConfig, *, store: Store | None = None, registry: Registry | None = None
    ) -> Services:
        """Open the store named by the config (or use ``store``); :class:`ConfigError` when the
        checklist names checks that do not exist."""
        registry = registry_for(config, registry)
        problems = checklist_problems(config, registry)
        if problems:
            raise ConfigError(problems)
        return cls(config=config, store=store or Store.open(config.database_url), registry=registry)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, only: Iterable[str] | str | None) -> list[Check]:
        """Checks by id or area; ``UnknownCheckError`` (a ValueError) names close ids."""
        if isinstance(only, str):
            only = only.split(",")
        return self.registry.select(only)

    def target_problems(self, target_name: str | None = None) -> list[str]:
        """What would stop a run before it starts (files the target names that are missing)."""
        name, target = self.config.target(target_name)
        problems = []
        if target.ca_file is not None:
            path = target.resolve_path(target.ca_file, self.config.root)
            if not path.is_file():
                problems.append(
                    f"targets.{name}.ca_file: {path} does not exist (point it at a PEM bundle of the CA that signed the target's certificate)"
                )
        return problems

    def may_run(self, target_name: str, who: str | None) -> bool:
        """Production targets are for admins when a Slack user asks; a local operator (None) may."""
        _, target = self.config.target(target_name)
        return not target.production or who is None or self.config.is_admin(who)

    def admit(self, name: str, only: Iterable[str] | str | None, who: str | None) -> list[Check]:
        """The checks a run of ``only`` against ``name`` would execute, or the exception that
        stops it first (UnknownCheckError, ConfigError, NotAllowed). A queued run asks here
        before it is deferred: a failed job carries no message back."""
        checks = self.select(only)
        problems = self.target_problems(name)
        if problems:
            raise ConfigError(problems)
        if not self.may_run(name, who):
            raise NotAllowed(
                f"Target {name} is production: only admins ({', '.join(self.config.slack.admins) or 'none configured'}) may run checks against it."
            )
        return checks

    async def run(
        self,
        target_name: str | None = None,
        only: Iterable[str] | str | None = None,
        *,
        trigger: str = "cli",
        who: str | None = None,
        on_result: ResultCallback | None = None,
        on_start: Callable[[Check], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        facts: Mapping[str, Any] | None = None,
        concurrency: int = 6,
        run_id: str | None = None,
    ) -> RunReport:
        name, target = self.config.target(target_name)
        checks = self.admit(name, only, who)
        if facts is None and self.facts_provider is not None:
            facts = self.facts_provider(name)
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            running = await in_thread(self.store.running_run, name)
            raise RunInProgress(
                name, running.run_id if running else None, running.who if running else None
            )
        async with lock:
            # Store calls go to a thread: a SQLite write waiting on a busy database must not
            # stall the event loop that also acknowledges Slack commands and times probes.
            store = self.store
            running = await in_thread(store.running_run, name)
            if running is not None:  # another process (a CLI run beside the service)
                raise RunInProgress(name, running.run_id, running.who)
            await in_thread(self.checklist.sync, name)
            run_id = await in_thread(
                store.start_run,
                target=name,
                trigger=trigger,
                who=who,
                project=self.config.project,
                base_url=target.base_url,
                run_id=run_id,
            )

            async def landed(result: CheckResult) -> None:
                await in_thread(store.save_result, run_id, result)
                if on_result is not None:
                    maybe = on_result(result)
                    if inspect.isawaitable(maybe):
                        await maybe

            try:
                report = await run_checks(
                    target,
                    checks,
                    project=self.config.project,
                    target_name=name,
                    root=self.config.root,
                    concurrency=concurrency,
                    on_result=landed,
                    on_start=on_start,
                    run_id=run_id,
                    transport=transport,
                    facts=facts,
                )
                report = report.with_overrides(await in_thread(store.overrides, name))
                await in_thread(store.finish_run, run_id, report)
                build = next(
                    (r.basis.build for r in report.results if r.basis and r.basis.build), None
                )
                if build is not None:  # what the app is now at, for judging older passes
                    await in_thread(store.builds.record, name, build, report.started_at, "run")
            except asyncio.CancelledError:
                # Synchronous on purpose: a cancelled task must record this before it unwinds.
                store.fail_run(run_id, "interrupted: the run was cancelled before it finished")
                raise
            except BaseException as exc:
                store.fail_run(run_id, f"failed: {type(exc).__name__}: {exc}")
                raise
            # After the run is recorded: leaks found open rotation items, leaks gone move them.
            await self.rotations.after_run(name, report)
            await in_thread(self.signoffs.after_run, name, report)  # a differing verdict breaks it
            return report
