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
- `verdicts` (version 4): supervisors' verdicts on warnings («Проверка подсказок», docs/supervisor.md) — one per
  warning and supervisor: the warning's item key, who, when, where it fired (corpus, chat, message), its rule,
  trigger, language and channel, the flagged piece and a short quote of the message and of the client before it
  (masked like recorded text), «верно»/«неверно», the category of error and the supervisor's reason. They are the
  team's figures (rulebook/precision.py) and export to the labels format `coach quality` reads.
- `status_changes` (version 4): each time the team's verdicts moved a rule's way of firing from shown to quiet or
  back — when, which, who gave the verdict that did it, and why (the figures, as JSON).

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
- `rule_versions.reason` (version 2): why the version was made, as its author said it (may be empty).
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
    # 4: supervisors' verdicts on warnings, and the changes of what operators see that they made
    [
        """CREATE TABLE verdicts (
            id INTEGER PRIMARY KEY,
            item TEXT NOT NULL,
            supervisor TEXT NOT NULL,
            ts REAL NOT NULL,
            corpus TEXT NOT NULL,
            chat TEXT NOT NULL,
            message INTEGER NOT NULL,
            rule TEXT NOT NULL,
            trigger TEXT NOT NULL,
            lang TEXT NOT NULL,
            channel TEXT NOT NULL,
            span TEXT,
            quote TEXT NOT NULL,
            client TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'wrong')),
            category TEXT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (item, supervisor)
        )""",
        "CREATE INDEX verdicts_rule ON verdicts (rule, trigger)",
        """CREATE TABLE status_changes (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            rule TEXT NOT NULL,
            trigger TEXT NOT NULL,
            lang TEXT NOT NULL,
            shown INTEGER NOT NULL,
            author TEXT NOT NULL,
            why TEXT NOT NULL
        )""",
        "CREATE INDEX status_changes_ts ON status_changes (ts)",
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
    [
        """CREATE TABLE verdicts (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            item TEXT NOT NULL,
            supervisor TEXT NOT NULL,
            ts DOUBLE PRECISION NOT NULL,
            corpus TEXT NOT NULL,
            chat TEXT NOT NULL,
            message INTEGER NOT NULL,
            rule TEXT NOT NULL,
            trigger TEXT NOT NULL,
            lang TEXT NOT NULL,
            channel TEXT NOT NULL,
            span TEXT,
            quote TEXT NOT NULL,
            client TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'wrong')),
            category TEXT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (item, supervisor)
        )""",
        "CREATE INDEX verdicts_rule ON verdicts (rule, trigger)",
        """CREATE TABLE status_changes (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts DOUBLE PRECISION NOT NULL,
            rule TEXT NOT NULL,
            trigger TEXT NOT NULL,
            lang TEXT NOT NULL,
            shown INTEGER NOT NULL,
            author TEXT NOT NULL,
            why TEXT NOT NULL
        )""",
        "CREATE INDEX status_changes_ts ON status_changes (ts)",
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
    # 2: why a version was made, in the supervisor's words (a pin: «на наших чатах оно право»)
    [
        "ALTER TABLE rule_versions ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
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
