"""SQLite store of the reference server: contacts, list memberships, phone uniqueness enforced by the database."""
from __future__ import annotations

import sqlite3
import threading
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    phone_key TEXT UNIQUE,
    email TEXT,
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    written REAL NOT NULL DEFAULT 0,
    gone REAL
);
CREATE TABLE IF NOT EXISTS memberships (
    contact_id TEXT NOT NULL,
    list_id TEXT NOT NULL,
    PRIMARY KEY (contact_id, list_id)
);
"""


SQLITE_MAX_INT = 2**63 - 1  # a page number far past the end must not overflow OFFSET


class DuplicatePhone(Exception):
    pass


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def insert(self, contact: dict, *, phone_key: str | None) -> None:
        """Insert a contact and its memberships in one transaction; a taken phone_key raises DuplicatePhone."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO contacts (id, name, phone, phone_key, email, created_at, written) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (contact["id"], contact["name"], contact["phone"], phone_key, contact.get("email"),
                     contact["created_at"], time.time()),
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

    def phone_in_use(self, phone: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM contacts WHERE phone = ? AND deleted = 0", (phone,)).fetchone()
        return row is not None

    def exists(self, contact_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM contacts WHERE id = ? AND deleted = 0", (contact_id,)).fetchone()
        return row is not None

    def ids_starting_with(self, prefix: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT id FROM contacts WHERE deleted = 0 AND substr(id, 1, ?) = ?",
                                    (len(prefix), prefix)).fetchall()
        return [row[0] for row in rows]

    def delete(self, contact_id: str, *, keep_phone: bool = False, keep_memberships: bool = False,
               linger: bool = False) -> None:
        """linger: the row stays (with its memberships) for reads `as_of` an earlier time; the phone is free."""
        with self._lock:
            if linger:
                self._db.execute("UPDATE contacts SET deleted = 1, phone_key = NULL, gone = ? WHERE id = ?",
                                 (time.time(), contact_id))
                return
            if keep_phone or keep_memberships:
                key = "phone_key" if keep_phone else "NULL"
                self._db.execute(f"UPDATE contacts SET deleted = 1, phone_key = {key} WHERE id = ?", (contact_id,))
            else:
                self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
            if not keep_memberships:
                self._db.execute("DELETE FROM memberships WHERE contact_id = ?", (contact_id,))

    @staticmethod
    def _matching(list_id: str | None, include_deleted_members: bool, as_of: float | None = None) -> tuple[str, list]:
        """FROM and WHERE of the contacts a list query matches: all live ones, or one list's members; `as_of` a
        past time, the contacts that were live then (a replica that lags)."""
        if as_of is not None:
            visible = "c.written <= ? AND (c.deleted = 0 OR c.gone > ?)"
            if list_id is None:
                return f"contacts c WHERE {visible}", [as_of, as_of]
            return f"memberships m JOIN contacts c ON c.id = m.contact_id WHERE m.list_id = ? AND {visible}", \
                [list_id, as_of, as_of]
        if list_id is None:
            return "contacts c WHERE c.deleted = 0", []
        live = "" if include_deleted_members else " AND c.deleted = 0"
        return f"memberships m JOIN contacts c ON c.id = m.contact_id WHERE m.list_id = ?{live}", [list_id]

    def count(self, *, list_id: str | None, include_deleted_members: bool = False, as_of: float | None = None) -> int:
        matching, args = self._matching(list_id, include_deleted_members, as_of)
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM {matching}", args).fetchone()[0]

    def rows(self, *, list_id: str | None, offset: int, limit: int, newest_first: bool = True,
             include_deleted_members: bool = False, as_of: float | None = None) -> list[dict]:
        matching, args = self._matching(list_id, include_deleted_members, as_of)
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._db.execute(
                f"SELECT c.id, c.name, c.phone, c.email, c.created_at FROM {matching} ORDER BY c.seq {order} "
                "LIMIT ? OFFSET ?", [*args, limit, min(max(offset, 0), SQLITE_MAX_INT)]).fetchall()
        return [dict(row) for row in rows]
