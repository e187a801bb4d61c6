"""Faults of paging a list: the default and maximum per_page, meta, meta.total, how pages split the contacts,
pages past the end, and paging values that crash the handler."""
from __future__ import annotations

import contextvars
import dataclasses
import re
from collections.abc import Callable
from typing import Any

from starlette.responses import PlainTextResponse, Response

from conformance.mock.faults.common import (SOFT_DELETE, deleted_members_counted, deleted_rows_counted, meta_changed,
                                            soft_delete)
from conformance.mock.registry import Hooks, fault, only
from conformance.mock.store import Query


def _total_refreshed_every(n: int) -> Hooks:
    cache: dict[Query, tuple[int, int]] = {}

    def hook(total: int, query: Query, **_: Any) -> int:
        reads, cached = cache.get(query, (0, total))
        cache[query] = (reads + 1, cached if reads % n else total)
        return cache[query][1]
    return {"total": hook}


def _int32_overflow(limit_of: Callable[[int, int], int]) -> Callable[[], Hooks]:
    """A list read whose value does not fit a 32-bit INT column fails the way a framework answers an uncaught
    exception: 500, text/plain."""
    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        try:
            page, per_page = int(request.query_params.get("page", 1)), int(request.query_params.get("per_page", 50))
        except ValueError:
            return answer
        if operation == "list" and answer.status_code == 200 and limit_of(page, per_page) > 2**31 - 1:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return answer
    return only("response", response)


def _as_int32(value: int) -> int:
    """What a cast of a 64-bit value to a 32-bit int keeps (Java's (int) of a long)."""
    return (value + 2**31) % 2**32 - 2**31


_offset: contextvars.ContextVar[int] = contextvars.ContextVar("offset", default=0)


def _remember_offset(offset: int, **_: Any) -> int:
    _offset.set(offset)
    return offset


