"""A rule set as files: what a version of `rules/` is, wherever it is kept — a directory, a version in the
team's PostgreSQL store, a team node's answer to a follower, or a follower's copy of its last good version.

A rule set is the `*.toml` files of a rules directory, by file name, as bytes. Its digest names its content
(the same files give the same digest on every machine); a file's digest is the sha256 of its bytes, the
`digest` the supervisor's form sends back as `base_digest`.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RULE_FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.toml$")
SNAPSHOT_FORMAT = 1


def file_digest(content: bytes) -> str:
    """The sha256 of a rule file's bytes (hex): tells a changed file from an unchanged one."""
    return hashlib.sha256(content).hexdigest()


def set_digest(digests: Mapping[str, str]) -> str:
    """The digest of a rule set from its files' digests (name → sha256): order-independent, 16 hex digits."""
    h = hashlib.sha256()
    for name in sorted(digests):
        h.update(f"{name}\0{digests[name]}\n".encode())
    return h.hexdigest()[:16]


class StaleBase(Exception):
    """A change made from a version of a rule file (or of the set) that is no longer the newest: someone
    saved first. Nothing was written; reload and apply the change again."""

    def __init__(self, file: str, problem: str):
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class UnusableVersion(Exception):
    """A stored version a rollback would restore, refused: its files do not load (`problems` say why)."""

    def __init__(self, version: int, problems: list[str]):
        super().__init__(f"version {version} cannot be restored: " + "; ".join(problems[:5])
                         + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        self.version = version
        self.problems = problems


MAX_VERSION = (1 << 63) - 1  # the store's version numbers are PostgreSQL bigints


@dataclass(frozen=True)
class RuleSet:
    """One version of the rule files. `version` is the store's number for it (None for a directory);
    `created_at` and `author` say when and by whom it was made, where that is known."""

    files: Mapping[str, bytes]
    version: int | None = None
    created_at: float | None = None
    author: str | None = None
    digests: Mapping[str, str] = field(init=False, repr=False, compare=False)
    digest: str = field(init=False, compare=False)  # names the content: the same files, the same digest

    def __post_init__(self) -> None:
        object.__setattr__(self, "digests", {name: file_digest(raw) for name, raw in self.files.items()})
        object.__setattr__(self, "digest", set_digest(self.digests))

    # --- as JSON: a team node's answer to a follower, and the follower's copy on disk ------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": SNAPSHOT_FORMAT, "version": self.version, "digest": self.digest,
                "created_at": self.created_at, "author": self.author,
                "files": {name: raw.decode("utf-8") for name, raw in sorted(self.files.items())}}

    @classmethod
    def from_json(cls, data: Any) -> RuleSet:
        """A rule set sent as JSON; ValueError saying what is wrong with it."""
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            raise ValueError("not a rule set: a JSON object with \"files\" is expected")
        files: dict[str, bytes] = {}
        for name, text in data["files"].items():
            if not isinstance(name, str) or not RULE_FILE_RE.match(name):
                raise ValueError(f"not a rule file name: {str(name)[:100]!r}")
            if not isinstance(text, str):
                raise ValueError(f"{name}: the content must be text")
            files[name] = text.encode("utf-8")
        version = data.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
            raise ValueError("version must be a positive integer or null")
        created_at = data.get("created_at")
        if created_at is not None and not isinstance(created_at, (int, float)):
            raise ValueError("created_at must be a number or null")
        author = data.get("author")
        if author is not None and not isinstance(author, str):
            raise ValueError("author must be text or null")
        ruleset = cls(files, version, float(created_at) if created_at is not None else None, author)
        if "digest" in data and data["digest"] != ruleset.digest:
            raise ValueError("the files do not match the rule set's digest (damaged in transit or on disk)")
        return ruleset


# --- directories -----------------------------------------------------------------------------------------
def rule_files(directory: Path) -> list[Path]:
    """The rule files of a directory: `*.toml`, hidden files (editors' temporaries) left out."""
    return sorted(p for p in directory.glob("*.toml") if p.is_file() and not p.name.startswith("."))


def read_directory(directory: Path) -> RuleSet:
    """The rule files of `directory` as a rule set; OSError when the directory or a file cannot be read."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: rules directory not found")
    return RuleSet({path.name: path.read_bytes() for path in rule_files(directory)})


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the file in one step (a reader — the service's own watcher — never sees half a file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_directory(ruleset: RuleSet, directory: Path) -> None:
    """Make `directory` hold exactly the set's rule files (others removed), each written atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, raw in ruleset.files.items():
        path = directory / name
        if not path.exists() or path.read_bytes() != raw:
            write_atomically(path, raw)
    for path in rule_files(directory):
        if path.name not in ruleset.files:
            path.unlink()


# --- a follower's (or a node's) copy of its last good version ------------------------------------------------
def save_snapshot(ruleset: RuleSet, path: Path, *, source: str) -> None:
    """Keep the set in one JSON file (replaced atomically), so that a restart without the team node or the
    database still serves the team's last good version rather than the local defaults."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**ruleset.to_json(), "source": source, "saved_at": time.time()}
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def load_snapshot(path: Path) -> RuleSet | None:
    """The set kept by `save_snapshot`, or None when there is none (or it cannot be read: it is a cache)."""
    try:
        return RuleSet.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


# --- differences -------------------------------------------------------------------------------------------
def text_diff(old: bytes, new: bytes, from_label: str, to_label: str) -> str:
    """A unified diff of two versions of a rule file."""
    return "".join(difflib.unified_diff(old.decode("utf-8", "replace").splitlines(keepends=True),
                                        new.decode("utf-8", "replace").splitlines(keepends=True),
                                        fromfile=from_label, tofile=to_label))


def changes(old: Mapping[str, bytes], new: Mapping[str, bytes], *, old_label: str = "before",
            new_label: str = "after") -> list[dict[str, str]]:
    """Per file, what changed from `old` to `new`: {file, change: added|removed|modified, diff}."""
    out: list[dict[str, str]] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        change = "added" if before is None else "removed" if after is None else "modified"
        out.append({"file": name, "change": change,
                    "diff": text_diff(before or b"", after or b"", f"{name} ({old_label})", f"{name} ({new_label})")})
    return out


def summarize_changes(items: Iterable[Mapping[str, str]]) -> str:
    """«slang.toml modified, caps.toml added» — a version's changes in one line («21 files added» for many)."""
    listed = list(items)
    if len(listed) > 3:
        counts: dict[str, int] = {}
        for c in listed:
            counts[c["change"]] = counts.get(c["change"], 0) + 1
        return ", ".join(f"{n} {'file' if n == 1 else 'files'} {change}" for change, n in counts.items())
    parts = [f"{c['file']} {c['change']}" for c in listed]
    return ", ".join(parts) if parts else "no changes"
