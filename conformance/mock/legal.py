"""Legal variants of the reference server: behaviours the docs allow (each description names the sentence or the
silence that allows it). The checker must pass every one of them clean."""
from __future__ import annotations

import contextvars
import gzip
import itertools
import json
import random
import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from conformance.mock.app import error_body
from conformance.mock.formats import repeats_an_item
from conformance.mock.registry import Hooks, map_items, only, rate_limited_every, variant
from conformance.mock.store import DuplicatePhone, Query, Store

LAG_SECONDS = 0.5
DOCS_LISTS = ("lst_abc123", "lst_def456")
BODY_FIELDS = {"name", "phone", "email", "lists"}
CONTROL = re.compile("[\x00-\x1f\x7f]")
DOCS_EXAMPLES = [  # the contacts the docs show, as an account that already holds them would
    {"id": "cnt_def456", "name": "Maria Santos", "phone": "+244912345678", "email": "maria@example.com",
     "lists": ["lst_abc123"], "created_at": "2026-06-24T10:00:00Z"},
    {"id": "cnt_ghi789", "name": "João Ferreira", "phone": "+244923456789", "email": "joao@example.com",
     "lists": [], "created_at": "2026-06-23T14:30:00Z"},
]


def _latency_spikes(n: int) -> Hooks:
    rng = random.Random(n)
    return {"latency": lambda delay, **_: delay + (rng.uniform(0.1, 0.5) if rng.randrange(n) == 0 else 0.0)}


def _lagging_lists(seconds: float = LAG_SECONDS) -> Hooks:
    """List reads come from a replica that shows the data as it was `seconds` ago; writes are immediate."""
    history: list[tuple[float, Store]] = []  # (when written, the data after that write), oldest first

    def opened(store: Store, **_: Any) -> Store:
        history.append((float("-inf"), store.snapshot()))
        return store

    def written(store: Store, **_: Any) -> Store:
        history.append((time.monotonic(), store.snapshot()))
        return store

    def replica(store: Store, **_: Any) -> Store:
        cutoff = time.monotonic() - seconds
        while len(history) > 1 and history[1][0] <= cutoff:
            history.pop(0)[1].close()
        return history[0][1]
    return {"opened": opened, "written": written, "list_store": replica}


