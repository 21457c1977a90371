"""Secret scanning throughput and recall: `launchready secrets` against `detect-secrets scan`.

    python bench/secrets.py    # BENCH_REPEATS=3 (ours), BENCH_SECRETS_PEER_REPEATS=1, BENCH_SECRETS_MB=20

Builds a corpus of realistic files (Python, TypeScript, JSON, YAML, Markdown, logs, minified
bundles; tens of MB) in a temporary git repository, plants fake secrets (assembled at run
time, one per planted file, at a known line), then runs both tools on the same tree in the
same run: wall-clock throughput (MB/s, process start included), recall on the planted set
(a planted secret counts as found when the tool reports its file and line), and findings on
files nothing was planted in. Then times `launchready secrets --history` on a generated
repository of 2,000 commits. Nothing leaves loopback; detect-secrets runs with --no-verify.
"""

from __future__ import annotations

import json
import os
import random
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

CORPUS_MB = float(os.environ.get("BENCH_SECRETS_MB", "20"))
# detect-secrets needs minutes for one pass over the corpus; one run keeps the suite inside its budget.
PEER_RUNS = int(os.environ.get("BENCH_SECRETS_PEER_REPEATS", "1"))
HISTORY_COMMITS = int(os.environ.get("BENCH_SECRETS_COMMITS", "2000"))
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
    lines = ['"""' + " ".join(rng.choice(WORDS) for _ in range(8)) + '."""', "", "from __future__ import annotations", ""]
    lines += [f"import {rng.choice(['os', 'json', 'logging', 'asyncio', 'hashlib'])}" for _ in range(3)] + [""]
    for _ in range(rng.randint(6, 14)):
        name = _ident(rng)
        lines.append(f"def {name}(request, {_ident(rng)}: str, limit: int = {rng.randint(1, 500)}) -> dict:")
        lines.append(f'    """Return the {rng.choice(WORDS)} for the {rng.choice(WORDS)}."""')
        for _ in range(rng.randint(4, 12)):
            kind = rng.random()
            if kind < 0.15:
                lines.append('    token = request.headers.get("Authorization", "").removeprefix("Bearer ")')
            elif kind < 0.25:
                lines.append(f'    api_key = os.environ["{_ident(rng).upper()}_API_KEY"]')
            elif kind < 0.32:
                lines.append(f"    secret = settings.{_ident(rng)}_secret")
            elif kind < 0.38:
                lines.append(f'    cache_key = f"{{tenant}}:{rng.choice(WORDS)}:{{{_ident(rng)}}}"')
            elif kind < 0.45:
                lines.append(f'    digest = hashlib.sha256({_ident(rng)}.encode()).hexdigest()  # {"".join(rng.choice("0123456789abcdef") for _ in range(16))}')
            else:
                lines.append(f"    {_ident(rng)} = {_ident(rng)}({_ident(rng)}, limit={rng.randint(1, 99)})")
        lines += [f"    return {{'{rng.choice(WORDS)}': {_ident(rng)}}}", ""]
    return lines


def ts_file(rng: random.Random) -> list[str]:
    lines = [f'import {{ {_camel(rng)} }} from "./{rng.choice(WORDS)}";', ""]
    for _ in range(rng.randint(6, 14)):
        lines.append(f"export async function {_camel(rng)}({_camel(rng)}: string, token?: string): Promise<{_camel(rng).capitalize()}> {{")
        for _ in range(rng.randint(3, 10)):
            kind = rng.random()
            if kind < 0.2:
                lines.append(f'  const res = await fetch(`/api/{rng.choice(WORDS)}`, {{ headers: {{ Authorization: `Bearer ${{token}}` }} }});')
            elif kind < 0.3:
                lines.append(f"  const apiKey = process.env.NEXT_PUBLIC_{_ident(rng).upper()}_URL;")
            elif kind < 0.4:
                lines.append(f'  const id = "{"".join(rng.choice(string.hexdigits.lower()[:16]) for _ in range(24))}";')
            else:
                lines.append(f"  const {_camel(rng)} = {_camel(rng)}.{_camel(rng)}({rng.randint(0, 100)});")
        lines += ["  return res.json();", "}", ""]
    return lines


