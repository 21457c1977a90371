"""What each edge, TLS and email check costs on the demo: HTTP requests and DNS queries.

    python -m bench.edge_costs

Each check runs alone against the flawed and the hardened demo (loopback only). Requests are
the runner's count; DNS queries are read from the demo DNS server's log, so they are the
queries that really reached the wire (checkdmarc's included, UDP->TCP retries counted twice).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import machine_description, median_spread, repeats, write_section
from bot.demo import DemoTarget
from checks import edge, email, http, tls
from checks.runner import run_checks
from checks.target import Target

CHECKS = [*tls.CHECKS, *http.CHECKS, *edge.CHECKS, *email.CHECKS]
HANDSHAKES = {"tls.certificate": "2", "tls.protocols": "8"}


async def measure(hardened: bool, workdir: Path) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    async with DemoTarget(hardened=hardened, workdir=workdir) as demo:
        target = Target.model_validate(demo.target_config())
        dns = demo.state.extra["edge"]["dns_server"]
        for item in CHECKS:
            times = []
            for _ in range(repeats()):
                before = len(dns.queries)
                began = time.perf_counter()
                report = await run_checks(target, [item], root=workdir, target_name="demo")
                times.append((time.perf_counter() - began) * 1000)
                result = report.results[0]
                figures[item.id] = {
                    "status": str(result.status),
                    "requests": result.requests,
                    "bound": item.max_requests,
                    "dns_queries": len(dns.queries) - before,
                    "ms": times,
                }
    return figures


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        flawed = asyncio.run(measure(False, Path(tmp) / "flawed"))
        hardened = asyncio.run(measure(True, Path(tmp) / "hardened"))
    lines = [
        "## Edge, TLS and email checks: cost per run on the demo",
        "",
        "`python -m bench.edge_costs` — each check alone against the demo; DNS queries as seen by the",
        "demo's DNS server; TLS checks open their own sockets (handshakes, not HTTP requests).",
        "",
        "| check | flawed | hardened | HTTP requests (flawed/hardened, bound) | DNS queries (flawed/hardened) | TLS handshakes | time, hardened |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in CHECKS:
        f, h = flawed[item.id], hardened[item.id]
        lines.append(
            f"| {item.id} | {f['status']} | {h['status']} | {f['requests']}/{h['requests']} (max {h['bound']}) | "
            f"{f['dns_queries']}/{h['dns_queries']} | {HANDSHAKES.get(item.id, '0')} | {median_spread(h['ms'], ' ms', 0)} |"
        )
    lines += ["", f"Machine: {machine_description()}"]
    write_section("edge_costs", "\n".join(lines), {"flawed": flawed, "hardened": hardened})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
