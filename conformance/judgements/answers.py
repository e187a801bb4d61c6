"""The rules every answer of the API meets, whatever was asked: JSON, the error body and its documented code,
Retry-After on a 429, no server error, and the statuses and shapes openapi.yaml documents."""
from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from functools import cache

from conformance import resources
from conformance.judgements.http import GATEWAY, Judgement, body_known, operation

# The error code each documented error row of the docs pins, per method; every status keeps one code throughout.
_OUTSIDE_QUOTES_COMMA = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')
DOCUMENTED_CODES = {
    ("POST", 400): "invalid_request", ("POST", 401): "unauthorized", ("POST", 409): "conflict",
    ("POST", 422): "validation_error", ("GET", 401): "unauthorized", ("DELETE", 401): "unauthorized",
    ("DELETE", 404): "not_found",
}
CODES = {status: code for (_, status), code in DOCUMENTED_CODES.items()}
# The statuses openapi.yaml documents for each operation.
DOCUMENTED_STATUSES = {"create": {201, 400, 401, 404, 409, 422, 429}, "list": {200, 400, 401, 404, 422, 429},
                       "delete": {204, 401, 404, 429}}


def is_json_type(content_type: str) -> bool:
    """JSON-CONTENT-TYPE's one rule: P says only that the API "always answers with JSON", naming no media type, so
    application/json and every type with the +json structured suffix (RFC 6839: application/problem+json, a vendor's
    application/vnd.…+json) are JSON; a parameter (charset) and the letter case do not change the type. Content-Type
    names one type (RFC 9110 §8.3): two of them, as two headers joined by a comma, leave the type unknown."""
    if _OUTSIDE_QUOTES_COMMA.search(content_type):
        return False
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def json_answer_problem(exchange) -> str:
    """JSON-CONTENT-TYPE: an answer other than 204 is JSON, by Content-Type and by its body, which is UTF-8 (RFC 8259
    §8.1: JSON text exchanged between systems is encoded as UTF-8; a charset parameter changes nothing, §11)."""
    if not is_json_type(exchange.content_type):
        return f"{exchange.method} answered {exchange.status} with Content-Type {exchange.content_type!r}"
    if getattr(exchange, "not_utf8", False):  # a recording may not say: the bytes were then not seen
        return (f"{exchange.method} answered {exchange.status} with a body that is not UTF-8 (Content-Type "
                f"{exchange.content_type!r}): {exchange.text[:200]!r}")
    if body_known(exchange) and exchange.json_or_none() is None:
        return f"{exchange.method} answered {exchange.status} with a body that is not JSON: {exchange.text[:200]!r}"
    return ""


def error_body_problem(exchange) -> str:
    """ERROR-BODY-SHAPE: an error is a JSON object with the strings error and message (blanks say nothing)."""
    body = exchange.json_or_none()
    if not isinstance(body, dict):
        return f"the {exchange.status} body is not a JSON object: {exchange.text[:200]!r}"
    for name in ("error", "message"):
        if not (isinstance(body.get(name), str) and body[name].strip()):
            return f"the {exchange.status} body has no string {name!r}: {body!r:.300}"
    return ""


def error_code_problem(exchange) -> str:
    """ERROR-CODE-MATCHES-STATUS: the error code is the one the docs' tables give for the status."""
    body = exchange.json_or_none()
    code = body.get("error") if isinstance(body, dict) else None
    expected = CODES[exchange.status]
    return "" if code == expected else f"a {exchange.status} must carry error {expected!r}, got {code!r}"


def request_id_problem(exchange) -> str:
    """ERROR-REQUEST-ID: an error body names its request (a SHOULD: P gives request_id in every error body)."""
    body = exchange.json_or_none()
    request_id = body.get("request_id") if isinstance(body, dict) else None
    named = request_id.strip() if isinstance(request_id, str) else request_id
    return "" if named else f"the {exchange.status} body has no request_id"


def retry_after_problem(exchange) -> str:
    """RATE-LIMIT-RETRY-AFTER: a 429 says in Retry-After how long to wait (seconds, or RFC 9110's HTTP date)."""
    retry_after = exchange.headers.get("retry-after", "").strip()
    if retry_after.isdigit() or _http_date(retry_after):
        return ""
    if retry_after:
        return f"a 429 says Retry-After {retry_after!r}: the platform's 429 carries the number of seconds to wait"
    return "a 429 came without Retry-After: the platform's 429 carries the number of seconds to wait"


