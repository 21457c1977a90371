"""The rotation items' one home: record what each run's scans saw, ask the enabled verifiers,
take attestations (the item's owner or an admin)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checklist.policy import Actor, ChecklistPolicy, NotPermitted
from bot.rotation.sightings import HISTORY_CHECK, TREE_CHECK, sightings
from bot.rotation.verifiers import RevocationVerifier, verifiers_for
from bot.store import Rotation, Store, UnknownItemError, in_thread

if TYPE_CHECKING:
    import httpx

    from bot.config import AppConfig
    from checks.model import RunReport

__all__ = ["RotationService"]


@dataclass
class RotationService:
    config: AppConfig
    store: Store
    policy: ChecklistPolicy
    verifiers: list[RevocationVerifier] = field(default_factory=list)

    @classmethod
    def for_config(
        cls, config: AppConfig, store: Store, transport: httpx.AsyncBaseTransport | None = None
    ) -> RotationService:
        policy = ChecklistPolicy(admins=tuple(config.slack.admins))
        return cls(config, store, policy, verifiers_for(config.rotation, transport))

    def items(self, target: str) -> list[Rotation]:
        """Open ones first, then closed, each oldest first."""
        return sorted(self.store.rotations.all(target), key=lambda r: r.closed)

    def owner(self, target: str) -> str | None:
        """The checklist owner of the secrets check (the tree's, else the history's)."""
        for check_id in (TREE_CHECK, HISTORY_CHECK):
            try:
                owner = self.store.item(target, check_id).owner
            except UnknownItemError:
                continue
            if owner:
                return owner
        return None

    async def after_run(self, target: str, report: RunReport) -> list[Rotation]:
        """Record the run's leaks (new ones open, gone ones move), then ask the verifiers."""
        tree, history = sightings(report)
        if tree is None and history is None:
            return []
        owner = await in_thread(self.owner, target)
        changed = await in_thread(
            self.store.rotations.observe,
            target,
            tree=tree,
            history=history,
            owner=owner,
            now=self.store.now(),
        )
        await self.verify(target)
        return changed

    async def verify(self, target: str) -> None:
        """Ask each enabled verifier about the open leaks of its provider whose key can still
        be read (from the tree or from the commit that added it)."""
        if not self.verifiers:
            return
        for item in await in_thread(self.store.rotations.all, target):
            verifier = next((v for v in self.verifiers if v.handles(item.rule_id)), None)
            if verifier is None or item.closed and item.revocation == "revoked":
                continue
            await in_thread(
                self.store.rotations.require_verification, target, [item.key], self.store.now()
            )
            line = await in_thread(self._leaked_line, target, item)
            key = verifier.key_in(line) if line else None
            if key is None:
                continue
            answer = await verifier.verify(key)
            await in_thread(
                self.store.rotations.record_revocation,
                target,
                item.key,
                verdict=answer.verdict,
                note=answer.note,
                now=self.store.now(),
            )

    def attest(
        self, target: str, key: str, *, rotated_by: str, rotated_at: datetime, actor: Actor
    ) -> Rotation:
        item = self.store.rotations.get(target, key)
        if not (actor.id == item.owner or self.policy.is_admin(actor)):
            raise NotPermitted("attest the rotation of")
        return self.store.rotations.attest(
            target,
            item.key,
            rotated_by=rotated_by,
            rotated_at=rotated_at,
            actor=actor.id,
            now=self.store.now(),
        )

    def _leaked_line(self, target: str, item: Rotation) -> str | None:
        """The line that leaked, from the tree or the commit that added it (in memory only)."""
        _, spec = self.config.target(target)
        if spec.repo is None or not item.line:
            return None
        root = spec.resolve_path(spec.repo.path, self.config.root)
        text: str | None = None
        if item.in_tree:
            path = (root / item.file).resolve()
            if path.is_file() and path.is_relative_to(root.resolve()):
                text = path.read_text(encoding="utf-8", errors="replace")
        elif item.in_history and item.commit:
            text = _git_show(root, f"{item.commit}:{item.file}")
        lines = (text or "").splitlines()
        return lines[item.line - 1] if 0 < item.line <= len(lines) else None


def _git_show(root: Path, spec: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "show", spec],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
