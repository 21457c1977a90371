from __future__ import annotations

import json

import pytest
from aiohttp import web

from checks.model import Status
from checks.secrets.envvars import judge, parse_env
from checks.secrets.public_env import CHECK
from checks.secrets.rules import default_rules
from checks.secrets.scanner import Scanner
from tests.checks.secrets.fakes import jwt, rand_source
from tests.conftest import make_target, run_one

DEAD = "http://127.0.0.1:9"


def test_parse_env():
    text = "export A=1\nB=\"two words\"\n# C=3\nD=plain # comment\nE='x#y'\n"
    assert [(v.name, v.value, v.line) for v in parse_env(text)] == [
        ("A", "1", 1),
        ("B", "two words", 2),
        ("D", "plain", 4),
        ("E", "x#y", 5),
    ]


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("NEXT_PUBLIC_STRIPE_KEY", "pk_" + "live_" + "Ab3dE5gH7jK9mN1pQ3sT5vW7", False),
        ("NEXT_PUBLIC_SUPABASE_ANON_KEY", "@anon", False),
        ("VITE_API_URL", "https://api.acme.test/v1", False),
        (
            "REACT_APP_SENTRY_DSN",
            "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42",
            False,
        ),
        ("PUBLIC_INTERNAL_TOKEN", "@random", True),
        ("EXPO_PUBLIC_OPENAI_KEY", "@openai", True),
        ("NEXT_PUBLIC_FEATURE_FLAGS", "@random", False),  # random but its name does not say secret
    ],
)
def test_judge(name, value, secret):
    rand = rand_source(91)
    value = {
        "@anon": jwt({"role": "anon"}, rand),
        "@random": rand(32),
        "@openai": "sk-" + "proj-" + rand(64),
    }.get(value, value)
    assert (judge(name, value, Scanner(default_rules())) is not None) is secret


async def test_pass_with_only_public_values(tmp_path):
    (tmp_path / ".env.production").write_text(
        "NEXT_PUBLIC_API_URL=https://api.acme.test\nNEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY="
        + "pk_"
        + "live_"
        + rand_source(92)(40)
        + "\nOPENAI_API_KEY="
        + "sk-"
        + "proj-"
        + rand_source(93)(64)
        + "\n",
        encoding="utf-8",
    )
    result = await run_one(
        CHECK, make_target(DEAD, pages=[], env_files=[".env.production"]), root=tmp_path
    )
    assert result.status is Status.PASS  # the server-side OPENAI_API_KEY has no public prefix
    assert "2 public variables" in result.summary


async def test_fail_on_a_public_secret_in_the_env_file(tmp_path):
    key = "sk-" + "proj-" + rand_source(94)(64)
    (tmp_path / ".env").write_text(f"NEXT_PUBLIC_OPENAI_API_KEY={key}\n", encoding="utf-8")
    result = await run_one(CHECK, make_target(DEAD, pages=[], env_files=[".env"]), root=tmp_path)
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.resource == ".env:1" and finding.evidence["rule"] == "openai-api-key"
    assert key not in str(result.to_dict())


async def test_fail_on_a_public_secret_in_the_bundle(serve, tmp_path):
    key = "sk-" + "ant-" + "api03-" + rand_source(95)(93) + "AA"
    app = web.Application()
    blob = json.dumps({"runtimeConfig": {"NEXT_PUBLIC_ANTHROPIC_KEY": key}})

    async def index(request):
        return web.Response(
            text=f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>',
            content_type="text/html",
        )

    app.router.add_get("/", index)
    base = await serve(app)
    result = await run_one(CHECK, make_target(base), root=tmp_path)
    assert result.status is Status.FAIL
    assert result.findings[0].evidence["variable"] == "NEXT_PUBLIC_ANTHROPIC_KEY"


async def test_error_when_nothing_can_be_read(tmp_path):
    result = await run_one(CHECK, make_target(DEAD, env_files=[".env.missing"]), root=tmp_path)
    assert result.status is Status.ERROR
    assert "could not connect" in result.summary or "not read" in result.summary


async def test_skipped_without_env_files_or_pages(tmp_path):
    result = await run_one(CHECK, make_target(DEAD, pages=[]), root=tmp_path)
    assert result.status is Status.SKIPPED


def test_generic_rule_match_is_judged_by_the_name():
    verdict = judge("NEXT_PUBLIC_WEBHOOK_SECRET", rand_source(4)(32), Scanner(default_rules()))
    assert verdict is not None and verdict.rule_id == "public-secret-name"
