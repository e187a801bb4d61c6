"""Faults that show only when an answer is compared with earlier ones or with the whole account: a refused create
that still touches the contact holding its phone, counters kept beside the rows that drift from them, a delete that
reaches more than its contact, and rows a later page or another route reads differently."""
from __future__ import annotations

import contextvars
from datetime import datetime, timezone
from typing import Any

from conformance.mock.faults.common import (ISO_SECONDS, SOFT_DELETE, deleted_members_counted, deleted_rows_counted,
                                            soft_delete)
from conformance.mock.registry import Hooks, fault, only
from conformance.mock.store import REMOVE_MEMBERSHIPS, Query, Store

# The body of the create being handled, for the conflict handler that runs later in the same request
_body: contextvars.ContextVar[dict] = contextvars.ContextVar("body", default={})
# The paging of the list request being handled, for its later hooks
_page: contextvars.ContextVar[int] = contextvars.ContextVar("page", default=1)
_per_page_named: contextvars.ContextVar[bool] = contextvars.ContextVar("per_page_named", default=True)
_offset: contextvars.ContextVar[tuple[int, int]] = contextvars.ContextVar("offset", default=(0, 50))


def _on_conflict(statement: str, value: Any) -> Hooks:
    """A conflicting create runs `statement` against the live contact holding its phone (bound to `value(body)` and
    the phone), then answers 409 as it should."""
    stores: list[Store] = []

    def problems(found: dict, body: dict, store: Store, **_: Any) -> dict:
        stores[:] = [store]
        _body.set(body)
        return found

    def conflict(status: int, **_: Any) -> int:
        body = _body.get()
        if stores and isinstance(body.get("phone"), str):
            stores[0].write(statement, (value(body), body["phone"]))
        return status
    return {"problems": problems, "conflict_status": conflict}


def _now(_: dict) -> str:
    return datetime.now(timezone.utc).strftime(ISO_SECONDS)


def _conflicts_counted() -> Hooks:
    """The unfiltered total is a counter bumped before the insert, outside its transaction: a 409 leaves it bumped."""
    refused = [0]

    def conflict(status: int, **_: Any) -> int:
        refused[0] += 1
        return status
    return {"conflict_status": conflict,
            "total": lambda total, query, **_: total + refused[0] if query.list_id is None else total}


def _delete_trigger_per_membership() -> Hooks:
    """The unfiltered total is a counter a trigger on memberships decrements: a deleted contact in n lists takes n
    off it (one if it was in none)."""
    stores: list[Store] = []
    extra = [0]

    def about_to_delete(crash: bool, contact_id: str, **_: Any) -> bool:
        if stores and stores[0].exists(contact_id):
            joined = stores[0].first("SELECT COUNT(*) FROM memberships WHERE contact_id = ?", (contact_id,))[0]
            extra[0] += max(joined - 1, 0)
        return crash
    return {"opened": lambda store, **_: stores.append(store) or store, "delete_id_crashes": about_to_delete,
            "total": lambda total, query, **_: max(total - extra[0], 0) if query.list_id is None else total}


def _remember_paging(per_page: int, request: Any, **_: Any) -> int:
    raw = request.query_params.get("page", "1")
    _page.set(int(raw) if raw.isdigit() else 1)
    _per_page_named.set("per_page" in request.query_params)
    return per_page


def _later_filtered_pages_keep_deleted() -> Hooks:
    """Deletes flag the row and leave its memberships; page 1 of a list filter is the ORM's query, later pages a
    hand-written keyset query that forgets the flag (the total is counted once, by the ORM)."""
    return {"delete_mode": lambda mode, **_: (SOFT_DELETE, None), "default_per_page": _remember_paging,
            "query": lambda q, **_: deleted_members_counted(q) if q.list_id is not None and _page.get() > 1 else q,
            "total_query": lambda q, **_: Query.of(q.list_id)}


def _default_route_keeps_deleted() -> Hooks:
    """Deletes are soft; GET /contacts without per_page is served by the legacy handler, which forgets the flag."""
    return {"delete_mode": lambda mode, **_: (SOFT_DELETE, REMOVE_MEMBERSHIPS), "default_per_page": _remember_paging,
            "query": lambda q, **_: q if _per_page_named.get() else deleted_rows_counted(q),
            "total_query": lambda q, **_: q if _per_page_named.get() else deleted_rows_counted(q)}


