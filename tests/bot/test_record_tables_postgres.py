"""The living-record tables on a real PostgreSQL: a basis, a leak, a sign-off round-trip, and a
schema-1 database gets lr_digests.day widened for hypercare's "YYYY-MM-DD pm" digest."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy

from bot.store import Store
from bot.store.rotations import LeakSighting
from bot.store.signoffs import SignedWaiver
from checks.basis import Basis
from checks.model import CheckResult, Severity, Status
from tests.postgres import postgres_server, postgres_url  # noqa: F401  (the fixtures)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_the_new_tables_round_trip(postgres_url: str) -> None:  # noqa: F811
    with Store.open(postgres_url, clock=lambda: NOW) as store:
        run_id = store.start_run(target="staging", trigger="cli")
        basis = Basis(("base_url", "users"), "abc123", "d" * 40, "4f2a1b9", NOW)
        store.save_result(
            run_id,
            CheckResult("obs.health", "t", "obs", Severity.HIGH, Status.PASS, "ok", basis=basis),
        )
        assert store.get_report(run_id).results[0].basis == basis
        store.builds.record("staging", "4f2a1b9", NOW)
        assert store.builds.latest("staging") == ("4f2a1b9", NOW)

        leak = LeakSighting("config.py:github-pat:2", "github-pat", "config.py", 2, None)
        store.rotations.observe("staging", tree=[leak], history=[], owner="U0SEC", now=NOW)
        assert store.rotations.get("staging", "config.py").in_tree

        waiver = SignedWaiver("edge.cdn", "CDN later", "U0CTO", "2026-12-20")
        signed = store.signoffs.record(
            "staging", run_id=run_id, verdict="GO", waivers=[waiver], signed_by="U0CTO", at=NOW
        )
        assert store.signoffs.latest("staging").waivers == (waiver,)
        store.signoffs.break_(signed.id, run_id="r_next", verdict="NO_GO", at=NOW)
        assert not store.signoffs.latest("staging").holds
        claim = store.digests.claim("C0LAUNCH", "2026-12-02 pm", NOW)
        assert claim is not None


def test_a_schema_1_database_gets_its_digest_day_widened(postgres_url: str) -> None:  # noqa: F811
    Store.open(postgres_url).close()
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as conn:  # what schema 1 had
        conn.execute(sqlalchemy.text("ALTER TABLE lr_digests ALTER COLUMN day TYPE VARCHAR(10)"))
        conn.execute(sqlalchemy.text("UPDATE lr_meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()
    with Store.open(postgres_url, clock=lambda: NOW) as store:
        assert store.digests.claim("C0LAUNCH", "2026-12-02 pm", NOW) is not None
        with store.engine.connect() as conn:
            assert (
                conn.execute(
                    sqlalchemy.text("SELECT value FROM lr_meta WHERE key = 'schema_version'")
                ).scalar()
                == "2"
            )
