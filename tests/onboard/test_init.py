"""`launchready init` against loopback apps: specs in 3.0, 3.1 and Swagger 2.0 (JSON and
YAML, $ref chains, global security), discovery at each well-known path, the skeleton without
a spec, bad input, and a generated config that runs the auth, tenancy, role and latency checks."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
import yaml
from aiohttp import web
from typer.testing import CliRunner

from bot.cli import build_app
from bot.config import parse_config
from bot.onboard import onboard
from bot.onboard.discover import WELL_KNOWN, OnboardError
from bot.onboard.spec import SpecError, load_document, parse_spec
from checks.auth.role_boundaries import CHECK as role_boundaries
from checks.auth.tenant_isolation import CHECK as tenant_isolation
from checks.model import Status
from checks.perf.latency_p95 import CHECK as latency
from checks.runner import run_checks
from tests.onboard.notes_app import EMAILS, PASSWORDS, NotesApp, spec_document

runner = CliRunner()
ENV = {f"{n.upper()}_PASSWORD": p for n, p in PASSWORDS.items()}


class Served:
    """An aiohttp app on 127.0.0.1 in a thread of its own: init's client is synchronous."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.url = ""

    def __enter__(self) -> Served:
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        self.ready.set()
        self.loop.run_forever()

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def notes_app() -> Iterator[tuple[NotesApp, str]]:
    notes = NotesApp(isolated=True)
    with Served(notes.build()) as served:
        yield notes, served.url


def target_of(text: str, env: dict[str, str] | None = None):
    return parse_config(text, env=ENV if env is None else env).target()[1]


@pytest.mark.parametrize(
    ("version", "as_yaml"), [("3.0", False), ("3.1", True), ("2.0", False), ("2.0", True)]
)
def test_each_spec_version_reads_the_same(version, as_yaml):
    text = yaml.safe_dump(spec_document(version)) if as_yaml else json.dumps(spec_document(version))
    spec = parse_spec(load_document(text, "spec"), "spec")
    routes = {op.route: op for op in spec.operations}
    assert (
        "POST /api/token" in routes and routes["POST /api/token"].security is None
    )  # security: []
    assert routes["GET /api/notes"].security == ("oauth",)  # the global requirement
    assert routes["POST /api/token"].content_type == "form"
    # NoteCreate -> allOf -> NoteBase: the $ref chain is resolved
    assert (
        routes["POST /api/notes"].body_schema["allOf"][0]["properties"]["title"]["type"] == "string"
    )
    assert spec.schemes["oauth"].token_url in ("/api/token", "api/token")


@pytest.mark.parametrize(
    ("version", "as_yaml"), [("3.0", False), ("3.1", True), ("2.0", False), ("2.0", True)]
)
def test_init_finds_writes_and_the_file_validates(tmp_path, version, as_yaml):
    notes = NotesApp(
        spec_version=version,
        spec_yaml=as_yaml,
        spec_path="/openapi.yaml" if as_yaml else "/openapi.json",
    )
    with Served(notes.build()) as served:
        output = tmp_path / "app.yaml"
        result = runner.invoke(
            build_app("init"), ["init", "--url", served.url, "--output", str(output)]
        )
    assert result.exit_code == 0, result.output
    text = output.read_text()
    target = target_of(text)
    assert target.users["alice"].login.route.path == "/api/token"
    assert target.users["alice"].login.content_type == "form"
    assert target.users["alice"].login.body == {
        "username": EMAILS["alice"],
        "password": PASSWORDS["alice"],
    } | ({"grant_type": "password"} if "grant_type" in target.users["alice"].login.body else {})
    assert target.users["admin"].role == "admin" and target.users["alice"].tenant is None
    assert [str(r) for r in target.health_routes] == ["GET /api/health"]
    private = {str(p.route): p for p in target.private_routes}
    assert private["GET /api/admin/stats"].roles == ["admin"]
    assert "GET /api/notes" in private and "POST /api/token" not in private
    created = next(o for o in target.objects if o.create)
    assert str(created.create) == "POST /api/notes" and created.methods == ["GET", "PUT", "DELETE"]
    profile = next(o for o in target.objects if o.body_addressed)
    assert profile.body["username"] == "{owner}" and str(profile.read) == "GET /api/profile"
    assert {str(r) for r in target.latency.routes} == {"GET /api/notes", "GET /api/admin/stats"}
    assert any(
        str(r.route) == "POST /api/token" and r.content_type == "form" for r in target.rate_limits
    )
    # every guessed line says why
    for line in text.splitlines():
        if line.strip().startswith("- ") or line.strip().split(":")[0] in (
            "alice",
            "bob",
            "admin",
            "latency",
        ):
            assert "#" in line, line
    assert "ALICE_PASSWORD" in result.output
    # where the spec was found, so api.input_validation can judge bodies against its schemas
    assert target.openapi == served.url + ("/openapi.yaml" if as_yaml else "/openapi.json")