def _email_channel_by_phone() -> Hooks:
    """Emails live in a channel table keyed by phone, which a (soft) delete leaves: a later contact with that phone
    and no email of its own is listed with the deleted contact's (the create answer is built from the request)."""
    stores: list[Store] = []

    def listed(body: dict, **_: Any) -> dict:
        def item(contact: dict) -> dict:
            if contact.get("email") or not stores:
                return contact
            row = stores[0].first("SELECT email FROM contacts WHERE phone = ? AND deleted = 1 AND email IS NOT NULL "
                                  "ORDER BY seq DESC", (contact.get("phone"),))
            return {**contact, "email": row[0]} if row else contact
        return {**body, "data": [item(c) for c in body["data"]]}
    return {"opened": lambda store, **_: stores.append(store) or store,
            "delete_mode": lambda mode, **_: (SOFT_DELETE, REMOVE_MEMBERSHIPS), "list_body": listed}


fault("conflict_touches_holders_created_at", "created_at is a MySQL TIMESTAMP column created without "
      "explicit_defaults_for_timestamp, so it carries ON UPDATE CURRENT_TIMESTAMP; a create whose phone is taken "
      "bumps the holder's conflict counter before answering 409, which moves the holder's created_at to now.",
      lambda: _on_conflict("UPDATE contacts SET created_at = ? WHERE phone = ? AND deleted = 0", _now),
      "LIST-ITEM-MATCHES-CREATE", also=("LIST-ITEM-FIELDS",))
fault("conflict_renames_holder", "A create is an INSERT … ON CONFLICT (phone) DO UPDATE SET name = excluded.name, "
      "and the handler answers 409 when the row was not new: the refused create renames the contact holding the "
      "phone.", lambda: _on_conflict("UPDATE contacts SET name = ? WHERE phone = ? AND deleted = 0",
                                     lambda body: body.get("name")),
      "LIST-ITEM-MATCHES-CREATE")
fault("total_counts_refused_duplicates", "The unfiltered meta.total is an account counter bumped before the insert, "
      "outside its transaction: every create refused with 409 leaves it one higher.", _conflicts_counted,
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION",))
fault("total_decremented_per_membership", "The unfiltered meta.total is an account counter a trigger on the "
      "memberships table keeps: a deleted contact in three lists takes three off it.",
      _delete_trigger_per_membership, "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION",))
