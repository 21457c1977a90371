"""`launchready init`: write a commented app.yaml from a running app and its OpenAPI spec."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.common import EXIT_USAGE, err, out
from bot.onboard import DEFAULT_SEEDS, onboard
from bot.onboard.discover import OnboardError
from bot.onboard.draft import UserSeed

__all__ = ["register"]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(EXIT_USAGE)


def _seeds(users: str | None) -> tuple[UserSeed, ...]:
    if not users:
        return DEFAULT_SEEDS
    names = [u.strip() for u in users.split(",") if u.strip()]
    if len(names) != len(DEFAULT_SEEDS):
        raise _fail(
            f"--users: give {len(DEFAULT_SEEDS)} usernames or e-mails, comma-separated (two users of different tenants, then an admin)"
        )
    return tuple(
        UserSeed(seed.name, name, seed.role)
        for seed, name in zip(DEFAULT_SEEDS, names, strict=True)
    )


def init(
    url: str | None = typer.Option(
        None, "--url", help="The running app's base URL (the spec is looked for under it)."
    ),
    openapi: str | None = typer.Option(
        None, "--openapi", help="The spec: a file, or the URL it is served at."
    ),
    output: Path = typer.Option(
        Path("app.yaml"), "--output", "-o", help="Where to write the config."
    ),
    target: str = typer.Option(
        "staging", "--target", "-t", help="The target's name in the config."
    ),
    project: str | None = typer.Option(
        None, "--project", help="The project name (default: the spec's title)."
    ),
    users: str | None = typer.Option(
        None,
        "--users",
        help="Usernames of the three test users: two of different tenants, then an admin (default alice@, bob@, admin@example.com).",
    ),
    ca_file: Path | None = typer.Option(
        None,
        "--ca-file",
        help="Extra CA bundle for an HTTPS app with a private CA (written to the target's ca_file).",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file if it exists."),
) -> None:
    """Write a commented app.yaml from a running app and its OpenAPI spec."""
    if output.exists() and not force:
        raise _fail(f"{output} exists; pass --force to overwrite it, or --output another file")
    seeds = _seeds(users)
    if ca_file is not None and not ca_file.is_file():
        raise _fail(f"--ca-file: {ca_file} is not a file")
    verify: bool | str = str(ca_file.resolve()) if ca_file else True
    try:
        result = onboard(url, openapi, project=project, target=target, seeds=seeds, verify=verify)
    except OnboardError as exc:
        raise _fail(str(exc)) from None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(result.text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{output} cannot be written: {exc}") from None
    draft = result.draft
    if result.found.spec is not None:
        spec = result.found.spec
        out.print(
            f"Read {escape(result.found.source)} ({'Swagger' if spec.version == '2.0' else 'OpenAPI'} {spec.version}, {len(spec.operations)} operations)."
        )
    else:
        out.print(
            f"No OpenAPI spec found at {escape(url or '')} ({len(result.found.tried)} usual paths tried); wrote a skeleton."
        )
    counts = [
        (len(draft.users), "users"),
        (len(draft.private_routes), "private routes"),
        (len(draft.objects), "objects"),
        (len(draft.rate_limits), "rate limits"),
        (len(draft.latency.value["routes"]) if draft.latency else 0, "latency routes"),
    ]
    out.print(
        f"Wrote {output} in {result.seconds:.2f} s: "
        + ", ".join(f"{n} {what}" for n, what in counts)
        + (", a chat route" if draft.chat else "")
        + "."
    )
    if draft.todo:
        out.print("Still to do:")
        for item in draft.todo:
            out.print(f"  - {escape(item)}")
    out.print(f"Then: launchready validate --config {output} && launchready run --config {output}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
