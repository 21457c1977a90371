"""The launch checklist as people use it: its order, its sentences, who may change what, and
the one service the CLI and the Slack app call to change it."""

from __future__ import annotations

from bot.checklist.order import STATUS_ORDER, by_urgency
from bot.checklist.policy import Actor, ChecklistPolicy, NotPermitted
from bot.checklist.sentences import (
    assign_sentence,
    done_sentence,
    parse_due,
    summary_sentence,
    waive_sentence,
)
from bot.checklist.service import Assignment, ChecklistService, ChecklistStatus

__all__ = [
    "STATUS_ORDER",
    "Actor",
    "Assignment",
    "ChecklistPolicy",
    "ChecklistService",
    "ChecklistStatus",
    "NotPermitted",
    "assign_sentence",
    "done_sentence",
    "parse_due",
    "summary_sentence",
    "waive_sentence",
    "by_urgency",
]
