"""Fake secrets for tests, assembled at run time from parts and random characters, so this
repository never holds a string that looks like a real secret (and `launchready secrets .`
on it stays clean). ``CASES[rule_id](rand)`` returns a line that the rule must find; called
with :func:`placeholder` instead of a random source it returns a line nothing may find.
"""

from __future__ import annotations

import base64
import json
import random
import string
import subprocess
from collections.abc import Callable
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"
LOWER = string.ascii_lowercase + string.digits
UPPER = string.ascii_uppercase + string.digits
DIGITS = string.digits
B64 = ALNUM + "+/"

Rand = Callable[..., str]


def rand_source(seed: int = 7) -> Rand:
    rng = random.Random(seed)

    def rand(n: int, alphabet: str = ALNUM) -> str:
        while True:
            value = "".join(rng.choice(alphabet) for _ in range(n))
            # no long runs or counting sequences: those read as placeholders by design
            if not any(ch * 4 in value for ch in set(value)) and "1234" not in value:
                return value

    return rand


def placeholder(n: int, alphabet: str = ALNUM) -> str:
    return "x" * n


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt(claims: dict, rand: Rand) -> str:
    return (
        "ey"
        + _b64url({"alg": "HS256", "typ": "JWT"})[2:]
        + "."
        + _b64url(claims)
        + "."
        + rand(43, URLSAFE)
    )


def _uuid(rand: Rand) -> str:
    return "-".join((rand(8, HEX), rand(4, HEX), rand(4, HEX), rand(4, HEX), rand(12, HEX)))


def _pem(rand: Rand) -> str:
    body = "\n".join("MII" + rand(61, B64) if i == 0 else rand(64, B64) for i in range(5))
    kind = "RSA PRIV" + "ATE KEY"
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


