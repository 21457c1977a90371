"""The store on a real SQLite file: runs, results, the checklist, the audit log."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from bot.config import ChecklistEntry
from bot.store import (
    SCHEMA_VERSION,
    ChecklistError,
    SchemaTooNewError,
    Store,
    StoreError,
    UnknownItemError,
    UnknownRunError,
)
from bot.store.engine import describe_url, make_engine
from checks.check import Check, check, manual_check
from checks.model import CheckResult, Finding, Outcome, RunReport, Severity, Status, Verdict

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _never(target, ctx) -> Outcome:  # pragma: no cover - never run here
    return Outcome.passed("ok")


PRIVATE = check(
    id="auth.private_routes",
    title="Private routes reject missing and bad credentials",
    severity=Severity.CRITICAL,
    passes_when="401/403",
    why="why",
    breaks="breaks",
    remediation="Require a valid token.",
)(_never)
HEALTH = check(
    id="obs.health",
    title="Health routes answer 2xx",
    severity=Severity.HIGH,
    passes_when="2xx",
    why="why",
    breaks="breaks",
    remediation="Serve /health.",
)(_never)
KEYS = manual_check(
    id="manual.keys_rotated",
    title="Keys rotated",
    severity=Severity.HIGH,
    passes_when="rotated",
    why="why",
    breaks="breaks",
    remediation="Rotate.",
)
CATALOG: list[Check] = [PRIVATE, HEALTH, KEYS]


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def result(item: Check, status: Status, summary: str = "", **extra) -> CheckResult:
    return CheckResult(
        check_id=item.id,
        title=item.title,
        category=item.category,
        severity=item.severity,
        status=status,
        summary=summary or f"{item.id} {status}",
        remediation=item.remediation,
        **extra,
    )


def report(run_id: str, *results: CheckResult, target: str = "staging") -> RunReport:
    return RunReport(
        run_id=run_id,
        project="Acme Chat",
        target=target,
        base_url="https://staging.acme.test",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=3),
        requests=sum(r.requests for r in results),
        results=results,
    )


@pytest.fixture
def db_url(database_url: str) -> str:
    """Each test below runs on SQLite and on a real PostgreSQL database."""
    return database_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'launchready.db'}"


@pytest.fixture
def store(db_url: str):
    with Store.open(db_url, clock=Clock()) as opened:
        yield opened


# -- runs -------------------------------------------------------------------------------


def test_a_run_round_trips_with_results_saved_as_they_land(store: Store) -> None:
    run_id = store.start_run(target="staging", trigger="cli", who="cli:alice", project="Acme Chat",
                             base_url="https://staging.acme.test")
    leak = Finding("GET /admin/users", "answered 200 without a token", {"status": 200, "body": "[{\"id\": 1}]"})
    failing = result(PRIVATE, Status.FAIL, "1 of 3 private routes answer without a token", findings=(leak,),
                     duration_ms=41, requests=9)
    passing = result(HEALTH, Status.PASS, requests=1)

    store.save_result(run_id, passing)
    store.save_result(run_id, failing)
    partial = store.get_report(run_id)
    assert partial is not None
    assert [r.check_id for r in partial.results] == ["obs.health", "auth.private_routes"]
    assert partial.requests == 10
    assert store.running_run("staging").run_id == run_id

    final = report(run_id, failing, passing, result(KEYS, Status.MANUAL))
    store.finish_run(run_id, final)

    again = store.get_report(run_id)
    assert again is not None
    assert again.to_dict() == final.to_dict()
    assert again.result("auth.private_routes").findings == (leak,)
    assert again.verdict is Verdict.NO_GO
    assert again.started_at.tzinfo is not None
    record = store.list_runs("staging")[0]
    assert (record.state, record.verdict, record.trigger, record.who) == ("done", "NO_GO", "cli", "cli:alice")
    assert record.summary["fail"] == 1 and record.requests == 10
    assert store.running_run("staging") is None


def test_saving_a_check_twice_keeps_one_result(store: Store) -> None:
    run_id = store.start_run(target="staging", trigger="cli")
    store.save_result(run_id, result(HEALTH, Status.ERROR))
    store.save_result(run_id, result(HEALTH, Status.PASS))
    partial = store.get_report(run_id)
    assert [(r.check_id, r.status) for r in partial.results] == [("obs.health", Status.PASS)]


def test_results_of_an_unknown_run_are_refused(store: Store) -> None:
    with pytest.raises(UnknownRunError, match="never started"):
        store.save_result("r_nope", result(HEALTH, Status.PASS))
    with pytest.raises(UnknownRunError):
        store.finish_run("r_nope", report("r_nope"))
    assert store.get_report("r_nope") is None


def test_latest_report_is_the_newest_finished_run(store: Store) -> None:
    clock = store._clock
    first = store.record_report(report("r_1", result(HEALTH, Status.FAIL)), trigger="cli")
    clock.now = T0 + timedelta(hours=1)
    second = replace(report("r_2", result(HEALTH, Status.PASS)), started_at=clock.now, finished_at=clock.now)
    store.record_report(second, trigger="schedule")
    clock.now = T0 + timedelta(hours=2)
    store.start_run(target="staging", trigger="slack", run_id="r_3")  # running: never "latest"

    assert store.latest_report("staging").run_id == "r_2"
    assert store.latest_report("staging", before=T0 + timedelta(minutes=30)).run_id == first
    assert store.latest_report("production") is None
    assert [r.run_id for r in store.list_runs("staging")][:2] == ["r_3", "r_2"]
    assert [r.run_id for r in store.list_runs(limit=1)] == ["r_3"]


def test_a_failed_run_is_interrupted_with_its_reason(store: Store) -> None:
    run_id = store.start_run(target="staging", trigger="cli")
    store.fail_run(run_id, "cancelled by the user")
    record = store.get_run(run_id)
    assert (record.state, record.reason) == ("interrupted", "cancelled by the user")
    assert store.latest_report("staging") is None


def test_a_run_left_running_is_marked_interrupted_on_reopen(db_url: str) -> None:
    store = Store.open(db_url)
    run_id = store.start_run(target="staging", trigger="cli")
    store.save_result(run_id, result(HEALTH, Status.PASS))
    store.close()  # the process "crashed": finish_run never came

    reopened = Store.open(db_url)
    try:
        assert reopened.interrupted_on_open == 1
        record = reopened.get_run(run_id)
        assert record.state == "interrupted"
        assert "stopped before it finished" in record.reason
        assert reopened.running_run("staging") is None
        assert [r.check_id for r in reopened.get_report(run_id).results] == ["obs.health"]
    finally:
        reopened.close()


def test_a_run_of_a_store_still_open_is_not_marked(db_url: str) -> None:
    with Store.open(db_url) as busy:
        run_id = busy.start_run(target="staging", trigger="slack")
        with Store.open(db_url) as other:
            assert other.interrupted_on_open == 0
            assert other.running_run("staging").run_id == run_id


def test_a_run_abandoned_by_a_closed_store_is_marked_while_another_store_stays_open(db_url: str) -> None:
    # No process-wide registry: the database itself says who still owns a run.
    with Store.open(db_url) as bystander:
        crashed = Store.open(db_url)
        abandoned = crashed.start_run(target="staging", trigger="cli")
        with Store.open(db_url) as live:
            running = live.start_run(target="prod", trigger="slack")
            crashed.close()
            with Store.open(db_url) as later:
                assert later.interrupted_on_open == 1
                assert later.get_run(abandoned).state == "interrupted"
                assert later.get_run(running).state == "running"
        with Store.open(db_url) as last:  # live closed with its run unfinished
            assert last.get_run(running).state == "interrupted"
        assert bystander.interrupted_on_open == 0


def test_two_stores_write_the_same_file_at_once(db_url: str) -> None:
    stores = [Store.open(db_url), Store.open(db_url)]
    run_ids = [s.start_run(target=f"t{i}", trigger="cli") for i, s in enumerate(stores)]
    checks = [check(id=f"load.c{i}", title=f"c{i}", severity=Severity.LOW, passes_when="", why="",
                    breaks="", remediation="")(_never) for i in range(25)]

    def write(index: int) -> None:
        for item in checks:
            stores[index].save_result(run_ids[index], result(item, Status.PASS))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        for store, run_id in zip(stores, run_ids, strict=True):
            assert len(store.get_report(run_id).results) == 25
    finally:
        for store in stores:
            store.close()


# -- opening ------------------------------------------------------------------------------


def test_sqlite_is_in_wal_mode_with_the_schema_version(sqlite_url: str, tmp_path: Path) -> None:
    Store.open(sqlite_url).close()
    conn = sqlite3.connect(tmp_path / "data" / "launchready.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = conn.execute("SELECT value FROM lr_meta WHERE key = 'schema_version'").fetchone()[0]
        assert int(version) == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"lr_meta", "lr_runs", "lr_results", "lr_checklist", "lr_audit"} <= tables
    finally:
        conn.close()


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    Store.open(db_url).close()
    raw = make_engine(db_url)
    with raw.begin() as conn:
        conn.execute(text("UPDATE lr_meta SET value = :v WHERE key = 'schema_version'"), {"v": str(SCHEMA_VERSION + 1)})

    with pytest.raises(SchemaTooNewError) as caught:
        Store.open(db_url)
    message = str(caught.value)
    assert describe_url(db_url) in message
    assert f"schema {SCHEMA_VERSION + 1}, this is {SCHEMA_VERSION}" in message
    assert "upgrade launchready or point database: elsewhere" in message
    with raw.connect() as conn:
        assert conn.execute(text("SELECT value FROM lr_meta")).scalar() == str(SCHEMA_VERSION + 1)
    raw.dispose()


def test_a_file_that_is_not_a_database_gets_a_sentence(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store.open(f"sqlite:///{junk}")


def test_a_bad_url_gets_a_sentence() -> None:
    with pytest.raises(StoreError, match="is not a database URL"):
        Store.open("launchready.db")
    with pytest.raises(StoreError, match="cannot be used"):
        Store.open("nosuchdialect://x/y")


def test_an_in_memory_database_works() -> None:
    with Store.open("sqlite://") as store:
        store.sync_checklist("staging", CATALOG, {})
        assert len(store.items("staging")) == 3


# -- checklist ----------------------------------------------------------------------------


def test_sync_creates_items_from_the_catalog_and_app_yaml(store: Store) -> None:
    entries = {
        "auth.private_routes": ChecklistEntry(owner="U0ALICE", due=date(2026, 12, 10)),
        "manual.keys_rotated": ChecklistEntry(owner="U0BOB", attest_every="7d"),
        "manual.backups": ChecklistEntry(title="Backups restored once", severity="critical"),
        "auth.privte_routes": ChecklistEntry(owner="U0X"),
    }
    warnings = store.sync_checklist("staging", CATALOG, entries)
    assert warnings == ["checklist.auth.privte_routes: not a check id (did you mean auth.private_routes?)"]

    items = {i.check_id: i for i in store.items("staging")}
    assert set(items) == {"auth.private_routes", "obs.health", "manual.keys_rotated", "manual.backups"}
    assert (items["auth.private_routes"].owner, items["auth.private_routes"].due) == ("U0ALICE", date(2026, 12, 10))
    assert items["manual.keys_rotated"].attest_every == timedelta(days=7)
    assert (items["manual.backups"].mode, items["manual.backups"].severity) == ("manual", Severity.CRITICAL)
    assert items["obs.health"].status == "open"
    assert store.items("production") == []
    # syncing again changes nothing and writes no audit entries
    before = len(store.audit("staging"))
    store.sync_checklist("staging", CATALOG, entries)
    assert len(store.audit("staging")) == before


def test_sync_does_not_clobber_an_assignment_made_later(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {"auth.private_routes": ChecklistEntry(owner="U0ALICE")})
    store.assign("staging", "auth.private_routes", "U0CAROL", actor="cli:carol")

    store.sync_checklist("staging", CATALOG, {"auth.private_routes": ChecklistEntry(owner="U0ALICE")})
    assert store.item("staging", "auth.private_routes").owner == "U0CAROL"
    # a field nobody changed by hand still follows the file
    store.sync_checklist(
        "staging", CATALOG, {"auth.private_routes": ChecklistEntry(owner="U0ALICE", due=date(2026, 12, 12))}
    )
    item = store.item("staging", "auth.private_routes")
    assert (item.owner, item.due) == ("U0CAROL", date(2026, 12, 12))
    # and a file edit of a field the file still owns is applied
    store.sync_checklist("staging", CATALOG, {"obs.health": ChecklistEntry(owner="U0DAN")})
    store.sync_checklist("staging", CATALOG, {"obs.health": ChecklistEntry(owner="U0ERIN")})
    assert store.item("staging", "obs.health").owner == "U0ERIN"


def test_unknown_items_suggest_close_ids(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {})
    with pytest.raises(UnknownItemError, match=r'"private_routes" is not a checklist item of staging\. Did you mean auth\.private_routes\?'):
        store.item("staging", "private_routes")
    with pytest.raises(UnknownItemError, match="no checklist items yet"):
        store.assign("production", "obs.health", "U1", actor="cli:x")


def test_the_audit_log_records_who_changed_what(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {"auth.private_routes": ChecklistEntry(owner="U0ALICE")})
    store.assign("staging", "auth.private_routes", "U0CAROL", due=date(2026, 12, 10), actor="cli:carol")
    store.mark_done("staging", "auth.private_routes", note="middleware added", actor="slack:U0CAROL")
    store.waive("staging", "obs.health", days=14, reason="No load balancer until January", actor="slack:U0ADMIN")
    store.mark_done("staging", "manual.keys_rotated", note="all five keys", actor="cli:bob")

    entries = store.audit("staging")
    rows = [(e.check_id, e.actor, e.field, e.old, e.new) for e in reversed(entries)]
    assert rows == [
        ("auth.private_routes", "app.yaml", "owner", None, "U0ALICE"),
        ("auth.private_routes", "cli:carol", "owner", "U0ALICE", "U0CAROL"),
        ("auth.private_routes", "cli:carol", "due", None, "2026-12-10"),
        ("auth.private_routes", "slack:U0CAROL", "status", "open", "done"),
        ("obs.health", "slack:U0ADMIN", "waiver", None, "No load balancer until January"),
        ("manual.keys_rotated", "cli:bob", "attestation", None, "2026-12-01T09:00:00Z"),
        ("manual.keys_rotated", "cli:bob", "status", "open", "done"),
    ]
    assert entries[0].at == T0
    assert next(e for e in entries if e.field == "waiver").note == "14 days, expires 2026-12-15T09:00:00Z"
    assert [e.field for e in store.audit("staging", "auth.private_routes", limit=2)] == ["status", "due"]


def test_the_audit_log_is_append_only(store: Store, db_url: str) -> None:
    store.sync_checklist("staging", CATALOG, {})
    store.assign("staging", "obs.health", "U0ALICE", actor="cli:alice")
    raw = make_engine(db_url)  # a connection of its own, as a person with a SQL shell would have
    try:
        for statement in ("UPDATE lr_audit SET actor = 'someone else'", "DELETE FROM lr_audit"):
            with pytest.raises(DatabaseError, match="append-only"), raw.begin() as conn:
                conn.execute(text(statement))
    finally:
        raw.dispose()
    assert [e.actor for e in store.audit("staging")] == ["cli:alice"]


def test_a_waiver_needs_a_reason_and_a_sensible_length(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {})
    for days, reason, message in [
        (7, "", "needs a reason"),
        (7, "   ", "needs a reason"),
        (7, "x" * 501, "keep it under 500"),
        (0, "vendor fix pending", "1 to 365 days, not 0"),
        (366, "vendor fix pending", "1 to 365 days, not 366"),
    ]:
        with pytest.raises(ChecklistError, match=message):
            store.waive("staging", "obs.health", days=days, reason=reason, actor="cli:x")
    assert store.audit("staging") == []


def test_a_waiver_expires_by_itself(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {})
    item = store.waive("staging", "auth.private_routes", days=7, reason="Fix ships in 1.1", actor="slack:U0ADMIN")
    assert item.waiver_expires == T0 + timedelta(days=7)
    assert item.waiver_by == "slack:U0ADMIN"

    live = store.overrides("staging", now=T0 + timedelta(days=6))
    assert live["auth.private_routes"].waiver_reason == "Fix ships in 1.1"
    lapsed = store.overrides("staging", now=T0 + timedelta(days=7, seconds=1))
    assert lapsed["auth.private_routes"].waiver_reason is None
    assert not store.item("staging", "auth.private_routes").waiver_active(T0 + timedelta(days=8))


def test_an_attestation_goes_stale(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {"manual.keys_rotated": ChecklistEntry(attest_every="30d")})
    assert store.overrides("staging", now=T0)["manual.keys_rotated"].attested is False
    item = store.mark_done("staging", "manual.keys_rotated", note="rotated", actor="cli:bob")
    assert (item.attested_at, item.attested_by, item.attestation_note) == (T0, "cli:bob", "rotated")

    fresh = store.overrides("staging", now=T0 + timedelta(days=29))["manual.keys_rotated"]
    assert (fresh.attested, fresh.attestation_note) == (True, "rotated")
    assert store.overrides("staging", now=T0 + timedelta(days=31))["manual.keys_rotated"].attested is False
    assert store.item("staging", "manual.keys_rotated").display_status(T0 + timedelta(days=31)) == "stale"


def test_a_waived_critical_failure_is_go_with_warnings_never_pass(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {"auth.private_routes": ChecklistEntry(owner="U0ALICE")})
    store.waive("staging", "auth.private_routes", days=3, reason="Admin route is behind the VPN", actor="slack:U0ADMIN")
    store.waive("staging", "obs.health", days=3, reason="nothing to waive", actor="slack:U0ADMIN")
    store.mark_done("staging", "manual.keys_rotated", actor="cli:bob")
    raw = report("r_w", result(PRIVATE, Status.FAIL), result(HEALTH, Status.PASS), result(KEYS, Status.MANUAL))
    assert raw.verdict is Verdict.NO_GO

    applied = raw.with_overrides(store.overrides("staging"))
    private = applied.result("auth.private_routes")
    assert (private.status, private.waived_status, private.owner) == (Status.WAIVED, Status.FAIL, "U0ALICE")
    assert applied.result("obs.health").status is Status.PASS
    assert applied.result("manual.keys_rotated").status is Status.PASS
    assert applied.verdict is Verdict.GO_WITH_WARNINGS
    assert applied.summary["pass"] == 2 and applied.summary["waived"] == 1

    store.record_report(applied, trigger="cli")
    item = store.item("staging", "auth.private_routes")
    assert item.status == "fail"  # what the check really said; the waiver lives on the item
    assert store.get_report("r_w").result("auth.private_routes").waived_status is Status.FAIL
    assert store.overrides("staging", now=T0 + timedelta(days=4))["auth.private_routes"].waiver_reason is None


def test_a_run_updates_items_and_reopens_one_marked_done(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {})
    store.mark_done("staging", "auth.private_routes", note="fixed", actor="cli:alice")
    store.record_report(report("r_a", result(PRIVATE, Status.FAIL, "1 of 3 answer")), trigger="cli")

    item = store.item("staging", "auth.private_routes")
    assert (item.status, item.last_run_id, item.last_summary) == ("fail", "r_a", "1 of 3 answer")
    latest = store.audit("staging", "auth.private_routes")[0]
    assert (latest.actor, latest.field, latest.old, latest.new) == ("run:r_a", "status", "done", "fail")
    assert store.item("staging", "obs.health").status == "open"  # not in this run


def test_assign_refuses_an_empty_owner_and_records_nothing_when_unchanged(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {})
    with pytest.raises(ChecklistError, match="an owner is required"):
        store.assign("staging", "obs.health", "  ", actor="cli:x")
    store.assign("staging", "obs.health", "U0ALICE", actor="cli:x")
    store.assign("staging", "obs.health", "U0ALICE", actor="cli:x")
    assert len(store.audit("staging", "obs.health")) == 1


def test_a_revoked_waiver_stops_applying(store: Store) -> None:
    store.sync_checklist("staging", CATALOG, {})
    store.waive("staging", "obs.health", days=30, reason="LB arrives later", actor="slack:U0ADMIN")
    store.revoke_waiver("staging", "obs.health", actor="slack:U0ADMIN")
    assert store.overrides("staging")["obs.health"].waiver_reason is None
    assert store.audit("staging", "obs.health")[0].note == "revoked"


def test_the_store_creates_every_table_under_one_schema_version(db_url: str) -> None:
    """Monitoring, ingest, the digest ledger and notices are the store's tables too: a fresh
    database opened by the store has them all, without importing the modules that use them."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; from sqlalchemy import inspect; from bot.store import Store;"
        f"s = Store.open({db_url!r}); names = inspect(s.engine).get_table_names();"
        "print(json.dumps(names)); s.close();"
        "assert 'bot.monitoring.monitoring' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    tables = set(json.loads(done.stdout))
    assert {
        "lr_meta", "lr_runs", "lr_results", "lr_checklist", "lr_audit",
        "lr_monitor_state", "lr_incidents", "lr_alert_deliveries", "lr_ingested_events", "lr_digests", "lr_notices",
    } <= tables


