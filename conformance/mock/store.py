"""SQLite store of the reference server: contacts, list memberships, phone uniqueness enforced by the database."""
from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass

# id carries an index, not a UNIQUE constraint: uniqueness is the id generator's job, and the faults that break it
# need the store to keep what a careless server would keep.
SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    phone_key TEXT UNIQUE,
    email TEXT,
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS contacts_id ON contacts (id);
CREATE TABLE IF NOT EXISTS memberships (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id TEXT NOT NULL,
    list_id TEXT NOT NULL,
    UNIQUE (contact_id, list_id)
);
"""

SQLITE_MAX_INT = 2**63 - 1  # a page number far past the end must not overflow OFFSET
# The documented reading, in SQL. Deviations hand the store other SQL through the app's hook points; the store runs
# what it is given and knows none of them.
LIVE = "c.deleted = 0"
MEMBER_OF = "c.id IN (SELECT contact_id FROM memberships WHERE list_id = ?)"
NEWEST_FIRST = "c.seq DESC"
SAME_ID = "id = ?"
PHONE_TAKEN = "SELECT 1 FROM contacts WHERE phone = ? AND deleted = 0"
REMOVE_ROW = "DELETE FROM contacts WHERE id = :id"
REMOVE_MEMBERSHIPS = "DELETE FROM memberships WHERE contact_id = :id"


class DuplicatePhone(Exception):
    pass


@dataclass(frozen=True)
class Query:
    """Which contacts a list request matches: a SQL condition over `contacts c` with its arguments, and the list
    filter it was made for (None: the unfiltered list)."""
    list_id: str | None
    where: str
    args: tuple[str, ...] = ()

    @classmethod
    def of(cls, list_id: str | None) -> "Query":
        """All live contacts, or one list's live members."""
        if list_id is None:
            return cls(None, LIVE)
        return cls(list_id, f"({MEMBER_OF}) AND {LIVE}", (list_id,))


def _regexp(pattern: str, text: str) -> bool:
    """SQL's `text REGEXP pattern`; a pattern that is no regular expression matches nothing."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        # the REGEXP operator MySQL and PostgreSQL have built in, for deviations that compare with it
        self._db.create_function("regexp", 2, _regexp, deterministic=True)
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def snapshot(self) -> "Store":
        """An in-memory copy of the current data, for readers that see the past (a lagging replica)."""
        copy = Store()
        with self._lock:
            self._db.backup(copy._db)
        return copy

    def insert(self, contact: dict, *, phone_key: str | None, verb: str = "INSERT") -> None:
        """Insert a contact and its memberships in one transaction; a taken phone_key raises DuplicatePhone
        (unless the verb resolves the conflict otherwise, as INSERT OR REPLACE does)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    f"{verb} INTO contacts (id, name, phone, phone_key, email, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (contact["id"], contact["name"], contact["phone"], phone_key, contact.get("email"),
                     contact["created_at"]),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO memberships (contact_id, list_id) VALUES (?, ?)",
                    [(contact["id"], list_id) for list_id in contact.get("lists", [])],
                )
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                self._db.execute("ROLLBACK")
                if "phone_key" in str(exc):
                    raise DuplicatePhone(contact["phone"]) from exc
                raise

    def first(self, sql: str, args: tuple = ()) -> tuple | None:
        """The first row a read answers, or None."""
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return None if row is None else tuple(row)

    def write(self, sql: str, args: tuple = ()) -> None:
        """Run one write statement a deviation hands in (the store knows none of them)."""
        with self._lock:
            self._db.execute(sql, args)

    def phone_in_use(self, phone: str) -> bool:
        return self.first(PHONE_TAKEN, (phone,)) is not None

    def exists(self, contact_id: str) -> bool:
        return bool(self.live_ids(contact_id))

    def live_ids(self, contact_id: str, match: str = SAME_ID) -> list[str]:
        """Ids of live contacts a DELETE of contact_id reaches: those whose id meets the condition `match`."""
        with self._lock:
            rows = self._db.execute(f"SELECT DISTINCT id FROM contacts WHERE {match} AND deleted = 0",
                                    (contact_id,)).fetchall()
        return [row[0] for row in rows]

    def delete(self, contact_id: str, *, row: str | None = REMOVE_ROW,
               memberships: str | None = REMOVE_MEMBERSHIPS) -> None:
        """Run what a delete does to the contact's row and to its memberships (each a statement naming :id, or None
        to leave them as they are)."""
        with self._lock:
            for statement in (row, memberships):
                if statement is not None:
                    self._db.execute(statement, {"id": contact_id})

    def count(self, query: Query) -> int:
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM contacts c WHERE {query.where}", query.args).fetchone()[0]

    def rows(self, query: Query, *, offset: int, limit: int, order: str = NEWEST_FIRST) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT c.id, c.name, c.phone, c.email, c.created_at FROM contacts c WHERE {query.where} "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                [*query.args, limit, min(max(offset, 0), SQLITE_MAX_INT)]).fetchall()
        return [dict(row) for row in rows]
