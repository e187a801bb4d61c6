"""SQLite store of the reference server: contacts, list memberships, phone uniqueness enforced by the database."""
from __future__ import annotations

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
ORDERS = {"newest": "c.seq DESC", "oldest": "c.seq ASC", "id": "c.id ASC", "random": "random()"}
ID_MATCHES = {"exact": "id = ?", "prefix": "id LIKE ? || '%'", "extension": "? LIKE id || '%'",
              "any_case": "lower(id) = lower(?)"}


class DuplicatePhone(Exception):
    pass


@dataclass(frozen=True)
class Query:
    """Which contacts a list request matches. The defaults are the documented reading; faults change the others."""
    list_id: str | None = None
    list_prefix: bool = False  # list_id compared with LIKE 'id%' instead of =
    list_compare: str = "= ?"  # how a membership's list id is compared with list_id (faults: LIKE ?, COLLATE NOCASE)
    deleted_members: bool = False  # soft-deleted contacts still count as their lists' members
    deleted: bool = False  # soft-deleted contacts still count in the unfiltered list
    in_any_list: bool = False  # the unfiltered list joins memberships, so contacts without lists are missing
    or_unlisted: bool = False  # a list filter that also matches contacts in no list (a LEFT JOIN slip)


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
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

    def insert(self, contact: dict, *, phone_key: str | None, replace: bool = False) -> None:
        """Insert a contact and its memberships in one transaction; a taken phone_key raises DuplicatePhone
        (or, with replace, evicts the contact holding it)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT"
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

    def phone_in_use(self, phone: str, *, include_deleted: bool = False) -> bool:
        live = "" if include_deleted else " AND deleted = 0"
        with self._lock:
            row = self._db.execute(f"SELECT 1 FROM contacts WHERE phone = ?{live}", (phone,)).fetchone()
        return row is not None

    def deleted_holder(self, phone: str) -> str | None:
        """The id of a soft-deleted contact that still holds this phone."""
        with self._lock:
            row = self._db.execute("SELECT id FROM contacts WHERE phone = ? AND deleted = 1 AND phone_key IS NOT NULL",
                                   (phone,)).fetchone()
        return row[0] if row else None

    def email_in_use(self, email: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM contacts WHERE email = ? AND deleted = 0", (email,)).fetchone()
        return row is not None

    def exists(self, contact_id: str) -> bool:
        return bool(self.live_ids(contact_id))

    def live_ids(self, contact_id: str, match: str = "exact") -> list[str]:
        """Ids of live contacts a DELETE of contact_id reaches, compared the way `match` names (ID_MATCHES)."""
        with self._lock:
            rows = self._db.execute(f"SELECT DISTINCT id FROM contacts WHERE {ID_MATCHES[match]} AND deleted = 0",
                                    (contact_id,)).fetchall()
        return [row[0] for row in rows]

    def was_deleted(self, contact_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM contacts WHERE id = ? AND deleted = 1", (contact_id,)).fetchone()
        return row is not None

    def delete(self, contact_id: str, *, row: str = "remove", memberships: str = "remove") -> None:
        """row: remove | soft (flagged, phone freed) | soft_keep_phone | keep.
        memberships: remove | keep | remove_first (only the earliest membership goes) | keep_last (all but the
        latest go)."""
        with self._lock:
            if row == "remove":
                self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
            elif row in ("soft", "soft_keep_phone"):
                key = "phone_key" if row == "soft_keep_phone" else "NULL"
                self._db.execute(f"UPDATE contacts SET deleted = 1, phone_key = {key} WHERE id = ?", (contact_id,))
            if memberships == "remove":
                self._db.execute("DELETE FROM memberships WHERE contact_id = ?", (contact_id,))
            elif memberships == "remove_first":
                self._db.execute("DELETE FROM memberships WHERE seq = (SELECT min(seq) FROM memberships "
                                 "WHERE contact_id = ?)", (contact_id,))
            elif memberships == "keep_last":
                self._db.execute("DELETE FROM memberships WHERE contact_id = ? AND seq < (SELECT max(seq) FROM "
                                 "memberships WHERE contact_id = ?)", (contact_id, contact_id))

    @staticmethod
    def _matching(query: Query) -> tuple[str, list]:
        """FROM and WHERE of the contacts a list query matches: all live ones, or one list's members."""
        if query.list_id is None:
            live = "1" if query.deleted else "c.deleted = 0"
            if query.in_any_list:
                return f"contacts c WHERE {live} AND c.id IN (SELECT contact_id FROM memberships)", []
            return f"contacts c WHERE {live}", []
        live = "" if query.deleted_members else " AND c.deleted = 0"
        compare = "LIKE ? || '%'" if query.list_prefix else query.list_compare
        unlisted = " OR c.id NOT IN (SELECT contact_id FROM memberships)" if query.or_unlisted else ""
        return (f"contacts c WHERE (c.id IN (SELECT contact_id FROM memberships WHERE list_id {compare}){unlisted})"
                f"{live}", [query.list_id])

    def count(self, query: Query) -> int:
        matching, args = self._matching(query)
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM {matching}", args).fetchone()[0]

    def rows(self, query: Query, *, offset: int, limit: int, order: str = "newest") -> list[dict]:
        matching, args = self._matching(query)
        with self._lock:
            rows = self._db.execute(
                f"SELECT c.id, c.name, c.phone, c.email, c.created_at FROM {matching} ORDER BY {ORDERS[order]} "
                "LIMIT ? OFFSET ?", [*args, limit, min(max(offset, 0), SQLITE_MAX_INT)]).fetchall()
        return [dict(row) for row in rows]
