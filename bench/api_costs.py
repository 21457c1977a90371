"""What each API, webhook, latency and prompt-injection check costs on the demo.

    python -m bench.api_costs

Each check runs alone against the flawed and the hardened demo (loopback only): its status,
the requests it sent (the runner's count) against its documented bound, and its wall time.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import machine_description, median_spread, repeats, write_section
from bot.demo import DemoTarget
from checks import ai, api, perf, webhooks
from checks.auth.role_boundaries import CHECK as role_boundaries
from checks.auth.tenant_isolation import CHECK as tenant_isolation
from checks.obs.error_disclosure import CHECK as error_disclosure
from checks.runner import run_checks

CHECKS = [tenant_isolation, role_boundaries, *api.CHECKS, *webhooks.CHECKS, error_disclosure, *perf.CHECKS, *ai.CHECKS]


async def measure(hardened: bool, workdir: Path) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for item in CHECKS:
        times, requests, status = [], [], ""
        for _ in range(repeats()):
            # A fresh demo per run: rate-limit windows and processed events must not carry over.
            async with DemoTarget(hardened=hardened, workdir=workdir) as demo:
                target = demo.target()  # ${...} expanded: the users log in
                began = time.perf_counter()
                report = await run_checks(target, [item], root=workdir, target_name="demo")
                times.append((time.perf_counter() - began) * 1000)
            result = report.results[0]
            requests.append(result.requests)
            status = str(result.status)
        figures[item.id] = {"status": status, "requests": requests, "bound": item.max_requests, "ms": times}
    return figures


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        flawed = asyncio.run(measure(False, Path(tmp) / "flawed"))
        hardened = asyncio.run(measure(True, Path(tmp) / "hardened"))
    lines = [
        "## API, webhook, latency and prompt-injection checks: cost per run on the demo",
        "",
        "`python -m bench.api_costs` — each check alone against a fresh demo; requests are the",
        "runner's count (median (min–max) where the load phase makes it vary).",
        "",
        "| check | flawed | hardened | requests flawed | requests hardened | bound | time, flawed | time, hardened |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for item in CHECKS:
        f, h = flawed[item.id], hardened[item.id]
        lines.append(
            f"| {item.id} | {f['status']} | {h['status']} | {median_spread(f['requests'], '', 0)} | "
            f"{median_spread(h['requests'], '', 0)} | {h['bound']} | {median_spread(f['ms'], ' ms', 0)} | {median_spread(h['ms'], ' ms', 0)} |"
        )
    lines += ["", f"Machine: {machine_description()}"]
    write_section("api_costs", "\n".join(lines), {"flawed": flawed, "hardened": hardened})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
