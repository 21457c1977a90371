"""Run Launch Ready against each real app twice, hold every status against its expectation.

    python -m bench.accuracy --source vampi=/path/to/VAmPI --source restaurant=/path/...
    LR_ACCURACY_VAMPI=/path/to/VAmPI python -m bench.accuracy vampi

An app without a source directory is left out (and said so). Each run starts the app from a
clean state, so the second run sees what the first saw: their statuses and finding counts must
be identical. Expected ``fail`` is a positive (the app has the flaw), expected ``pass`` a
negative; a check whose right answer is ``skipped`` or ``error`` is counted as right or wrong.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bench.common import REPO, machine_description, write_section

__all__ = ["APPS", "main"]

APPS = ("vampi", "restaurant", "vulnnode", "fullstack")
HERE = Path(__file__).resolve().parent
SECTION = "accuracy"
START, END = "<!-- accuracy:start -->", "<!-- accuracy:end -->"


@dataclass(frozen=True)
class Expectation:
    check: str
    status: str
    why: str


@dataclass
class AppResult:
    name: str
    title: str
    source: str
    commit: str
    runs: list[dict[str, tuple[str, int, str]]] = field(
        default_factory=list
    )  # check -> (status, findings, summary)
    expectations: list[Expectation] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # false results left, with their reasons

    def verdict(self, exp: Expectation) -> str:
        got = self.runs[0][exp.check][0] if exp.check in self.runs[0] else "missing"
        positive, negative = ("fail",), ("pass",)
        if exp.status in positive:
            return "TP" if got in positive else "FN"
        if exp.status in negative:
            return "TN" if got in negative else "FP"
        return "ok" if got == exp.status else "wrong"

    @property
    def stable(self) -> list[str]:
        """Checks whose status or finding count differed between the two runs."""
        if len(self.runs) < 2:
            return []
        first, second = self.runs[0], self.runs[1]
        return [c for c in first if first[c][:2] != second.get(c, ("missing", -1, ""))[:2]]


def load_expectations(name: str) -> tuple[list[Expectation], list[str]]:
    """The expected status per check, and the false results known to remain (with reasons)."""
    data = tomllib.loads((HERE / f"{name}.toml").read_text(encoding="utf-8"))
    checks = [
        Expectation(check, entry["status"], entry["why"]) for check, entry in data["checks"].items()
    ]
    return checks, list(data.get("false_results", []))


def _commit(source: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout.strip()
    marker = source / ".launchready-commit"  # an exported tree (git archive) carries no .git
    return marker.read_text(encoding="utf-8").strip() if marker.exists() else "unknown"


def run_launch_ready(config: Path, checks: list[str], out: Path) -> dict[str, tuple[str, int, str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [
        sys.executable,
        "-m",
        "bot",
        "run",
        "-c",
        str(config),
        "-f",
        "json",
        "-o",
        str(out),
        "--fail-on",
        "never",
        "--only",
        ",".join(checks),
    ]
    done = subprocess.run(
        argv, cwd=config.parent, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if not out.exists():
        raise SystemExit(
            f"accuracy: launchready run failed ({done.returncode}): {done.stderr[-2000:]}"
        )
    report = json.loads(out.read_text(encoding="utf-8"))
    return {
        r["check_id"]: (r["status"], len(r["findings"]), r["summary"]) for r in report["results"]
    }


def run_app(name: str, source: Path, work: Path) -> AppResult:
    module: ModuleType = importlib.import_module(f"bench.accuracy.{name}")
    expectations, known = load_expectations(name)
    result = AppResult(
        name, module.TITLE, str(source), _commit(source), expectations=expectations, known=known
    )
    checks = [e.check for e in expectations]
    for attempt in (1, 2):
        run_dir = work / f"run{attempt}"
        run_dir.mkdir(parents=True, exist_ok=True)
        print(f"accuracy: {name}: run {attempt}", file=sys.stderr)
        with module.running(source, work) as config_text:
            config = run_dir / "app.yaml"
            config.write_text(config_text, encoding="utf-8")
            result.runs.append(run_launch_ready(config, checks, run_dir / "report.json"))
    return result


def table(result: AppResult) -> str:
    lines = [
        f"### {result.title}",
        "",
        f"Source: `{result.name}` at commit `{result.commit[:12]}`. Two runs from a clean start; "
        + (
            "statuses and finding counts identical."
            if not result.stable
            else f"**differed on {', '.join(result.stable)}**."
        ),
        "",
        "| check | expected | run 1 | run 2 | verdict | why |",
        "|---|---|---|---|---|---|",
    ]
    for exp in result.expectations:
        one = result.runs[0].get(exp.check, ("missing", 0, ""))
        two = result.runs[1].get(exp.check, ("missing", 0, "")) if len(result.runs) > 1 else one
        why = exp.why.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {exp.check} | {exp.status} | {one[0]} ({one[1]}) | {two[0]} ({two[1]}) | {result.verdict(exp)} | {why} |"
        )
    counts = {
        v: sum(1 for e in result.expectations if result.verdict(e) == v)
        for v in ("TP", "FP", "TN", "FN", "ok", "wrong")
    }
    lines += [
        "",
        "TP {TP} · FP {FP} · TN {TN} · FN {FN} · other statuses right {ok}, wrong {wrong}".format(
            **counts
        ),
        "",
    ]
    if result.known:
        lines += [
            "False results left (a status right for the wrong reason, a finding that is wrong, a flaw no check sees):",
            "",
        ]
        lines += [f"- {item}" for item in result.known]
        lines.append("")
    return "\n".join(lines)


def markdown(results: list[AppResult], missing: list[str]) -> str:
    parts = [
        "## Accuracy on real apps",
        "",
        "`python -m bench.accuracy --source NAME=DIR ...` (see bench/accuracy/). Each app is started on",
        "loopback from its own source; expectations (bench/accuracy/NAME.toml) cite the app's published",
        "flaw list. Positives are flaws (expected `fail`); `(n)` is the number of findings.",
        "",
        f"Machine: {machine_description()}",
        "",
    ]
    parts += [table(r) for r in results]
    if missing:
        parts += [f"Not run (no source directory given): {', '.join(missing)}.", ""]
    return "\n".join(parts)


def write_benchmarks(section: str) -> None:
    """Replace this suite's block in BENCHMARKS.md (between its markers), leave the rest."""
    path = REPO / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{section.rstrip()}\n{END}"
    if START in text and END in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "apps", nargs="*", help=f"apps to run (default: every app with a source): {', '.join(APPS)}"
    )
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="an app's source directory (or LR_ACCURACY_<NAME>)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="where venvs, databases and reports go (default: a temporary directory)",
    )
    args = parser.parse_args(argv)
    sources = {
        n: Path(os.environ[f"LR_ACCURACY_{n.upper()}"])
        for n in APPS
        if os.environ.get(f"LR_ACCURACY_{n.upper()}")
    }
    for item in args.source:
        name, _, path = item.partition("=")
        if name not in APPS or not path:
            print(
                f"accuracy: --source {item}: write NAME=DIR with NAME one of {', '.join(APPS)}",
                file=sys.stderr,
            )
            return 2
        sources[name] = Path(path)
    names = args.apps or list(APPS)
    unknown = [n for n in names if n not in APPS]
    if unknown:
        print(
            f"accuracy: unknown app(s) {', '.join(unknown)}; known: {', '.join(APPS)}",
            file=sys.stderr,
        )
        return 2
    missing = [n for n in names if n not in sources]
    results: list[AppResult] = []
    with tempfile.TemporaryDirectory(prefix="lr-accuracy-") as tmp:
        root = args.work or Path(tmp)
        for name in names:
            if name in sources:
                work = root / name
                work.mkdir(parents=True, exist_ok=True)
                results.append(run_app(name, sources[name].resolve(), work))
    section = markdown(results, missing)
    write_section(SECTION, section, {r.name: {"commit": r.commit, "runs": r.runs} for r in results})
    write_benchmarks(section)
    unstable = [r.name for r in results if r.stable]
    if unstable:
        print(f"accuracy: runs differed for {', '.join(unstable)}", file=sys.stderr)
        return 1
    return 0
