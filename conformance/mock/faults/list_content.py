"""Faults of what a list shows: the body's shape, the items' fields, the list_id filter, and whether created
contacts appear."""
from __future__ import annotations

import contextvars
import dataclasses
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

from starlette.responses import Response

from conformance.mock.faults.common import INVISIBLE, ISO_SECONDS, meta_changed, seconds_later, without
from conformance.mock.formats import LIST_ID, repeats_an_item
from conformance.mock.registry import Hooks, fault, map_items, only
from conformance.mock.seeds import seed
from conformance.mock.store import LIVE, MEMBER_OF, Query

FIRST_MEMBERSHIP_OF = ("c.id IN (SELECT contact_id FROM memberships m WHERE list_id = ? AND m.seq = "
                       "(SELECT min(seq) FROM memberships WHERE contact_id = m.contact_id))")

# Whether the create being handled repeats a list id, for its later hooks (each request is a task of its own, so a
# context variable set by one hook is seen by the later hooks of that request only)
_lists_repeated: contextvars.ContextVar[bool] = contextvars.ContextVar("lists_repeated", default=False)


def _compared(query: Query, comparison: str) -> Query:
    """The list filter compares a membership's list id with `comparison` instead of `= ?`."""
    return dataclasses.replace(query, where=query.where.replace("list_id = ?", f"list_id {comparison}"))


def _list_names(fn) -> Callable[[], Hooks]:
    """The list view passes every listed name through fn (the create echo is as sent)."""
    return only("list_body", map_items(lambda item: {**item, "name": fn(item["name"])} if isinstance(
        item.get("name"), str) else item))


def _repeated_list_joins_none() -> Hooks:
    def problems(found: dict, body: dict, **_: Any) -> dict:
        _lists_repeated.set(repeats_an_item(body))
        return found
    return {"problems": problems,
            "memberships": lambda lists, **_: [] if _lists_repeated.get() else lists}


def _newest_hidden_until_next_create() -> Hooks:
    """A write-behind index: the latest contact reaches the list only when the next create flushes it."""
    pending: list[str] = []

    def created(body: dict, **_: Any) -> dict:
        pending[:] = [body["id"]]
        return body

    def listed(body: dict, **_: Any) -> dict:
        data = [item for item in body["data"] if item["id"] not in pending]
        hidden = len(body["data"]) - len(data)
        return {**body, "data": data, "meta": {**body["meta"], "total": body["meta"]["total"] - hidden}}
    return {"created_body": created, "list_body": listed}



def _first_of_each(key: Callable[[str], str]) -> Callable[..., list[str]]:
    """A memberships hook: of the list ids one key takes for the same, the contact joins the first alone."""
    def memberships(lists: list[str], **_: Any) -> list[str]:
        kept: dict[str, str] = {}
        for list_id in lists:
            kept.setdefault(key(list_id), list_id)
        return list(kept.values())
    return memberships


def _width_folded(text: str) -> str:
    """Fullwidth ASCII forms (U+FF01-U+FF5E) as the ASCII characters they stand for."""
    return "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)


def _any_list_id(**hooks: Callable[..., Any]) -> Callable[[], Hooks]:
    """Any string is taken as a list id on create (as the legal variant accepts_any_list_id does), plus `hooks`."""
    return lambda: {"list_id_valid": lambda valid, **_: True, **hooks}


def _comma_separated(query: Query) -> Query:
    """list_id bound as a list (Spring's List<String>): a comma splits it into ids, any of which matches."""
    if query.list_id is None or "," not in query.list_id:
        return query
    ids = tuple(query.list_id.split(","))
    where = (f"c.id IN (SELECT contact_id FROM memberships WHERE list_id IN ({', '.join('?' * len(ids))})) "
             f"AND {LIVE}")
    return Query(query.list_id, where, ids)


def _cache_keyed_lowercased() -> Hooks:
    """A response cache of list reads keyed by the lower-cased query string, emptied by every write."""
    cache: dict[str, bytes] = {}

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "list" or answer.status_code != 200 or not getattr(answer, "body", None):
            return answer
        key = str(request.url.query).lower()
        if key in cache:
            return Response(cache[key], status_code=200, media_type="application/json")
        cache[key] = answer.body
        return answer

    def written(store: Any, **_: Any) -> Any:
        cache.clear()
        return store
    return {"response": response, "written": written}

fault("list_wraps_in_items", "List answers put contacts under 'items' instead of 'data'.",
      only("list_body", lambda body, **_: {"items": body["data"], "meta": body["meta"]}), "LIST-RESPONSE-SHAPE",
      also=("SPEC-RESPONSES-CONFORM",))
