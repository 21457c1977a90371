"""Personal data in text: e-mail addresses, phone numbers and card numbers that pass Luhn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["PII_KINDS", "PiiMatch", "find_pii", "luhn_valid"]

PII_KINDS = ("email", "phone", "card")

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
# International (+CC ...) or North American (555) 555-0100 / 555-555-0100 shapes; bare digit
# runs are not phones (ids, timestamps, ports).
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+[1-9]\d{0,2}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(\d{3}\)\s?\d{3}-\d{4}|\d{3}-\d{3}-\d{4})(?![\w.-]*\d)"
)
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5)|35)")
# Addresses that are not personal: documentation domains and role mailboxes.
_NOT_PERSONAL = re.compile(r"@(?:example\.(?:com|org|net)|localhost)$|^(?:noreply|no-reply|postmaster|abuse)@", re.I)


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    value: str
    offset: int


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def find_pii(text: str) -> Iterator[PiiMatch]:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            if not _NOT_PERSONAL.search(match.group()):
                yield PiiMatch("email", match.group(), match.start())
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_valid(digits):
            yield PiiMatch("card", match.group(), match.start())
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 10 <= len(digits) <= 15:
            yield PiiMatch("phone", match.group(), match.start())