def _other_clients_writing(every: int = 4) -> Hooks:
    """Every `every`-th request, another client of the account creates a contact or deletes one it created."""
    rng = random.Random(every)
    requests = itertools.count(1)
    mine: list[str] = []

    def act(_: None, store: Store, **__: Any) -> None:
        if next(requests) % every:
            return
        if len(mine) >= 3 and rng.random() < 0.5:
            store.delete(mine.pop(0))
            return
        contact = {"id": f"cnt_other{rng.randrange(16**8):08x}", "name": f"Other Client {rng.randrange(1000)}",
                   "phone": f"+24499{rng.randrange(10**7):07d}", "email": None,
                   "lists": rng.choice([[], ["lst_abc123"]]),
                   "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        try:
            store.insert(contact, phone_key=contact["phone"])
        except DuplicatePhone:
            return
        mine.append(contact["id"])
    return {"request": act}



def _lagging_replicas(seconds: float = LAG_SECONDS) -> Hooks:
    """Each list read goes at random to the primary or to a replica `seconds` behind: no read-after-write and no
    monotonic reads (a contact may show, then not, until the replica catches up)."""
    lagging = _lagging_lists(seconds)
    rng = random.Random(7)

    def read_from(store: Store, **_: Any) -> Store:
        replica = lagging["list_store"](store)
        return replica if rng.random() < 0.5 else store
    return {**lagging, "list_store": read_from}


def _empty_lists_not_found() -> Hooks:
    stores: list[Store] = []

    def refused(answer: tuple | None, list_id: str, **_: Any) -> tuple | None:
        if answer or not stores or stores[0].count(Query.of(list_id)):
            return answer
        return 404, f"No contact list {list_id!r} on this account."
    return {"opened": lambda store, **_: stores.append(store) or store, "list_filter_refused": refused}

def _existing_contacts() -> Hooks:
    def opened(store: Store, **_: Any) -> Store:
        contacts = DOCS_EXAMPLES + [
            {"id": f"cnt_old{n:04d}", "name": f"Cliente Antigo {n}", "phone": f"+24493{n:07d}",
             "email": f"cliente{n}@example.ao" if n % 2 else None,
             "lists": [["lst_abc123"], ["lst_def456"], ["lst_abc123", "lst_def456"], []][n % 4],
             "created_at": (datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(hours=n)).strftime(
                 "%Y-%m-%dT%H:%M:%SZ")} for n in range(1, 61)]
        for contact in contacts:
            if not store.exists(contact["id"]):
                try:
                    store.insert(contact, phone_key=contact["phone"])
                except DuplicatePhone:
                    pass
        return store
    return {"opened": opened}



def _burst_limited(most: int) -> Hooks:
    """More than `most` requests in flight at once: the rest get 429 with Retry-After: 1 (a concurrency limiter).
    Every request takes 10 ms more, so requests sent together are in flight together."""
    in_flight = [0]

    def arrived(delay: float, **_: Any) -> float:
        in_flight[0] += 1
        return delay + 0.01

    def limited(value: bool, **_: Any) -> bool:
        return value or in_flight[0] > most

    def response(answer: Response, **_: Any) -> Response:
        in_flight[0] -= 1
        return answer
    return {"latency": arrived, "rate_limited": limited, "response": response}

def _headers_for_new_body(response: Response) -> dict[str, str]:
    """The answer's headers for a body re-encoded or re-framed: its Content-Length no longer holds."""
    return {k: v for k, v in response.headers.items() if k != "content-length"}


def _pretty_ascii_json(response: Response, **_: Any) -> Response:
    if not response.headers.get("content-type", "").startswith("application/json") or not response.body:
        return response
    body = json.dumps(json.loads(response.body), indent=2, ensure_ascii=True).encode()
    headers = _headers_for_new_body(response)
    return Response(body, status_code=response.status_code, headers=headers)


def _gzip(response: Response, request: Any, **_: Any) -> Response:
    if "gzip" not in request.headers.get("accept-encoding", "") or not getattr(response, "body", b""):
        return response
    headers = _headers_for_new_body(response)
    # mtime=0: the same answer is the same bytes (by default gzip stamps the second it compressed)
    return Response(gzip.compress(response.body, mtime=0), status_code=response.status_code,
                    headers={**headers, "content-encoding": "gzip", "vary": "Accept-Encoding"})


def _connection_close(response: Response, **_: Any) -> Response:
    response.headers["connection"] = "close"
    return response


def _chunked(response: Response, size: int = 64) -> Response:
    """The answer sent with Transfer-Encoding: chunked, `size` bytes a chunk, no Content-Length."""
    body = getattr(response, "body", b"")
    if not body:
        return response
    return StreamingResponse(iter([body[i:i + size] for i in range(0, len(body), size)]),
                             status_code=response.status_code, headers=_headers_for_new_body(response))


def _chunked_lists(response: Response, operation: str, **_: Any) -> Response:
    return _chunked(response) if operation == "list" and response.status_code == 200 else response


def _load_balancer_cookie(response: Response, **_: Any) -> Response:
    response.headers.append("set-cookie", f"lb=node{random.randrange(1, 5)}; Path=/; HttpOnly")
    return response


def _location_header(response: Response, **_: Any) -> Response:
    if response.status_code == 201:
        response.headers["location"] = f"/v1/contacts/{json.loads(response.body)['id']}"
    return response


def _two_seconds_ahead(value: str, **_: Any) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message, code=code), status_code=status)


def _past_end_404(answer: Response, operation: str) -> Response:
    if operation != "list" or answer.status_code != 200 or not getattr(answer, "body", None):
        return answer
    page = json.loads(answer.body)
    if page["data"] == [] and page["meta"]["page"] > 1:
        return _error(404, "not_found", f"Page {page['meta']['page']} is past the end of the contacts.")
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


def _as_problem_json(answer: Response) -> Response:
    if answer.status_code >= 400 and answer.headers.get("content-type", "").startswith("application/json"):
        answer.headers["content-type"] = "application/problem+json"
    return answer


def _www_authenticate(answer: Response) -> Response:
    if answer.status_code == 401:
        answer.headers["www-authenticate"] = 'Bearer realm="zexa"'
    return answer


def _lower_domain(contact: dict, **_: Any) -> dict:
    if not contact.get("email"):
        return contact
    local, _, domain = contact["email"].rpartition("@")
    return {**contact, "email": f"{local}@{domain.lower()}"}


