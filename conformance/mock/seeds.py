"""The contacts an account in use already holds (the docs' examples among them), for the deviations that start from
such an account."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from conformance.mock.store import DuplicatePhone, Store

DOCS_EXAMPLES = [  # the contacts the docs show, as an account that already holds them would
    {"id": "cnt_def456", "name": "Maria Santos", "phone": "+244912345678", "email": "maria@example.com",
     "lists": ["lst_abc123"], "created_at": "2026-06-24T10:00:00Z"},
    {"id": "cnt_ghi789", "name": "João Ferreira", "phone": "+244923456789", "email": "joao@example.com",
     "lists": [], "created_at": "2026-06-23T14:30:00Z"},
]
OLD_CONTACTS = [
    {"id": f"cnt_old{n:04d}", "name": f"Cliente Antigo {n}", "phone": f"+24493{n:07d}",
     "email": f"cliente{n}@example.ao" if n % 2 else None,
     "lists": [["lst_abc123"], ["lst_def456"], ["lst_abc123", "lst_def456"], []][n % 4],
     "created_at": (datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for n in range(1, 61)]


def seed(store: Store, phone_key: Callable[[dict], str | None] = lambda contact: contact["phone"],
         **fields: str) -> Store:
    """The 62 contacts, each unless the store holds it already; phone_key gives the unique key each one claims, and
    `fields` values every contact is stored with instead of its own."""
    for contact in (dict(c, **fields) for c in DOCS_EXAMPLES + OLD_CONTACTS):
        if not store.exists(contact["id"]):
            try:
                store.insert(contact, phone_key=phone_key(contact))
            except DuplicatePhone:
                pass
    return store
