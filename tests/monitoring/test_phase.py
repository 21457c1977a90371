"""Monitors are spread over their interval instead of probing in one burst."""

from __future__ import annotations

from bot.app.scheduler import monitor_phase


def test_phase_is_stable_and_inside_the_interval():
    assert monitor_phase("api-health", 30) == monitor_phase("api-health", 30)
    for index in range(500):
        assert 0 <= monitor_phase(f"m{index}", 30) < 30


def test_two_hundred_monitors_spread_over_the_interval():
    phases = sorted(monitor_phase(f"target-{t}-route-{r}", 30) for t in range(20) for r in range(10))
    # One burst would put them all in the same second; spread, no second of the 30 holds more
    # than a small share of them.
    per_second = [sum(1 for p in phases if s <= p < s + 1) for s in range(30)]
    assert max(per_second) <= 20
    assert phases[-1] - phases[0] > 25


def test_probes_fall_at_the_same_instants_whenever_the_scheduler_starts():
    from datetime import UTC, datetime, timedelta

    from bot.app.scheduler import first_probe

    start = datetime(2026, 12, 2, 7, 0, 3, 250000, tzinfo=UTC)
    first = first_probe("api-health", 30, start)
    assert start <= first < start + timedelta(seconds=30)
    assert abs(first.timestamp() % 30 - monitor_phase("api-health", 30)) < 1e-3
    for later in (start + timedelta(seconds=7.5), start + timedelta(minutes=13, seconds=1)):
        again = first_probe("api-health", 30, later)
        assert later <= again < later + timedelta(seconds=30)
        assert ((again - first).total_seconds() / 30) % 1 < 1e-6  # the same lattice of instants