variant("clamp_per_page", "per_page above 100 is clamped to 100 instead of rejected (C: 'max: 100' says no more "
        "than 100 come back, not how a larger request is answered).",
        only("per_page_over_max", lambda action, **_: "clamp"))
variant("oldest_first", "Lists are ordered oldest first (C names no order).",
        only("order", lambda order, **_: "c.seq ASC"))
variant("random_stable_order", "Lists are ordered by id: random-looking but the same on every read (C names no "
        "order).", only("order", lambda order, **_: "c.id ASC"))
variant("extra_fields", "Responses carry extra fields the docs do not name.",
        lambda: {"created_body": lambda body, **_: {**body, "status": "active", "tags": []},
                 "list_body": lambda body, **_: {**body, "links": {"self": None},
                                                 "data": [{**i, "lists": []} for i in body["data"]]}})
variant("email_null", "A contact without email shows email: null instead of leaving it out ('if provided').",
        lambda: {"created_body": lambda body, **_: {"email": None, **body},
                 "list_body": map_items(lambda item: {"email": None, **item})})
variant("occasional_429", "Every 40th request is rate limited with Retry-After: 1 (P: 429 with Retry-After).",
        rate_limited_every(40))
variant("retry_after_http_date", "Every 25th request is rate limited with Retry-After as an HTTP date 2 s ahead "
        "(P says 'number of seconds'; RFC 9110 allows either form and clients must take both).",
        rate_limited_every(25, retry_after=_two_seconds_ahead))
variant("latency_spikes", "One request in twenty takes 0.1-0.5 s longer.", lambda: _latency_spikes(20))
variant("lists_must_exist", "Only the docs' lists (lst_abc123, lst_def456) exist; other list ids get 422.",
        only("list_exists", lambda exists, list_id, **_: exists and list_id in DOCS_LISTS))
variant("unknown_lists_404", "Only the docs' lists (lst_abc123, lst_def456) exist: other list ids get 422 on create "
        "and 404 not_found as a list_id filter (C: 404 is 'not found'; a filter on a list that does not exist may "
        "say so).",
        lambda: {"list_exists": lambda exists, list_id, **_: exists and list_id in DOCS_LISTS,
                 "list_filter_refused": lambda refused, list_id, **_:
                 refused or (None if list_id in DOCS_LISTS else (404, f"No contact list {list_id!r}."))})
variant("accepts_any_list_id", "Any string is taken as a list id on create, stored and echoed as sent (C gives "
        "list ids a lst_ prefix in its examples and never asks for other ids to be refused).",
        only("list_id_valid", lambda valid, **_: True))
variant("repeated_list_ids_refused_422", "A create whose lists repeat an id gets 422 validation_error (C says "
        "nothing of repeated ids; refusing is no alteration).",
        only("problems", lambda found, body, **_: {**found, "lists": "repeat an id"} if repeats_an_item(body)
             else found))
variant("paging_digits_only", "page and per_page written other than in the digits 0-9 (a sign, spaces, other "
        "digits, an exponent) get 400 invalid_request (C: page and per_page are integers; how one is written is not "
        "said, and refusing is no alteration).",
        only("paging_raw_refused", lambda refused, raw, **_: refused or not (raw.isascii() and raw.isdigit())))
variant("list_ids_refused_400", "List ids outside lst_ and [A-Za-z0-9_] get 400 invalid_request instead of 422 (P: "
        "400 is 'malformed syntax', 422 'failed validation'; C names neither for a list id).",
        only("validation_status", lambda answer, problems, **_:
             (400, "invalid_request") if set(problems) == {"lists"} else answer))
variant("unknown_body_fields_refused_400", "A create body with fields other than name, phone, email and lists gets "
        "400 invalid_request (C names the four request parameters; a body naming others, such as id or created_at, "
        "may be refused).",
        lambda: {"problems": lambda found, body, **_: {**found, "fields": "unknown"} if set(body) - BODY_FIELDS
                 else found,
                 "validation_status": lambda answer, problems, **_: (400, "invalid_request") if "fields" in problems
                 else answer})
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
variant("lagging_lists", f"The list endpoint is eventually consistent: it shows creates and deletes {LAG_SECONDS} s "
        "late (=SECONDS to change; C and P say nothing of when a write becomes visible).", _lagging_lists)
variant("other_clients_writing", "Another client of the account creates and deletes its own contacts every few "
        "requests while the run goes on (an account is shared; C: 'contacts on your account').",
        _other_clients_writing)