fault("meta_total_as_string", "meta.total is a string (\"128\").",
      only("list_body", meta_changed(total=str)), "LIST-RESPONSE-SHAPE",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGE-PAST-END-EMPTY", "LIST-FILTER-BY-LIST", "SPEC-RESPONSES-CONFORM"))
fault("meta_fields_top_level", "total, page and per_page sit next to data instead of under meta.",
      only("list_body", lambda body, **_: {"data": body["data"], **body["meta"]}), "LIST-RESPONSE-SHAPE",
      also=("SPEC-RESPONSES-CONFORM",))
fault("empty_list_without_meta", "An empty page has no meta object.",
      only("list_body", lambda body, **_: body if body["data"] else {"data": []}), "LIST-RESPONSE-SHAPE",
      also=("SPEC-RESPONSES-CONFORM",))
fault("total_null_when_nothing_matches", "meta.total is SUM(1) over the matches: null when nothing matches.",
      only("list_body", meta_changed(total=lambda total: total or None)), "LIST-RESPONSE-SHAPE",
      also=("SPEC-RESPONSES-CONFORM",))
fault("list_filter_ignored", "list_id is ignored: every contact is returned.",
      only("list_filter", lambda list_id, **_: None), "LIST-FILTER-BY-LIST",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION"))
fault("list_filter_prefix_match", "list_id is matched with LIKE 'id%' (so lst_a also returns lst_ab's members).",
      only("query", lambda q, **_: _compared(q, "LIKE ? || '%'")), "LIST-FILTER-BY-LIST",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION"))
fault("list_filter_case_insensitive", "list_id is compared without regard to letter case (a case-insensitive "
      "collation: LST_A returns lst_a's members).",
      only("query", lambda q, **_: _compared(q, "= ? COLLATE NOCASE")), "LIST-FILTER-BY-LIST",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_filter_like_wildcards", "list_id is compared with LIKE and not escaped: _ and % in it are wildcards "
      "(lst_a_ returns lst_ab's members).",
      only("query", lambda q, **_: _compared(q, "LIKE ?")), "LIST-FILTER-BY-LIST",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_id_truncated_to_32", "Memberships are stored in a VARCHAR(32): a longer list id is cut (the create "
      "echoes it whole), so its filter finds nothing and its first 32 characters find the contact.",
      only("memberships", lambda lists, **_: [list_id[:32] for list_id in lists]), "LIST-SHOWS-CREATED",
      also=("LIST-FILTER-BY-LIST", "LIST-TOTAL-COUNTS-MATCHES"))
fault("list_filter_ignored_when_paging", "list_id is dropped when page or per_page is given too.",
      only("list_filter", lambda list_id, paging_asked, **_: None if paging_asked else list_id),
      "LIST-FILTER-BY-LIST", also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION"))
fault("list_filter_keeps_unlisted", "A LEFT JOIN slip: under list_id, contacts in no list are returned too.",
      only("query", lambda q, **_: dataclasses.replace(q, where=q.where.replace(
          MEMBER_OF, f"{MEMBER_OF} OR c.id NOT IN (SELECT contact_id FROM memberships)"))), "LIST-FILTER-BY-LIST",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION"))
fault("list_filter_first_list_only", "list_id matches the contacts whose first list is that one (a primary_list "
      "column): members that joined it second are not shown.",
      only("query", lambda q, **_: q if q.list_id is None else dataclasses.replace(
          q, where=q.where.replace(MEMBER_OF, FIRST_MEMBERSHIP_OF))), "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_omits_email", "List items leave out email.",
      only("list_body", map_items(without("email"))), "LIST-ITEM-FIELDS", also=("LIST-ITEM-MATCHES-CREATE",))
fault("list_omits_created_at", "List items leave out created_at.",
      only("list_body", map_items(without("created_at"))), "LIST-ITEM-FIELDS",
      also=("LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM"))
fault("list_omits_name", "List items leave out name.",
      only("list_body", map_items(without("name"))), "LIST-ITEM-FIELDS",
      also=("LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM"))
fault("list_items_use_contact_id", "List items name the id contact_id.",
      only("list_body", map_items(lambda item: {"contact_id": item["id"], **without("id")(item)})),
      "LIST-ITEM-FIELDS", also=("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "SPEC-RESPONSES-CONFORM"))
fault("list_ids_as_objects", "List items give the id as an object ({\"value\": \"cnt_…\"}), not a string.",
      only("list_body", map_items(lambda item: {**item, "id": {"value": item["id"]}})), "SPEC-RESPONSES-CONFORM",
      also=("LIST-SHOWS-CREATED", "LIST-FILTER-BY-LIST", "LIST-PAGES-PARTITION"))
fault("list_created_at_epoch", "List items give created_at as a Unix timestamp number.",
      only("list_body", map_items(lambda item: {**item, "created_at": 1782295200})), "SPEC-RESPONSES-CONFORM",
      also=("LIST-ITEM-MATCHES-CREATE",))
fault("list_phone_as_number", "List items give phone as a JSON number without the +.",
      only("list_body", map_items(lambda item: {**item, "phone": int(item["phone"][1:])}
                                   if item["phone"][1:].isdigit() else item)), "SPEC-RESPONSES-CONFORM",
      also=("LIST-ITEM-MATCHES-CREATE",))
fault("list_created_at_one_second_later", "List items show created_at from a separate column written 1 s after "
      "the create's.", only("list_body", map_items(lambda item: {**item, "created_at": seconds_later(
          item["created_at"], 1)})), "LIST-ITEM-MATCHES-CREATE")
fault("list_created_at_is_read_time", "List items show the time of the read as created_at (a view that fills "
      "the column with now()).", only("list_body", map_items(lambda item: {**item, "created_at": datetime.now(
          timezone.utc).strftime(ISO_SECONDS)})), "LIST-ITEM-MATCHES-CREATE")
fault("list_name_cut_at_64", "The list view cuts names to 64 characters (the create echo is whole).",
      only("list_body", map_items(lambda item: {**item, "name": item["name"][:64]})), "LIST-ITEM-MATCHES-CREATE")
fault("list_name_nfc_normalised", "The list reads names from a search index that NFC-normalises them: a decomposed "
      "name is listed composed (the create echo is as sent).",
      _list_names(lambda n: unicodedata.normalize("NFC", n)), "LIST-ITEM-MATCHES-CREATE")
fault("list_name_trimmed", "The list view trims names (the create echo keeps leading spaces).",
      _list_names(str.strip), "LIST-ITEM-MATCHES-CREATE")
fault("list_name_spaces_collapsed", "The list view collapses runs of spaces in names to one (the create echo is "
      "as sent).", _list_names(lambda n: re.sub(r" {2,}", " ", n)), "LIST-ITEM-MATCHES-CREATE")
fault("list_email_lowercased", "The list view lower-cases emails (the create echo is as sent).",
      only("list_body", map_items(lambda item: {**item, "email": item["email"].lower()} if "email" in item
                                   else item)), "LIST-ITEM-MATCHES-CREATE")
fault("forgets_contacts", "Creates are answered 201 but nothing is stored (a stateless mock).",
      only("keeps_contact", lambda keep, **_: False), "LIST-SHOWS-CREATED")
fault("membership_first_list_only", "Only the first of the given lists is stored (the echo shows them all).",
      only("memberships", lambda lists, **_: lists[:1]), "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("repeated_list_joins_none", "A repeated list id makes the memberships' batch insert fail on its key; the "
      "error is swallowed and the contact joins none of its lists (the echo shows them).",
      _repeated_list_joins_none, "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("memberships_unique_ignoring_case", "Memberships are unique per contact under a case-insensitive key (UNIQUE "
      "(contact_id, list_id COLLATE NOCASE), inserted OR IGNORE): of two list ids that differ only in letter case the "
      "contact joins the first alone (the echo shows both).",
      only("memberships", _first_of_each(str.lower)), "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("memberships_unique_under_nfc", "Any string is taken as a list id, and memberships are unique per contact under "
      "the id's NFC form (a unique index on a normalised column, inserted OR IGNORE): of two ids that differ only in "
      "normalisation form the contact joins the first alone (the echo shows both).",
      _any_list_id(memberships=_first_of_each(lambda list_id: unicodedata.normalize("NFC", list_id))),
      "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_ids_stripped_in_memberships", "List ids are stripped of surrounding whitespace before they are checked, "
      "and memberships store them stripped while the echo is as sent: a contact created in 'lst_x ' is listed under "
      "lst_x, not under its own list.",
      lambda: {"list_id_valid": lambda valid, list_id, **_: valid or bool(LIST_ID.fullmatch(list_id.strip())),
               "memberships": lambda lists, **_: [i.strip() for i in lists]}, "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("unfiltered_list_needs_a_list", "The unfiltered list joins memberships: contacts in no list are missing.",
      only("query", lambda q, **_: dataclasses.replace(
          q, where=f"{q.where} AND c.id IN (SELECT contact_id FROM memberships)") if q.list_id is None else q),
      "LIST-SHOWS-CREATED")
fault("newest_hidden_until_next_create", "A write-behind index: the newest contact is listed only once another "
      "create flushes it.", _newest_hidden_until_next_create, "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY", "LIST-FILTER-BY-LIST"))
fault("list_truncates_names_to_100", "List items show names cut to 100 characters.",
      only("list_body", map_items(lambda item: {**item, "name": item["name"][:100]})), "LIST-ITEM-MATCHES-CREATE")
fault("membership_two_lists_at_most", "A contact created in more than two lists joins only the first two.",
      only("memberships", lambda lists, **_: lists[:2]), "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("memberships_capped_at_10", "A contact joins only the first 10 of its lists (a plan limit applied silently "
      "after the echo is built).", only("memberships", lambda lists, **_: lists[:10]), "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("memberships_capped_at_50", "A contact joins only the first 50 of its lists (the memberships' bulk insert "
      "sends one batch of 50 rows and drops the rest).", only("memberships", lambda lists, **_: lists[:50]),
      "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("long_names_join_no_list", "A contact whose name is longer than 255 characters joins none of its lists.",
      only("memberships", lambda lists, name, **_: lists if len(name) <= 255 else []), "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_filter_comma_separated", "list_id is bound as a list (split on commas, any part matches) while list ids "
      "are free strings: a contact created in 'lst_x_a,b' is not listed under it.",
      _any_list_id(query=lambda q, **_: _comma_separated(q)), "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-FILTER-BY-LIST"))
fault("list_filter_decoded_twice", "The handler percent-decodes list_id the framework already decoded: a contact "
      "created in 'lst_x_a%20b' is looked for under 'lst_x_a b'.",
      _any_list_id(list_filter=lambda list_id, **_: unquote(list_id) if list_id else list_id), "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-FILTER-BY-LIST"))
fault("list_filter_nfc_normalised", "list_id is NFC-normalised by the query parser while memberships keep the id as "
      "sent: a contact created in a decomposed (NFD) list id is not listed under it.",
      _any_list_id(list_filter=lambda list_id, **_: unicodedata.normalize("NFC", list_id) if list_id else list_id),
      "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-FILTER-BY-LIST"))
fault("list_filter_trimmed", "list_id is stripped of surrounding whitespace by the query parser while memberships "
      "keep the id as sent: a contact created in 'lst_x ' is not listed under it.",
      _any_list_id(list_filter=lambda list_id, **_: list_id.strip() if list_id else list_id), "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-FILTER-BY-LIST"))
fault("list_cache_key_lowercased", "List reads are cached by their lower-cased query string (emptied on every "
      "write): list_id=lst_x_AB answers what list_id=lst_x_ab answered.",
      _cache_keyed_lowercased, "LIST-FILTER-BY-LIST", also=("LIST-SHOWS-CREATED", "LIST-TOTAL-COUNTS-MATCHES"))


def _cache_emptied_by(emptied_by: str) -> Callable[[], Hooks]:
    """A response cache of list reads keyed by the whole query string, emptied only by the one kind of write
    `emptied_by` names: the other kind's invalidation was forgotten."""
    def make() -> Hooks:
        cache: dict[str, bytes] = {}

        def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
            if operation == emptied_by and 200 <= answer.status_code < 300:
                cache.clear()
            if operation != "list" or answer.status_code != 200 or not getattr(answer, "body", None):
                return answer
            key = str(request.url.query)
            if key in cache:
                return Response(cache[key], status_code=200, media_type="application/json")
            cache[key] = answer.body
            return answer
        return {"response": response}
    return make


fault("list_cache_kept_on_create", "List reads are cached by their query string and the cache is emptied by "
      "deletes only: a query read before a create answers as it did, without the new contact, until a delete.",
      _cache_emptied_by("delete"), "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_cache_kept_on_delete", "List reads are cached by their query string and the cache is emptied by "
      "creates only: a query read before a delete still shows the deleted contact, until the next create.",
      _cache_emptied_by("create"), "DELETE-GONE-FROM-LIST",
      also=("DELETE-REMOVED-FROM-LISTS", "LIST-TOTAL-COUNTS-MATCHES"))


def _undated_at_read_time() -> Hooks:
    """The account's 62 earlier contacts were imported with no created_at; the list serialiser falls back to the
    time of the read (created_at or now().isoformat(): microseconds and +00:00, both legal forms)."""
    def read_time(item: dict) -> dict:
        return {**item, "created_at": item["created_at"] or datetime.now(timezone.utc).isoformat()}
    return {"opened": lambda store, **_: seed(store, created_at=""), "list_body": map_items(read_time)}


fault("undated_contacts_listed_at_read_time", "The account already holds 62 contacts imported without a created_at "
      "(the docs' Maria Santos among them); lists show them with the time of each read (to the microsecond), so their "
      "created_at moves from one read to the next.", _undated_at_read_time, "LIST-ITEM-FIELDS")


def _in_luanda_time(stamp: str) -> str:
    """The same instant written in Angola's time zone (WAT, UTC+1), as a view that renders timestamps in the
    server's local zone writes it: 2026-06-24T11:00:00+01:00."""
    instant = datetime.strptime(stamp, ISO_SECONDS).replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone(timedelta(hours=1))).isoformat()


fault("list_created_at_in_local_time", "List items show created_at in the server's local zone, Angola's "
      "(2026-06-24T11:00:00+01:00: the same instant, not in UTC); the create answer says Z.",
      only("list_body", map_items(lambda item: {**item, "created_at": _in_luanda_time(item["created_at"])})),
      "SPEC-RESPONSES-CONFORM")
fault("list_created_at_cut_to_seconds", "created_at is answered to the millisecond by the create (the application's "
      "clock) and listed cut to the second (a DATETIME(0) column): one contact, two creation times.",
      lambda: {"timestamp": lambda stamp, now, **_: now.isoformat(timespec="milliseconds")[:23] + "Z",
               "list_body": map_items(lambda item: {**item, "created_at": item["created_at"][:19] + "Z"})},
      "LIST-ITEM-MATCHES-CREATE")
fault("list_created_at_local_wall_clock", "The list reads created_at from a column without a time zone that the "
      "database session writes in Angola's time (UTC+1), and labels it Z: every listed contact is an hour later than "
      "its create said.", only("list_body", map_items(lambda item: {**item, "created_at": seconds_later(
          item["created_at"], 3600)})), "LIST-ITEM-MATCHES-CREATE")
fault("list_created_at_ruby_time_to_s", "The list view writes created_at with Ruby's Time#to_s (2026-06-24 10:00:00 "
      "UTC): a space for the T and a zone name, not ISO 8601; the create answer says 2026-06-24T10:00:00Z.",
      only("list_body", map_items(lambda item: {**item, "created_at": item["created_at"].replace("T", " ").replace(
          "Z", " UTC")})), "SPEC-RESPONSES-CONFORM", also=("LIST-ITEM-MATCHES-CREATE",))


def _lists_capped_at_100_members() -> Hooks:
    seen: list = []

    def request(value: None, store: Any, **_: Any) -> None:
        seen[:] = [store]
        return value

    def memberships(lists: list, **_: Any) -> list:
        return [i for i in lists if not seen or seen[0].first(
            "SELECT COUNT(*) FROM memberships WHERE list_id = ?", (i,))[0] < 100]
    return {"request": request, "memberships": memberships}


fault("lists_capped_at_100_members", "A list holds at most 100 members (a plan limit applied silently after the "
      "echo is built): a contact created into a full list is stored without that membership.",
      _lists_capped_at_100_members, "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_filter_cut_at_nul", "The list filter is looked up through a C client that reads list_id as a "
      "NUL-terminated string: list_id=lst_x%00 shows the members of lst_x.",
      _any_list_id(list_filter=lambda list_id, **_: list_id.partition("\x00")[0] if list_id else list_id),
      "LIST-FILTER-BY-LIST", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_filter_width_folded", "The list filter is served by a search index whose analyzer folds fullwidth forms "
      "to ASCII (a cjk_width filter) while memberships keep the id as sent: list_id=lst_ｘ shows the members of "
      "lst_x.", _any_list_id(list_filter=lambda list_id, **_: _width_folded(list_id) if list_id else list_id),
      "LIST-FILTER-BY-LIST", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_filter_invisible_characters_stripped", "An input sanitiser removes invisible characters (zero-width "
      "spaces, bidirectional marks, a BOM) from every query parameter while memberships keep the id as sent: "
      "list_id=lst_x\\u200b shows the members of lst_x.",
      _any_list_id(list_filter=lambda list_id, **_: INVISIBLE.sub("", list_id) if list_id else list_id),
      "LIST-FILTER-BY-LIST", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_filter_regex_unescaped", "The filter matches a membership's list id with the regular expression "
      "'^' || list_id || '$' (an array field of a document store searched by pattern), the id unescaped: list ids "
      "are checked on create (lst_ and [A-Za-z0-9_]), the filter is not, and a dot in list_id=lst_x. matches any "
      "character, so it shows the members of lst_xa.",
      only("query", lambda query, **_: _compared(query, "REGEXP ('^' || ? || '$')")),
      "LIST-FILTER-BY-LIST", also=("LIST-TOTAL-COUNTS-MATCHES",))
