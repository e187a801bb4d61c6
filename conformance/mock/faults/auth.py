"""Faults of the API key check: which keys (and which requests without one) are taken, what a refusal says, and
whether it comes first."""
from __future__ import annotations

import json
import re
from contextvars import ContextVar
from typing import Any

from starlette.responses import JSONResponse, Response

from conformance.mock.app import error_body
from conformance.mock.registry import Hooks, fault, only
from conformance.mock.store import Query, Store


def _like(pattern: str, value: str) -> bool:
    """SQL LIKE: % any run of characters, _ any one character."""
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _split_on_bearer(header: str, **_) -> str | None:
    """A parser that takes the key as header.split("Bearer ")[1] fails (None: the app answers 500) on a scheme in
    another letter case or followed by other whitespace."""
    return None if header[:6].lower() == "bearer" and len(header) > 7 and not header.startswith("Bearer ") else header


def _rewrite_error(response: Response, **changes: Any) -> Response:
    body = {**json.loads(response.body), **changes}
    return JSONResponse({k: v for k, v in body.items() if v is not None}, status_code=response.status_code,
                        headers={k: v for k, v in response.headers.items() if k not in ("content-length",
                                                                                         "content-type")})


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


def _cached_lists_behind_gateway() -> Hooks:
    """A caching layer keyed on the URL alone, behind a gateway that lets through any request carrying a Bearer key
    (the application checks which key it is)."""
    cache: dict[str, tuple[bytes, dict]] = {}

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "list":
            return answer
        key = str(request.url.query)
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if answer.status_code == 200 and getattr(answer, "body", None):
            cache[key] = (answer.body, answer.headers.get("content-type", "application/json"))
        elif answer.status_code == 401 and scheme == "Bearer" and sent.strip() and key in cache:
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


fault("any_key_accepted", "Any Bearer key is accepted, not only the account's.",
      only("key_valid", lambda valid, **_: True), "AUTH-401-INVALID-KEY")
fault("invalid_key_is_403", "A wrong key gets 403 forbidden instead of 401.",
      only("auth_failure_status", lambda s, reason, **_: 403 if reason == "invalid" else s), "AUTH-401-INVALID-KEY")
fault("key_compared_by_prefix", "Only the first 8 characters of the key are compared.",
      only("key_valid", lambda valid, key, expected, **_: valid or key[:8] == expected[:8]), "AUTH-401-INVALID-KEY")
fault("key_compared_case_insensitively", "Keys are compared ignoring case (a column with a case-insensitive "
      "collation).", only("key_valid", lambda valid, key, expected, **_: valid or key.lower() == expected.lower()),
      "AUTH-401-INVALID-KEY")
fault("invalid_key_accepted_on_list", "GET /contacts accepts any key (only a missing one gets 401).",
      only("key_valid", lambda valid, operation, **_: valid or operation == "list"), "AUTH-401-INVALID-KEY")
fault("missing_key_allowed_on_list", "GET /contacts runs without checking the key: without Authorization, or with "
      "any key, it answers 200 (and judges the query first).",
      only("auth_required", lambda required, operation, **_: required and operation != "list"),
      "AUTH-401-MISSING-KEY", also=("AUTH-401-INVALID-KEY", "AUTH-401-BEFORE-VALIDATION"))
fault("delete_skips_auth", "DELETE runs without checking the key.",
      only("auth_required", lambda required, operation, **_: required and operation != "delete"),
      "AUTH-401-MISSING-KEY")
fault("missing_key_is_403", "A request without Authorization gets 403 forbidden instead of 401.",
      only("auth_failure_status", lambda s, reason, **_: 403 if reason == "missing" else s), "AUTH-401-MISSING-KEY")
fault("key_matched_with_like", "The key is looked up with SQL LIKE: % and _ in a sent key are wildcards.",
      only("key_valid", lambda valid, key, expected, **_: valid or _like(key, expected)), "AUTH-401-INVALID-KEY")
fault("key_is_last_word", "The key is the last word of the Authorization header after Bearer, whatever comes "
      "between.", only("credentials", lambda header, **_: f"Bearer {header.split()[-1]}"
                       if header.startswith("Bearer ") and header.split()[1:] else header), "AUTH-401-INVALID-KEY")
fault("key_accepted_from_cookie", "A request without Authorization is authenticated by a token cookie (the docs: "
      "no sessions, no cookies).", only("credentials", lambda header, request, **_: header or (
          f"Bearer {request.cookies['token']}" if request.cookies.get("token") else header)),
      "AUTH-401-MISSING-KEY")
fault("cached_list_served_without_key", "A cache in front of GET /contacts keys on the URL alone: a request "
      "without Authorization for a URL read before with the key gets that 200.", _cached_lists,
      "AUTH-401-MISSING-KEY")
