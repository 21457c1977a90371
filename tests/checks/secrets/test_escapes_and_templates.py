"""Issue 13, classes 8 and 19: interpolation placeholders are not secrets in any source, and
logs are read as written (URL and JSON escapes decoded) before looking for data and tokens."""

from __future__ import annotations

import pytest

from checks.model import Status
from checks.secrets.engine import scan_history, scan_tree
from checks.secrets.envvars import judge
from checks.secrets.escapes import decode_escapes
from checks.secrets.logs import CHECK as LOGS
from checks.secrets.logs import scan_logs
from checks.secrets.pii import find_pii
from checks.secrets.rules import default_rules, parse_rules
from checks.secrets.scanner import Scanner, is_template
from tests.checks.secrets.fakes import CASES, make_repo, rand_source
from tests.conftest import make_target, run_one

TEMPLATES = [
    'DATABASE_URL = f"postgresql://{user}:{password}@db/app"',
    "  - DATABASE_URL=postgres://app:${POSTGRES_PASSWORD}@db:5432/app",
    "amqp://guest:$RABBIT_PASSWORD@mq:5672/",
    'db_url = "mysql://%(user)s:%(password)s@db/app" % cfg',
    'password: "{{ .Values.password }}"',
    "redis://:{redis_password}@cache:6379/0",
    'api_key = "{settings.openai_api_key}"',
    "token: \"<%= ENV['API_TOKEN'] %>\"",
    'password = "#{db_password}"',
    "Authorization: Bearer ${API_TOKEN}",
    "https://deploy:{{ .Values.deployPassword }}@git.acme.test/repo.git",
]

# A gitleaks-style rule set without our placeholder heuristics: templates must still go.
GENERIC = """
[[rules]]
id = "generic-password"
regex = '''(?i)(?:password|passwd|api_key|token)["']?\\s*[:=]\\s*["']?([^\\s"']{8,})'''
secretGroup = 1
keywords = ["password", "passwd", "api_key", "token"]
[[rules]]
id = "url-password"
regex = '''[a-z+]+://[^:/\\s@]*:([^@\\s/]{3,})@'''
secretGroup = 1
keywords = ["://"]
"""


@pytest.mark.parametrize("line", TEMPLATES)
def test_templates_are_not_secrets_with_our_rules_or_plain_gitleaks_rules(line):
    assert Scanner(default_rules()).scan_text(line + "\n", "app/settings.py") == []
    assert (
        Scanner(parse_rules(GENERIC, source="t.toml")).scan_text(line + "\n", "app/settings.py")
        == []
    )


def test_a_real_value_next_to_the_same_shapes_is_still_found():
    value = rand_source(3)(16)
    scanner = Scanner(parse_rules(GENERIC, source="t.toml"))
    assert [f.secret for f in scanner.scan_text(f"postgres://app:{value}@db/app\n", "a.py")] == [
        value
    ]
    assert [f.secret for f in scanner.scan_text(f'password = "{value}"\n', "a.py")] == [value]
    assert not is_template(value) and not is_template("Xk9$aP2m!qR7zT4w")
    assert is_template("${DB_PASSWORD}") and is_template("sk_live_${STRIPE_KEY}")


def test_templates_in_tree_history_and_public_env(tmp_path):
    make_repo(tmp_path, [{"settings.py": "\n".join(TEMPLATES) + "\n"}])
    assert scan_tree(tmp_path).findings == [] and scan_history(tmp_path).findings == []
    scanner = Scanner(default_rules())
    assert judge("NEXT_PUBLIC_API_TOKEN", "${API_TOKEN}", scanner) is None
    assert judge("VITE_DB_PASSWORD", "{{ .Values.password }}", scanner) is None


async def test_templates_in_logs_are_not_tokens(tmp_path):
    (tmp_path / "app.log").write_text("\n".join(TEMPLATES) + "\n", encoding="utf-8")
    result = await run_one(LOGS, make_target("http://127.0.0.1:9", logs=["app.log"]), root=tmp_path)
    assert result.status is Status.PASS, result.summary


def test_decode_escapes_keeps_lines():
    text = 'GET /users/alice%40acme.test 200\n{"to":"bob\\u0040corp.test","next":"a\\/b"}\nx%0Ay\n'
    decoded = decode_escapes(text)
    assert "alice@acme.test" in decoded and "bob@corp.test" in decoded and "a/b" in decoded
    assert decoded.count("\n") == text.count("\n") and "x%0Ay" in decoded
    assert decode_escapes("double %2540 encoded") == "double @ encoded"


async def test_logs_find_escaped_emails_and_tokens(tmp_path):
    rand = rand_source(19)
    stripe = CASES["stripe-access-token"](rand).split("'")[1]
    lines = [
        "INFO GET /api/users/alice%40acme-mail.test/profile 200 12ms",
        '{"level":"info","msg":"invite sent","to":"carol\\u0040globex.test"}',
        '{"level":"debug","body":"{\\"key\\":\\"' + stripe[:2] + "\\u005f" + stripe[3:] + '\\"}"}',
    ]
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [m.kind for m in find_pii("\n".join(lines))] == []  # as written, nothing matches
    result = scan_logs([("app.log", path)])
    assert result.pii["email"] == 2
    assert [(s.rule_id, s.line) for s in result.secrets] == [("stripe-access-token", 3)]
    check = await run_one(LOGS, make_target("http://127.0.0.1:9", logs=["app.log"]), root=tmp_path)
    assert check.status is Status.FAIL and stripe not in str(check.to_dict())
    assert "alice@acme-mail.test" not in str(check.to_dict())
