"""Keeping the rules current while the service runs, from one of three places:

- **files** (the default): the rules directory is polled (names, sizes, mtimes — cheap) and reloaded on
  change; a broken edit keeps the last good version of that rule. A supervisor's save rewrites the file
  (compared with the edit's base under a lock on the directory that also holds across `--workers` processes;
  no lock file is left in it). With `versions` (rulebook/versions.py, in the service's data directory) each
  save — and a change made in the files by hand, noticed at the next save — is kept as a version, and a
  rollback writes an old version's files back.
- **store** (`--rules-from-store`): the newest version in the team's PostgreSQL store. The watcher waits for
  its NOTIFY and checks the newest version every `check_interval` s on the same connection; a lost
  connection is retried with a growing pause (the periodic fallback). A save writes a new version there.
- **follow** (`--follow URL`): a team node's rules, long-polled over HTTP (`GET /v1/rules/set`). Read-only.

With a store or a team node the last good version is also kept on disk (a snapshot), so a node restarted
while the database or the team node is away still serves the team's rules; until the source answers the
service says so on `/healthz` (`rules_source`). Whoever must know when rules change (the live hub re-checks
every chat) listens here.
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, cast

from aiohttp import web

from ..engine import Coach, RulesUpdate
from ..rulebook.loader import Rule, Rulebook, check_version, directory_signature, load_rulebook, load_ruleset
from ..rulebook.ruleset import (
    RuleSet,
    StaleBase,
    file_digest,
    load_snapshot,
    read_directory,
    save_snapshot,
    write_atomically,
    write_directory,
)
from ..rulebook.versions import LocalRuleVersions, directory_lock
from .longpoll import Changes

log = logging.getLogger("coach.rules")
T = TypeVar("T")

Mode = Literal["files", "store", "follow"]
CHECK_INTERVAL_S = 5.0  # store: how often the newest version is checked besides NOTIFY (and the link with it)
RETRY_MIN_S = 0.5
RETRY_MAX_S = 5.0
FIRST_SYNC_S = 5.0  # how long a starting service waits for its source before serving what it has
MAX_WAITERS = 1_000  # followers' long polls waiting at once in one process; more are asked to come back later
WAKE_PER_S = 4_000  # waiters released per second after a change (1,000 answered within a quarter second)
BUILD_SWITCH_S = 0.001  # the interpreter's thread switch interval while a rule book is built in a thread
MIN_LOOK_S = 0.5  # at least this between two looks at the source, even when it answers at once (ignores `wait`)
OLD_LOCK_FILE = ".coach-save.lock"  # where saves once took their lock, inside the rules directory: removed
EDITED_IN_FILES = "changed in the files"  # a version recorded from the directory as someone left it


class RuleSource(Protocol):
    """Where a service's rules come from when not from its own directory: the team's store, a team node."""

    @property
    def mode(self) -> Mode: ...

    @property
    def location(self) -> str:
        """For people: secrets redacted."""

    async def newer(self, current: RuleSet | None, wait: float) -> RuleSet | None:
        """The newest rule set when it differs from `current`, waiting up to `wait` s for one; None when
        `current` is still the newest (or there is none). Raises when the source cannot be reached."""

    async def close(self) -> None: ...


class VersionStore(RuleSource, Protocol):
    """A source that keeps versions and takes writes (the PostgreSQL store)."""

    async def save_file(self, name: str, content: bytes, *, base_digest: str, author: str,
                        reason: str = "") -> RuleSet | None: ...

    async def rollback(self, version: int, *, author: str, check: Callable[[RuleSet], None] | None = None,
                       reason: str = "") -> RuleSet | None: ...

    async def history(self, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]: ...


class OffLoop:
    """A source whose coroutines run on an event loop of their own, in a thread of this process.

    A busy service's event loop runs hundreds of live chats; each await of the few round trips a new version
    takes (hear of it, load it, or make it on a save) would wait behind all of them. On a loop of its own
    the source's work waits for nothing but the database or the team node; the service's loop is asked only
    to take the result."""

    def __init__(self, source: RuleSource):
        self.inner = source
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="coach-rules-source", daemon=True)
        self._thread.start()

    @property
    def mode(self) -> Mode:
        return self.inner.mode

    @property
    def location(self) -> str:
        return self.inner.location

    async def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    async def newer(self, current: RuleSet | None, wait: float) -> RuleSet | None:
        return await self._call(self.inner.newer(current, wait))

    async def save_file(self, name: str, content: bytes, *, base_digest: str, author: str,
                        reason: str = "") -> RuleSet | None:
        return await self._call(cast(VersionStore, self.inner).save_file(name, content, base_digest=base_digest,
                                                                         author=author, reason=reason))

    async def rollback(self, version: int, *, author: str, check: Callable[[RuleSet], None] | None = None,
                       reason: str = "") -> RuleSet | None:
        return await self._call(cast(VersionStore, self.inner).rollback(version, author=author, check=check,
                                                                        reason=reason))

    async def history(self, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
        return await self._call(cast(VersionStore, self.inner).history(limit, before))

    async def close(self) -> None:
        try:
            await self._call(self.inner.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 5)
            if not self._thread.is_alive():
                self._loop.close()


class TooManyWaiting(Exception):
    """MAX_WAITERS followers already wait for a change here."""


class UnusableRuleSet(Exception):
    """A version from the source under which no rule would load: never put in force."""


class ReadOnlyRules(Exception):
    """The rules follow a team node: they are changed there, not here."""


class RuleWatcher:
    def __init__(self, coach: Coach, interval: float = 1.0, *, source: RuleSource | None = None,
                 snapshot: Path | None = None, check_interval: float = CHECK_INTERVAL_S,
                 versions: LocalRuleVersions | None = None):
        self.coach = coach
        self.interval = interval  # files: seconds between looks at the directory; 0: never look
        self.check_interval = check_interval  # store, follow: the longest wait between two looks at the source
        self.source: RuleSource | None = OffLoop(source) if source is not None else None
        self.snapshot = snapshot
        self.versions = versions if source is None else None  # files: the local versions of the directory
        # called with the ids of the rules that changed, when a reload changed any
        self.listeners: list[Callable[[frozenset[str]], None]] = []
        self.current: RuleSet | None = None  # the source's version in force (None: not one from the source)
        self.serving: Literal["files", "source", "snapshot", "local"] = "files" if source is None else "local"
        self.state: Literal["online", "offline", "starting"] = "online" if source is None else "starting"
        self.last_error: str | None = None
        self.offline_since: float | None = None
        self.synced_at: float | None = None  # when the source last answered
        self._changes = Changes(per_s=WAKE_PER_S)  # followers' long polls wait on it
        self._first_done = asyncio.Event()
        self._save_lock = asyncio.Lock()
        self._build_lock = asyncio.Lock()
        self.waiting = 0  # followers' long polls waiting for a change
        self._body: tuple[str, bytes] | None = None
        self._body_lock = asyncio.Lock()
        self._signature: tuple[object, ...] | None = None  # files: the directory as last looked at
        # held from a look at the directory to the end of the reload it calls for: a look meanwhile (the
        # supervisor's page, before it reads a rule) waits for the rules that reload puts in force, rather than
        # seeing the new signature and answering from the rules before it
        self._look_lock = asyncio.Lock()

    @property
    def mode(self) -> Mode:
        return "files" if self.source is None else self.source.mode

    @property
    def store(self) -> VersionStore | None:
        """The versioned store the rules follow and saves go to, if any."""
        return cast(VersionStore, self.source) if self.source is not None and self.source.mode == "store" else None

    @property
    def versioned(self) -> bool:
        """Are versions kept (the team's store, or the local versions of the rules directory)?"""
        return self.store is not None or (self.versions is not None and self.coach.rules_dir is not None)

    async def history(self, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
        """The versions, newest first (LookupError when none are kept). Files: the directory as it is now is
        recorded first when it differs from the newest version (an edit by hand, or the very first look)."""
        store = self.store
        if store is not None:
            return await store.history(limit, before)
        versions, directory = self._local()
        async with self._save_lock:
            await asyncio.to_thread(self._record_directory, versions, directory)
        return await asyncio.to_thread(versions.history, limit, before)

    def _local(self) -> tuple[LocalRuleVersions, Path]:
        directory = self.coach.rules_dir
        if self.versions is None or directory is None:
            raise LookupError("versions are kept with --rules-from-store, or for a rules directory")
        return self.versions, directory

    @staticmethod
    def _record_directory(versions: LocalRuleVersions, directory: Path, author: str | None = None,
                          summary: str | None = EDITED_IN_FILES, restores: int | None = None,
                          reason: str = "") -> RuleSet | None:
        """The directory as it is now, as a version (None: the newest already holds it). The first one is the
        directory as found (its summary says which files); later ones not made here were made in the files."""
        if summary == EDITED_IN_FILES and versions.head() is None:
            summary = None
        return versions.record(read_directory(directory).files, author=author, summary=summary, restores=restores,
                               reason=reason)

    # --- putting rules in force ------------------------------------------------------------------------
    def _changed_rules(self, update: RulesUpdate) -> None:
        for error in update.errors:
            log.warning("rule file error (last good version stays active): %s", error)
        if update.changed:
            log.info("rules reloaded: %d active", len(self.coach.rulebook.active))
            for listener in self.listeners:
                listener(update.changed)
        self._changes.announce()

    async def _build(self, make: Callable[[Rulebook], Rulebook], *, from_source: bool = False) -> RulesUpdate:
        """A new rule book made by `make` from the one in force, built off the event loop (reading, parsing
        and compiling a large rule set takes a second or more: the loop keeps serving meanwhile), then put in
        force in one step. One build at a time, so each starts from the book in force. A source's version
        under which no rule loads at all is refused (UnusableRuleSet): the book in force stays."""
        async with self._build_lock:
            switch = sys.getswitchinterval()
            sys.setswitchinterval(BUILD_SWITCH_S)  # the loop gets the GIL back within a millisecond meanwhile
            try:
                book = await asyncio.to_thread(_prepared, make, self.coach.rulebook)
            finally:
                sys.setswitchinterval(switch)
            if from_source and not book.rules:
                problems = "; ".join(map(str, book.errors[:3])) or "it holds no rule files"
                raise UnusableRuleSet(f"no rule of this rule set loads ({problems}); the rules in force stay")
            return self.coach.put_in_force(book)

    async def reload(self) -> RulesUpdate:
        """Re-read the rules directory now; tell the listeners when any rule changed."""
        directory = self.coach.rules_dir
        if directory is None:
            return RulesUpdate([], frozenset())
        update = await self._build(lambda before: load_rulebook(directory, previous=before))
        self._changed_rules(update)
        return update

    async def install(self, ruleset: RuleSet, *, serving: Literal["source", "snapshot"] = "source") -> RulesUpdate:
        """Put a version from the source (or the snapshot of one) in force; tell the listeners."""
        update = await self._build(lambda before: load_ruleset(ruleset, previous=before), from_source=True)
        before, self.current = self.current, ruleset
        self.serving = serving
        if before is None or before.digest != ruleset.digest:
            log.info("rule set %s in force (from %s)", f"version {ruleset.version}" if ruleset.version
                     else ruleset.digest,
                     "the snapshot kept on disk" if serving == "snapshot" else
                     self.source.location if self.source else "?")
        self._changed_rules(update)
        return update

    async def _install_new(self, ruleset: RuleSet) -> None:
        await self.install(ruleset)
        if self.snapshot is not None and self.source is not None:
            try:
                await asyncio.to_thread(save_snapshot, ruleset, self.snapshot, source=self.source.location)
            except OSError as exc:
                log.warning("cannot keep the rule set's snapshot in %s: %s", self.snapshot, exc.strerror)

    async def changed_from(self, digest: str, timeout: float) -> None:
        """Return when the rules in force are no longer `digest` (or after `timeout` s, or on shutdown).
        At most MAX_WAITERS wait at once (else TooManyWaiting); woken by a change, they return a few at a
        time (WAKE_PER_S), so that a thousand followers' answers do not hold the event loop at once."""
        if self.waiting >= MAX_WAITERS:
            raise TooManyWaiting(self.waiting)
        self.waiting += 1
        try:
            await self._changes.wait_while(lambda: self.coach.rulebook.loaded_files.digest, digest, timeout)
        finally:
            self.waiting -= 1

    async def files_body(self) -> tuple[str, bytes]:
        """The rules in force as `GET /v1/rules/set` sends them: (digest, JSON bytes), made once per version
        (off the loop), not once per follower."""
        files = self.coach.rulebook.loaded_files
        if self._body is not None and self._body[0] == files.digest:
            return self._body
        async with self._body_lock:
            if self._body is None or self._body[0] != files.digest:
                body = await asyncio.to_thread(lambda: json.dumps(files.to_json(), ensure_ascii=False).encode())
                self._body = (files.digest, body)
            return self._body

    # --- saving ------------------------------------------------------------------------------------------
    async def save_file(self, rule: Rule, content: bytes, *, base_digest: str, author: str,
                        reason: str = "") -> RuleSet | None:
        """Make `content` the rule's file, if the file is still the one the edit was made from (`base_digest`),
        compared under the lock that writes — else StaleBase and nothing is written. Files: the file is
        rewritten and reloaded. Store: a new version (returned), in force here at once, on the other nodes
        by their NOTIFY. Follow: ReadOnlyRules. `reason`: why, for the history."""
        if self.mode == "follow":
            raise ReadOnlyRules(f"this service follows the team node {self.source.location if self.source else '?'}:"
                                " its rules are changed there")
        store = self.store
        if store is not None:
            saved = await store.save_file(rule.path.name, content, base_digest=base_digest, author=author,
                                          reason=reason)
            if saved is not None:
                await self._install_new(saved)
            return saved
        async with self._save_lock:  # this process's saves one at a time, other processes' by the directory lock
            versions = self.versions if self.coach.rules_dir is not None else None
            if versions is not None:  # what was there before (an edit by hand is a version of its own)
                await asyncio.to_thread(self._record_directory, versions, rule.path.parent)
            await asyncio.to_thread(_write_if_base, rule.path, content, base_digest)
            await self._reload_as_written(rule.path.parent)
            if versions is not None:
                return await asyncio.to_thread(self._record_directory, versions, rule.path.parent, author, None, None,
                                               reason)
        return None

    async def rollback(self, version: int, *, author: str, reason: str = "") -> RuleSet | None:
        store = self.store
        if store is not None:
            restored = await store.rollback(version, author=author, check=check_version,  # checked as a push is
                                            reason=reason)
            if restored is not None:
                await self._install_new(restored)
            return restored
        versions, directory = self._local()
        async with self._save_lock:
            target = await asyncio.to_thread(versions.fetch, version)
            if target is None:
                raise LookupError(f"there is no rule set version {version}")
            await asyncio.to_thread(check_version, target)  # what it restores must load, as a push must
            await asyncio.to_thread(self._record_directory, versions, directory)
            await asyncio.to_thread(_write_directory_locked, target, directory)
            await self._reload_as_written(directory)
            return await asyncio.to_thread(self._record_directory, versions, directory, author,
                                           f"rollback to version {version}", version, reason)

    # --- watching ------------------------------------------------------------------------------------------
    async def watch(self) -> None:
        """Follow the rules' source until cancelled: the directory (polled) or the store / team node (the
        last good version kept on disk first, then the source)."""
        if self.source is None:
            await self._watch_directory()
        else:
            await self.start_from_snapshot()
            await self._follow(self.source)

    async def _watch_directory(self) -> None:
        if self.coach.rules_dir is None or self.interval <= 0:
            return
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:  # whatever one look met, the next one comes: the watcher never dies
                log.exception("looking at the rules directory %s failed; trying again in %g s",
                              self.coach.rules_dir, self.interval)
            await asyncio.sleep(self.interval)

    async def refresh(self) -> None:
        """Files: reload now if the directory changed since the last look (cheap: names, sizes, mtimes). The
        supervisor's page calls it before it reads or saves a rule, so that it never works from a version
        another process (`--workers`) or an editor has already replaced."""
        directory = self.coach.rules_dir
        if self.source is not None or directory is None:
            return
        async with self._look_lock:
            current = directory_signature(directory)
            if current != self._signature:
                first = self._signature is None
                self._signature = current
                if not first:
                    await self.reload()

    async def _reload_as_written(self, directory: Path) -> None:
        """After this process wrote the directory: its rules in force, and the watcher not to reload them again."""
        async with self._look_lock:
            self._signature = directory_signature(directory)
            await self.reload()

    async def start_from_snapshot(self) -> None:
        """Before the source answers: the last good version kept on disk, if there is one for this source."""
        if self.snapshot is None or self.source is None:
            return
        kept = load_snapshot(self.snapshot)
        if kept is not None:
            try:
                await self.install(kept, serving="snapshot")
            except UnusableRuleSet as exc:
                log.warning("the rule set kept in %s is not used: %s", self.snapshot, exc)

    async def sync_once(self, wait: float = 0.0) -> None:
        """One look at the source (waiting up to `wait` s for news); raises when it cannot be reached."""
        assert self.source is not None
        newer = await self.source.newer(self.current, wait)
        self._online()
        if newer is not None:
            await self._install_new(newer)
        elif self.current is not None:
            self.serving = "source"

    async def _follow(self, source: RuleSource) -> None:
        delay = RETRY_MIN_S
        while not self._changes.closing:
            started = time.monotonic()
            try:
                # the first look does not wait for news: the service is starting (see first_sync)
                await self.sync_once(self.check_interval if self._first_done.is_set() else 0.0)
                delay = RETRY_MIN_S
                self._first_done.set()
                # a source that answers at once, every time (a node ignoring `wait`), is not asked in a loop
                await asyncio.sleep(max(0.0, MIN_LOOK_S - (time.monotonic() - started)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # unreachable, refused, timed out, a bad answer: the last good stays
                self._offline(exc)
                self._first_done.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, max(RETRY_MIN_S, min(RETRY_MAX_S, self.check_interval)))

    def _online(self) -> None:
        if self.state == "offline":
            log.info("rules source %s is back", self.source.location if self.source else "?")
        self.state = "online"
        self.last_error = None
        self.offline_since = None
        self.synced_at = time.time()

    def _offline(self, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}".strip()
        if message != self.last_error:
            kept = (f"version {self.current.version}" if self.current is not None and self.current.version
                    else "the last good rules" if self.current is not None else "the local rules")
            log.warning("rules source %s unavailable (%s stay in force): %s",
                        self.source.location if self.source else "?", kept, message)
        if self.state != "offline":
            self.offline_since = time.time()
        self.state = "offline"
        self.last_error = message

    async def first_sync(self, app: web.Application) -> None:
        """`on_startup`, after the watcher started: wait (bounded) for its first look at the source, so that
        the first request already gets the team's rules (an unreachable source is retried in the background,
        the last good version kept on disk serving meanwhile)."""
        if self.source is None:
            return
        try:
            await asyncio.wait_for(self._first_done.wait(), FIRST_SYNC_S)
        except TimeoutError:
            log.warning("rules source %s has not answered within %g s; serving %s meanwhile",
                        self.source.location, FIRST_SYNC_S, self.serving)

    async def closing(self, app: web.Application) -> None:
        """`on_shutdown`: long-polling followers are answered at once; the source's connections closed."""
        self._changes.close()

    async def close(self, app: web.Application) -> None:
        """`on_cleanup`: the source's connections closed."""
        if self.source is not None:
            await self.source.close()

    # --- reporting -------------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Where the rules come from and whether that place answers (`/healthz` → `rules_source`)."""
        book = self.coach.rulebook
        in_force = book.loaded_files
        out: dict[str, Any] = {
            "mode": self.mode,
            "location": self.source.location if self.source is not None else
            (str(self.coach.rules_dir) if self.coach.rules_dir is not None else None),
            "state": self.state,
            "serving": self.serving,
            "version": self.current.version if self.current is not None else None,
            "digest": in_force.digest,
            "created_at": self.current.created_at if self.current is not None else None,
            "author": self.current.author if self.current is not None else None,
        }
        if self.source is not None:
            out.update(synced_at=self.synced_at, offline_since=self.offline_since, last_error=self.last_error)
        return out


def _prepared(make: Callable[[Rulebook], Rulebook], before: Rulebook) -> Rulebook:
    """`make(before)`, with what the service reads of a book on every request worked out here, in the
    builder's thread, rather than on the event loop at the first request."""
    book = make(before)
    _ = book.active, book.titles, book.loaded_files.digest, book.digest
    return book


def _write_if_base(path: Path, content: bytes, base_digest: str) -> None:
    """Write a rule file if it still holds the version the edit was made from — checked and written under an
    exclusive lock on the rules directory itself, which every process serving it takes to save."""
    with directory_lock(path.parent):
        try:
            on_disk = path.read_bytes()
        except FileNotFoundError:
            raise StaleBase(path.name, "the file was removed since the edit was made from it") from None
        if file_digest(on_disk) != base_digest:
            raise StaleBase(path.name, "the file changed since the edit was made from it")
        write_atomically(path, content)
        _forget_old_lock(path.parent)


def _write_directory_locked(ruleset: RuleSet, directory: Path) -> None:
    """A rollback: the directory made to hold exactly these rule files, under the same lock as a save."""
    with directory_lock(directory):
        write_directory(ruleset, directory)
        _forget_old_lock(directory)


def _forget_old_lock(directory: Path) -> None:
    """The lock file an older version of the service left in the rules directory is not a rule: removed."""
    try:
        (directory / OLD_LOCK_FILE).unlink()
    except OSError:
        pass
