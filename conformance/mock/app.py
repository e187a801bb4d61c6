"""The reference Contacts API, written from the published docs (not from openapi.yaml), as an ASGI app."""
from __future__ import annotations

import asyncio
import random
import secrets
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.mock.formats import E164, LIST_ID, email_is_valid, strict_json, utf8_safe
from conformance.mock.registry import Active
from conformance.mock.store import (NEWEST_FIRST, PHONE_TAKEN, REMOVE_MEMBERSHIPS, REMOVE_ROW, SAME_ID, DuplicatePhone,
                                     Query, Store)

DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100
CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 410: "gone", 422: "validation_error", 429: "rate_limit_exceeded", 500: "internal_error"}


def error_body(status: int, message: str, details: dict | None = None, code: str | None = None) -> dict:
    """The platform's error body (P: error, message, details, request_id), before any deviation changes it."""
    return {"error": code or CODES.get(status, "error"), "message": message, "details": details or {},
            "request_id": f"req_{secrets.token_hex(8)}"}


def utc_timestamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def create_app(*, api_key: str, store: Store, active: Active, latency: float = 0.0, jitter: float = 0.0,
               seed: int = 0) -> Starlette:
    """latency and jitter in seconds: every answer waits latency plus a seeded uniform draw from [0, jitter]."""
    store = active.apply("opened", store)
    jitter_rng = random.Random(seed)

    def error(status: int, message: str, details: dict | None = None, code: str | None = None) -> JSONResponse:
        return JSONResponse(active.apply("error_body", error_body(status, message, details, code), status=status),
                            status_code=status)

    def conflict() -> JSONResponse:
        status = active.apply("conflict_status", 409)
        return error(status, "A contact with this phone number already exists on this account.", {"field": "phone"})

    def auth_failure(request: Request, operation: str) -> JSONResponse | None:
        if not active.apply("auth_required", True, operation=operation):
            return None
        header = active.apply("credentials", request.headers.get("authorization", ""), request=request)
        if header is None:
            return error(500, "Internal error.")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            status = active.apply("auth_failure_status", 401, reason="missing", operation=operation)
            return error(status, "API key is missing: send Authorization: Bearer <API key>.")
        valid = secrets.compare_digest(key.strip().encode(), api_key.encode())
        if not active.apply("key_valid", valid, key=key.strip(), expected=api_key, operation=operation):
            status = active.apply("auth_failure_status", 401, reason="invalid", operation=operation)
            return error(status, "API key is invalid or revoked.")
        return None

    def rate_limit(request: Request) -> JSONResponse | None:
        if not active.apply("rate_limited", False, request=request):
            return None
        response = error(429, "Too many requests; retry after the number of seconds in Retry-After.")
        if (retry_after := active.apply("retry_after", "1")) is not None:
            response.headers["Retry-After"] = retry_after
        return response

    def expectation_failed(request: Request) -> JSONResponse | None:
        if active.apply("expectation_met", True, request=request):
            return None
        return error(417, "The expectation given in the Expect header cannot be met.", code="expectation_failed")

    async def validated_contact(request: Request) -> dict | JSONResponse:
        raw = await request.body()
        try:
            body = active.apply("parse_json", strict_json)(raw)
        except (ValueError, UnicodeDecodeError):
            status, code = active.apply("malformed_json_status", (400, "invalid_request"))
            return error(status, "The request body is not valid JSON.", code=code)
        if not isinstance(body, dict):
            return error(400, "The request body must be a JSON object.")
        if not utf8_safe(body):
            return error(400, "The request body holds a string that is not Unicode text (a lone surrogate).")
        missing = [f for f in active.apply("required_fields", ("name", "phone")) if f not in body]
        if missing:
            status, code = active.apply("missing_field_error", (400, "invalid_request"), missing=missing)
            return error(status, f"Missing required field(s): {', '.join(missing)}.", {"fields": missing}, code=code)
        wrong_type = [f for f, ok in (
            ("name", isinstance(body.get("name", ""), str)),
            ("phone", isinstance(body.get("phone", ""), str)),
            ("email", "email" not in body or isinstance(body["email"], str)),
            ("lists", "lists" not in body or (isinstance(body["lists"], list)
                                               and all(isinstance(i, str) for i in body["lists"]))),
        ) if not ok]
        if wrong_type:
            return error(400, f"Wrong JSON type for: {', '.join(wrong_type)}.", {"fields": wrong_type})
        name, phone = body.get("name", ""), body.get("phone", "")
        problems = {}
        if not active.apply("phone_valid", bool(E164.fullmatch(phone)), phone=phone):
            problems["phone"] = "must be E.164: +, country code and subscriber number, no spaces or dashes"
        email = body.get("email")
        if email is not None and not active.apply("email_valid", email_is_valid(email), email=email):
            problems["email"] = "is malformed"
        bad_lists = [i for i in body.get("lists", [])
                     if not active.apply("list_id_valid", bool(LIST_ID.fullmatch(i)), list_id=i)
                     or not active.apply("list_exists", True, list_id=i)]
        if bad_lists:
            problems["lists"] = f"unknown list id(s): {', '.join(bad_lists)}"
        problems = active.apply("problems", problems, body=body, store=store)
        if active.apply("crash", False, problems=problems, body=body):
            return error(500, "Internal error.")
        if problems:
            status, code = active.apply("validation_status", (422, "validation_error"), problems=problems)
            return error(status, "; ".join(f"{k} {v}" for k, v in problems.items()), problems, code=code)
        return {"name": name, "phone": phone, "email": email, "lists": list(dict.fromkeys(body.get("lists", []))),
                "answer_fields": active.apply("answer_fields_taken", {}, body=body)}

    async def create_contact(request: Request) -> Response:
        auth_first = active.apply("auth_first", True, operation="create")
        denied = auth_failure(request, "create") if auth_first else None
        written_anyway = denied is not None and active.apply("refused_write_applied", False, operation="create")
        if denied and not written_anyway:
            return denied
        if not active.apply("content_type_accepted", True, content_type=request.headers.get("content-type", "")):
            return denied or error(415, "Send the body as application/json.")
        fields = await validated_contact(request)
        if isinstance(fields, Response):
            return denied or fields
        if not auth_first and (denied := auth_failure(request, "create")):
            return denied
        if (delay := active.apply("duplicate_precheck_delay", None)) is not None:
            if store.first(active.apply("precheck_query", PHONE_TAKEN), (fields["phone"],)) is not None:
                return conflict()
            await asyncio.sleep(delay)
        now = active.apply("clock", datetime.now(timezone.utc))
        taken = fields.pop("answer_fields")
        contact = active.apply("stored", {"id": active.apply("new_id", f"cnt_{secrets.token_hex(6)}"), **fields,
                                          "created_at": active.apply("timestamp", utc_timestamp(now), now=now),
                                          **taken}, store=store)
        memberships = active.apply("memberships", contact["lists"], name=contact["name"])
        try:
            if active.apply("keeps_contact", True):
                store.insert({**contact, "lists": memberships},
                             verb=active.apply("insert_verb", "INSERT", contact=contact, store=store),
                             phone_key=active.apply("phone_key", contact["phone"], contact=contact, store=store))
        except DuplicatePhone:
            return conflict()
        active.apply("written", store)
        if denied:
            return denied
        body = {k: v for k, v in contact.items() if v is not None}
        return JSONResponse(active.apply("created_body", body), status_code=active.apply("create_status", 201,
                                                                                          body=body))

    def paging(request: Request) -> tuple[int, int] | JSONResponse:
        values = {}
        number = active.apply("paging_number", int)
        for name, default in (("page", 1), ("per_page", active.apply("default_per_page", DEFAULT_PER_PAGE,
                                                                     request=request))):
            raw = request.query_params.get(name)
            try:
                values[name] = default if raw is None else number(raw)
            except ValueError:
                return error(400, f"{name} must be an integer.", {"field": name, "value": raw})
            if raw is not None and active.apply("paging_raw_crashes", False, raw=raw):
                return error(500, "Internal error.")
            if raw is not None and active.apply("paging_raw_refused", False, raw=raw):
                return error(400, f"{name} must be written in the digits 0-9.", {"field": name, "value": raw})
        page, per_page = values["page"], values["per_page"]
        if per_page == 0 and active.apply("per_page_zero_unlimited", False):
            return page, 0
        status, code = active.apply("paging_error", (422, "validation_error"))
        clamp_low = active.apply("page_below_1", "reject") == "clamp"
        if page < 1 or per_page < 1:
            if not clamp_low:
                return error(status, "page and per_page must be at least 1.", {"page": page, "per_page": per_page},
                             code=code)
            page, per_page = max(page, 1), max(per_page, 1)
        cap = active.apply("per_page_cap", MAX_PER_PAGE, list_id=request.query_params.get("list_id"), request=request)
        if cap is not None and per_page > cap:
            if active.apply("per_page_over_max", "reject") == "reject":
                return error(status, f"per_page must be at most {cap}.", {"field": "per_page", "value": per_page},
                             code=code)
            per_page = cap
        return page, per_page

    async def list_contacts(request: Request) -> Response:
        auth_first = active.apply("auth_first", True, operation="list")
        if auth_first and (denied := auth_failure(request, "list")):
            return denied
        paged = paging(request)
        if isinstance(paged, Response):
            return paged
        if not auth_first and (denied := auth_failure(request, "list")):
            return denied
        page, per_page = paged
        if not active.apply("accept_acceptable", True, accept=request.headers.get("accept", "")):
            return error(406, "Only application/json is served.")
        paging_asked = "page" in request.query_params or "per_page" in request.query_params
        list_id = active.apply("list_filter", request.query_params.get("list_id"), paging_asked=paging_asked)
        if list_id is not None and (refused := active.apply("list_filter_refused", None, list_id=list_id)):
            return error(*refused, {"list_id": list_id})
        query = active.apply("query", Query.of(list_id))
        source = active.apply("list_store", store)
        total = active.apply("total", source.count(active.apply("total_query", query)), store=source, query=query)
        offset = active.apply("offset", (page - 1) * per_page, page=page, per_page=per_page, total=total,
                              list_id=list_id)
        rows = source.rows(query, offset=offset, limit=active.apply("limit", per_page),
                           order=active.apply("order", NEWEST_FIRST))
        data = [{k: v for k, v in row.items() if v is not None} for row in rows]
        body = active.apply("list_body", {"data": data, "meta": {"total": total, "page": page, "per_page": per_page}},
                            list_id=list_id)
        return JSONResponse(body, media_type=active.apply("list_content_type", "application/json"))

    async def delete_contact(request: Request) -> Response:
        contact_id = request.path_params["id"]
        auth_first = active.apply("auth_first", True, operation="delete")
        denied = auth_failure(request, "delete") if auth_first else None
        if denied and not active.apply("refused_write_applied", False, operation="delete"):
            return denied
        if active.apply("delete_id_crashes", False, contact_id=contact_id):
            return error(500, "Internal error.")
        targets = store.live_ids(contact_id, active.apply("id_match", SAME_ID))
        if not targets and denied:
            return denied
        if not targets:
            status = active.apply("unknown_delete_status", 404, contact_id=contact_id, store=store)
            if status == 204:
                return Response(status_code=204)
            return error(status, f"No contact with id {contact_id!r} exists on this account.", {"id": contact_id})
        if not auth_first and (denied := auth_failure(request, "delete")):
            return denied
        if delay := active.apply("delete_precheck_delay", 0.0):
            await asyncio.sleep(delay)
        row, memberships = active.apply("delete_mode", (REMOVE_ROW, REMOVE_MEMBERSHIPS))
        for target in targets:
            store.delete(target, row=row, memberships=memberships)
        active.apply("written", store)
        if denied:
            return denied
        status, body = active.apply("delete_answer", (204, None))
        return Response(status_code=status) if body is None else JSONResponse(body, status_code=status)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error(exc.status_code if exc.status_code in CODES else 400, exc.detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error(500, "Internal error.")

    def route(path: str, handler, method: str, operation: str) -> Route:
        async def endpoint(request: Request) -> Response:
            delay = latency + (jitter_rng.uniform(0.0, jitter) if jitter else 0.0)
            if delay := active.apply("latency", delay):
                await asyncio.sleep(delay)
            active.apply("request", None, store=store)
            response = rate_limit(request) or expectation_failed(request) or await handler(request)
            return active.apply("response", response, request=request, operation=operation)
        return Route(path, endpoint, methods=[method])

    return Starlette(
        routes=[route("/v1/contacts", create_contact, "POST", "create"),
                route("/v1/contacts", list_contacts, "GET", "list"),
                # an id holding a slash (a %2F the server decodes) reaches the handler, and its 404 not_found
                route("/v1/contacts/{id:path}", delete_contact, "DELETE", "delete")],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
