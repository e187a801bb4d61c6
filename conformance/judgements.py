"""Judgements of one exchange on its own, as plain functions of an Exchange (client.py), whoever produced it: a case
of a run, a HAR file (`conformance judge`) or the proxy. Each gives the requirement it is evidence for and what is
wrong ("" when the exchange meets the rule); an exchange that shows nothing about a rule gives no judgement of it.

Only what the docs make certain from the exchange alone is judged: a body whose fields the docs do not decide (a
name of 300 characters, a list id, an address only some validators take) makes no claim about its status."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import phonenumbers

from conformance import resources
from conformance.model import check_create_answer, check_created_at, parse_instant

# The error code each documented error row of the docs pins, per method; every status keeps one code throughout.
DOCUMENTED_CODES = {
    ("POST", 400): "invalid_request", ("POST", 401): "unauthorized", ("POST", 409): "conflict",
    ("POST", 422): "validation_error", ("GET", 401): "unauthorized", ("DELETE", 401): "unauthorized",
    ("DELETE", 404): "not_found",
}
CODES = {status: code for (_, status), code in DOCUMENTED_CODES.items()}
# A gateway's own answers (bad gateway, unavailable, timeout) say nothing of the API behind it.
GATEWAY = frozenset({502, 503, 504})
DEFAULT_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE = 1, 50, 100
LONG_NAME = 100  # a longer name may be refused (the docs set no limit; the run only observes such refusals)
ISO8601_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:?00)$")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # ASCII digits only; fullmatch, so no trailing newline slips through
_CONTACTS = re.compile(r"/contacts(?:/([^/]+))?/?$")
_CLEAR_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*")
_CLEAR_DOMAIN = re.compile(r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_DOCUMENTED = {"create": {201, 400, 401, 404, 409, 422, 429}, "list": {200, 400, 401, 404, 422, 429},
               "delete": {204, 401, 404, 429}}


@dataclass(frozen=True)
class Judgement:
    requirement: str
    problem: str = ""  # empty: the exchange meets the requirement

    @property
    def failed(self) -> bool:
        return bool(self.problem)


# --- what was sent --------------------------------------------------------------------------------------------

def operation(method: str, url: str) -> str | None:
    """create, list or delete for the Contacts API's three operations (any base URL); "update" for a PATCH or PUT of
    a contact (no documented operation: never judged, but what it changed is no longer its create's); None for
    anything else."""
    match = _CONTACTS.search(urlsplit(url).path)
    if not match:
        return None
    verb = method.upper()
    if match.group(1) is None:
        return {"POST": "create", "GET": "list"}.get(verb)
    return {"DELETE": "delete", "PATCH": "update", "PUT": "update"}.get(verb)


def path_id(url: str) -> str | None:
    match = _CONTACTS.search(urlsplit(url).path)
    return match.group(1) if match else None


def query(url: str) -> dict[str, str | None]:
    """The query's parameters; a repeated one is None (which of its values counts is the target's choice)."""
    params = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return {name: values[0] if len(values) == 1 else None for name, values in params.items()}


def _whole(value: str | None) -> int | None:
    return int(value) if value is not None and re.fullmatch(r"[0-9]{1,9}", value) else None


ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def _json_type(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def email_is_clearly_malformed(email: str) -> bool:
    """Malformed for every validator: no @ or two, nothing before or after it, whitespace, a dot at the end of the
    domain or two in a row. A quoted local part may hold what is malformed elsewhere: no claim about it."""
    if '"' in email:
        return False
    local, at, domain = email.rpartition("@")
    return (not at or "@" in local or not local or not domain or any(c.isspace() for c in email)
            or domain.endswith(".") or domain.startswith(".") or ".." in domain)


def email_is_clearly_valid(email: str) -> bool:
    """Well-formed for every validator: a dot-atom of ASCII letters, digits and _%+- and a dotted ASCII domain."""
    local, at, domain = email.rpartition("@")
    return bool(at and len(email) <= 254 and len(local) <= 64 and _CLEAR_LOCAL.fullmatch(local)
                and _CLEAR_DOMAIN.fullmatch(domain))


@dataclass(frozen=True)
class Expected:
    """What the docs allow as the answer to a create body: the statuses, and the requirement that names them."""
    requirement: str
    statuses: frozenset[int]
    what: str


def expected_create(exchange) -> Expected | None:
    """The statuses the docs allow for the body a create sent, or None when the docs do not decide it (a field of a
    type they do not name, a list id, an address only some validators take, a body that was not recorded)."""
    ctype = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), "")
    if ctype and not _json_type(ctype):
        return None
    if exchange.request_body is None:
        return None  # a recording may leave a body out: nothing is known of what was sent
    try:
        body = _strict_json(exchange.request_body)
    except ValueError:
        return Expected("CREATE-400-MALFORMED-JSON", frozenset({400}), "a body that is not JSON")
    if not isinstance(body, dict):
        return Expected("CREATE-400-MALFORMED-JSON", frozenset({400}), "a JSON body that is not an object")
    if ESCAPED_SURROGATE.search(exchange.request_body):
        return None  # an escaped surrogate may be a lone one, no text: a target may refuse it or take it
    problems: list[tuple[str, set[int], str]] = []
    undecided = False
    missing = [name for name in ("name", "phone") if name not in body]
    if missing:
        problems.append(("CREATE-400-MISSING-FIELD", {400}, f"no {' and no '.join(missing)}"))
    name = body.get("name")
    if "name" in body and not (isinstance(name, str) and name and max(len(name), len(name.encode("utf-16-le")) // 2)
                               <= LONG_NAME):
        undecided = True
    phone = body.get("phone")
    phone_valid = False
    if "phone" in body:
        if not isinstance(phone, str) or not phone:
            problems.append(("CREATE-422-PHONE-NOT-E164", {400, 422}, f"phone {phone!r}"))
        elif not E164.fullmatch(phone):
            problems.append(("CREATE-422-PHONE-NOT-E164", {422}, f"phone {phone!r}, not in E.164 format"))
        else:
            try:
                phone_valid = phonenumbers.is_valid_number(phonenumbers.parse(phone))
            except phonenumbers.NumberParseException:
                phone_valid = False
            undecided |= not phone_valid  # E.164 in form; whether the number exists is the target's call
    email = body.get("email")
    if "email" in body:
        if isinstance(email, str) and email and email_is_clearly_malformed(email):
            problems.append(("CREATE-422-EMAIL-MALFORMED", {422}, f"the malformed email {email!r}"))
        elif not (isinstance(email, str) and email_is_clearly_valid(email)):
            undecided = True
    lists = body.get("lists")
    if "lists" in body and lists != []:
        undecided = True  # list ids that name no list may be refused (400, 404 or 422): the docs are silent
    if set(body) - {"name", "phone", "email", "lists"}:
        undecided = True
    if not problems:
        if undecided:
            return None
        return Expected("CREATE-201-CREATED", frozenset({201, 409}), "a valid contact")
    statuses = set().union(*(codes for _, codes, _ in problems))
    if phone_valid:
        statuses.add(409)  # with another problem, the documented code of either is right (the phone may exist)
    if undecided:
        statuses |= {400, 404, 422}
    what = " and ".join(what for _, _, what in problems)
    requirement = problems[0][0] if len(problems) == 1 else "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE"
    return Expected(requirement, frozenset(statuses), f"a body with {what}")


# --- error bodies and content types ---------------------------------------------------------------------------

def json_answer_problem(exchange) -> str:
    """JSON-CONTENT-TYPE: an answer other than 204 is JSON, by Content-Type and by its body."""
    if not _json_type(exchange.content_type):
        return f"{exchange.method} answered {exchange.status} with Content-Type {exchange.content_type!r}"
    if body_known(exchange) and exchange.json_or_none() is None:
        return f"{exchange.method} answered {exchange.status} with a body that is not JSON: {exchange.text[:200]!r}"
    return ""


def error_body_problem(exchange) -> str:
    """ERROR-BODY-SHAPE: an error is a JSON object with the strings error and message."""
    body = exchange.json_or_none()
    if not isinstance(body, dict):
        return f"the {exchange.status} body is not a JSON object: {exchange.text[:200]!r}"
    for name in ("error", "message"):
        if not (isinstance(body.get(name), str) and body[name]):
            return f"the {exchange.status} body has no string {name!r}: {body!r:.300}"
    return ""


def error_code_problem(exchange) -> str:
    """ERROR-CODE-MATCHES-STATUS: the error code is the one the docs' tables give for the status."""
    body = exchange.json_or_none()
    code = body.get("error") if isinstance(body, dict) else None
    expected = CODES[exchange.status]
    return "" if code == expected else f"a {exchange.status} must carry error {expected!r}, got {code!r}"


