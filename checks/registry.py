"""A registry of checks that refuses duplicate ids and selects by id or area."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from checks.check import Check

__all__ = ["DuplicateCheckError", "Registry", "UnknownCheckError"]


class DuplicateCheckError(ValueError):
    pass


class UnknownCheckError(ValueError):
    pass


class Registry:
    def __init__(self, checks: Iterable[Check] = ()) -> None:
        self._checks: dict[str, Check] = {}
        for item in checks:
            self.add(item)

    def add(self, item: Check) -> None:
        if item.id in self._checks:
            raise DuplicateCheckError(f"check id {item.id} is registered twice")
        self._checks[item.id] = item

    def __iter__(self) -> Iterator[Check]:
        return iter(sorted(self._checks.values(), key=lambda c: (c.severity.rank, c.id)))

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def get(self, check_id: str) -> Check:
        try:
            return self._checks[check_id]
        except KeyError:
            raise UnknownCheckError(self._unknown(check_id)) from None

    def select(self, patterns: Iterable[str] | None) -> list[Check]:
        """Checks named by id, by area (``auth`` or ``auth.*``), all when no pattern is given."""
        wanted = [p.strip() for p in (patterns or []) if p.strip()]
        if not wanted:
            return list(self)
        chosen: dict[str, Check] = {}
        for pattern in wanted:
            area = pattern[:-2] if pattern.endswith(".*") else pattern
            if pattern in self._checks:
                chosen[pattern] = self._checks[pattern]
            elif "." not in area and any(c.area == area for c in self._checks.values()):
                chosen.update({c.id: c for c in self._checks.values() if c.area == area})
            else:
                raise UnknownCheckError(self._unknown(pattern))
        return sorted(chosen.values(), key=lambda c: (c.severity.rank, c.id))

    def _unknown(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._checks), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else " Run `launchready catalog` for the list."
        return f'"{name}" is not a check id.{hint}'
