"""The glue between the bot and the handover document: store + config + latest run -> document.

``handover`` never imports ``bot``; this module builds its neutral
:class:`~handover.model.HandoverInput` from what the bot knows: the checklist rows (owners,
due dates, waivers, attestations), the config (monitors, digest, admins, a secret-free
summary), the incidents of the last 30 days, and a run report with today's checklist applied
(a waiver granted or an attestation made after the run shows in the document).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.config import AppConfig, MonitorConfig
from bot.hypercare import hypercare_for
from bot.monitoring.incidents import Incident
from bot.services import Services
from bot.store.engine import describe_url
from bot.store.records import ChecklistItem
from checks.model import Override, RunReport, Status
from checks.target import Target, format_duration
from handover.model import (
    DigestView,
    HandoverInput,
    IncidentView,
    ItemState,
    MonitorView,
    RotationView,
    SignoffView,
    build_items,
)
from handover.render import HandoverError, render_handover
from handover.view import build_view
from reports.sanitize import Sanitizer

__all__ = [
    "HandoverError",
    "NoRunYet",
    "build_input",
    "render_handover_for",
    "write_handover",
]

log = logging.getLogger(__name__)

INCIDENT_PERIOD = timedelta(days=30)
_SUFFIX = {"markdown": ".md", "html": ".html"}
_ENV_SECRETS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")


class NoRunYet(HandoverError):
    """No finished run of the target is stored: there is nothing to hand over yet."""


def write_handover(
    services: Services,
    report: RunReport,
    path: Path | str,
    *,
    fmt: str = "markdown",
    template: Path | str | None = None,
) -> Path:
    """Render the handover for ``report`` and write it to ``path``; returns the path."""
    document = render_handover(build_input(services, report), fmt=fmt, template=template)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path


def render_handover_for(
    services: Services, target: str | None = None, *, fmt: str = "markdown"
) -> tuple[str, str, str]:
    """For ``/launchready handover``: (file name, document, the verdict in one line).

    Raises :class:`NoRunYet` (a sentence) when the target has no finished run.
    """
    name, _ = services.config.target(target)
    report = services.store.latest_report(name)
    if report is None:
        raise NoRunYet(
            f"No finished run of target {name} is stored yet: run `launchready run --target {name}` "
            "(or /launchready run) first, then ask for the handover again."
        )
    data = build_input(services, report)
    document = render_handover(data, fmt=fmt)
    view = build_view(data, clean=Sanitizer(data.known_secrets))
    day = data.generated_at.astimezone(UTC).strftime("%Y-%m-%d")
    filename = f"HANDOVER-{_slug(name)}-{day}{_SUFFIX.get(fmt, '.md')}"
    line = f"Handover for {view.project} ({view.target}): {view.verdict}. {view.verdict_sentence} Based on run {report.run_id}."
    return filename, document, line


def build_input(
    services: Services, report: RunReport, *, now: datetime | None = None
) -> HandoverInput:
    config = services.config
    now = now or services.store.now()
    name, target = config.target(report.target if report.target in config.targets else None)
    # Owners and due dates written in app.yaml since the last run count too.
    services.checklist.sync(name)
    rows = {item.check_id: item for item in services.store.items(name)}
    current = _with_checklist(report, services.store.overrides(name, now))
    # A pass whose evidence moved, or that an open incident contradicts, is in doubt now.
    current = services.checklist.judged(name, current)
    states = {check_id: _state(item, now) for check_id, item in rows.items()}
    return HandoverInput(
        project=config.project,
        target=name,
        base_url=target.base_url,
        launch_date=config.launch_date,
        generated_at=now,
        report=current,
        items=build_items(current, list(services.registry), states),
        admins=tuple(config.slack.admins),
        monitors=tuple(_monitor(m) for m in config.monitors),
        incidents=_incidents(services, now),
        digest_schedule=(
            DigestView(config.slack.digest.cron, config.slack.digest.timezone, config.slack.channel)
            if config.slack.digest is not None
            else None
        ),
        config_summary=config_summary(config, name, target),
        config_path=_config_path(config),
        hypercare=_hypercare(config),
        signoff=_signoff(services, name),
        rotation_items=tuple(
            RotationView(key=r.key, owner=r.owner, state=r.state, closed=r.closed)
            for r in services.rotations.items(name)
        ),
        known_secrets=tuple(known_secrets(config)),
    )


# -- pieces ----------------------------------------------------------------------------------


def _signoff(services: Services, target: str) -> SignoffView | None:
    signed = services.signoffs.current(target)
    if signed is None:
        return None
    return SignoffView(
        verdict=signed.verdict,
        run_id=signed.run_id,
        signed_by=signed.signed_by,
        signed_at=signed.signed_at,
        waivers=tuple(
            f"{w.check_id}: {w.reason} (by {w.by or 'unknown'}, until {w.expires})"
            for w in signed.waivers
        ),
        note=signed.note,
        no_longer_holds=None
        if signed.holds
        else f"run {signed.broken_by_run} says {signed.broken_verdict}",
    )


def _hypercare(config: AppConfig) -> str:
    hypercare = hypercare_for(config)
    if hypercare is None:
        return ""
    at = "%Y-%m-%d %H:%M UTC"
    return (
        f"From {hypercare.start.astimezone(UTC):{at}} to {hypercare.end.astimezone(UTC):{at}} "
        f"(hypercare after launch): {hypercare.describe()}."
    )


def _with_checklist(report: RunReport, overrides: dict[str, Override]) -> RunReport:
    """Today's owners, waivers and attestations on the run's results.

    A result the run stored as waived whose waiver has since expired or been revoked gets its
    real status back: an expired waiver must not keep an item out of the open list.
    """
    restored = []
    for result in report.results:
        override = overrides.get(result.check_id)
        if (
            result.status is Status.WAIVED
            and result.waived_status
            and not (override and override.waiver_reason)
        ):
            result = replace(
                result, status=result.waived_status, waived_status=None, waiver_reason=None
            )
        restored.append(result)
    return replace(report, results=tuple(restored)).with_overrides(overrides)


def _state(item: ChecklistItem, now: datetime) -> ItemState:
    return ItemState(
        owner=item.owner,
        due=item.due,
        waiver_reason=item.waiver_reason if item.waiver_active(now) else None,
        waiver_by=item.waiver_by,
        waiver_expires=item.waiver_expires,
        attested_by=item.attested_by,
        attested_at=item.attested_at,
        attestation_note=item.attestation_note,
        attest_every=_duration(item.attest_every) if item.attest_every else None,
        stale=item.attestation_stale(now),
    )


_duration = format_duration


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _monitor(monitor: MonitorConfig) -> MonitorView:
    return MonitorView(
        name=monitor.name,
        url=f"{monitor.method} {_without_userinfo(monitor.url)}"
        if monitor.method != "GET"
        else _without_userinfo(monitor.url),
        interval=_duration(monitor.interval),
        conditions=tuple(monitor.conditions),
        failure_threshold=monitor.failure_threshold,
        success_threshold=monitor.success_threshold,
        reminder_every=_duration(monitor.reminder_every) if monitor.reminder_every else None,
        send_on_resolved=monitor.send_on_resolved,
    )


def _incidents(services: Services, now: datetime) -> tuple[IncidentView, ...]:
    """Incidents opened in the last 30 days (none when monitoring has never run here)."""
    recent = [Incident.from_row(row) for row in services.store.incidents.recent(limit=200)]
    since = now - INCIDENT_PERIOD
    return tuple(
        IncidentView(
            title=i.title,
            opened_at=i.started_at,
            resolved_at=i.resolved_at,
            severity=i.kind,
            source=i.source,
            resolution=i.resolution,
            resolved_by=i.resolved_by,
        )
        for i in recent
        if _aware(i.started_at) >= since
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _routes(routes: Iterable[object]) -> str:
    return ", ".join(str(r) for r in routes) or "none"


def config_summary(config: AppConfig, name: str, target: Target) -> tuple[tuple[str, str], ...]:
    """What the run was configured with, in words; never a secret value."""
    key = f"targets.{name}"
    users = ", ".join(
        f"{u} ({spec.tenant or 'own tenant'}/{spec.role})" for u, spec in target.users.items()
    )
    pairs: list[tuple[str, object]] = [
        ("project", config.project),
        ("launch_date", config.launch_date or "not set"),
        ("database", describe_url(config.database_url)),
        ("slack.channel", config.slack.channel or "not set"),
        ("slack.admins", ", ".join(config.slack.admins) or "none"),
        (f"{key}.base_url", target.base_url),
        (
            f"{key}.production / safe",
            f"{target.production} / {target.safe} (safe mode skips bursts, replays, writes and injection prompts)"
            if target.is_safe
            else f"{target.production} / {target.safe}",
        ),
        (
            f"{key}.users",
            (users + "; tokens come from the environment (not shown)") if users else "none",
        ),
        (f"{key}.public_routes", _routes(target.public_routes)),
        (f"{key}.health_routes", _routes(target.health_routes)),
        (
            f"{key}.private_routes",
            ", ".join(
                f"{p.route}" + (f" (roles: {', '.join(p.roles)})" if p.roles else "")
                for p in target.private_routes
            )
            or "none",
        ),
        (
            f"{key}.objects",
            ", ".join(f"{o.route} id {o.id_source} owned by {o.owner}" for o in target.objects)
            or "none",
        ),
        (
            f"{key}.rate_limits",
            ", ".join(f"{r.route} at most {r.max_per_minute}/min" for r in target.rate_limits)
            or "none",
        ),
        (
            f"{key}.cors.allowed_origins",
            ", ".join(target.cors.allowed_origins) if target.cors else "not set",
        ),
        (
            f"{key}.webhooks",
            ", ".join(f"{w.route} ({w.scheme}, secret not shown)" for w in target.webhooks)
            or "none",
        ),
        (
            f"{key}.chat",
            f"{target.chat.route}" + (" with a canary (not shown)" if target.chat.canary else "")
            if target.chat
            else "not set",
        ),
        (
            f"{key}.latency",
            f"{_routes(target.latency.routes)}: p95 under {target.latency.p95_ms} ms"
            if target.latency
            else "not set",
        ),
        (
            f"{key}.domains",
            ", ".join(
                d.name
                + (f" (DKIM selectors: {', '.join(d.dkim_selectors)})" if d.dkim_selectors else "")
                for d in target.domains
            )
            or "none",
        ),
        (
            f"{key}.repo",
            f"{target.repo.path} (history: {target.repo.history})" if target.repo else "not set",
        ),
        (f"{key}.logs", ", ".join(target.logs) or "none"),
        (f"{key}.env_files", ", ".join(target.env_files) or "none"),
        ("checklist", f"{len(config.checklist)} entries (owners, due dates, manual items)"),
        ("monitors", ", ".join(m.name for m in config.monitors) or "none"),
        (
            "alerts",
            f"latency p95 over {config.alerts.latency.p95_ms} ms; error rate over {config.alerts.errors.rate:.0%}; "
            f"{config.alerts.webhooks.failures} webhook failures",
        ),
    ]
    return tuple((k, str(v)) for k, v in pairs)


def known_secrets(config: AppConfig) -> list[str]:
    """Every secret value the configuration and the bot's environment hold, to redact anywhere."""
    values: list[str] = []
    for target in config.targets.values():
        values += target.secret_values()
    for secret in (
        config.ingest.secret,
        config.ingest.alertmanager_token,
        config.ingest.sentry_secret,
    ):
        if secret is not None:
            values.append(secret.get_secret_value())
    for monitor in config.monitors:
        for header, value in monitor.headers.items():
            if header.lower() in ("authorization", "cookie", "x-api-key", "api-key"):
                values += [value, value.split()[-1]] if value.strip() else []
        if urlsplit(monitor.url).password:
            values.append(urlsplit(monitor.url).password or "")
    values += [os.environ[name] for name in _ENV_SECRETS if os.environ.get(name)]
    return [v for v in values if v]


def _config_path(config: AppConfig) -> str:
    path = config.root / "app.yaml"
    try:
        relative = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name) or "target"
