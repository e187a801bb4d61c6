"""Faults and variants of listing, paging, DELETE, error bodies and authentication found in a hunt for deviations
the catalogue did not list yet: each a bug a real backend has (a LIMIT capped below what meta says, a COUNT over a
nullable column, a second URL decoding of the id, a gateway's answers where the API's should be)."""
from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any
from urllib.parse import unquote

from starlette.responses import JSONResponse, PlainTextResponse, Response

from conformance.mock.faults.common import meta_changed
from conformance.mock.registry import Hooks, fault, only, variant
from conformance.mock.store import MEMBER_OF, Query, Store

FIRST_MEMBERSHIP_OF = ("c.id IN (SELECT contact_id FROM memberships m WHERE list_id = ? AND m.seq = "
                       "(SELECT min(seq) FROM memberships WHERE contact_id = m.contact_id))")
# PostgreSQL's LIKE (case-sensitive), the given id bound unescaped: _ and % in it are wildcards.
ID_LIKE_UNESCAPED = "id GLOB replace(replace(?, '%', '*'), '_', '?')"
ID_TRIMMED = "id = trim(?, ' ' || char(9) || char(10) || char(13))"
ROUTE_ID = re.compile(r"[A-Za-z0-9_]+")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, "details": {},
                         "request_id": f"req_{secrets.token_hex(8)}"}, status_code=status)


def _rewrite_error(response: Response, **changes: Any) -> Response:
    import json
    body = {**json.loads(response.body), **changes}
    return JSONResponse({k: v for k, v in body.items() if v is not None}, status_code=response.status_code,
                        headers={k: v for k, v in response.headers.items() if k not in ("content-length",
                                                                                         "content-type")})


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


def _double_decoded_delete() -> Hooks:
    """The id is percent-decoded once by the router and once more by the handler (an unquote() too many)."""
    stores: list[Store] = []

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "delete" or answer.status_code != 404 or not stores:
            return answer
        given = request.path_params.get("id", "")
        decoded = unquote(given)
        if decoded != given and stores[0].exists(decoded):
            stores[0].delete(decoded)
            return Response(status_code=204)
        return answer
    return {"opened": lambda store, **_: stores.append(store) or store, "response": response}


def _cached_lists() -> Hooks:
    """A caching layer in front of GET /contacts keys its entries on the URL alone, not on Authorization."""
    cache: dict[str, tuple[bytes, dict]] = {}

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "list":
            return answer
        key = str(request.url.query)
        if answer.status_code == 200 and getattr(answer, "body", None):
            cache[key] = (answer.body, answer.headers.get("content-type", "application/json"))
        elif answer.status_code == 401 and not request.headers.get("authorization") and key in cache:
            body, content_type = cache[key]
            return Response(body, status_code=200, media_type=content_type)
        return answer
    return {"response": response}


def _on_401(rewrite) -> Hooks:
    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        return rewrite(answer, request, operation) if answer.status_code == 401 else answer
    return {"response": response}


def _wrong_key_code(answer: Response, request: Any, operation: str) -> Response:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return _rewrite_error(answer, error="invalid_api_key") if scheme.lower() == "bearer" and key.strip() else answer


def _gateway_401_for_other_schemes(answer: Response, request: Any, operation: str) -> Response:
    header = request.headers.get("authorization", "")
    if header and header.split(" ")[0].lower() != "bearer":
        return JSONResponse({"message": "Unauthorized"}, status_code=401)
    return answer