fault("cached_list_served_to_any_key", "A cache in front of GET /contacts keys on the URL alone, behind a gateway "
      "that lets through any request carrying a Bearer key (the application checks which): a wrong key for a URL "
      "read before with the right one gets that 200.", _cached_lists_behind_gateway, "AUTH-401-INVALID-KEY")
fault("lowercase_bearer_crashes", "An Authorization header whose scheme is not spelt exactly `Bearer ` makes the "
      "key parser raise (split on 'Bearer '): 500.", only("credentials", _split_on_bearer), "SPEC-NO-SERVER-ERROR")
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
fault("refused_create_stored", "A create without a valid key is stored, then answered 401.",
      only("refused_write_applied", lambda applied, operation, **_: applied or operation == "create"),
      "AUTH-401-CHANGES-NOTHING")
fault("refused_delete_applied", "A DELETE without a valid key deletes the contact, then answers 401.",
      only("refused_write_applied", lambda applied, operation, **_: applied or operation == "delete"),
      "AUTH-401-CHANGES-NOTHING")
fault("validates_before_auth", "Create validates the body before the key check (a bad body gets 400/422 "
      "unauthenticated).", only("auth_first", lambda first, operation, **_: first and operation != "create"),
      "AUTH-401-BEFORE-VALIDATION")
fault("unknown_id_404_before_auth", "DELETE looks the id up before the key check: an unknown id gets 404 "
      "unauthenticated.", only("auth_first", lambda first, operation, **_: first and operation != "delete"),
      "AUTH-401-BEFORE-VALIDATION")
fault("paging_validated_before_auth", "GET /contacts validates page/per_page before the key check.",
      only("auth_first", lambda first, operation, **_: first and operation != "list"), "AUTH-401-BEFORE-VALIDATION")


def _key_remembered_per_connection() -> Hooks:
    """A keep-alive connection is a session: a request on it without Authorization is sent with the Authorization the
    connection carried last."""
    remembered: dict[tuple, str] = {}

    def credentials(header: str, request: Any, **_: Any) -> str:
        peer = tuple(request.scope.get("client") or ())
        if header:
            remembered[peer] = header
            return header
        return remembered.get(peer, header)
    return {"credentials": credentials}


fault("key_remembered_per_connection", "A request without Authorization on a keep-alive connection that carried the "
      "key before is authenticated by it (the connection is taken for a session; P: no sessions).",
      _key_remembered_per_connection, "AUTH-401-MISSING-KEY", also=("AUTH-401-BEFORE-VALIDATION",))


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message, code=code), status_code=status)


def _integer(raw: str) -> bool:
    try:
        int(raw)
    except ValueError:
        return False
    return True


