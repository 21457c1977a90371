"""The launch checklist as people use it: its order, its sentences, who may change what, and
the one service the CLI and the Slack app call to change it."""

from __future__ import annotations

from bot.checklist.sentences import (
    STATUS_ORDER,
    assign_sentence,
    done_sentence,
    parse_due,
    summary_sentence,
    waive_sentence,
    worst_first,
)

__all__ = [
    "STATUS_ORDER",
    "assign_sentence",
    "done_sentence",
    "parse_due",
    "summary_sentence",
    "waive_sentence",
    "worst_first",
]