def retry_after_problem(exchange) -> str:
    """RATE-LIMIT-RETRY-AFTER: a 429 says in Retry-After how long to wait (seconds, or RFC 9110's HTTP date)."""
    retry_after = exchange.headers.get("retry-after", "").strip()
    if retry_after.isdigit() or _http_date(retry_after):
        return ""
    if retry_after:
        return f"a 429 says Retry-After {retry_after!r}: the platform's 429 carries the number of seconds to wait"
    return "a 429 came without Retry-After: the platform's 429 carries the number of seconds to wait"


def _http_date(value: str) -> bool:
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def body_known(exchange) -> bool:
    """False when a recording left the answer's body out (the judgements of the body are then not made)."""
    return getattr(exchange, "body_known", True)


def judge_answer(exchange) -> list[Judgement]:
    """The rules every answer of the API meets, whatever was asked: JSON, the error body, its code, Retry-After,
    no server error, and the documented statuses and shapes of openapi.yaml."""
    status, op = exchange.status, operation(exchange.method, exchange.url)
    if status is None or op not in _DOCUMENTED or status in GATEWAY or status < 200 or 300 <= status < 400:
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
        body = exchange.json_or_none()
        if isinstance(body, dict):
            out.append(Judgement("ERROR-REQUEST-ID", "" if body.get("request_id") else
                                 f"the {status} body has no request_id"))
    if status == 429:
        out.append(Judgement("RATE-LIMIT-RETRY-AFTER", retry_after_problem(exchange)))
    out.append(Judgement("SPEC-RESPONSES-CONFORM", spec_problem(exchange, op)))
    return out


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
    if status not in _DOCUMENTED[op]:
        return f"{op} answered {status}, a status openapi.yaml does not document for it"
    if status == 204 or not body_known(exchange):
        return ""
    if not _json_type(exchange.content_type):
        return f"{op} answered {status} with Content-Type {exchange.content_type!r}, not application/json"
    body = exchange.json_or_none()
    pointer = _SCHEMAS.get((op, status), "/components/schemas/Error")
    error = next(iter(sorted(_validator(pointer).iter_errors(body), key=lambda e: list(e.path))), None)
    if error is None:
        return ""
    where = "/".join(str(p) for p in error.absolute_path) or "the body"
    return f"{op} answered {status} off the documented shape at {where}: {error.message[:200]}"