def json_file(rng: random.Random) -> list[str]:
    records = []
    for _ in range(rng.randint(20, 60)):
        records.append(
            {
                "id": f"{rng.choice(WORDS)}_{rng.randint(1000, 99999)}",
                "uuid": "-".join("".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12)),
                "sha": "".join(rng.choice("0123456789abcdef") for _ in range(40)),
                "title": " ".join(rng.choice(WORDS) for _ in range(5)),
                "tokens": rng.randint(10, 4000),
                "model": rng.choice(["gpt-4o", "claude-sonnet", "gemini-pro"]),
            }
        )
    return json.dumps({"items": records}, indent=2).splitlines()


def yaml_file(rng: random.Random) -> list[str]:
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {rng.choice(WORDS)}-{rng.choice(WORDS)}", "spec:", "  template:", "    spec:", "      containers:"]
    for _ in range(rng.randint(2, 6)):
        lines += [f"        - name: {rng.choice(WORDS)}", f"          image: registry.acme.test/{rng.choice(WORDS)}:{rng.randint(1, 9)}.{rng.randint(0, 30)}", "          env:"]
        for _ in range(rng.randint(3, 8)):
            var = _ident(rng).upper()
            lines += [f"            - name: {var}_TOKEN", "              valueFrom:", f"                secretKeyRef: {{name: {rng.choice(WORDS)}, key: {var.lower()}}}"]
    return lines