CASES: dict[str, Callable[[Rand], str]] = {
    "openai-api-key": lambda r: 'OPENAI_API_KEY = "' + "sk-" + "proj-" + r(64, URLSAFE) + '"',
    "anthropic-api-key": lambda r: (
        'client = Anthropic(api_key="' + "sk-" + "ant-" + "api03-" + r(93, URLSAFE) + "AA" + '")'
    ),
    "anthropic-admin-api-key": lambda r: (
        "ADMIN=" + "sk-" + "ant-" + "admin01-" + r(93, URLSAFE) + "AA"
    ),
    "gcp-api-key": lambda r: 'GEMINI_API_KEY="' + "AI" + "za" + r(35, URLSAFE) + '"',
    "gcp-service-account": lambda r: '  "private_key_id": "' + r(40, HEX) + '",',
    "gcp-oauth-client-secret": lambda r: "client_secret: " + "GOC" + "SPX-" + r(28, URLSAFE),
    "gcp-access-token": lambda r: "token = " + "ya" + "29." + r(60, URLSAFE),
    "huggingface-access-token": lambda r: "HF_TOKEN=" + "hf" + "_" + r(34, string.ascii_letters),
    "huggingface-organization-api-token": lambda r: "HF_ORG=" + "api" + "_org_" + r(34),
    "replicate-api-token": lambda r: "REPLICATE_API_TOKEN=" + "r8" + "_" + r(37),
    "cohere-api-token": lambda r: 'COHERE_API_KEY = "' + r(40) + '"',
    "groq-api-key": lambda r: "GROQ_API_KEY=" + "gs" + "k_" + r(52),
    "perplexity-api-key": lambda r: "PPLX=" + "pp" + "lx-" + r(48),
    "xai-api-key": lambda r: "XAI=" + "xa" + "i-" + r(80),
    "deepseek-api-key": lambda r: 'DEEPSEEK_API_KEY="' + "sk-" + r(32, HEX) + '"',
    "langsmith-api-key": lambda r: (
        "LANGSMITH_API_KEY=" + "lsv2" + "_pt_" + r(32, HEX) + "_" + r(10, HEX)
    ),
    "pinecone-api-key": lambda r: "PINECONE=" + "pc" + "sk_" + r(6) + "_" + r(60),
    "pinecone-legacy-api-key": lambda r: 'PINECONE_API_KEY="' + _uuid(r) + '"',
    "vector-db-api-key": lambda r: 'QDRANT_API_KEY="' + r(40, URLSAFE) + '"',
    "stripe-access-token": lambda r: "stripe.api_key = '" + "sk_" + "live_" + r(40) + "'",
    "stripe-webhook-secret": lambda r: "STRIPE_WEBHOOK=" + "wh" + "sec_" + r(32),
    "shopify-access-token": lambda r: "SHOPIFY=" + "shp" + "at_" + r(32, HEX),
    "shopify-custom-access-token": lambda r: "SHOPIFY=" + "shp" + "ca_" + r(32, HEX),
    "shopify-private-app-access-token": lambda r: "SHOPIFY=" + "shp" + "pa_" + r(32, HEX),
    "shopify-shared-secret": lambda r: "SHOPIFY=" + "shp" + "ss_" + r(32, HEX),
    "slack-bot-token": lambda r: (
        "SLACK_BOT=" + "xo" + "xb-" + r(12, DIGITS) + "-" + r(13, DIGITS) + "-" + r(24)
    ),
    "slack-legacy-token": lambda r: (
        "SLACK_LEGACY="
        + "xo"
        + "xs-"
        + r(12, DIGITS)
        + "-"
        + r(12, DIGITS)
        + "-"
        + r(13, DIGITS)
        + "-"
        + r(32, HEX)
    ),
    "slack-legacy-workspace-token": lambda r: (
        "SLACK_WS=" + "xo" + "xa-" + r(12, DIGITS) + "-" + r(12, DIGITS) + "-" + r(24)
    ),
    "slack-user-token": lambda r: (
        "SLACK_USER="
        + "xo"
        + "xp-"
        + r(12, DIGITS)
        + "-"
        + r(12, DIGITS)
        + "-"
        + r(13, DIGITS)
        + "-"
        + r(32, HEX)
    ),
    "slack-app-token": lambda r: (
        "SLACK_APP=" + "xa" + "pp-1-" + "A0" + r(9, UPPER) + "-" + r(13, DIGITS) + "-" + r(64, HEX)
    ),
    "slack-webhook-url": lambda r: (
        "url: https://hooks.sl"
        + "ack.com/services/T"
        + r(8, UPPER)
        + "/B"
        + r(10, UPPER)
        + "/"
        + r(24)
    ),
    "telegram-bot-api-token": lambda r: "BOT=" + r(10, DIGITS) + ":AA" + r(33, URLSAFE),
    "github-pat": lambda r: "GH=" + "gh" + "p_" + r(36),
    "github-fine-grained-pat": lambda r: "GH=" + "github" + "_pat_" + r(82, ALNUM + "_"),
    "github-oauth": lambda r: "GH=" + "gh" + "o_" + r(36),
    "github-app-token": lambda r: "GH=" + "gh" + "s_" + r(36),
    "github-refresh-token": lambda r: "GH=" + "gh" + "r_" + r(36),
    "gitlab-pat": lambda r: "GL=" + "gl" + "pat-" + r(20, URLSAFE),
    "gitlab-runner-authentication-token": lambda r: "GL=" + "gl" + "rt-" + r(24, URLSAFE),
    "gitlab-ptt": lambda r: "GL=" + "gl" + "ptt-" + r(40, HEX),
    "gitlab-deploy-token": lambda r: "GL=" + "gl" + "dt-" + r(24, URLSAFE),
    "aws-access-token": lambda r: (
        "aws_access_key_id = " + "AK" + "IA" + r(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    ),
    "aws-secret-access-key": lambda r: "aws_secret_access_key = " + r(40, B64),
    "azure-storage-key": lambda r: (
        "DefaultEndpointsProtocol=https;AccountName=acme;Account" + "Key=" + r(86, B64) + "==;"
    ),
    "azure-ad-client-secret": lambda r: (
        'AZURE_CLIENT_SECRET="' + r(3) + "8Q~" + r(34, ALNUM + "_~.-") + '"'
    ),
    "azure-openai-key": lambda r: 'AZURE_OPENAI_KEY="' + r(32, HEX) + '"',
    "cloudflare-api-key": lambda r: 'CLOUDFLARE_API_TOKEN="' + r(40, URLSAFE) + '"',
    "cloudflare-global-api-key": lambda r: 'CLOUDFLARE_API_KEY="' + r(37, HEX) + '"',
    "cloudflare-origin-ca-key": lambda r: (
        "CF_ORIGIN=" + "v1" + ".0-" + r(24, HEX) + "-" + r(146, HEX)
    ),
    "vercel-token": lambda r: 'VERCEL_TOKEN="' + r(24) + '"',
    "supabase-secret-key": lambda r: "SUPABASE=" + "sb_" + "secret_" + r(32),
    "supabase-service-role-key": lambda r: (
        "SUPABASE_SERVICE_ROLE_KEY=" + jwt({"iss": "supabase", "role": "service" + "_role"}, r)
    ),
    "firebase-admin-service-account": lambda r: (
        '  "client_email": "firebase-'
        + "adminsdk-"
        + r(5, LOWER)
        + '@acme-chat.iam.gserviceaccount.com",'
    ),
    "firebase-fcm-server-key": lambda r: (
        "FCM=" + "AAAA" + r(7, URLSAFE) + ":APA" + "91b" + r(134, URLSAFE)
    ),
    "twilio-api-key": lambda r: "TWILIO_KEY=" + "S" + "K" + r(32, HEX),
    "twilio-auth-token": lambda r: 'TWILIO_AUTH_TOKEN="' + r(32, HEX) + '"',
    "sendgrid-api-token": lambda r: (
        "SENDGRID=" + "S" + "G." + r(22, URLSAFE) + "." + r(43, URLSAFE)
    ),
    "mailgun-private-api-token": lambda r: "MAILGUN=" + "ke" + "y-" + r(32, HEX),
    "mailgun-signing-key": lambda r: (
        'MAILGUN_SIGNING_KEY="' + r(32, HEX) + "-" + r(8, HEX) + "-" + r(8, HEX) + '"'
    ),
    "mailchimp-api-key": lambda r: "MAILCHIMP=" + r(32, HEX) + "-us" + "14",
    "postmark-server-token": lambda r: 'POSTMARK_SERVER_TOKEN="' + _uuid(r) + '"',
    "npm-access-token": lambda r: "//registry.npmjs.org/:_authToken=" + "np" + "m_" + r(36),
    "pypi-upload-token": lambda r: "password = " + "pypi-AgEIcHlwaS5v" + "cmc" + r(60, URLSAFE),
    "sentry-org-token": lambda r: "SENTRY_AUTH_TOKEN=" + "sntr" + "ys_" + r(60),
    "sentry-user-token": lambda r: "SENTRY_USER_TOKEN=" + "sntr" + "yu_" + r(64, HEX),
    "linear-api-key": lambda r: "LINEAR=" + "lin" + "_api_" + r(40),
    "doppler-api-token": lambda r: "DOPPLER=" + "dp" + ".pt." + r(43),
    "doppler-token": lambda r: "DOPPLER=" + "dp" + ".st." + r(43),
    "private-key": _pem,
    "database-url-password": lambda r: (
        "DATABASE_URL=postgres://app:" + r(16) + "@db.acme.internal:5432/app"
    ),
    "url-credentials": lambda r: "remote = https://deploy:" + r(16) + "@git.acme.test/repo.git",
    "jwt": lambda r: "id = " + jwt({"sub": "u_1", "role": "authenticated"}, r),
    "bearer-token": lambda r: "Authorization: Bear" + "er " + r(40),
    "session-cookie": lambda r: "Cookie: session_id=" + r(32),
    "generic-api-key": lambda r: 'WEBHOOK_SIGNING_SECRET = "' + r(32) + '"',
}

# Lines no rule may find: public-by-design values, placeholders, code that names a secret.
NEGATIVES: list[tuple[str, Callable[[Rand], str]]] = [
    ("stripe publishable key", lambda r: "STRIPE_PUBLISHABLE_KEY=" + "pk_" + "live_" + r(40)),
    (
        "supabase anon key",
        lambda r: "SUPABASE_ANON_KEY=" + jwt({"iss": "supabase", "role": "anon"}, r),
    ),
    (
        "firebase web config",
        lambda r: (
            'const firebaseConfig = {apiKey: "'
            + "AI"
            + "za"
            + r(35, URLSAFE)
            + '", authDomain: "acme.firebaseapp.com"};'
        ),
    ),
    ("env lookup", lambda r: 'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]'),
    ("template", lambda r: "api_key: ${OPENAI_API_KEY}"),
    ("your-key-here", lambda r: 'api_key = "your-api-key-here-1"'),
    ("angle placeholder", lambda r: "token = <YOUR_TOKEN_123456>"),
    ("attribute", lambda r: 'headers = {"Authorization": f"Bearer {self.token}"}'),
    ("attribute bearer", lambda r: "Authorization: Bearer request.user.token"),
    ("local db password", lambda r: "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app"),
    ("words only", lambda r: 'secret_name = "launch-readiness-report"'),
    ("numbers only", lambda r: "token_limit = 1234567890123"),
    ("dotted config", lambda r: "api_key = settings.OPENAI_API_KEY"),
    ("function call", lambda r: "password = get_password_from_vault()"),
    ("masked", lambda r: "OPENAI_API_KEY=sk-" + "proj-" + "*" * 40),
    (
        "inline allow",
        lambda r: "STRIPE=" + "sk_" + "live_" + r(40) + "  # launchready:allow test fixture",
    ),
    ("gitleaks allow", lambda r: "GH=" + "gh" + "p_" + r(36) + "  # gitleaks:allow"),
    ("integrity hash", lambda r: 'integrity="sha256-' + r(43, B64) + '="'),
    ("git sha", lambda r: "commit " + r(40, HEX)),
    ("uuid id", lambda r: 'conversation_id = "' + _uuid(r) + '"'),
]


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test Author",
            "-c",
            "user.email=author@acme.test",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def make_repo(root: Path, commits: list[dict[str, str | None]]) -> list[str]:
    """A git repository whose commits write (or, with None, delete) the given files; returns their hashes."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    hashes = []
    for n, files in enumerate(commits):
        for name, text in files.items():
            path = root / name
            if text is None:
                git(root, "rm", "-q", "--", name)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            git(root, "add", "--", name)
        git(
            root,
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            f"commit {n}",
            date=f"2026-10-{n + 1:02d}T12:00:00+00:00",
        )
        hashes.append(git(root, "rev-parse", "HEAD"))
    return hashes


__all__ = ["CASES", "NEGATIVES", "git", "jwt", "make_repo", "placeholder", "rand_source"]