variant("existing_contacts", "The account already holds 62 contacts, among them the docs' Maria Santos "
        "(+244912345678, lst_abc123) and João Ferreira (+244923456789), some in lst_abc123 and lst_def456.",
        _existing_contacts)
variant("long_names_rejected", "Names longer than 200 characters get 422 validation_error (C gives no length "
        "limit; refusing is the target's right, cutting silently would not be).",
        only("problems", lambda problems, body, **_: {**problems, "name": "must be at most 200 characters"}
             if len(body.get("name", "")) > 200 else problems))
variant("control_characters_in_names_refused", "Names holding control characters (tab, line breaks) get 422 "
        "validation_error (C: a full name; it says nothing of control characters, and refusing is no alteration).",
        only("problems", lambda found, body, **_: {**found, "name": "holds a control character"} if isinstance(
            body.get("name"), str) and CONTROL.search(body["name"]) else found))
variant("created_at_milliseconds", "created_at carries milliseconds (2026-06-24T10:00:00.123Z: still ISO 8601 "
        "UTC).", only("timestamp", lambda stamp, now, **_: now.isoformat(timespec="milliseconds")[:23] + "Z"))
variant("created_at_nanoseconds", "created_at carries nine fractional digits (ISO 8601 and RFC 3339 set no limit "
        "on the fraction).", only("timestamp", lambda stamp, now, **_: now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"))
variant("created_at_zero_offset", "created_at ends in +00:00 instead of Z (ISO 8601 UTC either way).",
        only("timestamp", lambda stamp, **_: stamp.removesuffix("Z") + "+00:00"))
variant("bare_error_bodies", "Error bodies carry only error and message (P: details optional, request_id "
        "expected but not promised).",
        only("error_body", lambda body, **_: {"error": body["error"], "message": body["message"]}))
variant("details_null", "Error bodies carry details: null (P: details is optional and free-form).",
        only("error_body", lambda body, **_: {**body, "details": None}))
variant("problem_json_errors", "Error answers carry their usual flat JSON body as application/problem+json "
        "(P: the API answers with JSON; +json is JSON, RFC 6839).",
        only("response", lambda answer, **_: _as_problem_json(answer)))
variant("pretty_ascii_json", "JSON bodies are pretty-printed and every non-ASCII character is a \\u escape (the "
        "same JSON values).", only("response", _pretty_ascii_json))
variant("gzip_responses", "Answers are gzip-encoded when the client accepts gzip (HTTP content coding; the body "
        "is still JSON).", only("response", _gzip))
variant("connection_close", "Every answer carries Connection: close (no keep-alive; the docs say nothing of "
        "connections).", only("response", _connection_close))
variant("chunked_lists", "List answers are sent with Transfer-Encoding: chunked, no Content-Length.",
        only("response", _chunked_lists))
variant("location_header", "201 answers carry a Location header naming the new contact (extra headers are "
        "allowed).", only("response", _location_header))
variant("load_balancer_cookie", "Every answer sets a load balancer's cookie (P: the API uses no cookies; a proxy "
        "in front of it may set one all the same, and the API must not depend on it).",
        only("response", _load_balancer_cookie))
variant("email_domain_lowercased", "The email's domain is lower-cased on storage and echo (the domain of an "
        "address is case-insensitive, so it is the same address).", only("stored", _lower_domain))
variant("list_email_domain_lowercased", "The list view lower-cases the email's domain while the create echo keeps "
        "it as sent (a domain is case-insensitive, RFC 5321 §2.4: the same address, as the echo check already "
        "allows).",
        only("list_body", map_items(_lower_domain)))
variant("empty_email_is_no_email", "An empty email string is taken as no email: the contact is created without one "
        "(email is optional; C does not say whether \"\" is malformed or absent).",
        lambda: {"email_valid": lambda valid, email, **_: valid or email == "",
                 "stored": lambda c, **_: {**c, "email": c["email"] or None}})
variant("bearer_spelt_exactly", "Only `Bearer <key>` spelt exactly as the docs write it is read: another letter "
        "case of the scheme or more than one space is a missing key, 401 (the docs write one spelling).",
        only("credentials", lambda header, **_: header if re.fullmatch(r"Bearer [^ \t]+", header) else ""))
variant("x_api_key_accepted", "A request without Authorization may carry the key in X-API-Key (the docs name "
        "Authorization and say nothing of other headers).",
        only("credentials", lambda header, request, **_: header or (
            f"Bearer {request.headers['x-api-key']}" if request.headers.get("x-api-key") else header)))
variant("www_authenticate_on_401", "401 answers carry WWW-Authenticate: Bearer realm=\"zexa\" (RFC 9110 asks for "
        "it; extra headers are allowed).",
        only("response", lambda answer, **_: _www_authenticate(answer)))
variant("not_acceptable_406", "A list request whose Accept names no JSON type is answered 406 with the usual JSON "
        "error body (HTTP content negotiation; the answer is still JSON).",
        only("accept_acceptable", lambda ok, accept, **_: ok and (
            not accept or "json" in accept or "*/*" in accept or "application/*" in accept)))
variant("lists_sorted", "A contact's lists are kept and echoed in sorted order, not the order sent (C: 'an array of "
        "contact list IDs the contact belongs to' names no order).",
        only("stored", lambda contact, **_: {**contact, "lists": sorted(contact["lists"])}))


def _null_name_refused_422() -> Hooks:
    null_name: contextvars.ContextVar[bool] = contextvars.ContextVar("null_name", default=False)

    def parser(parse, **_: Any):
        def read(raw: bytes) -> Any:
            body = parse(raw)
            null_name.set(isinstance(body, dict) and "name" in body and body["name"] is None)
            return {**body, "name": ""} if null_name.get() else body
        return read
    return {"parse_json": parser,
            "problems": lambda found, **_: {**found, "name": "must be a string"} if null_name.get() else found}


variant("error_details_text", "Error bodies carry details as a sentence, not an object (P: details is additional "
        "context, optional and free-form).",
        only("error_body", lambda body, **_: {**body, "details": "; ".join(f"{k}: {v}" for k, v in (
            body.get("details") or {}).items()) or "none"}))
variant("created_at_decimal_comma", "created_at carries milliseconds after a decimal comma "
        "(2026-06-24T10:00:00,123Z: ISO 8601 allows the comma as the decimal sign, and prefers it).",
        only("timestamp", lambda stamp, now, **_: now.strftime("%Y-%m-%dT%H:%M:%S,") + f"{now.microsecond // 1000:03d}Z"))
variant("create_without_json_content_type_415", "A create whose Content-Type is not application/json (in any "
        "spelling) is answered 415 with the usual JSON error body (P: request bodies are sent with Content-Type: "
        "application/json; a request without it is outside the docs).",
        only("content_type_accepted", lambda ok, content_type, **_: ok and content_type.split(";")[0].strip().lower()
             == "application/json"))
variant("null_name_refused_422", "A name given as null gets 422 validation_error, not 400 (C: 400 for missing "
        "fields, 422 for failed validation; a null is a present field of the wrong kind, either reading holds).",
        _null_name_refused_422)
variant("chunked_answers", "Every answer with a body, errors too, is sent with Transfer-Encoding: chunked in 64-byte "
        "chunks, no Content-Length (HTTP/1.1 framing; the docs say nothing of it).",
        only("response", lambda response, **_: _chunked(response)))
variant("json_nan_taken", "The body is parsed by Python's json.loads with its defaults (Starlette, Flask), which take "
        "NaN and Infinity: whether such a body is malformed JSON is RFC 8259's question, not the docs'.",
        only("parse_json", lambda parse, **_: json.loads))
variant("bearer_removed_everywhere", "The key is read as header.replace('Bearer ', ''), a common idiom, so 'Bearer "
        "Bearer <key>' is taken as the key (the docs name the header, not how it is parsed).",
        only("credentials", lambda header, **_: f"Bearer {header.replace('Bearer ', '')}"
             if header.startswith("Bearer ") else header))
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
variant("lagging_replicas", f"Each list read goes at random to the primary or to a replica {LAG_SECONDS} s behind "
        "(=SECONDS to change): a write may show, then not, for a moment (C and P promise neither read-after-write "
        "nor monotonic reads).", _lagging_replicas)
variant("empty_lists_404", "A list exists while a live contact belongs to it: a list_id filter matching nobody is "
        "answered 404 not_found (lists are made outside this API; P: 404 is 'not found', and a filter on a list the "
        "account does not have may say so).", _empty_lists_not_found)
variant("burst_limited", "More than 4 requests in flight at once: the others get 429 with Retry-After: 1 (P: "
        "per-account limits, 429 with Retry-After; how a limit is counted is not said).",
        lambda: _burst_limited(4))