def markdown_file(rng: random.Random) -> list[str]:
    lines = [f"# {' '.join(rng.choice(WORDS) for _ in range(3)).title()}", ""]
    for _ in range(rng.randint(10, 30)):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))) + ".")
        if rng.random() < 0.1:
            lines += ["", "```bash", "export OPENAI_API_KEY=your-openai-key-here", "export STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "```", ""]
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
        parts.append(f"function {_camel(rng)}(e,t){{return e.{_camel(rng)}(t.token||t.key,{rng.randint(0, 999)})}}")
    return [";".join(parts[i : i + 40]) for i in range(0, len(parts), 40)]


KINDS = (
    ("py", python_file, 0.30), ("ts", ts_file, 0.25), ("json", json_file, 0.15), ("yaml", yaml_file, 0.08),
    ("md", markdown_file, 0.08), ("log", log_file, 0.07), ("min.js", bundle_file, 0.07),
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
    (root / "package-lock.json").write_text(json.dumps({"name": "acme", "lockfileVersion": 3}), encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "corpus")
    return corpus


def _git(root: Path, *args: str, stdin: bytes | None = None) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Bench", "-c", "user.email=bench@acme.test", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=root, check=True, capture_output=True, input=stdin,
    )


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout


def launchready_hits(output: str) -> set[tuple[str, int]]:
    return {(f["file"], f["line"]) for f in json.loads(output)["findings"]}


def detect_secrets_hits(output: str) -> set[tuple[str, int]]:
    return {(file, item["line_number"]) for file, items in json.loads(output)["results"].items() for item in items}


def score(hits: set[tuple[str, int]], corpus: Corpus) -> tuple[float, int, int]:
    found = sum(1 for key in corpus.planted if key in hits)
    clean = sum(1 for file, _ in hits if file not in corpus.planted_files)
    return found / len(corpus.planted), found, clean


def launchready_command() -> list[str]:
    exe = shutil.which("launchready")
    return [exe] if exe else [sys.executable, "-m", "bot"]


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
        for path in rng.sample(files, rng.randint(1, 3)):  # distinct: a second write would hide the first
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


def main() -> None:
    runs = repeats()
    with tempfile.TemporaryDirectory(prefix="lr-secrets-bench-") as tmp:
        corpus_root = Path(tmp) / "corpus"
        corpus_root.mkdir()
        corpus = build_corpus(corpus_root, CORPUS_MB)
        mb = corpus.bytes / 1e6
        print(f"corpus: {corpus.files} files, {mb:.1f} MB, {len(corpus.planted)} planted secrets", file=sys.stderr)
        ours, theirs = [], []
        our_out = their_out = ""
        for n in range(max(runs, PEER_RUNS)):
            if n < runs:
                seconds, our_out = timed([*launchready_command(), "secrets", ".", "--format", "json"], corpus_root)
                ours.append(seconds)
            if n < PEER_RUNS:
                seconds, their_out = timed(["detect-secrets", "scan", "-n"], corpus_root)
                theirs.append(seconds)
        engine_seconds = json.loads(our_out)["scans"][0]["seconds"]
        our_recall, our_found, our_clean = score(launchready_hits(our_out), corpus)
        their_recall, their_found, their_clean = score(detect_secrets_hits(their_out), corpus)
        our_rate = [mb / s for s in ours]
        their_rate = [mb / s for s in theirs]
        ratio = statistics.median(our_rate) / statistics.median(their_rate)

        history_root = Path(tmp) / "history"
        history_root.mkdir()
        planted = build_history(history_root, HISTORY_COMMITS)
        history_times = []
        history_out = ""
        for _ in range(runs):
            seconds, history_out = timed([*launchready_command(), "secrets", ".", "--history", "--format", "json"], history_root)
            history_times.append(seconds)
        data = json.loads(history_out)
        scan = next(s for s in data["scans"] if s["kind"] == "history")
        # Each planted secret, by its hash (what every finding carries instead of the secret).
        scanner = Scanner(default_rules())
        planted_hashes = {f.secret_hash for line in planted for f in scanner.scan_text(line, "x")}
        found_hashes = {f["secret_hash"] for f in data["findings"] if f.get("commit")}
        history_recall = len(planted_hashes & found_hashes) / max(1, len(planted_hashes))

    md = f"""## secrets

`python bench/secrets.py` — {corpus.files} generated files ({mb:.1f} MB: Python, TypeScript, JSON,
YAML, Markdown, logs, minified bundles) in a git repository, {len(corpus.planted)} fake secrets planted
({PLANTS_PER_RULE} for each of our {len(CASES)} rules), both tools run on the same tree in the same run,
{runs} runs of launchready and {PEER_RUNS} of detect-secrets (minutes per pass), wall clock including process start. Recall: a planted secret counts as found when the
tool reports its file and line. Clean-file findings: findings in files nothing was planted in.

| tool | throughput (MB/s) | seconds | recall on planted | findings on clean files |
|---|---|---|---|---|
| launchready secrets | {median_spread(our_rate, digits=1)} | {median_spread(ours)} | {our_recall:.1%} ({our_found}/{len(corpus.planted)}) | {our_clean} |
| detect-secrets 1.5 scan -n | {median_spread(their_rate, digits=2)} | {median_spread(theirs)} | {their_recall:.1%} ({their_found}/{len(corpus.planted)}) | {their_clean} |

Throughput ratio (median): **{ratio:.1f}x** detect-secrets (target: at least 10x, with recall at least as high).
The scan itself (without starting the `launchready` process) took {engine_seconds:.2f} s in the last run:
{mb / engine_seconds:.1f} MB/s.

History: `launchready secrets . --history` on a generated repository of {HISTORY_COMMITS} commits
({scan['bytes'] / 1e6:.1f} MB of added lines, {len(planted)} secrets of {len(set(planted.values()))} rules planted along the way):
{median_spread(history_times)} s for the whole command (tree + history), {scan['seconds']:.2f} s in the history
scan itself; recall on the planted secrets: {history_recall:.0%}.

Machine: {machine_description()}
"""
    write_section(
        "secrets",
        md,
        {
            "corpus_mb": mb,
            "files": corpus.files,
            "planted": len(corpus.planted),
            "launchready_seconds": ours,
            "detect_secrets_seconds": theirs,
            "ratio": ratio,
            "launchready_engine_seconds": engine_seconds,
            "launchready_recall": our_recall,
            "detect_secrets_recall": their_recall,
            "launchready_clean_findings": our_clean,
            "detect_secrets_clean_findings": their_clean,
            "history_commits": HISTORY_COMMITS,
            "history_seconds": history_times,
            "history_scan_seconds": scan["seconds"],
            "history_recall": history_recall,
        },
    )


if __name__ == "__main__":
    main()