def _page_from_offset(body: dict, list_id: str | None = None, **_: Any) -> dict:
    if list_id is not None:
        return body
    return {**body, "meta": {**body["meta"], "page": _offset.get() // 50 + 1}}


def _high_water_totals() -> Hooks:
    highest: dict[str | None, int] = {}

    def hook(body: dict, list_id: str | None = None, **_: Any) -> dict:
        highest[list_id] = max(highest.get(list_id, 0), body["meta"]["total"])
        return {**body, "meta": {**body["meta"], "total": highest[list_id]}}
    return {"list_body": hook}


def _total_from_lookahead() -> Hooks:
    """Keyset-style code that counts only what it has seen: offset + rows + 1 if one more row exists."""
    seen: dict[str, int] = {}

    def offset(value: int, total: int, **_: Any) -> int:
        seen.update(offset=value, total=total)
        return value

    def body(page: dict, **_: Any) -> dict:
        shown = seen["offset"] + len(page["data"])
        return {**page, "meta": {**page["meta"], "total": shown + (1 if shown < seen["total"] else 0)}}
    return {"offset": offset, "list_body": body}


def _leading_digits(raw: str) -> int:
    """What JavaScript's parseInt(raw, 10) reads: the digits before the first other character."""
    digits = re.match(r"\s*[+-]?[0-9]*", raw).group().strip()
    return int(digits) if digits.strip("+-") else 0


def _gateway_checks(condition: Callable[[Any], bool]) -> Callable[..., int | None]:
    """A per_page_cap hook of an app that leaves the cap to a gateway in front of it: the request passed the
    gateway's check when `condition(request)` holds, and the app then honours whatever per_page it reads."""
    return lambda cap, request, **_: None if condition(request) else cap


def _first_per_page_within_max(request: Any) -> bool:
    values = request.query_params.getlist("per_page")
    return len(values) > 1 and values[0].isdigit() and int(values[0]) <= 100


def _limit_alias(request: Any) -> bool:
    return "per_page" not in request.query_params and request.query_params.get("limit", "").isdigit()


fault("default_per_page_20", "Without per_page, pages hold 20 contacts.",
      only("default_per_page", lambda n, **_: 20), "LIST-DEFAULT-PAGING")
fault("default_per_page_100", "Without per_page, pages hold the maximum, 100.",
      only("default_per_page", lambda n, **_: 100), "LIST-DEFAULT-PAGING")
fault("default_per_page_25", "Without per_page, pages hold 25 (the docs' example value).",
      only("default_per_page", lambda n, **_: 25), "LIST-DEFAULT-PAGING")
fault("default_per_page_10", "Without per_page, pages hold 10 (a framework default).",
      only("default_per_page", lambda n, **_: 10), "LIST-DEFAULT-PAGING")
fault("per_page_uncapped", "per_page above 100 is honoured.",
      only("per_page_cap", lambda cap, **_: None), "LIST-PER-PAGE-MAX-100", also=("SPEC-RESPONSES-CONFORM",))
fault("per_page_cap_101", "Off by one: per_page=101 is honoured, 102 rejected.",
      only("per_page_cap", lambda cap, **_: 101), "LIST-PER-PAGE-MAX-100")
fault("per_page_100_rejected", "Off by one: per_page=100, the documented maximum, is rejected with 422.",
      only("per_page_cap", lambda cap, **_: 99), "LIST-PER-PAGE-MAX-100")
fault("per_page_uncapped_with_list_filter", "With list_id, per_page above 100 is honoured.",
      only("per_page_cap", lambda cap, list_id, **_: None if list_id else cap), "LIST-PER-PAGE-MAX-100")
fault("per_page_clamped_to_50", "per_page above 50 is silently clamped to 50 (meta.per_page 50): the documented "
      "maximum, 100, is never honoured.",
      lambda: {"per_page_cap": lambda cap, **_: 50, "per_page_over_max": lambda action, **_: "clamp"},
      "LIST-PER-PAGE-MAX-100", also=("LIST-META-DESCRIBES-PAGE", "LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
fault("meta_per_page_echoes_over_max", "Validation lets any per_page through and the repository caps LIMIT at "
      "100: per_page=1000 answers 100 contacts with meta.per_page 1000.",
      lambda: {"per_page_cap": lambda cap, **_: None, "limit": lambda limit, **_: min(limit, 100)},
      "LIST-PER-PAGE-MAX-100",
      also=("SPEC-RESPONSES-CONFORM",))
fault("repeated_per_page_checked_first_used_last", "A gateway checks the first per_page of the query string and "
      "the app reads the last (HTTP parameter pollution): per_page=7&per_page=1000 answers pages of 1000 "
      "(meta.per_page 1000).", only("per_page_cap", _gateway_checks(_first_per_page_within_max)),
      "LIST-PER-PAGE-MAX-100")
fault("per_page_checked_by_parseint", "per_page is checked against the maximum as parseInt reads it (its leading "
      "digits) and used as Number reads it: per_page=1e3 passes as 1 and answers pages of 1000 (meta.per_page 1000).",
      lambda: {"paging_number": lambda number, **_: lambda raw: int(float(raw)),
               "per_page_cap": _gateway_checks(lambda request: 1 <= _leading_digits(
                   request.query_params.get("per_page", "")) <= 100)},
      "LIST-PER-PAGE-MAX-100")
fault("limit_alias_uncapped", "A legacy limit parameter is still read as the page size when per_page is absent, and "
      "the maximum is only checked on per_page: limit=1000 answers pages of 1000 (meta.per_page 1000).",
      lambda: {"default_per_page": lambda n, request, **_: int(request.query_params["limit"]) if _limit_alias(
          request) else n, "per_page_cap": _gateway_checks(_limit_alias)},
      "LIST-PER-PAGE-MAX-100")
fault("meta_page_always_1", "meta.page is always 1.",
      only("list_body", meta_changed(page=lambda page: 1)), "LIST-META-DESCRIBES-PAGE")
fault("meta_page_zero_based", "meta.page counts from 0 (page=1 reports page 0).",
      only("list_body", meta_changed(page=lambda page: page - 1)), "LIST-META-DESCRIBES-PAGE",
      also=("LIST-DEFAULT-PAGING",))
fault("meta_per_page_always_50", "meta.per_page is always the default, 50.",
      only("list_body", meta_changed(per_page=lambda n: 50)), "LIST-META-DESCRIBES-PAGE")
fault("per_page_zero_returns_everything", "per_page=0 answers every contact with meta.per_page 0 (LIMIT 0 taken "
      "as no limit).", lambda: {"per_page_zero_unlimited": lambda unlimited, **_: True,
                                "limit": lambda limit, **_: limit or -1}, "LIST-META-DESCRIBES-PAGE")
fault("paging_raw_into_sql_crashes", "page and per_page are checked with int() but the raw text goes into the "
      "SQL: a number int() reads that is not plain ASCII digits (+5, ' 5', fullwidth ５) answers 500.",
      only("paging_raw_crashes", lambda crash, raw, **_: crash or not (raw.isascii() and raw.lstrip("-").isdigit())),
      "SPEC-NO-SERVER-ERROR")
fault("extra_row_for_has_more", "One row more than per_page is fetched (to know if more exist) and not cut off.",
      only("limit", lambda limit, **_: limit + 1), "LIST-META-DESCRIBES-PAGE",
      also=("LIST-DEFAULT-PAGING", "LIST-PAGES-PARTITION"))
fault("total_counts_page_only", "meta.total counts the contacts on this page, not all matching ones.",
      only("list_body", lambda body, **_: {**body, "meta": {**body["meta"], "total": len(body["data"])}}),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
fault("total_off_by_one", "meta.total is one more than the matching contacts.",
      only("list_body", meta_changed(total=lambda total: total + 1)), "LIST-TOTAL-COUNTS-MATCHES",
      also=("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST"))
fault("total_counts_deleted", "Deletes are soft and meta.total forgets to leave the deleted rows out.",
      soft_delete(total_query=lambda q, **_: deleted_rows_counted(deleted_members_counted(q))),
      "LIST-TOTAL-COUNTS-MATCHES")
fault("total_ignores_list_filter", "Under list_id, meta.total counts every contact of the account.",
      only("total", lambda total, store, query, **_: store.count(Query.of(None))),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST"))
fault("total_cached", "meta.total is cached per query and recounted only every 5th read.",
      lambda: _total_refreshed_every(5), "LIST-TOTAL-COUNTS-MATCHES")
fault("total_counts_email_column", "meta.total is COUNT(email), not COUNT(*): contacts without email are not "
      "counted.", only("total_query", lambda q, **_: dataclasses.replace(q, where=f"({q.where}) AND c.email IS "
                                                                                   "NOT NULL")),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
fault("total_from_lookahead", "meta.total is what the page has seen: offset + rows on the page, + 1 when one more "
      "row exists (a keyset paginator's estimate).", _total_from_lookahead, "LIST-TOTAL-COUNTS-MATCHES",
      also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
fault("pages_overlap", "Each page after the first starts one contact early.",
      only("offset", lambda offset, page, **_: offset - 1 if page > 1 else offset), "LIST-PAGES-PARTITION",
      also=("LIST-PAGE-PAST-END-EMPTY",))
fault("unfiltered_walk_repeats_across_pages", "Without list_id, each page after the first starts one contact "
      "early (list filters page correctly).",
      only("offset", lambda offset, page, list_id, **_: offset - 1 if page > 1 and list_id is None else offset),
      "LIST-PAGES-PARTITION")
fault("pages_skip_one", "Each page after the first starts one contact late (one contact per page is never "
      "shown).", only("offset", lambda offset, page, **_: offset + 1 if page > 1 else offset),
      "LIST-PAGES-PARTITION")
fault("last_partial_page_empty", "A last page that is not full comes back empty (unless it is page 1).",
      only("offset", lambda offset, page, per_page, total, **_:
           total if page > 1 and offset < total < offset + per_page else offset), "LIST-PAGES-PARTITION")
fault("last_page_overlaps", "The last page starts one contact early (pages before it are right).",
      only("offset", lambda offset, page, per_page, total, **_:
           offset - 1 if page > 1 and offset < total <= offset + per_page else offset), "LIST-PAGES-PARTITION")
fault("order_random_per_request", "No ORDER BY: every page request sees the rows in a new order.",
      only("order", lambda order, **_: "random()"), "LIST-PAGES-PARTITION")
fault("offset_uses_default_per_page", "The offset is computed with the default page size: (page - 1) × 50, "
      "whatever per_page was asked.", only("offset", lambda offset, page, **_: (page - 1) * 50),
      "LIST-PAGES-PARTITION", also=("LIST-PAGE-PAST-END-EMPTY",))
fault("page_over_int32_crashes", "A page number beyond 2^31-1 overflows a 32-bit column: 500 instead of an empty "
      "page.", _int32_overflow(lambda page, per_page: page), "SPEC-NO-SERVER-ERROR",
      also=("SPEC-RESPONSES-CONFORM",))
fault("offset_over_int32_crashes", "An offset ((page-1) × per_page) beyond 2^31-1 overflows a 32-bit column: 500.",
      _int32_overflow(lambda page, per_page: (page - 1) * per_page), "SPEC-NO-SERVER-ERROR",
      also=("SPEC-RESPONSES-CONFORM",))
fault("past_end_repeats_last_page", "A page past the end repeats the first page.",
      only("offset", lambda offset, total, **_: 0 if offset >= total else offset), "LIST-PAGE-PAST-END-EMPTY")
fault("past_end_clamps_to_last_page", "A page past the end answers the last page.",
      only("offset", lambda offset, per_page, total, **_:
           (total - 1) // per_page * per_page if offset >= total > 0 else offset), "LIST-PAGE-PAST-END-EMPTY")
fault("past_end_wraps_around", "Page numbers wrap around: a page past the end starts over modulo the total.",
      only("offset", lambda offset, total, **_: offset % total if offset >= total > 0 else offset),
      "LIST-PAGE-PAST-END-EMPTY")
fault("list_total_counts_deleted_members", "Memberships survive a (soft) delete: lists' filters leave the "
      "contact out of data but count it in meta.total.",
      lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE, None),
               "total_query": lambda q, **_: deleted_members_counted(q)},
      "LIST-TOTAL-COUNTS-MATCHES", also=("DELETE-REMOVED-FROM-LISTS",))
fault("total_high_water_mark", "meta.total never goes down: deletes leave the cached total as it was.",
      _high_water_totals, "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION",))
fault("has_more_trim_drops_last", "One row more than per_page is fetched to know if more exist, and the last row is "
      "always dropped (rows[:-1], not rows[:per_page]): a page that is not full loses its last contact.",
      lambda: {"limit": lambda limit, **_: limit + 1,
               "list_body": lambda body, **_: {**body, "data": body["data"][:-1]}},
      "LIST-PAGES-PARTITION", also=("LIST-SHOWS-CREATED", "LIST-FILTER-BY-LIST", "LIST-TOTAL-COUNTS-MATCHES"))
fault("meta_per_page_is_item_count", "meta.per_page is the number of contacts on this page (len(data)), not the page "
      "size asked for: a last page that is not full reports a smaller per_page.",
      only("list_body", lambda body, **_: {**body, "meta": {**body["meta"], "per_page": len(body["data"])}}),
      "LIST-META-DESCRIBES-PAGE", also=("LIST-DEFAULT-PAGING", "LIST-PER-PAGE-MAX-100"))
fault("order_created_at_ties_random", "ORDER BY created_at alone (whole seconds): contacts created in the same second "
      "come in a new order on every request, so pages repeat some and skip others.",
      only("order", lambda order, **_: "c.created_at DESC, random()"), "LIST-PAGES-PARTITION")
fault("total_counts_memberships", "The unfiltered meta.total counts a LEFT JOIN of contacts and memberships: a "
      "contact in three lists counts three times (data is right).",
      only("total", lambda total, store, query, **_: total if query.list_id is not None else store.first(
          "SELECT COUNT(*) FROM contacts c LEFT JOIN memberships m ON m.contact_id = c.id WHERE c.deleted = 0")[0]),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))
fault("page_cast_to_int32_for_offset", "The page number is validated as a long and cast to a 32-bit int for the "
      "offset (Java's (int) of a long): page 4294967297, far past the end, answers page 1's contacts.",
      only("offset", lambda offset, page, per_page, **_: (_as_int32(page) - 1) * per_page if _as_int32(page) >= 1
           else offset), "LIST-PAGE-PAST-END-EMPTY")
fault("rows_capped_at_50", "The repository caps LIMIT at the default page size, 50, while meta.per_page says what was "
      "asked: a page of 100 holds 50 contacts and the next page starts at the 101st.",
      only("limit", lambda limit, **_: min(limit, 50)), "LIST-PAGES-PARTITION")
fault("meta_page_from_offset_unfiltered", "The unfiltered list's meta.page is worked out from the offset with the "
      "default page size (offset // 50 + 1), not the page asked (the list_id route echoes it).",
      lambda: {"offset": _remember_offset, "list_body": _page_from_offset}, "LIST-META-DESCRIBES-PAGE")
fault("rows_capped_at_75", "The repository caps LIMIT at 75 while meta.per_page says what was asked: a page of 100 "
      "holds 75 contacts and the next page starts at the 101st.",
      only("limit", lambda limit, **_: min(limit, 75)), "LIST-PAGES-PARTITION")


# Faults of a list filter that show only on a list of more than a page of the maximum size: lists hold tens of
# contacts in most accounts, and a filtered route is often code of its own.
_FIRST_MEMBERS = ("c.id IN (SELECT contact_id FROM memberships WHERE list_id = ? ORDER BY seq LIMIT 100) "
                  "AND c.deleted = 0")
_paging_asked: contextvars.ContextVar[bool] = contextvars.ContextVar("paging_asked", default=True)


def _whole_list_without_paging() -> Hooks:
    def list_filter(list_id: str | None, paging_asked: bool, **_: Any) -> str | None:
        _paging_asked.set(paging_asked or list_id is None)
        return list_id

    return {"list_filter": list_filter, "limit": lambda limit, **_: limit if _paging_asked.get() else -1}


def _deep_filtered_pages_unfiltered() -> Hooks:
    """The filter is served from a cache of each list's first 100 members; a page past them falls through to the
    account's query, which never had the filter."""
    stores: list = []
    offset: contextvars.ContextVar[int] = contextvars.ContextVar("deep_offset", default=0)

    def remember(value: int, **_: Any) -> int:
        offset.set(value)
        return value

    def body(page: dict, list_id: str | None = None, **_: Any) -> dict:
        if list_id is None or offset.get() < 100:
            return page
        rows = stores[0].rows(Query.of(None), offset=offset.get(), limit=page["meta"]["per_page"])
        return {**page, "data": [{k: v for k, v in row.items() if v is not None} for row in rows]}
    return {"opened": lambda store, **_: stores.append(store) or store, "offset": remember, "list_body": body}


fault("filtered_rows_capped_at_50", "Under list_id the repository caps the rows at 50 while meta.per_page says what "
      "was asked: a page of 100 of a long list holds 50 contacts and the next page starts at the 101st.",
      only("list_body", lambda body, list_id, **_: {**body, "data": body["data"][:50]} if list_id else body),
      "LIST-PAGES-PARTITION")
fault("filtered_total_capped_at_100", "Under list_id meta.total is counted over the first 100 rows (SELECT COUNT(*) "
      "FROM (… LIMIT 100)): a list of more than 100 contacts says it holds 100.",
      only("total", lambda total, query, **_: min(total, 100) if query.list_id is not None else total),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGE-PAST-END-EMPTY", "LIST-PAGES-PARTITION"))
fault("filtered_rows_from_first_100_members", "Under list_id the rows are the list's first 100 memberships (an "
      "IN-list of ids fetched with LIMIT 100), while meta.total counts every member: pages of a longer list never "
      "show the rest.",
      lambda: {"query": lambda q, **_: Query(q.list_id, _FIRST_MEMBERS, q.args) if q.list_id is not None else q,
               "total_query": lambda q, **_: Query.of(q.list_id)},
      "LIST-PAGES-PARTITION", also=("LIST-SHOWS-CREATED",))
fault("filtered_whole_list_without_paging", "Under list_id, a request naming neither page nor per_page gets every "
      "member on one page (the campaign export path: no LIMIT), while meta says page 1 of 50.",
      _whole_list_without_paging, "LIST-DEFAULT-PAGING", also=("LIST-META-DESCRIBES-PAGE", "LIST-PAGES-PARTITION"))
fault("filtered_per_page_over_max_rows_uncapped", "Under list_id, per_page above 100 is clamped in meta (per_page 100) "
      "but the query takes the number asked: per_page=101 of a long list answers 101 contacts.",
      lambda: {"per_page_cap": lambda cap, list_id, **_: None if list_id else cap,
               "list_body": lambda body, list_id, **_: {**body, "meta": {
                   **body["meta"], "per_page": min(body["meta"]["per_page"], 100)}} if list_id else body},
      "LIST-PER-PAGE-MAX-100", also=("LIST-META-DESCRIBES-PAGE",))
fault("filtered_deep_pages_lose_the_filter", "Under list_id, a page starting past the list's first 100 members is "
      "read from the unfiltered query (the filter is served from a cache of 100 members per list): page 2 of 100 "
      "shows the account's contacts.", _deep_filtered_pages_unfiltered, "LIST-FILTER-BY-LIST",
      also=("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"))


def _total_from_window(body: dict, **_: Any) -> dict:
    """COUNT(*) OVER () rides on the page's rows: a page without rows has nothing to read the count from."""
    return body if body["data"] else {**body, "meta": {**body["meta"], "total": 0}}


def _java_decoded(raw: str) -> int:
    """Java's Long.decode: a sign, then 0x, 0X or # for hexadecimal, a leading 0 for octal, else decimal."""
    sign, digits = (-1, raw[1:]) if raw[:1] == "-" else (1, raw[1:] if raw[:1] == "+" else raw)
    for prefix, base in (("0x", 16), ("0X", 16), ("#", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[len(prefix):], base)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits[1:], 8)
    return sign * int(digits, 10)


fault("total_zero_past_end", "meta.total is read from the rows as COUNT(*) OVER () (one query for the page and its "
      "count): a page past the end has no row to carry it and says total 0.", only("list_body", _total_from_window),
      "LIST-TOTAL-COUNTS-MATCHES")
fault("paging_read_by_java_decode", "page and per_page are read with Java's Long.decode, which takes a leading 0 for "
      "octal (and 0x or # for hexadecimal): per_page=010 answers pages of 8 (meta.per_page 8).",
      only("paging_number", lambda number, **_: _java_decoded), "LIST-META-DESCRIBES-PAGE")
fault("total_capped_at_100", "The unfiltered meta.total is counted over at most 100 rows (SELECT COUNT(*) FROM (… "
      "LIMIT 100), a '100+' counter): once the account holds more than 100 contacts, it says 100.",
      only("total", lambda total, query, **_: min(total, 100) if query.list_id is None else total),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGE-PAST-END-EMPTY", "LIST-PAGES-PARTITION"))
fault("filtered_past_end_clamps_to_last_page", "Under list_id a page past the end answers the list's last page (the "
      "membership route clamps page to the last one; the unfiltered list answers an empty page).",
      only("offset", lambda offset, per_page, total, list_id, **_:
           (total - 1) // per_page * per_page if list_id is not None and offset >= total > 0 else offset),
      "LIST-PAGE-PAST-END-EMPTY")
fault("filtered_default_per_page_25", "Under list_id, a request without per_page gets pages of 25 (the membership "
      "route's own default, the docs' example value); the unfiltered list's default is 50.",
      only("default_per_page", lambda n, request, **_: 25 if "list_id" in request.query_params else n),
      "LIST-DEFAULT-PAGING")
fault("deep_pages_ordered_by_id", "Pages that start past the 100th contact are read from a search index ordered by id "
      "(the database serves the first 100, newest first): once a query matches more than 100 contacts, its later "
      "pages repeat some contacts of the first and never show others.",
      lambda: {"offset": _remember_offset, "order": lambda order, **_: "c.id ASC" if _offset.get() >= 100 else order},
      "LIST-PAGES-PARTITION")


def _case_variant_of_per_page(request: Any) -> str | None:
    """The value of a query parameter spelt per_page in other letter case, when per_page itself is absent."""
    if "per_page" in request.query_params:
        return None
    return next((v for k, v in request.query_params.items() if k.lower() == "per_page"), None)


fault("per_page_cap_skips_underscores", "The maximum is checked only when per_page.isdigit(), and int() reads the "
      "size: Python takes digit separators, so per_page=1_000 skips the check and answers pages of 1000.",
      only("per_page_cap", _gateway_checks(lambda request: not request.query_params.get("per_page", "").isdigit())),
      "LIST-PER-PAGE-MAX-100")
fault("per_page_cap_at_gateway_ascii_only", "A gateway checks per_page as Go's strconv.Atoi reads it and passes on "
      "what it cannot parse for the app to refuse; the app's int() reads other digits too: per_page=１０００ "
      "(fullwidth) answers pages of 1000.",
      only("per_page_cap", _gateway_checks(lambda request: not re.fullmatch(
          r"[+-]?[0-9]+", request.query_params.get("per_page", "0")))), "LIST-PER-PAGE-MAX-100")
fault("query_names_bound_case_insensitively", "The app binds query parameters by name in any letter case (ASP.NET "
      "Core's model binding) while the gateway checks the maximum on per_page as spelt: PER_PAGE=1000 answers pages "
      "of 1000.",
      lambda: {"default_per_page": lambda n, request, **_: int(_case_variant_of_per_page(request) or n),
               "per_page_cap": _gateway_checks(lambda request: _case_variant_of_per_page(request) is not None)},
      "LIST-PER-PAGE-MAX-100")
