"""Logs as they are written: URL (``%40``) and JSON (``\\u0040``, ``\\/``) escapes decoded, so an
address logged as ``alice%40acme.test`` in a request path, or a token JSON-escaped in a
structured log line, is seen as what it is.

Decoding never adds or removes a line break (``%0A`` and ``\\u000a`` are left as they are),
so line numbers in the decoded text are those of the file.
"""

from __future__ import annotations

import re

__all__ = ["decode_escapes"]

_PERCENT = re.compile(r"%(?!0[aAdD])([0-9A-Fa-f]{2})")
_UNICODE = re.compile(r"\\u(?!000[aAdD])([0-9A-Fa-f]{4})")
_SIMPLE = re.compile(r"""\\([/"'])""")


def _byte(match: re.Match[str]) -> str:
    value = int(match.group(1), 16)
    # Non-ASCII bytes stand for parts of a UTF-8 sequence; keep them as they were rather than
    # produce stray Latin-1 characters.
    return chr(value) if value < 0x80 else match.group(0)


def _char(match: re.Match[str]) -> str:
    value = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= value <= 0xDFFF else chr(value)


def decode_escapes(text: str) -> str:
    """``text`` with URL and JSON escapes decoded (one level; a double-encoded ``%2540``
    becomes ``%40``, then ``@`` in a second pass)."""
    if "%" not in text and "\\" not in text:
        return text
    for _ in range(2):
        decoded = _SIMPLE.sub(r"\1", _UNICODE.sub(_char, _PERCENT.sub(_byte, text)))
        if decoded == text:
            break
        text = decoded
    return text
