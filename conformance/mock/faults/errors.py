"""Faults of error bodies: their shape, the error code for each status, and request_id."""
from __future__ import annotations

from collections.abc import Callable

from conformance.mock.faults.common import without
from conformance.mock.registry import Hooks, fault, only


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
