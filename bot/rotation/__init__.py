"""Leaks close only when the key is dead (issue 17, part 2).

A secret finding of ``secrets.repo`` (the tree) or ``secrets.history`` opens a rotation item,
owned by the checklist owner of the secrets check and keyed by the leak's fingerprint; it
stays open until the secret is gone from the tree and from history (or its rotation is
attested: who rotated it and when), and, where a revocation verifier for its provider is
enabled, until the provider confirms the old key revoked.
"""

from __future__ import annotations

from bot.rotation.service import RotationService
from bot.rotation.sightings import leak_key, sightings
from bot.rotation.verifiers import GitHubVerifier, Revocation, RevocationVerifier, verifiers_for

__all__ = [
    "GitHubVerifier",
    "Revocation",
    "RevocationVerifier",
    "RotationService",
    "leak_key",
    "sightings",
    "verifiers_for",
]
