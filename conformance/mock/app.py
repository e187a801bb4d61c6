"""The reference Contacts API, written from the published docs (not from openapi.yaml), as an ASGI app."""
from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.mock.faults import Active
from conformance.mock.store import DuplicatePhone, Store

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
LIST_ID = re.compile(r"^lst_[A-Za-z0-9_]+$")
EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
EMAIL_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100
CODES = {400: "invalid_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 422: "validation_error", 429: "rate_limit_exceeded", 500: "internal_error"}


def email_is_valid(email: str) -> bool:
    """Dot-atom addresses with a dotted domain; quoted local parts and IP literals are not accepted."""
    local, at, domain = email.rpartition("@")
    if not at or len(email) > 254 or len(local) > 64:
        return False
    labels = domain.split(".")
    return bool(EMAIL_LOCAL.match(local)) and len(labels) >= 2 and all(EMAIL_LABEL.match(l) for l in labels)


def create_app(*, api_key: str, store: Store, active: Active) -> Starlette:
    def error(status: int, message: str, details: dict | None = None, code: str | None = None) -> JSONResponse:
        body = {"error": code or CODES[status], "message": message, "details": details or {},
                "request_id": f"req_{secrets.token_hex(8)}"}
        return JSONResponse(active.apply("error_body", body), status_code=status)

    def conflict() -> JSONResponse:
        return error(409, "A contact with this phone number already exists on this account.", {"field": "phone"})

    def auth_failure(request: Request, operation: str) -> JSONResponse | None:
        if not active.apply("auth_required", True, operation=operation):
            return None
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return error(401, "API key is missing: send Authorization: Bearer <API key>.")
        valid = secrets.compare_digest(key.strip().encode(), api_key.encode())
        if not active.apply("key_valid", valid, key=key):
            return error(401, "API key is invalid or revoked.")
        return None

    def rate_limit(request: Request) -> JSONResponse | None:
        if not active.apply("rate_limited", False, request=request):
            return None
        response = error(429, "Too many requests; retry after the number of seconds in Retry-After.")
        response.headers["Retry-After"] = "1"
        return response

    async def validated_contact(request: Request) -> dict | JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            status, code = active.apply("malformed_json_status", (400, "invalid_request"))
            return error(status, "The request body is not valid JSON.", code=code)
        if not isinstance(body, dict):
            return error(400, "The request body must be a JSON object.")
        missing = [f for f in ("name", "phone") if f not in body]
        if missing:
            status, code = active.apply("missing_field_error", (400, "invalid_request"))
            return error(status, f"Missing required field(s): {', '.join(missing)}.", {"fields": missing}, code=code)
        wrong_type = [f for f, ok in (
            ("name", isinstance(body["name"], str)),
            ("phone", isinstance(body["phone"], str)),
            ("email", "email" not in body or isinstance(body["email"], str)),
            ("lists", "lists" not in body or (isinstance(body["lists"], list)
                                               and all(isinstance(i, str) for i in body["lists"]))),
        ) if not ok]
        if wrong_type:
            return error(400, f"Wrong JSON type for: {', '.join(wrong_type)}.", {"fields": wrong_type})
        problems = {}
        if not active.apply("phone_valid", bool(E164.match(body["phone"])), phone=body["phone"]):
            problems["phone"] = "must be E.164: +, country code and subscriber number, no spaces or dashes"
        email = body.get("email")
        if email is not None and not active.apply("email_valid", email_is_valid(email), email=email):
            problems["email"] = "is malformed"
        bad_lists = [i for i in body.get("lists", [])
                     if not LIST_ID.match(i) or not active.apply("list_exists", True, list_id=i)]
        if bad_lists:
            problems["lists"] = f"unknown list id(s): {', '.join(bad_lists)}"
        if active.apply("crash", False, problems=problems, body=body):
            return error(500, "Internal error.")
        if problems:
            return error(422, "; ".join(f"{k} {v}" for k, v in problems.items()), problems)
        return {"name": body["name"], "phone": body["phone"], "email": email,
                "lists": list(dict.fromkeys(body.get("lists", [])))}

    async def create_contact(request: Request) -> Response:
        auth_first = active.apply("auth_first", True)
        if auth_first and (denied := auth_failure(request, "create")):
            return denied
        fields = await validated_contact(request)
        if isinstance(fields, Response):
            return fields
        if not auth_first and (denied := auth_failure(request, "create")):
            return denied
        if (delay := active.apply("duplicate_precheck_delay", None)) is not None:
            if store.phone_in_use(fields["phone"]):
                return conflict()
            await asyncio.sleep(delay)
        contact = {"id": f"cnt_{secrets.token_hex(6)}", **fields,
                   "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        stored = {**contact, "lists": active.apply("stored_lists", contact["lists"], name=contact["name"])}
        try:
            store.insert(stored, phone_key=active.apply("phone_key", fields["phone"]))
        except DuplicatePhone:
            return conflict()
        body = {k: v for k, v in contact.items() if v is not None}
        return JSONResponse(active.apply("created_body", body), status_code=active.apply("create_status", 201))

    def paging(request: Request) -> tuple[int, int] | JSONResponse:
        values = {}
        for name, default in (("page", 1), ("per_page", active.apply("default_per_page", DEFAULT_PER_PAGE))):
            raw = request.query_params.get(name)
            try:
                values[name] = default if raw is None else int(raw)
            except ValueError:
                return error(400, f"{name} must be an integer.", {"field": name, "value": raw})
        page, per_page = values["page"], values["per_page"]
        clamp_low = active.apply("page_below_1", "reject") == "clamp"
        if page < 1 or per_page < 1:
            if not clamp_low:
                return error(422, "page and per_page must be at least 1.", {"page": page, "per_page": per_page})
            page, per_page = max(page, 1), max(per_page, 1)
        cap = active.apply("per_page_cap", MAX_PER_PAGE)
        if cap is not None and per_page > cap:
            if active.apply("per_page_over_max", "reject") == "reject":
                return error(422, f"per_page must be at most {cap}.", {"field": "per_page", "value": per_page})
            per_page = cap
        return page, per_page

    async def list_contacts(request: Request) -> Response:
        if denied := auth_failure(request, "list"):
            return denied
        paged = paging(request)
        if isinstance(paged, Response):
            return paged
        page, per_page = paged
        list_id = active.apply("list_filter", request.query_params.get("list_id"))
        include_deleted = active.apply("list_includes_deleted_members", False)
        lag = active.apply("list_lag", 0.0)
        as_of = time.time() - lag if lag else None
        total = store.count(list_id=list_id, include_deleted_members=include_deleted, as_of=as_of)
        offset = active.apply("offset", (page - 1) * per_page, page=page, total=total)
        rows = store.rows(list_id=list_id, offset=offset, limit=per_page,
                          newest_first=active.apply("newest_first", True), include_deleted_members=include_deleted,
                          as_of=as_of)
        data = [{k: v for k, v in row.items() if v is not None} for row in rows]
        body = active.apply("list_body", {"data": data, "meta": {"total": total, "page": page, "per_page": per_page}},
                            list_id=list_id)
        return JSONResponse(body, media_type=active.apply("list_content_type", "application/json"))

    async def delete_contact(request: Request) -> Response:
        if denied := auth_failure(request, "delete"):
            return denied
        contact_id = request.path_params["id"]
        targets = active.apply("delete_targets", [contact_id] if store.exists(contact_id) else [],
                               contact_id=contact_id, store=store)
        if not targets:
            if active.apply("unknown_delete_status", 404, contact_id=contact_id, store=store) == 404:
                return error(404, f"No contact with id {contact_id!r} exists on this account.", {"id": contact_id})
            return Response(status_code=204)
        mode = active.apply("delete_mode", "hard")
        if mode != "noop":
            for target in targets:
                store.delete(target, keep_phone=mode == "keep_phone", keep_memberships=mode == "keep_memberships",
                             linger=active.apply("list_lag", 0.0) > 0)
        status, body = active.apply("delete_answer", (204, None))
        return Response(status_code=204) if body is None else JSONResponse(body, status_code=status)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error(exc.status_code if exc.status_code in CODES else 400, exc.detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error(500, "Internal error.")

    def route(path: str, handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            if delay := active.apply("latency", 0.0):
                await asyncio.sleep(delay)
            return rate_limit(request) or await handler(request)
        return Route(path, endpoint, methods=[method])

    return Starlette(
        routes=[route("/v1/contacts", create_contact, "POST"), route("/v1/contacts", list_contacts, "GET"),
                route("/v1/contacts/{id}", delete_contact, "DELETE")],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