_DAY, _MONTH = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)", "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HTTP_DATE_FORMS = tuple(re.compile(form) for form in (
    rf"{_DAY}, \d{{2}} {_MONTH} \d{{4}} \d{{2}}:\d{{2}}:\d{{2}} GMT",  # IMF-fixdate
    rf"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{{2}}-{_MONTH}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}} GMT",  # rfc850
    rf"{_DAY} {_MONTH} [ \d]\d \d{{2}}:\d{{2}}:\d{{2}} \d{{4}}"))  # asctime


def _http_date(value: str) -> bool:
    """RFC 9110 §5.6.7's HTTP-date: IMF-fixdate, or one of the two obsolete forms recipients must read; a date in
    another zone than GMT (RFC 5322's numeric -0000 or +0100) is none of them."""
    if not any(form.fullmatch(value) for form in _HTTP_DATE_FORMS):
        return False
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def judge_answer(exchange) -> list[Judgement]:
    """The rules every answer of the API meets, whatever was asked: JSON, the error body, its code, Retry-After,
    no server error, and the documented statuses and shapes of openapi.yaml."""
    status, op = exchange.status, operation(exchange.method, exchange.url)
    if status is None or op not in DOCUMENTED_STATUSES or status in GATEWAY or status < 200 or 300 <= status < 400:
        return []
    out = []
    if status >= 500:
        out.append(Judgement("SPEC-NO-SERVER-ERROR", f"{exchange.method} answered {status}: {exchange.text[:200]}"))
    if status != 204:
        out.append(Judgement("JSON-CONTENT-TYPE", json_answer_problem(exchange)))
    if status >= 400 and body_known(exchange):
        out.append(Judgement("ERROR-BODY-SHAPE", error_body_problem(exchange)))
        if status in CODES:
            out.append(Judgement("ERROR-CODE-MATCHES-STATUS", error_code_problem(exchange)))
        if isinstance(exchange.json_or_none(), dict):
            out.append(Judgement("ERROR-REQUEST-ID", request_id_problem(exchange)))
    if status == 429:
        out.append(Judgement("RATE-LIMIT-RETRY-AFTER", retry_after_problem(exchange)))
    out.append(Judgement("SPEC-RESPONSES-CONFORM", spec_problem(exchange, op)))
    return out


def error_judgements(exchange) -> list[Judgement]:
    """An error answer is the API's own error like any other (P: every error has the same JSON body; C: the code
    its status has): JSON, an error and a message, and the documented code."""
    out = [Judgement("JSON-CONTENT-TYPE", json_answer_problem(exchange)),
           Judgement("ERROR-BODY-SHAPE", error_body_problem(exchange))]
    if exchange.status in CODES:
        out.append(Judgement("ERROR-CODE-MATCHES-STATUS", error_code_problem(exchange)))
    return out


def accepts_json(exchange) -> bool:
    """Whether the request's Accept lets JSON through: none sent, or a range that JSON falls in."""
    accept = next((v for k, v in exchange.request_headers.items() if k.lower() == "accept"), "")
    ranges = [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]
    return not ranges or any(r in ("*/*", "application/*") or "json" in r for r in ranges)


# --- the documented shapes (openapi.yaml) ------------------------------------------------------------------------

@cache
def _validator(pointer: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    spec = resources.load(resources.SPEC_NAME)
    from referencing.jsonschema import DRAFT202012
    registry = Registry().with_resource("urn:zexa-openapi",
                                        Resource.from_contents(spec, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:zexa-openapi#{pointer}"}, registry=registry)


_SCHEMAS = {("create", 201): "/components/schemas/Contact", ("list", 200): "/components/schemas/ContactPage"}


def spec_problem(exchange, op: str) -> str:
    """SPEC-RESPONSES-CONFORM: a status openapi.yaml documents for the operation, JSON where it documents a body, and
    a body of the documented shape."""
    status = exchange.status
    if status == 406 and not accepts_json(exchange):
        return ""  # the client refused JSON: HTTP's answer to that is outside the docs (its body is still JSON)
    if status == 413 and op == "create":
        return ""  # a body too large for the target: the docs set no limit (an everyday create must still be 201)
    if status not in DOCUMENTED_STATUSES[op]:
        return f"{op} answered {status}, a status openapi.yaml does not document for it"
    if status == 204 or not body_known(exchange):
        return ""
    if not is_json_type(exchange.content_type):
        return f"{op} answered {status} with Content-Type {exchange.content_type!r}, not application/json"
    body = exchange.json_or_none()
    pointer = _SCHEMAS.get((op, status), "/components/schemas/Error")
    error = next(iter(sorted(_validator(pointer).iter_errors(body), key=lambda e: list(e.path))), None)
    if error is None:
        return ""
    where = "/".join(str(p) for p in error.absolute_path) or "the body"
    return f"{op} answered {status} off the documented shape at {where}: {error.message[:200]}"

