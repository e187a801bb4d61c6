"""Legal variants of GET /contacts: order, paging out of range, extra meta, filters on lists that hold nobody."""
from __future__ import annotations

import contextvars
import json
import time
from typing import Any

from starlette.responses import JSONResponse, Response

from conformance.mock.app import error_body
from conformance.mock.registry import Hooks, only, variant
from conformance.mock.store import Query, Store


def _empty_lists_not_found() -> Hooks:
    stores: list[Store] = []

    def refused(answer: tuple | None, list_id: str, **_: Any) -> tuple | None:
        if answer or not stores or stores[0].count(Query.of(list_id)):
            return answer
        return 404, f"No contact list {list_id!r} on this account."
    return {"opened": lambda store, **_: stores.append(store) or store, "list_filter_refused": refused}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message, code=code), status_code=status)


def _past_end_404(answer: Response, operation: str) -> Response:
    if operation != "list" or answer.status_code != 200 or not getattr(answer, "body", None):
        return answer
    page = json.loads(answer.body)
    if page["data"] == [] and page["meta"]["page"] > 1:
        return _error(404, "not_found", f"Page {page['meta']['page']} is past the end of the contacts.")
    return answer


def _strict_query_string(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    """A schema validator in front of the list: only the parameters the docs name, each at most once."""
    if operation != "list" or answer.status_code != 200:
        return answer
    unknown = sorted(set(request.query_params) - {"list_id", "page", "per_page"})
    repeated = sorted({name for name in request.query_params if len(request.query_params.getlist(name)) > 1})
    if unknown:
        return _error(400, "invalid_request", f"Unknown query parameter(s): {', '.join(unknown)}.")
    if repeated:
        return _error(400, "invalid_request", f"Query parameter(s) given more than once: {', '.join(repeated)}.")
    return answer


def _deep_paging_refused(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    if operation != "list" or answer.status_code != 200:
        return answer
    try:
        page, per_page = int(request.query_params.get("page", 1)), int(request.query_params.get("per_page", 50))
    except ValueError:
        return answer
    if (page - 1) * per_page >= 10_000:
        return _error(400, "invalid_request", "page × per_page may not pass 10000; narrow the query.")
    return answer


def _filters_oldest_first() -> Hooks:
    """A list filter's members come oldest first, the account's contacts newest first (a route of its own)."""
    filtered: contextvars.ContextVar[bool] = contextvars.ContextVar("filtered", default=False)

    def list_filter(list_id: str | None, **_: Any) -> str | None:
        filtered.set(list_id is not None)
        return list_id
    return {"list_filter": list_filter, "order": lambda order, **_: "c.seq ASC" if filtered.get() else order}


def _list_reads_cached(seconds: float = 0.3) -> Hooks:
    """A micro-cache in front of the list endpoint: a 200 list answer is served again for the same query string for
    `seconds`, whatever was written since (auth is checked before it)."""
    cache: dict[str, tuple[float, bytes]] = {}

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "list" or answer.status_code != 200 or not getattr(answer, "body", None):
            return answer
        key, now = str(request.url.query), time.monotonic()
        if key in cache and now - cache[key][0] < seconds:
            return Response(cache[key][1], status_code=200, media_type="application/json")
        cache[key] = (now, answer.body)
        return answer
    return {"response": response}


variant("clamp_per_page", "per_page above 100 is clamped to 100 instead of rejected (C: 'max: 100' says no more "
        "than 100 come back, not how a larger request is answered).",
        only("per_page_over_max", lambda action, **_: "clamp"))
variant("oldest_first", "Lists are ordered oldest first (C names no order).",
        only("order", lambda order, **_: "c.seq ASC"))
variant("random_stable_order", "Lists are ordered by id: random-looking but the same on every read (C names no "
        "order).", only("order", lambda order, **_: "c.id ASC"))
variant("paging_digits_only", "page and per_page written other than in the digits 0-9 (a sign, spaces, other "
        "digits, an exponent) get 400 invalid_request (C: page and per_page are integers; how one is written is not "
        "said, and refusing is no alteration).",
        only("paging_raw_refused", lambda refused, raw, **_: refused or not (raw.isascii() and raw.isdigit())))
variant("lenient_paging", "Out-of-range page and per_page values are clamped, never rejected.",
        lambda: {"per_page_over_max": lambda action, **_: "clamp", "page_below_1": lambda action, **_: "clamp"})
variant("per_page_over_max_400", "Out-of-range paging gets 400 invalid_request instead of 422 (P: 400 is 'malformed "
        "syntax', 422 'failed validation'; C names neither for paging).",
        only("paging_error", lambda answer, **_: (400, "invalid_request")))
variant("past_end_page_404", "A page past the end is answered 404 not_found (the docs are silent on a page past "
        "the end; P: 404 is 'not found').",
        only("response", lambda answer, operation, **_: _past_end_404(answer, operation)))
variant("deep_paging_refused", "A page whose offset, (page - 1) × per_page, reaches 10000 is refused with 400 "
        "invalid_request (a search index's result window; the docs bound no depth, and such a page is past the end "
        "of any account the run sees).", only("response", _deep_paging_refused))
variant("strict_query_string_400", "A list request naming a query parameter other than list_id, page and per_page, "
        "or one of them more than once, gets 400 invalid_request (C names the three and gives each one value; which "
        "of two a server would read is not said, and refusing alters nothing).",
        only("response", _strict_query_string))
variant("ordered_by_name", "Lists are ordered by name, then id (C names no order).",
        only("order", lambda order, **_: "c.name ASC, c.id ASC"))
variant("ordered_by_created_at_then_id", "Lists are ordered by created_at (whole seconds), newest first, ties by id "
        "(C names no order; a stable one).", only("order", lambda order, **_: "c.created_at DESC, c.id ASC"))
variant("meta_pagination_extras", "meta carries total_pages, has_more and next_page beside total, page and "
        "per_page (C names three meta fields and forbids no others).",
        only("list_body", lambda body, list_id, **_: {**body, "meta": {
            **body["meta"], "total_pages": -(-body["meta"]["total"] // max(body["meta"]["per_page"], 1)),
            "has_more": body["meta"]["page"] * body["meta"]["per_page"] < body["meta"]["total"],
            "next_page": None}}))
variant("empty_lists_404", "A list exists while a live contact belongs to it: a list_id filter matching nobody is "
        "answered 404 not_found (lists are made outside this API; P: 404 is 'not found', and a filter on a list the "
        "account does not have may say so).", _empty_lists_not_found)
variant("list_reads_cached_briefly", "List answers are cached by their query string for 0.3 s whatever is written "
        "meanwhile (a reverse proxy's micro-cache; C and P say nothing of when a write becomes visible).",
        _list_reads_cached)
variant("filters_oldest_first", "A list filter's pages run oldest first while the unfiltered list runs newest first "
        "(C names no order, for either).", _filters_oldest_first)


def _per_page_in_any_case(request: Any) -> str | None:
    if "per_page" in request.query_params:
        return None
    return next((v for k, v in request.query_params.items() if k.lower() == "per_page"), None)


variant("query_names_case_insensitive", "Query parameter names are bound in any letter case (ASP.NET Core's model "
        "binding): PER_PAGE is read as per_page, its maximum checked as per_page's (C names per_page and says nothing "
        "of other spellings).",
        only("default_per_page", lambda n, request, **_: int(_per_page_in_any_case(request) or n)))
variant("nul_in_list_filter_refused_400", "A list_id holding U+0000 is refused with 400 invalid_request (a text "
        "column cannot hold it; C says nothing of how list ids are written).",
        only("list_filter_refused", lambda refused, list_id, **_: refused or (
            (400, "list_id must not hold U+0000.") if "\x00" in list_id else None)))
