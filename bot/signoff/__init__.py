"""A signed go/no-go record (issue 17, part 5): an admin signs the verdict as it stands, with
the run it rests on and the waivers in force; a later run whose verdict differs says that the
sign-off no longer holds."""

from __future__ import annotations

from bot.signoff.sentences import broken_text, signed_text, state_line
from bot.signoff.service import NothingToSign, SignoffService

__all__ = ["NothingToSign", "SignoffService", "broken_text", "signed_text", "state_line"]