def test_two_processes_creating_the_same_items_at_once_both_succeed(db_url: str) -> None:
    from sqlalchemy import event
    from sqlmodel import Session

    first, second = Store.open(db_url), Store.open(db_url)
    raced: list[bool] = []

    def other_process_syncs_first(session: Session) -> None:
        if not raced:  # once: between the first store's read and its write
            raced.append(True)
            second.sync_checklist("staging", CATALOG, {})

    event.listen(Session, "before_commit", other_process_syncs_first)
    try:
        assert first.sync_checklist("staging", CATALOG, {}) == []
    finally:
        event.remove(Session, "before_commit", other_process_syncs_first)
        first.close()
        second.close()
    assert raced
    with Store.open(db_url) as store:
        assert sorted(i.check_id for i in store.items("staging")) == sorted(c.id for c in CATALOG)


def test_a_run_is_interrupted_only_once_its_process_is_gone(db_url: str) -> None:
    import subprocess
    import sys

    script = (
        "import sys; from bot.store import Store\n"
        f"store = Store.open({db_url!r})\n"
        "print(store.start_run(target='staging', trigger='cli'), flush=True)\n"
        "sys.stdin.read()\n"  # hold the run open until the test lets go, then die unfinished
        "import os; os._exit(1)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        run_id = worker.stdout.readline().strip()
        with Store.open(db_url) as store:
            assert store.interrupted_on_open == 0
            assert store.running_run("staging").run_id == run_id
    finally:
        worker.communicate("", timeout=30)
    with Store.open(db_url) as store:
        assert store.interrupted_on_open == 1
        assert store.get_run(run_id).state == "interrupted"


def test_a_bare_postgresql_url_uses_psycopg(postgres_url: str) -> None:
    bare = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with Store.open(bare) as store:
        assert store.engine.dialect.name == "postgresql" and store.engine.dialect.driver == "psycopg"
        assert store.shared
        store.sync_checklist("staging", CATALOG, {})
        assert len(store.items("staging")) == len(CATALOG)


def test_only_one_holder_of_a_lock_per_database(db_url: str) -> None:
    first, second = Store.open(db_url), Store.open(db_url)
    one, other = first.lock("leader"), second.lock("leader")
    try:
        assert one.try_acquire()
        # PostgreSQL: one holder across processes; SQLite: one process serves the file, so
        # the lock is always granted.
        assert other.try_acquire() is (not first.shared)
        assert one.still_held()
        one.release()
        assert other.try_acquire()
    finally:
        one.close()
        other.close()
        first.close()
        second.close()
