"""Keeping the rules current while the service runs: the rules directory is polled (names, sizes, mtimes —
cheap) and reloaded on change; a broken edit keeps the last good version of that rule. Whoever must know
when rules change (the live hub re-checks every chat) listens here; the supervisor's save reloads here too.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..engine import Coach, RulesUpdate
from ..rulebook.loader import directory_signature

log = logging.getLogger("coach.service")


class RuleWatcher:
    def __init__(self, coach: Coach, interval: float = 1.0):
        self.coach = coach
        self.interval = interval  # seconds between looks at the directory; 0: never look
        self.listeners: list[Callable[[], None]] = []  # called when a reload changed any rule

    def reload(self) -> RulesUpdate:
        """Re-read the rules now; tell the listeners when any rule changed."""
        update = self.coach.update_rules()
        for error in update.errors:
            log.warning("rule file error (last good version stays active): %s", error)
        if update.changed:
            log.info("rules reloaded: %d active", len(self.coach.rulebook.active))
            for listener in self.listeners:
                listener()
        return update

    async def watch(self) -> None:
        """Poll the rules directory and reload on change, until cancelled."""
        directory = self.coach.rules_dir
        if directory is None or self.interval <= 0:
            return
        signature = directory_signature(directory)
        while True:
            await asyncio.sleep(self.interval)
            current = directory_signature(directory)
            if current != signature:
                signature = current
                self.reload()