def _paging_types_first(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    """The framework converts typed query parameters before the handler checks the key."""
    if operation != "list" or answer.status_code != 401:
        return answer
    bad = next((name for name in ("page", "per_page")
                if (raw := request.query_params.get(name)) is not None and not _integer(raw)), None)
    return _refusal(400, "invalid_request", f"{bad} must be an integer.") if bad else answer


def _list_filter_resolved_first() -> Hooks:
    """A list_id filter is looked up before the key check: a list that holds nobody is 404 (empty_lists_404's legal
    answer), to a caller without a key too."""
    stores: list[Store] = []

    def unknown(list_id: str) -> str:
        return "" if stores[0].count(Query.of(list_id)) else f"No contact list {list_id!r} on this account."

    def refused(answer: tuple | None, list_id: str, **_: Any) -> tuple | None:
        return answer or ((404, message) if (message := unknown(list_id)) else None)

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        list_id = request.query_params.get("list_id")
        if operation == "list" and answer.status_code == 401 and list_id and (message := unknown(list_id)):
            return _refusal(404, "not_found", message)
        return answer
    return {"opened": lambda store, **_: stores.append(store) or store, "list_filter_refused": refused,
            "response": response}


def _json_only(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


def _content_type_checked_first(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    if operation != "create" or answer.status_code != 401 or _json_only(request.headers.get("content-type", "")):
        return answer
    return _refusal(415, "unsupported_media_type", "Send the body as application/json.")


fault("paging_types_checked_before_auth", "GET /contacts converts page and per_page to integers before the key "
      "check (a typed query parameter): page=abc without a key is 400, not 401 (a number out of range still gets "
      "401).", only("response", _paging_types_first), "AUTH-401-BEFORE-VALIDATION",
      also=("AUTH-401-MISSING-KEY",))
fault("list_filter_resolved_before_auth", "GET /contacts looks the list_id filter up before the key check: a list "
      "holding nobody is 404 not_found, with or without a key (with one, a legal answer).",
      _list_filter_resolved_first, "AUTH-401-BEFORE-VALIDATION", also=("AUTH-401-MISSING-KEY",))
fault("content_type_checked_before_auth", "A create whose Content-Type is not application/json is answered 415 "
      "before the key check (a body-parsing middleware in front of auth): without a key too.",
      lambda: {"content_type_accepted": lambda ok, content_type, **_: ok and _json_only(content_type),
               "response": _content_type_checked_first}, "AUTH-401-BEFORE-VALIDATION", also=("AUTH-401-MISSING-KEY",))


def _bearer_replaced(header: str, **_: Any) -> str:
    return f"Bearer {header.replace('Bearer ', '')}" if header else header


fault("key_is_second_word", "The key is read as header.split(' ')[1]: whatever follows the key after a space is "
      "dropped, so 'Bearer <key> anything' is taken as the key.",
      only("credentials", lambda header, **_: f"Bearer {header.split(' ')[1]}"
           if header.startswith("Bearer ") and len(header.split(" ")) > 2 else header), "AUTH-401-INVALID-KEY")
fault("key_read_after_seven_characters", "The key is read as header[7:] with no look at the scheme: any word of six "
      "letters before it ('ApiKey <key>') is taken for Bearer.",
      only("credentials", lambda header, **_: f"Bearer {header[7:]}" if len(header) > 7 else header),
      "AUTH-401-MISSING-KEY")
fault("key_without_scheme_accepted", "The key is read as header.replace('Bearer ', '') with no check that Bearer was "
      "there: an Authorization header holding the bare key is taken (P: Authorization: Bearer <key>).",
      only("credentials", _bearer_replaced), "AUTH-401-MISSING-KEY")


def _key_checked_after_insert() -> Hooks:
    """The create inserts in a transaction and checks the key before it commits: a refused insert is rolled back
    (each request runs in a task of its own, so the id it inserted is a context variable), but the unique phone
    index has answered first."""
    inserted: ContextVar[tuple[Store, str] | None] = ContextVar("inserted", default=None)

    def stored(contact: dict, store: Store, **_: Any) -> dict:
        inserted.set((store, contact["id"]))
        return contact

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation == "create" and answer.status_code == 401 and (rollback := inserted.get()) is not None:
            store, contact_id = rollback
            store.delete(contact_id)
        return answer
    return {"refused_write_applied": lambda applied, operation, **_: applied or operation == "create",
            "stored": stored, "response": response}


fault("conflict_before_auth", "A create is inserted before the key check, which rolls the insert back: a phone "
      "the account holds is refused by the unique index with 409 to a caller without a key (who learns which numbers "
      "the account holds).", _key_checked_after_insert, "AUTH-401-BEFORE-VALIDATION",
      also=("AUTH-401-MISSING-KEY",))


def _lists_path_skips_auth() -> Hooks:
    """Two code paths for a create: with lists (insert the contact, then its memberships) and without; only the
    one without lists checks the key. The app refuses first and writes anyway (refused_write_applied); the answer
    then follows the path the body takes: a create with lists is answered as if authenticated, one without is
    rolled back and refused."""
    refused: ContextVar[bool] = ContextVar("refused", default=False)
    stored: ContextVar[dict | None] = ContextVar("stored", default=None)

    def failed(status: int, **_: Any) -> int:
        refused.set(True)
        return status

    def keep(contact: dict, store: Store, **_: Any) -> dict:
        stored.set({**contact, "store": store})
        return contact

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        contact = stored.get()
        if operation != "create" or not refused.get() or contact is None:
            return answer
        if contact["lists"]:
            return answer if answer.status_code != 401 else JSONResponse(
                {k: v for k, v in contact.items() if v is not None and k != "store"}, status_code=201)
        if answer.status_code == 401:
            contact["store"].delete(contact["id"])
            return answer
        return _refusal(401, "unauthorized", "API key is missing: send Authorization: Bearer <API key>.")
    return {"auth_failure_status": failed,
            "refused_write_applied": lambda applied, operation, **_: applied or operation == "create",
            "stored": keep, "response": response}


fault("create_with_lists_skips_auth", "A create that assigns lists takes another code path (insert the contact, "
      "then its memberships) that never checks the key: without a key it is stored and answered 201.",
      _lists_path_skips_auth, "AUTH-401-MISSING-KEY", also=("AUTH-401-INVALID-KEY",))


def _key_checked_once_per_connection() -> Hooks:
    """A keep-alive connection whose request carried the right key is trusted: later requests on it that send a key
    have it taken without a comparison (a request without one still gets 401)."""
    trusted: set[tuple] = set()
    peer: ContextVar[tuple] = ContextVar("peer", default=())

    def credentials(header: str, request: Any, **_: Any) -> str:
        peer.set(tuple(request.scope.get("client") or ()))
        return header

    def key_valid(valid: bool, **_: Any) -> bool:
        if valid:
            trusted.add(peer.get())
        return valid or peer.get() in trusted
    return {"credentials": credentials, "key_valid": key_valid}


fault("key_checked_once_per_connection", "An auth middleware compares the key once per keep-alive connection: once a "
      "request on it carried the right key, a later request on it with any Bearer key is taken (one without a key "
      "still gets 401).", _key_checked_once_per_connection, "AUTH-401-INVALID-KEY")
