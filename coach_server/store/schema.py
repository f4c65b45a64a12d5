"""The feedback store's schema, one list of migrations per database, applied in order.

The same tables and columns in SQLite and PostgreSQL (types differ only where the databases do), so a team
can move from the default SQLite file to a shared PostgreSQL server without changing anything else.

- `events`: what the coaching did — each warning shown, dismissed or applied: when, which rule, its
  severity, the chat (a hash of the console's chat id, never the id itself), the operator, and — only when
  text storage is on — the draft at that moment with phones and e-mails masked.
- `conversations`: recorded chats (only when text storage is on, masked the same way), one row per chat,
  kept current as the chat goes on; they are a corpus for back-testing rule changes.
- `settings`: store-wide switches a supervisor sets (`store_text`), shared by every service on the store.
- `events.eid` (version 3): each event's own id, unique — an event written from the spool after a kill
  (see spool.py) is stored once even if it had been written before.

SQLite keeps the version in `PRAGMA user_version`; PostgreSQL in the one-row table `coach_schema`.
Version N of the schema is the state after the first N migrations. Never edit a released migration:
add one.

A team's versioned rule sets (PostgreSQL only, `coach rules push`, `coach serve --rules-from-store`) have
their own list, `RULES_MIGRATIONS`, versioned in the one-row table `coach_rules_schema`: a feedback store
that never holds rules never gets these tables.

- `rule_blobs`: each distinct rule file's bytes once, by their sha256 (a version that changes one file
  adds one blob).
- `rule_versions`: one row per version of the whole set — its number (1, 2, 3… without gaps), when, who
  (the token holder's label, or the pusher's name), a one-line summary, the version it restores (a
  rollback), the set's digest, and per changed file the unified diff against the version before.
- `rule_version_files`: which file names with which blobs make up each version.
"""
from __future__ import annotations

SQLITE_MIGRATIONS: list[list[str]] = [
    # 1: feedback events
    [
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('shown', 'dismissed', 'applied')),
            rule TEXT NOT NULL,
            severity TEXT,
            chat TEXT NOT NULL,
            operator TEXT
        )""",
        "CREATE INDEX events_ts ON events (ts)",
        "CREATE INDEX events_rule_ts ON events (rule, ts)",
    ],
    # 2: optional text, recorded conversations, settings
    [
        "ALTER TABLE events ADD COLUMN text TEXT",
        """CREATE TABLE conversations (
            chat TEXT PRIMARY KEY,
            operator TEXT,
            started_at REAL,
            updated_at REAL NOT NULL,
            messages TEXT NOT NULL
        )""",
        "CREATE INDEX conversations_updated ON conversations (updated_at)",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    # 3: event ids (the spool's events are stored once)
    [
        "ALTER TABLE events ADD COLUMN eid TEXT",
        "CREATE UNIQUE INDEX events_eid ON events (eid)",
    ],
]

POSTGRES_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE events (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts DOUBLE PRECISION NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('shown', 'dismissed', 'applied')),
            rule TEXT NOT NULL,
            severity TEXT,
            chat TEXT NOT NULL,
            operator TEXT
        )""",
        "CREATE INDEX events_ts ON events (ts)",
        "CREATE INDEX events_rule_ts ON events (rule, ts)",
    ],
    [
        "ALTER TABLE events ADD COLUMN text TEXT",
        """CREATE TABLE conversations (
            chat TEXT PRIMARY KEY,
            operator TEXT,
            started_at DOUBLE PRECISION,
            updated_at DOUBLE PRECISION NOT NULL,
            messages TEXT NOT NULL
        )""",
        "CREATE INDEX conversations_updated ON conversations (updated_at)",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    [
        "ALTER TABLE events ADD COLUMN eid TEXT",
        "CREATE UNIQUE INDEX events_eid ON events (eid)",
    ],
]

RULES_MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE rule_blobs (digest TEXT PRIMARY KEY, content BYTEA NOT NULL)",
        """CREATE TABLE rule_versions (
            version BIGINT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            author TEXT NOT NULL,
            summary TEXT NOT NULL,
            restores BIGINT REFERENCES rule_versions (version),
            digest TEXT NOT NULL,
            changes JSONB NOT NULL
        )""",
        """CREATE TABLE rule_version_files (
            version BIGINT NOT NULL REFERENCES rule_versions (version),
            name TEXT NOT NULL,
            digest TEXT NOT NULL REFERENCES rule_blobs (digest),
            PRIMARY KEY (version, name)
        )""",
    ],
]
RULES_SCHEMA_VERSION = len(RULES_MIGRATIONS)

SCHEMA_VERSION = len(SQLITE_MIGRATIONS)
assert len(POSTGRES_MIGRATIONS) == SCHEMA_VERSION


class SchemaTooNew(RuntimeError):
    """The store was created by a newer Operator Coach; this one must not write to it."""

    def __init__(self, found: int, known: int = SCHEMA_VERSION):
        super().__init__(f"the store's schema is version {found}, newer than this Operator Coach knows "
                         f"({known}); upgrade Operator Coach")
        self.found = found
