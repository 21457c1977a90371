"""app.yaml loading: the shipped file validates; every class of error names its key path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = "project: Acme\ntargets:\n  staging: {base_url: https://staging.acme.test}\n"


def errors_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env=env or {})
    return caught.value.errors


def test_shipped_app_yaml_is_valid_without_any_environment():
    config = load_config(ROOT / "app.yaml", env={})
    name, target = config.target()
    assert name == "demo"
    assert target.base_url == "https://localhost:8080"
    assert {"alice", "bob", "root"} <= set(target.users)
    assert "GET /admin/users" in [str(r.route) for r in target.private_routes]
    assert config.monitors[0].interval == timedelta(seconds=30)
    assert config.ingest.secret is None  # ${...:-} empty means "not configured"


def test_shipped_app_yaml_takes_values_from_the_environment():
    config = load_config(ROOT / "app.yaml", env={"DEMO_URL": "http://127.0.0.1:9999", "ALICE_TOKEN": "tok_from_env"})
    _, target = config.target()
    assert target.base_url == "http://127.0.0.1:9999"
    assert target.token("alice") == "tok_from_env"
    assert config.monitors[0].url == "http://127.0.0.1:9999/health"


def test_three_line_file_works_with_defaults():
    config = parse_config(MINIMAL, env={})
    _, target = config.target("staging")
    assert [str(r) for r in target.health_routes] == ["GET /health"]
    assert config.database == "sqlite:///launchready.db"


def test_default_after_colon_dash():
    text = "project: x\ntargets: {s: {base_url: '${URL:-http://d.test:8080}'}}\n"
    assert parse_config(text, env={}).targets["s"].base_url == "http://d.test:8080"
    assert parse_config(text, env={"URL": "http://e.test"}).targets["s"].base_url == "http://e.test"
    assert parse_config(text, env={"URL": ""}).targets["s"].base_url == "http://d.test:8080"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "project: x\ntargets:\n  s: {base_url: http://a.test, privat_routes: []}\n",
            "targets.s.privat_routes: 'privat_routes' is not a known key (did you mean 'private_routes'?)",
            id="unknown-key-did-you-mean",
        ),
        pytest.param(
            "project: x\ntargets:\n  s:\n    base_url: http://a.test\n    users:\n      alice: {token: '${ALICE_TOKEN}'}\n",
            "targets.s.users.alice.token: environment variable ALICE_TOKEN is not set",
            id="missing-env-var",
        ),
        pytest.param(
            "project: x\ntargets: {s: {base_url: http://a.test}}\nmonitors:\n  - {name: m, url: http://a.test, interval: 5 minutes}\n",
            'monitors[0].interval: "5 minutes" is not a duration (use 30s, 5m, 1h)',
            id="bad-duration",
        ),
        pytest.param(
            "project: x\ntargets: {s: {base_url: http://a.test, private_routes: [FETCH /x]}}\n",
            'targets.s.private_routes[0].route: "FETCH /x" is not a route',
            id="bad-route",
        ),
        pytest.param(
            "project: x\ntargets: {s: {base_url: http://a.test, max_requests: lots}}\n",
            "targets.s.max_requests: 'lots'",
            id="wrong-type",
        ),
        pytest.param(
            "project: x\ntargets: {s: {base_url: staging.acme.test}}\n",
            'targets.s.base_url: "staging.acme.test" is not an absolute http(s) URL',
            id="relative-url",
        ),
        pytest.param(
            "project: x\ntargets:\n  s: {base_url: http://a.test\n  t: 1\n",
            "app.yaml: YAML syntax error at line 4",
            id="yaml-syntax-line",
        ),
        pytest.param(
            "project: x\ntargets: {s: {base_url: http://a.test, users: {alice: {token: t}},"
            " objects: [{route: 'GET /c/{id}', id: c1, owner: mallory}]}}\n",
            'targets.s.objects[0].owner: "mallory" is not one of the users (alice)',
            id="unknown-user-reference",
        ),
        pytest.param(
            "projct: x\ntargets: {s: {base_url: http://a.test}}\n",
            "projct: 'projct' is not a known key (did you mean 'project'?)",
            id="top-level-typo",
        ),
        pytest.param("project: x\n", "targets: is required", id="no-targets"),
        pytest.param("- a\n- b\n", "app.yaml: the top level must be a mapping", id="not-a-mapping"),
    ],
)
def test_error_names_the_key_path(text, expected):
    errors = errors_of(text)
    assert any(line.startswith(expected) for line in errors), errors


def test_every_error_is_reported_at_once():
    text = "project: x\ntargets:\n  s:\n    base_url: http://a.test\n    max_requests: lots\n    privat_routes: []\n"
    errors = errors_of(text)
    assert len(errors) == 2
    assert {e.split(":")[0] for e in errors} == {"targets.s.max_requests", "targets.s.privat_routes"}


def test_every_missing_variable_is_reported():
    text = "project: x\ntargets:\n  s:\n    base_url: ${URL}\n    users: {a: {token: '${A}'}, b: {token: '${B}'}}\n"
    errors = errors_of(text)
    assert [e.split(":")[0] for e in errors] == ["targets.s.base_url", "targets.s.users.a.token", "targets.s.users.b.token"]


def test_missing_file_is_one_sentence(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert caught.value.errors == [f"{tmp_path / 'nope.yaml'}: no such file (pass --config, or create app.yaml; see README)"]


def test_relative_paths_resolve_against_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("LAUNCHREADY_DATABASE_URL", raising=False)
    (tmp_path / "app.yaml").write_text(MINIMAL)
    config = load_config(tmp_path / "app.yaml", env={})
    assert config.root == tmp_path.resolve()
    assert config.database_url == f"sqlite:///{tmp_path.resolve() / 'launchready.db'}"


KITCHEN = """\
project: x
targets:
  s:
    base_url: http://127.0.0.1:9
    users:
      cook: {token: tok_cook_0000000000000, role: Chef}
      guest: {token: tok_guest_000000000000, role: Customer}
    private_routes:
"""


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("{route: GET /menu/stats, roles: [chef]}", 'targets.s.private_routes[0].roles: "chef" is not the role of any user (Chef, Customer); did you mean "Chef"?'),
        ("{route: 'DELETE /menu/{item_id}', roles: [Chef]}", "targets.s.private_routes[0].route: nothing fills {item_id} in DELETE /menu/{item_id}; add an objects entry with route: GET /menu/{item_id}"),
    ],
)
def test_role_names_and_placeholders_are_checked_at_validate(route, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(KITCHEN + f"      - {route}\n")
    assert any(expected in error for error in caught.value.errors), caught.value.errors


def test_a_duration_past_timedeltas_range_is_a_sentence_not_an_overflow():
    # Found by the config property test: 86400000000000 seconds made timedelta overflow.
    with pytest.raises(ConfigError) as caught:
        parse_config("project: x\ntargets: {s: {base_url: 'http://127.0.0.1:9'}}\nmonitors: [{name: m, url: 'http://127.0.0.1:9/', interval: 86400000000000.0}]\n")
    assert caught.value.errors[0].startswith("monitors[0].interval:")
    assert "is not a duration" in caught.value.errors[0]