def test_the_generated_config_runs_auth_tenancy_role_and_latency(tmp_path, notes_app):
    notes, url = notes_app
    result = runner.invoke(
        build_app("init"),
        [
            "init",
            "--url",
            url,
            "--output",
            str(tmp_path / "app.yaml"),
            "--users",
            "alice@example.com,bob@example.com,admin@example.com",
        ],
    )
    assert result.exit_code == 0, result.output
    target = target_of((tmp_path / "app.yaml").read_text())
    target = target.model_copy(
        update={
            "latency": target.latency.model_copy(
                update={"samples": 5, "warmup": 1, "concurrency": 2}
            )
        }
    )
    report = asyncio.run(run_checks(target, [tenant_isolation, role_boundaries, latency]))
    statuses = {r.check_id: r.status for r in report.results}
    assert statuses == {
        "auth.tenant_isolation": Status.PASS,
        "auth.role_boundaries": Status.PASS,
        "perf.latency_p95": Status.PASS,
    }, [r.summary for r in report.results]
    assert sorted(set(notes.logins)) == ["admin", "alice", "bob"]


def test_the_generated_config_finds_the_planted_flaws(tmp_path):
    notes = NotesApp(isolated=False)
    with Served(notes.build()) as served:
        runner.invoke(
            build_app("init"), ["init", "--url", served.url, "--output", str(tmp_path / "app.yaml")]
        )
        target = target_of((tmp_path / "app.yaml").read_text())
        report = asyncio.run(run_checks(target, [tenant_isolation]))
    result = report.results[0]
    assert result.status is Status.FAIL
    messages = " ".join(f.message for f in result.findings)
    assert "bob (another user) read alice's object" in messages
    assert "allowed to DELETE alice's object" in messages


@pytest.mark.parametrize("path", WELL_KNOWN)
def test_discovery_at_each_well_known_path(path):
    notes = NotesApp(spec_path=path, spec_yaml=path.endswith(".yaml"))
    with Served(notes.build()) as served:
        found = onboard(served.url, None)
    assert found.found.source == served.url + path
    assert found.found.spec is not None and len(found.found.spec.operations) == 10


def test_no_spec_gives_a_skeleton_with_the_keys_to_fill_in(tmp_path):
    app = web.Application()

    async def home(request: web.Request) -> web.Response:
        return web.Response(text="<html>hi</html>", content_type="text/html")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/", home)
    app.router.add_get("/healthz", healthz)
    with Served(app) as served:
        output = tmp_path / "app.yaml"
        result = runner.invoke(
            build_app("init"), ["init", "--url", served.url, "--output", str(output)]
        )
    assert result.exit_code == 0, result.output
    assert (
        "No OpenAPI spec found" in result.output
        and "users:" in result.output
        and "private_routes:" in result.output
    )
    target = target_of(output.read_text(), env={})
    assert [str(r) for r in target.public_routes] == ["GET /"]
    assert [str(r) for r in target.health_routes] == ["GET /healthz"]
    assert target.openapi is None  # no spec, no schemas to judge against