# --- creates ------------------------------------------------------------------------------------------------------

def judge_create(exchange) -> list[Judgement]:
    """An authenticated create: the status the docs give for what was sent, and what a 2xx answered."""
    out = []
    expected = expected_create(exchange)
    status = exchange.status
    if expected is None and status is not None and 200 <= status < 300:
        expected = Expected("CREATE-201-CREATED", frozenset({201}), "a body the target took")  # made: 201 Created
    if expected is not None and status not in (401, 429) and status not in GATEWAY:
        if status in expected.statuses:
            out.append(Judgement(expected.requirement))
        else:
            requirement = expected.requirement
            if requirement == "CREATE-201-CREATED" and status in (400, 422):
                requirement = _refused_field(exchange)
            allowed = " or ".join(map(str, sorted(expected.statuses)))
            out.append(Judgement(requirement, f"{expected.what}: expected {allowed}, got {status}: "
                                              f"{exchange.text[:200]}"))
    if 200 <= status < 300 and body_known(exchange) and isinstance(exchange.json_or_none(), dict):
        out += _created(exchange)
    return out


def _refused_field(exchange) -> str:
    """Which rule a refused valid body breaks: the field the error names, else the plain 201 rule."""
    body = exchange.json_or_none()
    said = json.dumps(body, ensure_ascii=False).lower() if isinstance(body, dict) else exchange.text.lower()
    sent = _strict_json(exchange.request_body)
    if "email" in sent and "email" in said and "phone" not in said:
        return "CREATE-VALID-EMAIL-ACCEPTED"
    if "phone" in said and "email" not in said:
        return "CREATE-VALID-PHONE-ACCEPTED"
    return "CREATE-201-CREATED"


def _created(exchange) -> list[Judgement]:
    answer = exchange.json_or_none()
    contact_id, stamp = answer.get("id"), answer.get("created_at")
    out = [Judgement("CREATE-ID-CNT-PREFIX", "" if isinstance(contact_id, str) and contact_id.startswith("cnt_")
                     and len(contact_id) > 4 else f"id {contact_id!r} is not a string prefixed cnt_"),
           Judgement("CREATE-CREATED-AT-ISO-UTC", "" if isinstance(stamp, str) and ISO8601_UTC.match(stamp) else
                     f"created_at {stamp!r} is not an ISO 8601 UTC timestamp (e.g. 2026-06-24T10:00:00Z)")]
    try:
        sent = _strict_json(exchange.request_body or "")
    except ValueError:
        return out
    if isinstance(sent, dict) and isinstance(sent.get("name"), str) and isinstance(sent.get("phone"), str) and (
            "email" not in sent or isinstance(sent["email"], str)) and (
            "lists" not in sent or isinstance(sent["lists"], list)):
        found = {f.requirement: f.message for f in check_create_answer(sent, exchange)}
        for requirement in ("CREATE-ECHOES-FIELDS", "CREATE-NAME-AS-PROVIDED"):
            out.append(Judgement(requirement, found.get(requirement, "")))
    return out


