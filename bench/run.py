"""Run every benchmark, each in its own process, and rewrite BENCHMARKS.md.

    python -m bench                 # everything, BENCH_REPEATS=3 by default
    python -m bench demo_sweep      # only the named ones (the others keep their last section)

Only loopback is used: every benchmark starts the servers it measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.common import OUT, REPO, machine_description

# In the order they appear in BENCHMARKS.md.
BENCHMARKS = (
    "demo_sweep",
    "latency_accuracy",
    "api_costs",
    "edge_costs",
    "secrets",
    "slack_ack",
    "alerts",
    "scale",
    "ingest",
    "failover",
)
TIME_LIMIT_S = 15 * 60


def run(names: list[str]) -> int:
    failures = []
    started = time.monotonic()
    for name in names:
        script = REPO / "bench" / f"{name}.py"
        if not script.exists():
            print(f"bench: {name}: bench/{name}.py does not exist", file=sys.stderr)
            failures.append(name)
            continue
        left = TIME_LIMIT_S - (time.monotonic() - started)
        print(f"bench: running {name} ({left:.0f}s of the suite's budget left)", file=sys.stderr)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        try:
            # As a module (-m), never by path: bench/secrets.py must not shadow the stdlib's secrets.
            done = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=REPO, env=env, timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            print(f"bench: {name} ran past the suite's 15-minute budget and was stopped", file=sys.stderr)
            failures.append(name)
            break
        if done.returncode != 0:
            print(f"bench: {name} failed with exit code {done.returncode}", file=sys.stderr)
            failures.append(name)
    write_benchmarks_md()
    return 1 if failures else 0


def write_benchmarks_md() -> None:
    parts = [
        "# Benchmarks",
        "",
        "Produced by `python -m bench` (see bench/run.py); every figure below names the command that",
        "reproduces it. Medians of several runs with the spread (min–max) in brackets; peers are measured",
        "side by side in the same run on the same machine. Only loopback servers are involved.",
        "",
        f"Machine: {machine_description()}",
        "",
    ]
    for name in BENCHMARKS:
        section = OUT / f"{name}.md"
        if section.exists():
            parts += [section.read_text(encoding="utf-8").rstrip(), ""]
        else:
            parts += [f"## {name}", "", f"Not measured in this run: `python -m bench.{name}`.", ""]
    (REPO / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"bench: wrote {REPO / 'BENCHMARKS.md'}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"bench: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    return run(names)


if __name__ == "__main__":
    raise SystemExit(main())