def _router_404(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    if operation == "delete" and answer.status_code == 404 and not ROUTE_ID.fullmatch(
            request.path_params.get("id", "")):
        return PlainTextResponse("Not Found", status_code=404)
    return answer


def _retry_after_only_on_reads() -> Hooks:
    from conformance.mock.registry import rate_limited_every
    hooks = dict(rate_limited_every(7)())

    def response(answer: Response, operation: str, **_: Any) -> Response:
        if answer.status_code == 429 and operation != "list" and "retry-after" in answer.headers:
            del answer.headers["retry-after"]
        return answer
    return {**hooks, "response": response}


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


# --- faults: listing and paging ----------------------------------------------------------------------------------
fault("limit_capped_at_25", "The repository caps the SQL LIMIT at 25 (a constant from the docs' example) while the "
      "handler allows (and meta reports) per_page up to 100: a page of 100 holds 25, and contacts 26-100 of each "
      "page are never shown.", only("limit", lambda limit, **_: min(limit, 25)), "LIST-PAGES-PARTITION",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("per_page_clamped_to_50", "per_page above 50 is silently clamped to 50 (meta.per_page 50): the documented "
      "maximum, 100, is never honoured.",
      lambda: {"per_page_cap": lambda cap, **_: 50, "per_page_over_max": lambda action, **_: "clamp"},
      "LIST-PER-PAGE-MAX-100")
fault("meta_per_page_echoes_over_max", "Validation lets any per_page through and the repository caps LIMIT at "
      "100: per_page=1000 answers 100 contacts with meta.per_page 1000.",
      lambda: {"per_page_cap": lambda cap, **_: None, "limit": lambda limit, **_: min(limit, 100)},
      "LIST-PER-PAGE-MAX-100")
fault("total_counts_email_column", "meta.total is COUNT(email), not COUNT(*): contacts without email are not "
      "counted.", only("total_query", lambda q, **_: dataclasses.replace(q, where=f"({q.where}) AND c.email IS "
                                                                                   "NOT NULL")),
      "LIST-TOTAL-COUNTS-MATCHES", also=("LIST-PAGES-PARTITION",))
fault("total_from_lookahead", "meta.total is what the page has seen: offset + rows on the page, + 1 when one more "
      "row exists (a keyset paginator's estimate).", _total_from_lookahead, "LIST-TOTAL-COUNTS-MATCHES",
      also=("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST"))
fault("offset_uses_default_per_page", "The offset is computed with the default page size: (page - 1) × 50, "
      "whatever per_page was asked.", only("offset", lambda offset, page, **_: (page - 1) * 50),
      "LIST-PAGES-PARTITION")
fault("total_null_when_nothing_matches", "meta.total is SUM(1) over the matches: null when nothing matches.",
      only("list_body", meta_changed(total=lambda total: total or None)), "LIST-RESPONSE-SHAPE",
      also=("SPEC-RESPONSES-CONFORM",))
fault("list_filter_first_list_only", "list_id matches the contacts whose first list is that one (a primary_list "
      "column): members that joined it second are not shown.",
      only("query", lambda q, **_: q if q.list_id is None else dataclasses.replace(
          q, where=q.where.replace(MEMBER_OF, FIRST_MEMBERSHIP_OF))), "LIST-FILTER-BY-LIST",
      also=("LIST-SHOWS-CREATED", "DELETE-REMOVED-FROM-LISTS"))
fault("paging_error_code_invalid_parameter", "Out-of-range paging gets 422 with error 'invalid_parameter' (C's "
      "422 is validation_error).", only("paging_error", lambda answer, **_: (422, "invalid_parameter")),
      "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
# --- faults: DELETE ----------------------------------------------------------------------------------------------
fault("delete_id_trimmed", "DELETE trims whitespace from the id: 'cnt_abc ' deletes cnt_abc.",
      only("id_match", lambda match, **_: ID_TRIMMED), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_like_unescaped", "DELETE finds the contact with id LIKE ? (case-sensitive, unescaped): _ and % in "
      "the given id are wildcards, so cnt_abc_ or cnt_ab% deletes cnt_abcd.",
      only("id_match", lambda match, **_: ID_LIKE_UNESCAPED), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_decoded_twice", "The DELETE handler percent-decodes the id the router already decoded: the id "
      "'cnt_ab%63' (sent as cnt_ab%2563) deletes cnt_abc.", _double_decoded_delete, "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_odd_id_router_404", "An id outside [A-Za-z0-9_] does not match the route's pattern: the framework "
      "answers its own text/plain 404 'Not Found'.", only("response", _router_404), "JSON-CONTENT-TYPE",
      also=("ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))
# --- faults: authentication, its error bodies, rate limits --------------------------------------------------------
fault("delete_401_code_unauthenticated", "DELETE's 401 carries error 'unauthenticated' (create and list say "
      "'unauthorized').", lambda: _on_401(lambda a, r, op: _rewrite_error(a, error="unauthenticated")
                                          if op == "delete" else a), "ERROR-CODE-MATCHES-STATUS",
      also=("SPEC-RESPONSES-CONFORM",))
fault("wrong_key_code_invalid_api_key", "A 401 for a Bearer key that is not the account's carries error "
      "'invalid_api_key'; a missing key still gets 'unauthorized'.", lambda: _on_401(_wrong_key_code),
      "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("other_scheme_401_from_gateway", "An Authorization header with another scheme (Token, Basic) is refused by "
      "the gateway: 401 with {\"message\": \"Unauthorized\"}, no error code.",
      lambda: _on_401(_gateway_401_for_other_schemes), "ERROR-BODY-SHAPE",
      also=("ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))
fault("cached_list_served_without_key", "A cache in front of GET /contacts keys on the URL alone: a request "
      "without Authorization for a URL read before with the key gets that 200.", _cached_lists,
      "AUTH-401-MISSING-KEY")
fault("retry_after_only_on_reads", "Every 7th request gets 429; only GET's 429 carries Retry-After (the write "
      "handlers' limiter forgets it).", _retry_after_only_on_reads, "RATE-LIMIT-RETRY-AFTER")

# --- legal variants -----------------------------------------------------------------------------------------------
variant("past_end_page_404", "A page past the end is answered 404 not_found (the docs are silent on a page past "
        "the end; P: 404 is 'not found').",
        only("response", lambda answer, operation, **_: _past_end_404(answer, operation)))
variant("problem_json_errors", "Error answers carry their usual flat JSON body as application/problem+json "
        "(P: the API answers with JSON; +json is JSON, RFC 6839).",
        only("response", lambda answer, **_: _as_problem_json(answer)))
variant("details_null", "Error bodies carry details: null (P: details is optional and free-form).",
        only("error_body", lambda body, **_: {**body, "details": None}))
variant("www_authenticate_on_401", "401 answers carry WWW-Authenticate: Bearer realm=\"zexa\" (RFC 9110 asks for "
        "it; extra headers are allowed).",
        only("response", lambda answer, **_: _www_authenticate(answer)))
variant("deep_paging_refused", "A page whose offset, (page - 1) × per_page, reaches 10000 is refused with 400 "
        "invalid_request (a search index's result window; the docs bound no depth, and such a page is past the end "
        "of any account the run sees).", only("response", _deep_paging_refused))


def _past_end_404(answer: Response, operation: str) -> Response:
    import json
    if operation != "list" or answer.status_code != 200 or not getattr(answer, "body", None):
        return answer
    page = json.loads(answer.body)
    if page["data"] == [] and page["meta"]["page"] > 1:
        return _error(404, "not_found", f"Page {page['meta']['page']} is past the end of the contacts.")
    return answer


def _as_problem_json(answer: Response) -> Response:
    if answer.status_code >= 400 and answer.headers.get("content-type", "").startswith("application/json"):
        answer.headers["content-type"] = "application/problem+json"
    return answer


def _www_authenticate(answer: Response) -> Response:
    if answer.status_code == 401:
        answer.headers["www-authenticate"] = 'Bearer realm="zexa"'
    return answer
