"""Keeping the team's own figures current: the verdicts its supervisors gave («Проверка подсказок») set what its
operators see (rulebook/precision.py: the project's figure is the prior, the team's agreed verdicts the counts).

The figures come from where the verdicts are:

- **the store** this service writes to (SQLite, or the team's PostgreSQL): a verdict given on any node moves the
  store's counter; a node hears of it at once by NOTIFY on PostgreSQL (SQLite: it looks every half second), reads
  the team's counts and puts them in force;
- **a team node** (`--follow`): its `GET /v1/team/figures`, long-polled like its rules (service/follow.py), the
  last good figures kept on disk beside the rules' snapshot.

Putting new figures in force re-checks every live chat for the rules whose figures changed (the live hub listens
here, as it does to the rule watcher): a warning the team's verdicts silenced leaves operators' panels at once.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from aiohttp import web

from ..engine import Coach
from ..rulebook.precision import PrecisionTable, TeamCounts
from ..rulebook.ruleset import write_atomically
from .follow import FollowError, TeamNode
from .longpoll import Changes

log = logging.getLogger("coach.team")

RETRY_MIN_S = 0.5
RETRY_MAX_S = 5.0
CHECK_INTERVAL_S = 5.0  # the longest wait for news before the source is asked again (a lost link is noticed)
FIRST_SYNC_S = 3.0  # how long a starting service waits for the team's figures before serving without them


class TeamSource(Protocol):
    """Where a service's team figures come from: its store (store/verdicts.py) or a team node (below)."""

    @property
    def location(self) -> str: ...

    async def team_newer(self, current: TeamCounts | None, wait: float) -> TeamCounts | None:
        """The team's figures when they differ from `current`, waiting up to `wait` s for a change; None when
        nothing changed. Raises when the source cannot be asked."""


class TeamNodeFigures:
    """A team node's figures, long-polled (`GET /v1/team/figures`) on a connection of their own."""

    def __init__(self, node: TeamNode):
        self.node = node

    @property
    def location(self) -> str:
        return self.node.location

    async def team_newer(self, current: TeamCounts | None, wait: float) -> TeamCounts | None:
        data = await self.node.get_json("/v1/team/figures", current.digest if current is not None else None, wait)
        if data is None:
            return None
        try:
            found = TeamCounts.from_json(data, "the team node's figures")
        except ValueError as exc:
            raise FollowError(str(exc)) from None
        return None if current is not None and found.digest == current.digest else found

    async def close(self) -> None:
        await self.node.close()


class TeamWatcher:
    """The team's figures in force on this service, and who must know when they change."""

    def __init__(self, coach: Coach, source: TeamSource | None, *, snapshot: Path | None = None,
                 check_interval: float = CHECK_INTERVAL_S, mode: Literal["store", "follow"] = "store"):
        self.coach = coach
        self.source = source
        self.mode = mode if source is not None else None
        self.snapshot = snapshot
        self.check_interval = check_interval
        self.current = TeamCounts()
        self.listeners: list[Callable[[frozenset[str]], None]] = []  # the rules whose figures changed
        self.state: Literal["online", "offline", "starting"] = "starting" if source is not None else "online"
        self.last_error: str | None = None
        self.synced_at: float | None = None
        self.write_lock = asyncio.Lock()  # a verdict written here and its figures put in force, one at a time
        self._changes = Changes()  # followers' long polls wait on it
        self._first_done = asyncio.Event()

    # --- putting figures in force ------------------------------------------------------------------------------
    def install(self, team: TeamCounts) -> tuple[PrecisionTable, frozenset[str]]:
        """Put `team` in force; tell the listeners which rules' figures changed. Returns the table that was in
        force before and those rules (for the history of what operators see)."""
        before = self.coach.precision
        changed = self.coach.use_team(team)
        digest_changed = team.digest != self.current.digest
        self.current = team
        if changed:
            log.info("the team's verdicts changed the figures of %s (%d verdicts)", ", ".join(sorted(changed)),
                     team.verdicts)
            for listener in self.listeners:
                listener(changed)
        if digest_changed:
            self._changes.announce()
        return before, changed

    async def changed_from(self, digest: str, timeout: float) -> None:
        """Return when the figures in force are no longer `digest` (or after `timeout` s, or on shutdown)."""
        await self._changes.wait_while(lambda: self.current.digest, digest, timeout)

    # --- following the source ------------------------------------------------------------------------------------
    async def watch(self) -> None:
        if self.source is None:
            return
        kept = self._load_snapshot()
        if kept is not None:
            self.install(kept)
        delay = RETRY_MIN_S
        first = True
        while not self._changes.closing:
            try:
                newer = await self.source.team_newer(None if first else self.current, 0.0 if first else
                                                     self.check_interval)
                if newer is not None:
                    # never between a verdict written on this node and its figures put in force (what moved would
                    # be missing from the history), nor over figures newer than these (read before that verdict)
                    async with self.write_lock:
                        stale = newer.revision is not None and self.current.revision is not None \
                            and newer.revision < self.current.revision
                        if not stale:
                            self.install(newer)
                    if not stale:
                        await asyncio.to_thread(self._save_snapshot, newer)
                if self.state == "offline":
                    log.info("the team's figures from %s are back", self.source.location)
                self.state, self.last_error, self.synced_at, first, delay = "online", None, time.time(), False, \
                    RETRY_MIN_S
                self._first_done.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # unreachable, refused, a bad answer: the figures in force stay
                message = f"{type(exc).__name__}: {exc}"
                if message != self.last_error:
                    log.warning("the team's figures from %s are unavailable (those in force stay): %s",
                                self.source.location, message)
                self.state, self.last_error = "offline", message
                self._first_done.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def first_sync(self, app: web.Application) -> None:
        """`on_startup`: the first request already gets the team's figures (bounded: an unreachable source is
        retried in the background, a follower's last good figures serving meanwhile)."""
        if self.source is None:
            return
        try:
            await asyncio.wait_for(self._first_done.wait(), FIRST_SYNC_S)
        except TimeoutError:
            log.warning("the team's figures from %s have not come within %g s; serving without them meanwhile",
                        self.source.location, FIRST_SYNC_S)

    def _load_snapshot(self) -> TeamCounts | None:
        if self.snapshot is None or self.mode != "follow":
            return None  # a store is read at once; a team node may be away when this service starts
        try:
            return TeamCounts.from_json(json.loads(self.snapshot.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def _save_snapshot(self, team: TeamCounts) -> None:
        if self.snapshot is None or self.mode != "follow":
            return
        try:
            self.snapshot.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.snapshot, json.dumps(team.to_json()).encode())
        except OSError as exc:
            log.warning("cannot keep the team's figures in %s: %s", self.snapshot, exc.strerror)

    async def closing(self, app: web.Application) -> None:
        """`on_shutdown`: long-polling followers are answered at once."""
        self._changes.close()

    async def close(self, app: web.Application) -> None:
        """`on_cleanup`: a team node's connection closed (a store closes with the service)."""
        if isinstance(self.source, TeamNodeFigures):
            await self.source.close()

    def status(self) -> dict[str, Any]:
        """For /healthz (`precision.team`) and the supervisor page."""
        return {"mode": self.mode, "location": self.source.location if self.source is not None else None,
                "state": self.state, "last_error": self.last_error, "synced_at": self.synced_at,
                "verdicts": self.current.verdicts, "disagreed": self.current.disagreed,
                "revision": self.current.revision, "digest": self.current.digest}

