"""Hypercare: the tighter watch for a window after ``launch_date`` (issue 17, part 4).

During the window monitors probe at least every ``hypercare.monitor_interval`` and open an
incident after at most ``hypercare.failure_threshold`` failures, the digest goes out twice a
day, every incident mentions the launch owner, and the window's start and end are posted in
the channel. Everything takes the time as an argument: tests move a clock, nothing sleeps.
"""

from __future__ import annotations

from bot.hypercare.announce import announce_hypercare
from bot.hypercare.window import Hypercare, hypercare_for

__all__ = ["Hypercare", "announce_hypercare", "hypercare_for"]
