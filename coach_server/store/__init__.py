"""The feedback store: what the coaching did (warnings shown, dismissed, applied), kept for supervisors.

    store = open_store("sqlite:///var/lib/coach/feedback.sqlite3")      # or a plain path
    store = open_store("postgresql://coach@db.local/coach")              # shared by a team
    store = open_store(None)                                             # $COACH_STORE, else the default file

The default is SQLite in the user's data directory: `$XDG_DATA_HOME/operator-coach/feedback.sqlite3`
(`~/.local/share/…` when XDG_DATA_HOME is unset). Chat ids are stored hashed; message text only when the
supervisor turns text storage on, and then with phone numbers and e-mails masked.
"""
from __future__ import annotations

import os
from pathlib import Path

from .base import Store, StoreUnavailable
from .postgres import PostgresStore
from .sqlite import SQLiteStore

__all__ = ["PostgresStore", "SQLiteStore", "Store", "StoreUnavailable", "StoreUrlError", "default_store_path",
           "open_store"]

DISABLED = ("none", "off", "no", "")


class StoreUrlError(ValueError):
    pass


def default_store_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "operator-coach" / "feedback.sqlite3"


def open_store(url: str | None, *, store_text: bool | None = None) -> Store | None:
    """A store for `url` (None: $COACH_STORE, else the default SQLite file); None when turned off.

    `sqlite:///abs/path`, `sqlite://rel/path` or a plain file path → SQLite; `postgresql://…` or
    `postgres://…` → PostgreSQL; `none` → no store (events stay in memory only)."""
    if url is None:
        url = os.environ.get("COACH_STORE")
        if url is None:
            return SQLiteStore(default_store_path(), store_text=store_text)
    url = url.strip()
    if url.lower() in DISABLED:
        return None
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, store_text=store_text)
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
        if not path or path == "/":
            raise StoreUrlError("sqlite:// needs a file path, e.g. sqlite:///var/lib/coach/feedback.sqlite3")
        if path.startswith("/"):
            path = "/" + path.lstrip("/")  # sqlite:///abs and sqlite:////abs both name /abs
        return SQLiteStore(Path(path), store_text=store_text)
    if "://" in url:
        raise StoreUrlError(f"unknown store {url.split('://')[0]!r}: use sqlite:///path, postgresql://… or none")
    return SQLiteStore(Path(url), store_text=store_text)