def test_never_overwrites_without_force(tmp_path, notes_app):
    _, url = notes_app
    output = tmp_path / "app.yaml"
    output.write_text("project: mine\n")
    result = runner.invoke(build_app("init"), ["init", "--url", url, "--output", str(output)])
    assert result.exit_code == 2 and "exists; pass --force" in result.output
    assert output.read_text() == "project: mine\n"
    result = runner.invoke(
        build_app("init"), ["init", "--url", url, "--output", str(output), "--force"]
    )
    assert result.exit_code == 0 and "targets:" in output.read_text()


def test_bad_input_is_one_sentence_and_exit_2(tmp_path):
    bad = tmp_path / "spec.json"
    bad.write_text(json.dumps({"openapi": "3.0.0", "info": {}}))
    cases = {
        ("--url", "http://127.0.0.1:9"): "could not be reached",
        ("--url", "not-a-url"): "is not an absolute http(s) URL",
        ("--openapi", str(bad), "--url", "http://127.0.0.1:9"): "has no paths",
        (
            "--openapi",
            str(tmp_path / "missing.json"),
            "--url",
            "http://127.0.0.1:9",
        ): "cannot be read",
        (): "give --url",
    }
    for args, sentence in cases.items():
        result = runner.invoke(
            build_app("init"), ["init", *args, "--output", str(tmp_path / "out.yaml")]
        )
        assert result.exit_code == 2, (args, result.output)
        assert sentence in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.yaml").exists()


def test_a_spec_file_and_api_key_schemes(tmp_path):
    for location, auth in (
        ("header", {"in": "header", "header": "X-API-Key", "scheme": ""}),
        ("query", {"in": "query", "header": "api_key", "scheme": ""}),
    ):
        document = {
            "openapi": "3.0.3",
            "info": {"title": "Keys"},
            "components": {
                "securitySchemes": {
                    "key": {"type": "apiKey", "in": location, "name": auth["header"]}
                }
            },
            "security": [{"key": []}],
            "paths": {"/things": {"get": {"responses": {"200": {"description": "ok"}}}}},
        }
        spec = tmp_path / f"{location}.yaml"
        spec.write_text(yaml.safe_dump(document))
        made = onboard("http://127.0.0.1:9", str(spec))
        target = target_of(
            made.text, env={"ALICE_TOKEN": "a" * 12, "BOB_TOKEN": "b" * 12, "ADMIN_TOKEN": "c" * 12}
        )
        assert (
            target.auth.location == location
            and target.auth.header == auth["header"]
            and target.auth.scheme == ""
        )
        assert target.users["alice"].token is not None
        assert target.openapi == str(spec.resolve())  # a file: absolute, wherever app.yaml goes


def test_unreadable_documents_raise_spec_errors():
    with pytest.raises(SpecError):
        parse_spec({"swagger": "1.2", "paths": {}}, "x")
    with pytest.raises(SpecError):
        load_document("[1, 2]", "x")
    with pytest.raises(OnboardError):
        onboard(None, None)


def test_circular_refs_are_cut(tmp_path):
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Tree"},
        "components": {
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        },
                    },
                }
            }
        },
        "paths": {
            "/nodes": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    spec = parse_spec(document, "x")
    assert (
        spec.operations[0].body_schema["properties"]["children"]["items"]["x-circular"]
        == "#/components/schemas/Node"
    )


def test_init_is_listed_in_the_cli():
    result = runner.invoke(build_app(), ["--help"])
    assert "init" in result.output


def test_a_redirect_to_another_origin_is_not_followed():
    hits: list[str] = []
    other = web.Application()

    async def spec(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response(spec_document("3.1"))

    other.router.add_get("/openapi.json", spec)
    with Served(other) as elsewhere:
        app = web.Application()

        async def moved(request: web.Request) -> web.Response:
            raise web.HTTPFound(elsewhere.url + "/openapi.json")  # another port: another origin

        app.router.add_get("/openapi.json", moved)
        with Served(app) as served, pytest.raises(OnboardError) as caught:
            onboard(None, served.url + "/openapi.json")
    assert "a redirect to another host" in str(caught.value)
    assert hits == []  # init never asked the other origin
