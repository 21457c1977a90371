from __future__ import annotations

from checks.model import Status
from checks.secrets.logs import CHECK
from checks.secrets.pii import find_pii, luhn_valid
from tests.checks.secrets.fakes import CASES, jwt, rand_source
from tests.conftest import make_target, run_one

BASE = "http://127.0.0.1:9"


def test_luhn():
    assert luhn_valid("4242424242424242")
    assert not luhn_valid("4242424242424241")


def test_pii_kinds():
    text = (
        "user alice@acme.test logged in from +44 20 7946 0958\n"
        "card 4242 4242 4242 4242 and 1234 5678 9012 3456 (bad luhn)\n"
        "order 1699999999999 at 2026-11-30T10:00:00Z port 8443 ip 10.0.0.1 (555) 010-0199\n"
        "mail noreply@acme.test and docs@example.com are not personal\n"
    )
    kinds = sorted(m.kind for m in find_pii(text))
    assert kinds == ["card", "email", "phone", "phone"]


async def test_pass_on_clean_logs(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("2026-11-30 INFO user_id=u_1 GET /api 200 12ms\n" * 50, encoding="utf-8")
    result = await run_one(CHECK, make_target(BASE, logs=["logs/*.log"]), root=tmp_path)
    assert result.status is Status.PASS


async def test_fail_counts_tokens_and_pii_per_kind_with_redacted_examples(tmp_path):
    rand = rand_source(81)
    bearer = CASES["bearer-token"](rand)
    token = jwt({"sub": "u_1", "role": "authenticated"}, rand)
    lines = [
        f"INFO GET /api headers={{{bearer}}}",
        f"DEBUG refresh token={token}",
        "INFO signup email=alice@acme.test phone=+1 415 555 0100",
        "INFO signup email=bob@globex.test",
        "ERROR charge failed card=4242-4242-4242-4242",
        CASES["session-cookie"](rand),
    ]
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "logs" / "worker.log").write_text("INFO job done for carol@acme.test\n", encoding="utf-8")
    result = await run_one(CHECK, make_target(BASE, logs=["logs/*.log"]), root=tmp_path)
    assert result.status is Status.FAIL
    by_kind = {f.evidence["kind"]: f.evidence for f in result.findings if "kind" in f.evidence}
    assert by_kind["email"]["count"] == 3 and by_kind["email"]["files"] == ["logs/app.log", "logs/worker.log"]
    assert by_kind["phone"]["count"] == 1 and by_kind["card"]["count"] == 1
    rules = sorted(f.evidence["rule"] for f in result.findings if "rule" in f.evidence)
    assert rules == ["bearer-token", "jwt", "session-cookie"]
    text = str(result.to_dict())
    assert "alice@acme.test" not in text and "4242-4242-4242-4242" not in text and token not in text
    assert "3 e-mail addresses" in result.summary


async def test_error_when_no_file_matches(tmp_path):
    result = await run_one(CHECK, make_target(BASE, logs=["logs/*.log"]), root=tmp_path)
    assert result.status is Status.ERROR
    assert "No log file matches" in result.summary


async def test_skipped_without_logs(tmp_path):
    result = await run_one(CHECK, make_target(BASE), root=tmp_path)
    assert result.status is Status.SKIPPED


# -- issue 13, class 7: logs are read after the run's probes, or the report says they are old --


async def test_logs_are_read_after_the_probes_that_write_to_them(serve, tmp_path):
    from aiohttp import web

    from checks.api.rate_limits import CHECK as rate_limits
    from checks.runner import run_checks

    log = tmp_path / "logs" / "app.log"
    log.parent.mkdir()
    log.write_text("", encoding="utf-8")
    attempts: list[int] = []

    async def login(request: web.Request) -> web.Response:
        attempts.append(1)
        with log.open("a", encoding="utf-8") as out:  # a careless request log, as real apps write
            out.write("WARN failed login for alice.doe@acme.test\n")
        if len(attempts) > 3:
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "60"})
        return web.json_response({"error": "bad password"}, status=401)

    app = web.Application()
    app.router.add_post("/auth/login", login)
    rules = [{"route": "POST /auth/login", "max_per_minute": 3, "body": {"email": "alice.doe@acme.test", "password": "x"}}]
    target = make_target(await serve(app), logs=["logs/*.log"], rate_limits=rules)
    # The burst runs in the exclusive phase, after every concurrent check: a log check that did
    # not wait for the probes would read an empty file and pass.
    report = await run_checks(target, [CHECK, rate_limits], root=tmp_path)
    logs = report.results[0]
    assert logs.status is Status.FAIL, logs.summary
    assert "4 e-mail addresses" in logs.summary
    assert "before this run started" not in logs.summary


async def test_logs_older_than_the_run_are_named_as_such(tmp_path):
    import os
    import time

    (tmp_path / "logs").mkdir()
    old = tmp_path / "logs" / "app.log"
    old.write_text("2026-11-30 INFO user_id=u_1 GET /api 200 12ms\n", encoding="utf-8")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    result = await run_one(CHECK, make_target(BASE, logs=["logs/*.log"]), root=tmp_path)
    assert result.status is Status.PASS
    assert "before this run started" in result.summary and "they do not show this run's probes" in result.summary
    assert "1.0 h before this run started" in result.summary


async def test_logs_written_just_before_the_run_name_the_gap_so_the_times_differ(tmp_path):
    # Written 0.4 s before the run: whole seconds printed "07:34:52 ... before 07:34:52".
    import os
    import re
    import time

    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "app.log"
    log.write_text("2026-11-30 INFO user_id=u_1 GET /api 200 12ms\n", encoding="utf-8")
    moment = time.time() - 0.4
    os.utime(log, (moment, moment))
    result = await run_one(CHECK, make_target(BASE, logs=["logs/*.log"]), root=tmp_path)
    found = re.search(r"written at \S+ (\S+) UTC, (\S+ m?s) before this run started \((\S+) UTC\)", result.summary)
    assert found, result.summary
    written, gap, started = found.groups()
    assert written != started and "." in written and "." in started
