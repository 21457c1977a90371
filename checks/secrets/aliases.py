"""Rule ids before they took gitleaks' names, so old ignore entries and baselines still match.

Where one of our rules covers a service gitleaks also covers, it carries gitleaks' rule id,
so ``.gitleaksignore`` fingerprints and ``gitleaks:allow`` comments carry over. Entries
written with our earlier ids (``.launchready-ignore`` fingerprints, ``--baseline`` files)
keep suppressing the same findings through this table. Rules that were split (one of our
old rules now is several of gitleaks') map to each of the new ids.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["OLD_IDS", "old_ids"]

_RENAMED: dict[str, tuple[str, ...]] = {
    "anthropic-admin-key": ("anthropic-admin-api-key",),
    "google-api-key": ("gcp-api-key",),
    "huggingface-token": ("huggingface-access-token",),
    "huggingface-org-token": ("huggingface-organization-api-token",),
    "cohere-api-key": ("cohere-api-token",),
    "telegram-bot-token": ("telegram-bot-api-token",),
    "github-oauth-token": ("github-oauth",),
    "aws-access-key-id": ("aws-access-token",),
    "sendgrid-api-key": ("sendgrid-api-token",),
    "mailgun-api-key": ("mailgun-private-api-token",),
    "npm-token": ("npm-access-token",),
    "pypi-token": ("pypi-upload-token",),
    "generic-secret": ("generic-api-key",),
    "stripe-secret-key": ("stripe-access-token",),
    "stripe-restricted-key": ("stripe-access-token",),
    "shopify-access-token": (
        "shopify-access-token",
        "shopify-custom-access-token",
        "shopify-private-app-access-token",
        "shopify-shared-secret",
    ),
    "slack-user-token": ("slack-user-token", "slack-legacy-token", "slack-legacy-workspace-token"),
    "gitlab-runner-token": (
        "gitlab-runner-authentication-token",
        "gitlab-ptt",
        "gitlab-deploy-token",
    ),
    "cloudflare-api-token": ("cloudflare-api-key", "cloudflare-global-api-key"),
    "sentry-auth-token": ("sentry-org-token", "sentry-user-token"),
    "doppler-token": ("doppler-api-token", "doppler-token"),
}

# new id -> the old ids that meant it (read-only)
OLD_IDS = MappingProxyType(
    {
        new: tuple(sorted(old for old, news in _RENAMED.items() if new in news and old != new))
        for news in _RENAMED.values()
        for new in news
    }
)


def old_ids(rule_id: str) -> tuple[str, ...]:
    """The earlier ids of ``rule_id`` (empty for rules that were never renamed)."""
    return OLD_IDS.get(rule_id, ())
