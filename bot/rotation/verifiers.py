"""Revocation verifiers: ask a provider, read-only, whether an old key still works.

A verifier is opt-in (``rotation.verify.<provider>.enabled``): it sends the leaked key to
its own provider's API, nowhere else, with one read-only request. Each one knows its
provider's key format (to pick the key out of the leaked line) and which scanner rules
are its provider's.

Covered: GitHub tokens (``GET /user``). Not covered: every other provider (AWS, Stripe,
OpenAI, Slack, Google, ...): their leaks close on removal plus history or an attestation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httpx

if TYPE_CHECKING:
    from bot.config import RotationConfig

__all__ = ["GitHubVerifier", "Revocation", "RevocationVerifier", "verifiers_for"]


@dataclass(frozen=True)
class Revocation:
    verdict: str  # revoked | live | unknown
    note: str  # a sentence, never the key


class RevocationVerifier(Protocol):
    provider: str

    def handles(self, rule_id: str) -> bool:
        """Is a finding of this rule a key of this verifier's provider?"""
        ...

    def key_in(self, line: str) -> str | None:
        """The provider's key in a leaked line, or None."""
        ...

    async def verify(self, key: str) -> Revocation: ...


class GitHubVerifier:
    """GitHub tokens: ``GET {base_url}/user`` with the token; 401 means it no longer works."""

    provider = "github"
    _KEY = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82})\b")

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout

    def handles(self, rule_id: str) -> bool:
        return rule_id.startswith("github-")

    def key_in(self, line: str) -> str | None:
        match = self._KEY.search(line)
        return match.group(1) if match else None

    async def verify(self, key: str) -> Revocation:
        headers = {
            "Authorization": f"Bearer {key}",
            "Accept": "application/vnd.github+json",
            "User-Agent": "launchready",
        }
        try:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=self._timeout, follow_redirects=False
            ) as client:
                response = await client.get(f"{self.base_url}/user", headers=headers)
        except httpx.HTTPError as exc:
            return Revocation(
                "unknown",
                f"GitHub could not be asked ({type(exc).__name__}); will try at the next run.",
            )
        if response.status_code == 401:
            return Revocation("revoked", "GitHub answers 401 to the old token: it is revoked.")
        if response.status_code == 200:
            return Revocation(
                "live", "GitHub still accepts the old token (GET /user answered 200): revoke it."
            )
        return Revocation(
            "unknown",
            f"GitHub answered {response.status_code} to GET /user; cannot tell whether the token works.",
        )


def verifiers_for(
    config: RotationConfig, transport: httpx.AsyncBaseTransport | None = None
) -> list[RevocationVerifier]:
    """The verifiers the user enabled, in a fixed order."""
    found: list[RevocationVerifier] = []
    github = config.verify.get("github")
    if github is not None and github.enabled:
        found.append(
            GitHubVerifier(github.base_url or "https://api.github.com", transport=transport)
        )
    return found
