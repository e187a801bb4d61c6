"""Faults of error bodies: their shape, the error code for each status, and request_id."""
from __future__ import annotations

import json
import time
from contextvars import ContextVar
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response

from conformance.mock.faults.common import soft_delete, without
from conformance.mock.registry import Hooks, fault, only
from conformance.mock.store import Store


def _error_code(fn: Callable[[str], str], status: int | None = None) -> Callable[[], Hooks]:
    return only("error_body", lambda body, status=None, _only=status, **_:
                {**body, "error": fn(body["error"])} if _only in (None, status) else body)


fault("error_without_message", "Error bodies have no message field.",
      only("error_body", without("message")), "ERROR-BODY-SHAPE", also=("SPEC-RESPONSES-CONFORM",))
fault("message_missing_on_404", "404 error bodies have no message field (other errors do).",
      only("error_body", lambda body, status, **_: without("message")(body) if status == 404 else body),
      "ERROR-BODY-SHAPE", also=("SPEC-RESPONSES-CONFORM",))
fault("errors_nested_under_error", "Error bodies nest the fields: {\"error\": {\"code\": …, \"message\": …}}.",
      only("error_body", lambda body, **_: {"error": {"code": body["error"], "message": body["message"]}}),
      "ERROR-BODY-SHAPE", also=("ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))
fault("error_without_request_id", "Error bodies carry no request_id (error and message are there).",
      only("error_body", without("request_id")), "ERROR-REQUEST-ID")
fault("request_id_repeated", "Every error body carries the same request_id.",
      only("error_body", lambda body, **_: {**body, "request_id": "req_5f2c9a01d3e4b786"}), "ERROR-REQUEST-ID")
fault("message_null_on_409", "409 error bodies carry message: null.",
      only("error_body", lambda body, status, **_: {**body, "message": None} if status == 409 else body),
      "ERROR-BODY-SHAPE", also=("SPEC-RESPONSES-CONFORM",))
fault("conflict_code_is_duplicate", "409 answers carry error 'duplicate' instead of 'conflict'.",
      _error_code(lambda code: "duplicate", 409), "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("error_codes_upper_case", "Error codes are upper case (VALIDATION_ERROR, NOT_FOUND …).",
      _error_code(str.upper), "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("not_found_code_is_contact_not_found", "404 answers carry error 'contact_not_found'.",
      _error_code(lambda code: "contact_not_found", 404), "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("unauthorized_code_is_invalid_api_key", "401 answers carry error 'invalid_api_key'.",
      _error_code(lambda code: "invalid_api_key", 401), "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("paging_error_code_invalid_parameter", "Out-of-range paging gets 422 with error 'invalid_parameter' (C's "
      "422 is validation_error).", only("paging_error", lambda answer, **_: (422, "invalid_parameter")),
      "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("missing_field_code_missing_field", "A 400 for a missing required field carries error 'missing_field' (the "
      "handler of its own; malformed JSON still says 'invalid_request').",
      only("missing_field_error", lambda err, **_: (400, "missing_field")), "ERROR-CODE-MATCHES-STATUS",
      also=("SPEC-RESPONSES-CONFORM",))
fault("email_422_code_invalid_email", "A 422 for a malformed email alone carries error 'invalid_email' (a bad phone "
      "still says 'validation_error').",
      only("validation_status", lambda answer, problems, **_: (422, "invalid_email") if set(problems) == {"email"}
           else answer), "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("message_empty_on_422", "422 error bodies carry message: \"\" (what went wrong is only in details).",
      only("error_body", lambda body, status, **_: {**body, "message": ""} if status == 422 else body),
      "ERROR-BODY-SHAPE")
fault("errors_as_field_list_on_422", "A 422 answers with a JSON array of field errors ([{\"loc\": …, \"msg\": …}], "
      "a validation library's own handler), not the platform's error object.",
      only("error_body", lambda body, status, **_: [{"loc": ["body", k], "msg": v, "type": "value_error"}
                                                    for k, v in (body.get("details") or {}).items()]
           if status == 422 else body),
      "ERROR-BODY-SHAPE", also=("ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))
fault("request_id_fixed_on_401", "401 bodies come from an auth middleware that runs before the request-id middleware: "
      "every 401 carries the same placeholder request_id (other errors carry their own).",
      only("error_body", lambda body, status, **_: {**body, "request_id": "req_0000000000000000"}
           if status == 401 and "request_id" in body else body), "ERROR-REQUEST-ID")


def _error_rewritten(answer: Response, change: Callable[[dict], dict]) -> Response:
    """An error answer whose JSON body a layer after the app rewrites (Content-Length follows the new body)."""
    body = json.loads(answer.body)
    headers = {k: v for k, v in answer.headers.items() if k not in ("content-length", "content-type")}
    return JSONResponse(change(body), status_code=answer.status_code, headers=headers)


def _per_connection_request_id(answer: Response, request: Any, **_: Any) -> Response:
    if answer.status_code < 400 or not isinstance(answer, JSONResponse):
        return answer
    host, port = request.scope.get("client") or ("", 0)
    return _error_rewritten(answer, lambda body: {**body, "request_id": f"req_{abs(hash((host, port))):016x}"[:20]})


def _clock_request_id(body: dict, **_: Any) -> dict:
    return {**body, "request_id": f"req_{int(time.time()):x}"} if "request_id" in body else body


def _list_query_errors(change: Callable[[dict], dict]) -> Callable[[], Hooks]:
    def response(answer: Response, operation: str, **_: Any) -> Response:
        if operation != "list" or answer.status_code not in (400, 422):
            return answer
        return _error_rewritten(answer, change)
    return only("response", response)


def _deleted_id_404_without_message() -> Hooks:
    seen: list[Store] = []

    def request(value: None, store: Store, **_: Any) -> None:
        seen[:] = [store]
        return value

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "delete" or answer.status_code != 404 or not seen:
            return answer
        deleted = seen[0].first("SELECT 1 FROM contacts WHERE id = ? AND deleted = 1",
                                (request.path_params.get("id", ""),))
        return answer if deleted is None else _error_rewritten(answer, without("message"))
    return {**soft_delete()(), "request": request, "response": response}


fault("request_id_per_connection", "The request id is made once per keep-alive connection (stored on the socket by a "
      "middleware that runs on connect): every error answered on one connection carries the same request_id.",
      only("response", _per_connection_request_id), "ERROR-REQUEST-ID")
fault("request_id_from_clock_seconds", "The request id is the Unix second in hex (req_6592f3a1): errors answered in "
      "the same second carry the same request_id.", only("error_body", _clock_request_id), "ERROR-REQUEST-ID")
fault("list_query_errors_without_request_id", "GET /contacts's query is validated by a middleware in front of the "
      "app: its 400 and 422 bodies carry error, message and details but no request_id (the app's errors do).",
      _list_query_errors(without("request_id")), "ERROR-REQUEST-ID")
fault("list_query_errors_without_message", "GET /contacts's query is validated by a middleware in front of the app: "
      "its 400 and 422 bodies carry error and details, no message (the app's errors carry one).",
      _list_query_errors(without("message")), "ERROR-BODY-SHAPE", also=("SPEC-RESPONSES-CONFORM",))
fault("deleted_id_404_without_message", "Deletes are soft; deleting a deleted contact again is answered by a branch "
      "of its own: 404 not_found whose body has no message (an unknown id's 404 has one).",
      _deleted_id_404_without_message, "ERROR-BODY-SHAPE")
fault("list_type_errors_code_bad_request", "GET /contacts's query is converted by the framework before the app sees "
      "it: a page or per_page that is no integer gets its own 400 with error 'bad_request' (the app's 400s say "
      "invalid_request).",
      only("response", lambda answer, operation, **_: _error_rewritten(answer, lambda body: {**body, "error":
           "bad_request"}) if operation == "list" and answer.status_code == 400 else answer),
      "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("list_query_errors_as_text", "GET /contacts's query is validated by a middleware in front of the app that "
      "answers its 400 and 422 as text/plain ('per_page: must be at most 100'), not JSON (the app's errors are).",
      only("response", lambda answer, operation, **_: PlainTextResponse(
          "; ".join(f"{k}: {v}" for k, v in (json.loads(answer.body).get("details") or {}).items()) or "bad query",
          status_code=answer.status_code) if operation == "list" and answer.status_code in (400, 422) else answer),
      "JSON-CONTENT-TYPE", also=("ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))


def _conflict_code_on_the_lists_path() -> Hooks:
    """The create path that assigns lists has a conflict handler of its own, with its own code."""
    with_lists: ContextVar[bool] = ContextVar("with_lists", default=False)

    def problems(found: dict, body: dict, **_: Any) -> dict:
        with_lists.set(bool(body.get("lists")))
        return found

    def error_body(body: dict, status: int, **_: Any) -> dict:
        return {**body, "error": "duplicate_contact"} if status == 409 and with_lists.get() else body
    return {"problems": problems, "error_body": error_body}


fault("conflict_code_on_the_lists_path", "A create that assigns lists goes through the list-import path, whose "
      "conflict handler answers a taken phone with 409 and error 'duplicate_contact' (the plain path says "
      "conflict).", _conflict_code_on_the_lists_path, "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))


fault("request_id_empty", "A request-id middleware that reads an upstream header it never receives: every error body "
      "carries request_id \"\".", only("error_body", lambda body, **_: {**body, "request_id": ""}
                                      if "request_id" in body else body), "ERROR-REQUEST-ID")
fault("error_code_trailing_space", "Error codes come from a CHAR(20) column, padded with spaces: 'conflict            '.",
      _error_code(lambda code: code.ljust(20)), "ERROR-CODE-MATCHES-STATUS", also=("SPEC-RESPONSES-CONFORM",))
fault("message_blank_on_404", "404 bodies carry a message of one space (a template whose only placeholder was "
      "empty).", only("error_body", lambda body, status, **_: {**body, "message": " "} if status == 404 else body),
      "ERROR-BODY-SHAPE")
fault("request_id_blank_on_422", "422 bodies come from a validation handler that formats the request id into a "
      "fixed-width field it never fills: request_id \"        \".",
      only("error_body", lambda body, status, **_: {**body, "request_id": " " * 8}
           if status == 422 and "request_id" in body else body), "ERROR-REQUEST-ID")
