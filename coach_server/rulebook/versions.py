"""The versions of a rules directory, for a service whose rules are files (no team store): what the supervisor
page's «История» shows and rolls back to on a single site.

    versions = LocalRuleVersions(Path("~/.local/share/operator-coach/rule-versions/<slug>"))
    versions.record(read_directory(rules).files, author="anna")     # after a save from the page
    versions.history(limit=20)                                      # newest first, with per-file diffs
    versions.fetch(3)                                               # version 3's files

One JSON file per version (`000003.json`: the files, who made it when, a summary, which version it restores,
the per-file changes from the one before), in a directory of the service's data — never in `rules/`, which
holds rule files only. Writes take an exclusive lock on that directory, so that `--workers` processes number
their versions in one sequence. Nothing is ever deleted: a rollback is a new version with an old one's files.
The same shapes as the team's PostgreSQL store (store/rulesets.py), so the page shows both alike.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .ruleset import RuleSet, changes, summarize_changes, write_atomically

_NAME = re.compile(r"^(\d{6,})\.json$")
MAX_AUTHOR_CHARS = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _label(text: str | None) -> str | None:
    if text is None:
        return None
    return _CONTROL.sub(" ", text).strip()[:MAX_AUTHOR_CHARS] or None


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock held on the directory itself (no lock file is left anywhere)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class LocalRuleVersions:
    """The versions of one rules directory, as files in `directory`."""

    kind = "files"

    def __init__(self, directory: Path):
        self.directory = directory

    @property
    def location(self) -> str:
        return str(self.directory)

    def _numbers(self) -> list[int]:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for name in names if (m := _NAME.match(name)))

    def _read(self, version: int) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.directory / f"{version:06d}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged entry is skipped, never the whole history
        return data

    def head(self) -> int | None:
        numbers = self._numbers()
        return numbers[-1] if numbers else None

    def fetch(self, version: int | None = None) -> RuleSet | None:
        """A version's files (default: the newest); None when there is no such version."""
        number = version if version is not None else self.head()
        data = self._read(number) if number is not None else None
        if data is None:
            return None
        try:
            return RuleSet.from_json(data)
        except ValueError:
            return None

    def history(self, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
        """The newest `limit` versions (older than `before`), newest first, with their per-file diffs."""
        out: list[dict[str, Any]] = []
        for number in reversed(self._numbers()):
            if before is not None and number >= before:
                continue
            data = self._read(number)
            if data is None:
                continue
            out.append({"version": number, "created_at": data.get("created_at"), "author": data.get("author"),
                        "summary": data.get("summary"), "reason": data.get("reason") or "",
                        "restores": data.get("restores"),
                        "digest": data.get("digest"), "files": len(data.get("files") or {}),
                        "changes": data.get("changes") or []})
            if len(out) >= max(1, limit):
                break
        return out

    def record(self, files: Mapping[str, bytes], *, author: str | None, summary: str | None = None,
               restores: int | None = None, reason: str = "") -> RuleSet | None:
        """Make `files` the newest version; None when the newest version already holds exactly these files.
        `reason`: why, in the author's words."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with directory_lock(self.directory):
            head = self.head()
            current = self.fetch(head) if head is not None else None
            candidate = RuleSet(dict(files))
            if current is not None and current.digest == candidate.digest:
                return None
            version = (head or 0) + 1
            diff = changes(current.files if current is not None else {}, files,
                           old_label=f"version {head}" if head else "empty", new_label=f"version {version}")
            made = RuleSet(dict(files), version, time.time(), _label(author))
            data = {**made.to_json(), "summary": summary or summarize_changes(diff), "restores": restores,
                    "reason": _CONTROL.sub(" ", reason).strip()[:500], "changes": diff}
            write_atomically(self.directory / f"{version:06d}.json",
                             json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
            return made