fault("later_filtered_pages_show_deleted", "Deletes are soft and leave memberships; page 1 of a list filter is the "
      "ORM's query, later pages a hand-written keyset query that forgets the deleted flag: a deleted member shows "
      "again from page 2 on.", _later_filtered_pages_keep_deleted, "DELETE-REMOVED-FROM-LISTS",
      also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
fault("default_route_shows_deleted", "Deletes are soft; GET /contacts without per_page is still served by the "
      "legacy handler, which forgets the deleted flag: a client that names no page size sees deleted contacts.",
      _default_route_keeps_deleted, "DELETE-GONE-FROM-LIST", also=("DELETE-REMOVED-FROM-LISTS",))
fault("listed_email_from_deleted_phone", "Emails live in a channel table keyed by phone that a delete leaves: a "
      "contact created later with that phone and no email is listed with the deleted contact's email.",
      _email_channel_by_phone, "LIST-ITEM-MATCHES-CREATE")
fault("delete_takes_same_name", "Contacts were unique on their full name in the legacy schema, and DELETE still "
      "removes by it: deleting one Maria Santos deletes every contact named Maria Santos.",
      lambda: {"delete_mode": lambda mode, **_: (
          "DELETE FROM contacts WHERE name = (SELECT name FROM contacts WHERE id = :id)", mode[1])},
      "DELETE-ONLY-THE-GIVEN-ID", also=("LIST-TOTAL-COUNTS-MATCHES",))


def _bounded_tombstones(capacity: int) -> Hooks:
    """Rows stay in the read index; list reads leave out the ids of a bounded set of tombstones (an LRU of the last
    `capacity` deletes), so once more were deleted, the earliest deleted contacts are listed again."""
    stores: list[Store] = []
    tombstones: list[str] = []

    def remember(crash: bool, contact_id: str, **_: Any) -> bool:
        if stores and stores[0].exists(contact_id):
            tombstones.append(contact_id)
            del tombstones[:-capacity]
        return crash

    def query(q: Query, **_: Any) -> Query:
        hidden = tombstones or [""]
        where = (f"({deleted_rows_counted(deleted_members_counted(q)).where}) AND c.id NOT IN "
                 f"({', '.join('?' * len(hidden))})")
        return Query(q.list_id, where, (*q.args, *hidden))
    return {"opened": lambda store, **_: stores.append(store) or store, "delete_id_crashes": remember,
            "delete_mode": lambda mode, **_: (SOFT_DELETE, None), "query": query}


def _first_seen_of_phone() -> Hooks:
    """The list view takes created_at from the phone's first row (a 'first seen' join), deleted rows included."""
    stores: list[Store] = []

    def listed(body: dict, **_: Any) -> dict:
        def item(contact: dict) -> dict:
            row = stores[0].first("SELECT created_at FROM contacts WHERE phone = ? ORDER BY seq",
                                  (contact.get("phone"),))
            return {**contact, "created_at": row[0]} if row else contact
        return {**body, "data": [item(c) for c in body["data"]]}
    return {"opened": lambda store, **_: stores.append(store) or store,
            "delete_mode": lambda mode, **_: (SOFT_DELETE, REMOVE_MEMBERSHIPS), "list_body": listed}


fault("deleted_listed_again_after_many_deletes", "Rows stay in the read index and list reads leave out the last 40 "
      "deleted ids (a bounded tombstone set): once 40 more contacts were deleted, a deleted contact is listed again.",
      lambda: _bounded_tombstones(40), "DELETE-GONE-FROM-LIST",
      also=("DELETE-REMOVED-FROM-LISTS", "LIST-TOTAL-COUNTS-MATCHES"))
fault("listed_created_at_of_phones_first_contact", "Deletes are soft; the list view takes created_at from the "
      "first row that held the phone (a join on phone meant for 'customer since'): a contact made with a deleted "
      "contact's phone is listed with the deleted one's created_at (its create answers its own).",
      _first_seen_of_phone, "LIST-ITEM-MATCHES-CREATE")


def _remember_offset(offset: int, per_page: int, **_: Any) -> int:
    _offset.set((offset, per_page))
    return offset


def _cut_at_block_end(limit: int, **_: Any) -> int:
    """The page sliced out of the cached block of 100 rows that holds its first row: no further than that block."""
    offset, _per_page = _offset.get()
    return min(limit, offset // 100 * 100 + 100 - offset)


def _ties_in_top_n_order(order: str, **_: Any) -> str:
    """ORDER BY created_at alone under a top-N sort: rows of one second come in an order that depends on how many
    rows the sort keeps (offset + limit), the same on every read of that page."""
    offset, per_page = _offset.get()
    return f"c.created_at DESC, (c.seq * {offset + per_page + 7}) % 1009"


def _total_without_list_imports() -> Hooks:
    """The account counter is bumped by the plain create path only; a create with lists takes the list-import path,
    which inserts the contact and its memberships and forgets the counter (deletes always lower it)."""
    missed = [0]

    def stored(contact: dict, **_: Any) -> dict:
        missed[0] += 1 if contact.get("lists") else 0
        return contact
    return {"stored": stored,
            "total": lambda total, query, **_: total - missed[0] if query.list_id is None else total}


fault("pages_cut_at_block_end", "Rows are read in cached blocks of 100 and a page is sliced out of the block holding "
      "its first row: a page that straddles two blocks (per_page 73, page 2) stops at the block's end and the next "
      "page starts past the rows it left out.",
      lambda: {"offset": _remember_offset, "limit": _cut_at_block_end}, "LIST-PAGES-PARTITION")
fault("tie_order_depends_on_page", "ORDER BY created_at alone, sorted top-N: contacts created in one second come in "
      "an order that depends on offset + limit, stable for each page but not between pages, so pages repeat some "
      "contacts and skip others.",
      lambda: {"offset": _remember_offset, "order": _ties_in_top_n_order}, "LIST-PAGES-PARTITION")
fault("total_skips_creates_with_lists", "The unfiltered meta.total is an account counter the plain create path bumps; "
      "a create with lists takes the list-import path, which forgets it: the total counts only contacts made without "
      "lists (less those deleted).", _total_without_list_imports, "LIST-TOTAL-COUNTS-MATCHES",
      also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))


fault("delete_finds_row_by_phone", "Deletes are soft, and DELETE finds the live contact through the phone of the row "
      "with the given id (the campaign service's key): once a new contact holds a deleted contact's phone, deleting "
      "the deleted id again answers 204 and deletes the new contact.",
      soft_delete(id_match=lambda match, **_: "phone = (SELECT phone FROM contacts WHERE id = ?)"),
      "DELETE-404-AFTER-DELETE", also=("DELETE-ONLY-THE-GIVEN-ID",))
fault("filtered_total_counts_prefix_lists", "Under list_id meta.total is counted with list_id LIKE ? || '%' (the "
      "count query of a search-as-you-type box reused), while the rows match exactly: lst_m1's total counts the "
      "members of lst_m10 and lst_m1x too.",
      only("total_query", lambda q, **_: Query(q.list_id, q.where.replace("list_id = ?", "list_id LIKE ? || '%'"),
                                               q.args) if q.list_id is not None else q),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
