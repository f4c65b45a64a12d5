"""The spool: feedback events on disk from the moment they are acknowledged until the store has them.

The live endpoint acknowledges a feedback event as durable only once it is *kept*: its whole line appended
to this file and the file synced to the disk (`fsync`; acknowledgements waiting at the same moment share
one). A write the disk cuts short (a full disk) is taken back — the file is cut to the last whole line —
and the event is acknowledged as not durable. The store's writer writes the events to the database as
before; once everything queued is written, the file is emptied. A service that starts and finds a spool —
its own from before a kill, or one another service on the same store left — writes those events first.
Each event carries an id, and the database refuses a second row with the same id, so an event spooled and
also written before a kill is stored once.

One JSON line per event (its row as the events table has it, the draft's text already masked). A line that
is not whole when the spool is read (a kill in the middle of a write: never an acknowledged event) is
reported in the log and set aside, as it was, in `….spool.damaged` beside it. The file is owner-only,
locked while a service uses it (a second service on the same SQLite file gets a spool of its own,
`….<pid>.spool`), and bounded (`max_bytes`): beyond that an event is still queued but no longer
acknowledged as kept.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("coach.store")

SPOOL_SUFFIX = ".spool"
MAX_SPOOL_BYTES = 64 << 20


class Spool:
    def __init__(self, path: Path, max_bytes: int = MAX_SPOOL_BYTES):
        self.base = path  # the spool a single service uses; a second one on the same store adds its pid
        self.path = path
        self.max_bytes = max_bytes
        self._fd: int | None = None
        self.size = 0  # bytes of whole lines in the file
        self._appended = 0  # lines appended since the start …
        self._synced = 0  # … and how many of them are known to be on the disk
        self._sync_lock = threading.Lock()  # one fsync at a time; callers that wait on it share its result
        self._torn = False  # a cut-short line could not be taken back: nothing is appended until it is
        self.failed: str | None = None  # why events are not being spooled, if they are not

    # --- opening, and what earlier services left ---------------------------------------------------------
    def open(self) -> list[Sequence[Any]]:
        """Open (and lock) the spool; return the rows earlier services left in spools of this store."""
        try:
            self.base.parent.mkdir(parents=True, exist_ok=True)
            fd = self._lock(self.base)
            if fd is None:
                self.path = self.base.with_name(f"{self.base.name[:-len(SPOOL_SUFFIX)]}.{os.getpid()}{SPOOL_SUFFIX}")
                fd = self._lock(self.path)
                if fd is None:
                    raise OSError(f"{self.path} is locked by another process")
        except OSError as exc:
            self._fail(exc)
            return []
        self._fd = fd
        rows = _read_rows(fd, self.path)
        for other in self._leftovers():  # spools of services that stopped without emptying theirs
            other_fd = self._lock(other)
            if other_fd is None:
                continue  # a running service's: its own business
            try:
                adopted = _read_rows(other_fd, other)
                for row in adopted:
                    self.append(row)
                rows += adopted
                other.unlink()
            finally:
                os.close(other_fd)
        self.size = os.fstat(fd).st_size
        if rows:
            log.info("feedback spool %s: %d events from before are written to the store first", self.path, len(rows))
        return rows

    def _leftovers(self) -> list[Path]:
        stem = self.base.name[:-len(SPOOL_SUFFIX)]
        return [p for p in self.base.parent.glob(f"{stem}*{SPOOL_SUFFIX}")
                if p != self.path and (p == self.base or p.name[len(stem) + 1:-len(SPOOL_SUFFIX)].isdigit())]

    @staticmethod
    def _lock(path: Path) -> int | None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def _fail(self, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if message != self.failed:
            log.warning("feedback spool %s unavailable (events are queued in memory only): %s", self.path, message)
        self.failed = message

    # --- writing ---------------------------------------------------------------------------------------
    def append(self, row: Sequence[Any]) -> bool:
        """Append one event's row; True when its whole line is in the file (not yet synced: `sync`)."""
        if self._fd is None:
            return False
        line = (json.dumps(list(row), ensure_ascii=False) + "\n").encode("utf-8")
        if self.size + len(line) > self.max_bytes:
            self._fail(OSError(f"the spool holds {self.size} bytes, its limit"))
            return False
        if self._torn and not self._take_back():
            return False
        written = 0
        try:
            while written < len(line):  # a short write is not an error yet: the rest is written, or fails
                written += os.write(self._fd, line[written:])
        except OSError as exc:
            self._fail(exc)
            if written:
                self._torn = True
                self._take_back()
            return False
        self.size += len(line)
        self._appended += 1
        self.failed = None
        return True

    def _take_back(self) -> bool:
        """Cut the file to its whole lines (after a write the disk cut short)."""
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, self.size)
        except OSError as exc:
            self._fail(exc)
            return False
        self._torn = False
        return True

    def sync(self) -> bool:
        """Put everything appended so far on the disk; True when it is there. Safe from any thread: a caller
        that waited for another's fsync and finds its lines covered returns without one of its own."""
        with self._sync_lock:
            target = self._appended
            if self._synced >= target:
                return True
            if self._fd is None:
                return False
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self._fail(exc)
                return False
            self._synced = target
            return True

    def empty(self) -> None:
        """Everything spooled is in the store now."""
        if self._fd is not None and self.size:
            try:
                os.ftruncate(self._fd, 0)
                self.size = 0
            except OSError as exc:
                self._fail(exc)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        empty = self.size == 0
        os.close(fd)  # the lock goes with it
        if empty and self.path != self.base:
            try:
                self.path.unlink()  # a second service's own spool, empty: nothing to leave behind
            except OSError:
                pass


def _read_rows(fd: int, path: Path) -> list[Sequence[Any]]:
    """The rows of a spool; a line that is not a whole row (cut short by a kill or a full disk: never an
    acknowledged event) is reported and set aside in `<spool>.damaged`, never silently dropped."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    rows: list[Sequence[Any]] = []
    damaged: list[bytes] = []
    for line in b"".join(chunks).split(b"\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            row = None
        if isinstance(row, list):
            rows.append(row)
        else:
            damaged.append(line)
    if damaged:
        aside = path.with_name(path.name + ".damaged")
        try:
            with aside.open("ab") as f:
                f.write(b"".join(line + b"\n" for line in damaged))
            where = f"set aside in {aside}"
        except OSError as exc:
            where = f"could not be set aside in {aside} ({exc.strerror})"
        log.warning("feedback spool %s: %d damaged lines (%d bytes; cut short by a kill or a full disk, "
                    "so never acknowledged as kept) %s", path, len(damaged), sum(map(len, damaged)), where)
    return rows