def judge_created_at(exchange, received_at, later: list = ()) -> list[Judgement]:
    """CREATE-CREATED-AT-MATCHES-DATE (and, without a Date header, CREATE-CREATED-AT-RECENT) of a 2xx create."""
    answer = exchange.json_or_none()
    if not isinstance(answer, dict) or parse_instant(answer.get("created_at")) is None:
        return []
    found = check_created_at(exchange, received_at, later)
    rule = "CREATE-CREATED-AT-MATCHES-DATE" if exchange.headers.get("date") else "CREATE-CREATED-AT-RECENT"
    return [Judgement(f.requirement, f.message) for f in found] or [Judgement(rule)]


# --- lists ---------------------------------------------------------------------------------------------------------

def page_of(exchange) -> tuple[list, dict] | None:
    """data and meta of a 200 list answer of the documented shape, else None."""
    body = exchange.json_or_none()
    if exchange.status != 200 or not isinstance(body, dict):
        return None
    data, meta = body.get("data"), body.get("meta")
    if not isinstance(data, list) or not isinstance(meta, dict):
        return None
    return data, meta


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def judge_list(exchange) -> list[Judgement]:
    """An authenticated list: its shape, the paging defaults, per_page's maximum, and meta against what was asked."""
    params = query(exchange.url)
    per_page_asked = _whole(params.get("per_page"))
    status = exchange.status
    out = []
    if per_page_asked == MAX_PER_PAGE and status in (400, 422):
        out.append(Judgement("LIST-PER-PAGE-MAX-100", f"per_page={MAX_PER_PAGE}, the documented maximum, was "
                                                      f"refused with {status}: {exchange.text[:200]}"))
    if status != 200 or not body_known(exchange):
        return out
    body = exchange.json_or_none()
    page = page_of(exchange)
    if page is None or not all(_integer(page[1].get(n)) for n in ("total", "page", "per_page")):
        return out + [Judgement("LIST-RESPONSE-SHAPE", "a 200 list is not an object with a data array and a meta "
                                f"object of integers total, page and per_page: {json.dumps(body)[:300]}")]
    data, meta = page
    out.append(Judgement("LIST-RESPONSE-SHAPE"))
    if "page" not in params and "per_page" not in params:
        problem = "" if meta["page"] == DEFAULT_PAGE and meta["per_page"] == DEFAULT_PER_PAGE and len(
            data) <= DEFAULT_PER_PAGE else (f"without page and per_page, meta says page {meta['page']}, per_page "
                                            f"{meta['per_page']} and data holds {len(data)} (documented defaults: "
                                            f"page 1, per_page 50)")
        out.append(Judgement("LIST-DEFAULT-PAGING", problem))
    elif "per_page" not in params:
        out.append(Judgement("LIST-DEFAULT-PAGING", "" if meta["per_page"] == DEFAULT_PER_PAGE else
                             f"without per_page, meta says per_page {meta['per_page']} (documented default: 50)"))
    elif "page" not in params:
        out.append(Judgement("LIST-DEFAULT-PAGING", "" if meta["page"] == DEFAULT_PAGE else
                             f"without page, meta says page {meta['page']} (documented default: 1)"))
    if per_page_asked is not None and per_page_asked > MAX_PER_PAGE:
        problem = "" if meta["per_page"] <= MAX_PER_PAGE and len(data) <= MAX_PER_PAGE else (
            f"per_page={per_page_asked} was honoured (meta per_page {meta['per_page']}, {len(data)} contacts): "
            f"the maximum is {MAX_PER_PAGE}")
        out.append(Judgement("LIST-PER-PAGE-MAX-100", problem))
    elif per_page_asked == MAX_PER_PAGE:
        out.append(Judgement("LIST-PER-PAGE-MAX-100", "" if meta["per_page"] == MAX_PER_PAGE else
                             f"per_page=100 (the documented maximum) answered meta per_page {meta['per_page']}"))
    problems = []
    page_asked = _whole(params.get("page"))
    if page_asked is not None and page_asked >= 1 and meta["page"] != page_asked:
        problems.append(f"page={page_asked} answered meta page {meta['page']}")
    if per_page_asked is not None and 1 <= per_page_asked <= MAX_PER_PAGE and meta["per_page"] != per_page_asked:
        problems.append(f"per_page={per_page_asked} answered meta per_page {meta['per_page']}")
    if len(data) > meta["per_page"]:
        problems.append(f"the page holds {len(data)} contacts, more than its meta per_page {meta['per_page']}")
    out.append(Judgement("LIST-META-DESCRIBES-PAGE", "; ".join(problems)))
    ids = [item.get("id") for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    out.append(Judgement("LIST-PAGES-PARTITION", f"one page shows {', '.join(repeated)} more than once"
                         if repeated else ""))
    return out


# --- deletes ---------------------------------------------------------------------------------------------------------

def judge_delete(exchange) -> list[Judgement]:
    """An authenticated delete answered 2xx: 204 with no body (what a 4xx says is judged against the history)."""
    status = exchange.status
    if status is None or not 200 <= status < 300:
        return []
    if status != 204:
        return [Judgement("DELETE-204-EMPTY-BODY", f"a successful deletion answered {status} (documented: 204 No "
                                                   f"Content with an empty body): {exchange.text[:200]!r}")]
    if body_known(exchange) and exchange.text:
        return [Judgement("DELETE-204-EMPTY-BODY", f"a 204 came with a body: {exchange.text[:200]!r}")]
    return [Judgement("DELETE-204-EMPTY-BODY")]


# --- authentication ------------------------------------------------------------------------------------------------

# Headers some APIs read a key from: the docs name only Authorization and say nothing of these, so a request that
# carries one is not judged as missing its key.
UNNAMED_KEY_HEADERS = frozenset({"x-api-key", "api-key", "x-auth-token"})


def bearer_token(authorization: str) -> str | None:
    """The token of `Bearer <token>`, the scheme in any letter case and any whitespace after it (RFC 9110 §11)."""
    parts = authorization.split(None, 1)
    return parts[1].strip() or None if len(parts) == 2 and parts[0].lower() == "bearer" else None


def key_kind(authorization: str, key: str | None, headers: dict | None = None) -> str:
    """How the request authenticated: "key" (the account's key), "missing" (no Authorization, another scheme, or
    Bearer with nothing), "invalid" (a key made from the account's: one character changed, added or cut, or its
    letters' case swapped: no account holds such a key) or "other" (a key the traffic cannot judge: another
    account's, perhaps, or a key in a header the docs do not name)."""
    token = bearer_token(authorization)
    if token is None:
        unnamed = not authorization and any(name.lower() in UNNAMED_KEY_HEADERS for name in headers or {})
        return "other" if unnamed else "missing"
    if key is None or token == key:
        return "key"
    return "invalid" if near_key(token, key) else "other"


def near_key(token: str, key: str) -> bool:
    if token.swapcase() == key or (len(token) == len(key) and sum(a != b for a, b in zip(token, key)) == 1):
        return True
    return abs(len(token) - len(key)) == 1 and (token.startswith(key) or key.startswith(token))


def asks_for_a_verdict(exchange) -> bool:
    """Whether the request holds something the target could refuse on its data (a body that is not a valid
    contact, paging out of range, an id that may name no contact): unauthenticated, it must still get 401 first."""
    op = operation(exchange.method, exchange.url)
    if op == "delete":
        return True
    if op == "create":
        expected = expected_create(exchange)
        return expected is None or expected.requirement != "CREATE-201-CREATED"
    params = query(exchange.url)
    return any(name in params and not (_whole(params[name]) or 0) >= 1 for name in ("page", "per_page")) or (
        (_whole(params.get("per_page")) or 0) > MAX_PER_PAGE)


def judge_auth(exchange, kind: str) -> list[Judgement]:
    """AUTH-401-*: a request without the key, or with a key forged from it, is answered 401 before anything else."""
    status = exchange.status
    if kind not in ("missing", "invalid") or status is None or status == 429 or status in GATEWAY or operation(
            exchange.method, exchange.url) not in _DOCUMENTED:
        return []
    rule = "AUTH-401-MISSING-KEY" if kind == "missing" else "AUTH-401-INVALID-KEY"
    verdict = asks_for_a_verdict(exchange)
    what = "no key" if kind == "missing" else "a key that is not the account's (made from it)"
    if status == 401:
        return [Judgement(rule)] + ([Judgement("AUTH-401-BEFORE-VALIDATION")] if verdict else [])
    if verdict and status in (400, 404, 409, 422):
        return [Judgement("AUTH-401-BEFORE-VALIDATION", f"a request with {what} was judged on its data: {status} "
                                                        f"instead of 401: {exchange.text[:200]}")]
    return [Judgement(rule, f"a request with {what}: expected 401, got {status}: {exchange.text[:200]}")]
