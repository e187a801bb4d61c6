"""Faults of the reference server: each breaks one documented rule the way a real implementation gets it wrong."""
from __future__ import annotations

import dataclasses
import html
import itertools
import json
import random
import re
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import phonenumbers
from starlette.responses import PlainTextResponse, Response

from conformance.mock.faults import REGISTRY, Hooks, only, rate_limited_every, register
from conformance.mock.store import DuplicatePhone, Query

E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # these with fullmatch; the faults that use `$` say so
E164_UP_TO_16 = re.compile(r"\+[1-9][0-9]{1,15}")
DIGITS_WITHOUT_PLUS = re.compile(r"[1-9][0-9]{7,14}")
TWO_DIGIT_COUNTRY_CODES = {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
                           "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
                           "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"}
ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"


def _drop(key: str) -> Callable[..., dict]:
    return lambda body, **_: {k: v for k, v in body.items() if k != key}


def _map_items(fn: Callable[[dict], dict]) -> Callable[..., dict]:
    return lambda body, **_: {**body, "data": [fn(item) for item in body["data"]]}


def _meta(**changes: Callable[[Any], Any]) -> Callable[..., dict]:
    return lambda body, **_: {**body, "meta": {**body["meta"], **{k: f(body["meta"][k]) for k, f in changes.items()}}}


def _stored(field: str, fn: Callable[[str], str]) -> Callable[[], Hooks]:
    """The value is changed before it is stored: the create echo and the list both show the changed value."""
    return only("stored", lambda c, **_: {**c, field: fn(c[field])} if c.get(field) is not None else c)


def _valid_email(email: str) -> bool:
    from conformance.mock.app import email_is_valid  # app imports this registry: import when first called
    return email_is_valid(email)


def _lower_keys(body: Any) -> Any:
    return {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else body


def _ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _later(timestamp: str, seconds: int) -> str:
    return (datetime.strptime(timestamp, ISO_SECONDS) + timedelta(seconds=seconds)).strftime(ISO_SECONDS)


def _lower_local_part(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local.lower()}@{domain}"


def _undotted_local_part(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local.replace('.', '')}@{domain}"


def _error_code(fn: Callable[[str], str], status: int | None = None) -> Callable[[], Hooks]:
    return only("error_body", lambda body, status=None, _only=status, **_:
                {**body, "error": fn(body["error"])} if _only in (None, status) else body)


def _validation_status_when(condition: Callable[[dict], bool]) -> Callable[[], Hooks]:
    return only("validation_status", lambda answer, problems, **_:
                (400, "invalid_request") if condition(problems) else answer)


def _content_type(condition: Callable[[Any, str], bool], ctype: str) -> Callable[[], Hooks]:
    def hook(response, operation, **_):
        if condition(response, operation):
            response.headers["content-type"] = ctype
        return response
    return only("response", hook)


def _soft_delete(**more: Callable[..., Any]) -> Callable[[], Hooks]:
    """Deletes only flag the row (phone freed, memberships removed), plus the given hooks."""
    return lambda: {"delete_mode": lambda mode, **_: ("soft", "remove"), **more}


def _repeated_ids() -> Hooks:
    previous: list[str] = []

    def hook(body: dict, **_: Any) -> dict:
        if previous:
            body = {**body, "id": previous[0]}
        previous[:] = [body["id"]]
        return body
    return {"created_body": hook}


def _worker_counter_ids() -> Hooks:
    counter = itertools.count()
    return {"new_id": lambda _id, **_: f"cnt_{next(counter) // 2 + 1:06d}"}


def _short_random_ids() -> Hooks:
    rng = random.Random(7)
    return {"new_id": lambda _id, **_: f"cnt_{rng.randrange(256):02x}"}


def _newest_hidden_until_next_create() -> Hooks:
    """A write-behind index: the latest contact reaches the list only when the next create flushes it."""
    pending: list[str] = []

    def created(body: dict, **_: Any) -> dict:
        pending[:] = [body["id"]]
        return body

    def listed(body: dict, **_: Any) -> dict:
        data = [item for item in body["data"] if item["id"] not in pending]
        hidden = len(body["data"]) - len(data)
        return {**body, "data": data, "meta": {**body["meta"], "total": body["meta"]["total"] - hidden}}
    return {"created_body": created, "list_body": listed}


def _total_refreshed_every(n: int) -> Hooks:
    cache: dict[Query, tuple[int, int]] = {}

    def hook(total: int, query: Query, **_: Any) -> int:
        reads, cached = cache.get(query, (0, total))
        cache[query] = (reads + 1, cached if reads % n else total)
        return cache[query][1]
    return {"total": hook}


def _recreate_after_delete_crashes() -> Hooks:
    stores: list = []
    return {"opened": lambda store, **_: stores.append(store) or store,
            "delete_mode": lambda mode, **_: ("soft", "remove"),
            "crash": lambda crash, body, **_: crash or (isinstance(body.get("phone"), str) and any(
                s.phone_in_use(body["phone"], include_deleted=True) and not s.phone_in_use(body["phone"])
                for s in stores))}


def _single_quotes_tolerated(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def lenient(raw: bytes) -> Any:
        try:
            return parse(raw)
        except ValueError:
            return parse(raw.replace(b"'", b'"'))
    return lenient


def _libphonenumber_valid(phone: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False


def _libphonenumber_e164(phone: str) -> str:
    if E164.fullmatch(phone) or not _libphonenumber_valid(phone):
        return phone
    return phonenumbers.format_number(phonenumbers.parse(phone, None), phonenumbers.PhoneNumberFormat.E164)


def _html_for_browsers(response, request, operation, **_):
    from starlette.responses import HTMLResponse
    if operation != "list" or response.status_code != 200 or not request.headers.get("accept", "").startswith(
            "text/html"):
        return response
    items = "".join(f"<li>{html.escape(c.get('name', ''))}</li>" for c in json.loads(response.body)["data"])
    return HTMLResponse(f"<html><body><ul>{items}</ul></body></html>")


def _like(pattern: str, value: str) -> bool:
    """SQL LIKE: % any run of characters, _ any one character."""
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _split_on_bearer(header: str, **_) -> str | None:
    """A parser that takes the key as header.split("Bearer ")[1] fails (None: the app answers 500) on a scheme in
    another letter case or followed by other whitespace."""
    return None if header[:6].lower() == "bearer" and len(header) > 7 and not header.startswith("Bearer ") else header


def _unauthorized_html_page(response, **_):
    from starlette.responses import HTMLResponse
    if response.status_code != 401:
        return response
    return HTMLResponse("<html><body><h1>401 Authorization Required</h1></body></html>", status_code=401)


# --- auth -------------------------------------------------------------------------------------------------
register("any_key_accepted", "Any Bearer key is accepted, not only the account's.",
         only("key_valid", lambda valid, **_: True), "AUTH-401-INVALID-KEY")
register("invalid_key_is_403", "A wrong key gets 403 forbidden instead of 401.",
         only("auth_failure_status", lambda s, reason, **_: 403 if reason == "invalid" else s), "AUTH-401-INVALID-KEY")
register("key_compared_by_prefix", "Only the first 8 characters of the key are compared.",
         only("key_valid", lambda valid, key, expected, **_: valid or key[:8] == expected[:8]), "AUTH-401-INVALID-KEY")
register("key_compared_case_insensitively", "Keys are compared ignoring case (a column with a case-insensitive "
         "collation).", only("key_valid", lambda valid, key, expected, **_: valid or key.lower() == expected.lower()),
         "AUTH-401-INVALID-KEY")
register("invalid_key_accepted_on_list", "GET /contacts accepts any key (only a missing one gets 401).",
         only("key_valid", lambda valid, operation, **_: valid or operation == "list"), "AUTH-401-INVALID-KEY")
register("missing_key_allowed_on_list", "GET /contacts without Authorization answers 200.",
         only("auth_required", lambda required, operation, **_: required and operation != "list"),
         "AUTH-401-MISSING-KEY")
register("delete_skips_auth", "DELETE runs without checking the key.",
         only("auth_required", lambda required, operation, **_: required and operation != "delete"),
         "AUTH-401-MISSING-KEY")
register("missing_key_is_403", "A request without Authorization gets 403 forbidden instead of 401.",
         only("auth_failure_status", lambda s, reason, **_: 403 if reason == "missing" else s), "AUTH-401-MISSING-KEY")
register("key_matched_with_like", "The key is looked up with SQL LIKE: % and _ in a sent key are wildcards.",
         only("key_valid", lambda valid, key, expected, **_: valid or _like(key, expected)), "AUTH-401-INVALID-KEY")
register("key_is_last_word", "The key is the last word of the Authorization header after Bearer, whatever comes "
         "between.", only("credentials", lambda header, **_: f"Bearer {header.split()[-1]}"
                          if header.startswith("Bearer ") and header.split()[1:] else header), "AUTH-401-INVALID-KEY")
register("key_accepted_from_cookie", "A request without Authorization is authenticated by a token cookie (the docs: "
         "no sessions, no cookies).", only("credentials", lambda header, request, **_: header or (
             f"Bearer {request.cookies['token']}" if request.cookies.get("token") else header)),
         "AUTH-401-MISSING-KEY")
register("lowercase_bearer_crashes", "An Authorization header whose scheme is not spelt exactly `Bearer ` makes the "
         "key parser raise (split on 'Bearer '): 500.", only("credentials", _split_on_bearer), "SPEC-NO-SERVER-ERROR")
register("refused_create_stored", "A create without a valid key is stored, then answered 401.",
         only("refused_write_applied", lambda applied, operation, **_: applied or operation == "create"),
         "AUTH-401-CHANGES-NOTHING")
register("refused_delete_applied", "A DELETE without a valid key deletes the contact, then answers 401.",
         only("refused_write_applied", lambda applied, operation, **_: applied or operation == "delete"),
         "AUTH-401-CHANGES-NOTHING")
register("validates_before_auth", "Create validates the body before the key check (a bad body gets 400/422 "
         "unauthenticated).", only("auth_first", lambda first, operation, **_: first and operation != "create"),
         "AUTH-401-BEFORE-VALIDATION")
register("unknown_id_404_before_auth", "DELETE looks the id up before the key check: an unknown id gets 404 "
         "unauthenticated.", only("auth_first", lambda first, operation, **_: first and operation != "delete"),
         "AUTH-401-BEFORE-VALIDATION")
register("paging_validated_before_auth", "GET /contacts validates page/per_page before the key check.",
         only("auth_first", lambda first, operation, **_: first and operation != "list"), "AUTH-401-BEFORE-VALIDATION")

# --- create: status and validation ------------------------------------------------------------------------
register("create_returns_200", "A created contact is answered with 200 instead of 201.",
         only("create_status", lambda status, **_: 200), "CREATE-201-CREATED")
register("create_returns_202", "A created contact is answered 202 Accepted (queued) instead of 201.",
         only("create_status", lambda status, **_: 202), "CREATE-201-CREATED")
register("create_with_lists_returns_200", "A create that assigns lists answers 200 (another code path); without "
         "lists 201.", only("create_status", lambda status, body, **_: 200 if body.get("lists") else status),
         "CREATE-201-CREATED")
register("missing_phone_is_422", "A body without phone gets 422 validation_error instead of 400.",
         only("missing_field_error", lambda err, **_: (422, "validation_error")), "CREATE-400-MISSING-FIELD")
register("missing_name_accepted", "name is treated as optional: a body without it is stored with an empty name.",
         only("required_fields", lambda fields, **_: ("phone",)), "CREATE-400-MISSING-FIELD")
register("missing_field_crashes", "A missing required field crashes the handler (500, a KeyError).",
         only("missing_field_error", lambda err, **_: (500, "internal_error")), "CREATE-400-MISSING-FIELD")
register("missing_both_fields_is_422", "A body missing both name and phone gets 422 (one missing field: 400).",
         only("missing_field_error", lambda err, missing, **_: (422, "validation_error") if len(missing) > 1 else err),
         "CREATE-400-MISSING-FIELD")
register("malformed_json_is_500", "A body that is not JSON crashes the handler (500).",
         only("malformed_json_status", lambda err, **_: (500, "internal_error")), "CREATE-400-MALFORMED-JSON")
register("malformed_json_is_422", "A body that is not JSON gets 422 validation_error instead of 400.",
         only("malformed_json_status", lambda err, **_: (422, "validation_error")), "CREATE-400-MALFORMED-JSON")
register("json_trailing_garbage_ignored", "The parser reads the first JSON value and ignores what follows "
         "(`{...} xyz` is accepted).",
         only("parse_json", lambda parse, **_: lambda raw: json.JSONDecoder().raw_decode(raw.decode().lstrip())[0]),
         "CREATE-400-MALFORMED-JSON")
register("control_characters_in_strings_accepted", "The parser takes unescaped control characters inside strings "
         "(json.loads(strict=False)): a raw line break in a value is created.",
         only("parse_json", lambda parse, **_: lambda raw: json.loads(raw, strict=False)), "CREATE-400-MALFORMED-JSON")
register("json_comments_accepted", "A JSON5-style parser takes /* comments */ in a body.",
         only("parse_json", lambda parse, **_: lambda raw: parse(re.sub(rb"/\*.*?\*/", b"", raw, flags=re.S))),
         "CREATE-400-MALFORMED-JSON")
register("field_names_case_insensitive", "Body fields are bound ignoring the case of their names (a JSON binder set "
         "case-insensitive): {\"Name\": …, \"Phone\": …} is created.",
         only("parse_json", lambda parse, **_: lambda raw: _lower_keys(parse(raw))), "CREATE-400-MISSING-FIELD")
register("single_quoted_json_accepted", "A lenient parser retries a body that is not JSON with ' read as \" "
         "({'name': 'x'} is accepted).", only("parse_json", lambda parse, **_: _single_quotes_tolerated(parse)),
         "CREATE-400-MALFORMED-JSON")
register("accepts_local_phone", "Local formats like 0912345678 are accepted.",
         only("phone_valid", lambda valid, phone, **_: valid or phone.isdigit()), "CREATE-422-PHONE-NOT-E164")
register("accepts_phone_with_spaces", "Spaces are ignored when validating (+244 912 345 678 is stored as sent).",
         only("phone_valid", lambda valid, phone, **_: valid or bool(E164.fullmatch(phone.replace(" ", "")))),
         "CREATE-422-PHONE-NOT-E164")
register("accepts_phone_without_plus", "Digits without the leading + (244912345678) are accepted.",
         only("phone_valid", lambda valid, phone, **_: valid or bool(DIGITS_WITHOUT_PLUS.fullmatch(phone))),
         "CREATE-422-PHONE-NOT-E164")
register("accepts_16_digit_phones", "The length check is off by one: 16 digits after + are accepted.",
         only("phone_valid", lambda valid, phone, **_: valid or bool(E164_UP_TO_16.fullmatch(phone))),
         "CREATE-422-PHONE-NOT-E164")
register("phone_check_takes_trailing_newline", "The E.164 check is re.match with ^...$, whose $ also matches before a "
         "final newline: '+244912345678\\n' is accepted.",
         only("phone_valid", lambda valid, phone, **_: valid or bool(re.match(r"^\+[1-9][0-9]{1,14}$", phone))),
         "CREATE-422-PHONE-NOT-E164")
register("email_quote_doubled", "An apostrophe in an email is stored doubled (escaped for SQL by hand, then bound "
         "as a parameter): o'neil@ comes back as o''neil@.", _stored("email", lambda e: e.replace("'", "''")),
         "CREATE-ECHOES-FIELDS")
register("email_html_escaped", "Emails are HTML-escaped on storage: a&b@ comes back as a&amp;b@.",
         _stored("email", lambda e: html.escape(e, quote=False)), "CREATE-ECHOES-FIELDS")
register("phone_stripped_before_check", "The phone is stripped of surrounding whitespace before the E.164 check "
         "and stored so (' +244912345678' is accepted).",
         lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(phone.strip())),
                  "stored": lambda c, **_: {**c, "phone": c["phone"].strip()}}, "CREATE-422-PHONE-NOT-E164")
register("phone_00_prefix_accepted", "The international call prefix 00 is taken for + (00244912345678 is accepted "
         "and stored as +244912345678).",
         lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(re.fullmatch(r"00[1-9][0-9]{1,14}", phone)),
                  "stored": lambda c, **_: {**c, "phone": re.sub(r"^00", "+", c["phone"])}},
         "CREATE-422-PHONE-NOT-E164")
register("phone_parsed_by_libphonenumber", "The phone is checked by parsing it with libphonenumber, which reads "
         "many notations ('tel:+244912345678', '+244 (91) 234-5678', a fullwidth +), and stored as E.164.",
         lambda: {"phone_valid": lambda valid, phone, **_: valid or _libphonenumber_valid(phone),
                  "stored": lambda c, **_: {**c, "phone": _libphonenumber_e164(c["phone"])}},
         "CREATE-422-PHONE-NOT-E164")
register("client_id_taken", "A create body's id field becomes the contact's id (the body is passed whole to the "
         "model).", only("answer_fields_taken", lambda taken, body, **_: {**taken, **(
             {"id": body["id"]} if isinstance(body.get("id"), str) else {})}), "CREATE-ID-UNIQUE")
register("client_created_at_taken", "A create body's created_at field becomes the contact's created_at.",
         only("answer_fields_taken", lambda taken, body, **_: {**taken, **(
             {"created_at": body["created_at"]} if isinstance(body.get("created_at"), str) else {})}),
         "CREATE-CREATED-AT-MATCHES-DATE")
register("phone_check_takes_any_digits", "The E.164 check uses \\d, which matches the digits of every script "
         "('+2４４９１２３４５６７８' is accepted).",
         only("phone_valid", lambda valid, phone, **_: valid or bool(re.fullmatch(r"\+[1-9]\d{1,14}", phone))),
         "CREATE-422-PHONE-NOT-E164")
register("bad_phone_is_400", "A phone not in E.164 gets 400 invalid_request instead of 422.",
         _validation_status_when(lambda problems: "phone" in problems), "CREATE-422-PHONE-NOT-E164")
register("accepts_malformed_email", "Any email string is accepted.",
         only("email_valid", lambda valid, **_: True), "CREATE-422-EMAIL-MALFORMED")
register("accepts_email_with_spaces", "Emails containing spaces are accepted (the check strips them first).",
         only("email_valid", lambda valid, email, **_: valid or _valid_email(email.replace(" ", ""))),
         "CREATE-422-EMAIL-MALFORMED")
register("email_checked_for_at_only", "Any email containing @ is accepted.",
         only("email_valid", lambda valid, email, **_: valid or "@" in email), "CREATE-422-EMAIL-MALFORMED")
register("email_check_takes_trailing_newline", "The email check's $ also matches before a final newline: "
         "'maria@example.com\\n' is accepted.",
         only("email_valid", lambda valid, email, **_: valid or (email.endswith("\n") and _valid_email(email[:-1]))),
         "CREATE-422-EMAIL-MALFORMED")
def _national_number(phone: str) -> str:
    try:
        return str(phonenumbers.parse(phone).national_number)
    except phonenumbers.NumberParseException:
        return phone


def _stored_before_validation(problems: dict, body: dict, store, **_: Any) -> dict:
    """The row is written first and the validation error answered after, with nothing rolled back."""
    if problems and isinstance(body.get("name"), str) and isinstance(body.get("phone"), str):
        lists = [i for i in body.get("lists") or [] if isinstance(i, str)]
        email = body.get("email") if isinstance(body.get("email"), str) else None
        store.insert({"id": f"cnt_{random.getrandbits(48):012x}", "name": body["name"], "phone": body["phone"],
                      "email": email, "lists": lists, "created_at": datetime.now(timezone.utc).strftime(ISO_SECONDS)},
                     phone_key=None)
    return problems


def _conflict_after_insert(key: str, contact: dict, store, **_: Any) -> str:
    """The row goes in first, the phone index after: a taken phone answers 409 and the row stays."""
    if store.phone_in_use(contact["phone"]):
        store.insert({**contact, "id": f"cnt_{random.getrandbits(48):012x}"}, phone_key=None)
    return key


def _email_taken(key: str, contact: dict, store, **_) -> str:
    if contact.get("email") and store.email_in_use(contact["email"]):
        raise DuplicatePhone(contact["email"])
    return key


register("email_unique_per_account", "A unique index on email too: a second contact with a live contact's email "
         "gets 409 conflict (the docs' 409 is for a phone that exists).", only("phone_key", _email_taken),
         "CREATE-201-CREATED")
register("duplicate_check_on_national_number", "The duplicate check compares national numbers: +351923120000 "
         "conflicts with +244923120000.",
         only("phone_key", lambda key, **_: _national_number(key)),
         "CREATE-409-DUPLICATE-PHONE")
register("refused_creates_stored", "A create that fails validation is stored before the 422 is answered (no "
         "rollback): the contact exists although its create was refused.", only("problems", _stored_before_validation),
         "CREATE-REFUSED-CREATES-NOTHING")
register("conflicting_create_stored", "A create whose phone is taken is inserted before the phone index refuses it "
         "(409), and the row stays.", only("phone_key", _conflict_after_insert), "CREATE-REFUSED-CREATES-NOTHING")
register("bad_email_is_400", "A malformed email gets 400 invalid_request instead of 422.",
         _validation_status_when(lambda problems: "email" in problems), "CREATE-422-EMAIL-MALFORMED")
register("rejects_nanp_phones", "Valid +1 numbers are rejected with 422.",
         only("phone_valid", lambda valid, phone, **_: valid and not phone.startswith("+1")),
         "CREATE-VALID-PHONE-ACCEPTED")
register("rejects_15_digit_phones", "Off by one at the E.164 limit: numbers of 15 digits are rejected.",
         only("phone_valid", lambda valid, phone, **_: valid and len(phone) < 16), "CREATE-VALID-PHONE-ACCEPTED")
register("rejects_two_digit_country_codes", "Numbers with a two-digit country code (+44, +55, +81 …) are rejected.",
         only("phone_valid", lambda valid, phone, **_: valid and phone[1:3] not in TWO_DIGIT_COUNTRY_CODES),
         "CREATE-VALID-PHONE-ACCEPTED")
register("rejects_phones_under_8_digits", "The length check wants 8 to 15 digits: Tokelau's 7-digit numbers get 422.",
         only("phone_valid", lambda valid, phone, **_: valid and len(phone) > 8), "CREATE-VALID-PHONE-ACCEPTED")
register("rejects_non_angolan_phones", "Only +244 numbers are accepted (an Angola-only validator).",
         only("phone_valid", lambda valid, phone, **_: valid and phone.startswith("+244")),
         "CREATE-VALID-PHONE-ACCEPTED")
register("rejects_plus_in_email", "Valid emails with + in the local part are rejected with 422.",
         only("email_valid", lambda valid, email, **_: valid and "+" not in email), "CREATE-VALID-EMAIL-ACCEPTED")
register("rejects_subdomain_emails", "Emails whose domain has more than two labels (a@mail.example.com) get 422.",
         only("email_valid", lambda valid, email, **_: valid and email.rpartition("@")[2].count(".") < 2),
         "CREATE-VALID-EMAIL-ACCEPTED")
register("rejects_long_tlds", "Emails whose top-level domain is longer than 3 letters (.info, .museum) get 422.",
         only("email_valid", lambda valid, email, **_: valid and len(email.rpartition(".")[2]) <= 3),
         "CREATE-VALID-EMAIL-ACCEPTED")
register("rejects_uppercase_emails", "Emails with upper-case letters get 422.",
         only("email_valid", lambda valid, email, **_: valid and email == email.lower()), "CREATE-VALID-EMAIL-ACCEPTED")
register("two_problems_crash", "A body with both a bad phone and a bad email crashes (500).",
         only("crash", lambda crash, problems, **_: crash or len(problems) > 1), "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
register("two_problems_is_400", "Several validation problems at once are answered 400 invalid_request.",
         _validation_status_when(lambda problems: len(problems) > 1), "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
register("bad_phone_and_unknown_list_crash", "A bad phone together with a malformed list id crashes (500).",
         only("crash", lambda crash, problems, **_: crash or {"phone", "lists"} <= set(problems)),
         "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
register("empty_lists_crashes", "An empty lists array crashes the handler (500).",
         only("crash", lambda crash, body, **_: crash or body.get("lists") == []), "SPEC-NO-SERVER-ERROR")
register("big_body_crashes", "A create body over 64 kB overflows the server's buffer: 500.",
         only("crash", lambda crash, body, **_: crash or len(json.dumps(body)) > 65_536), "SPEC-NO-SERVER-ERROR")
register("long_name_crashes", "Names longer than 255 characters overflow the column and crash (500).",
         only("crash", lambda crash, body, **_: crash or len(str(body.get("name", ""))) > 255), "SPEC-NO-SERVER-ERROR")
register("emoji_name_crashes", "Names with characters outside the BMP (emoji) crash a utf8mb3 column (500).",
         only("crash", lambda crash, body, **_: crash or any(ord(ch) > 0xFFFF for ch in str(body.get("name", "")))),
         "SPEC-NO-SERVER-ERROR")
register("repeated_list_crashes", "A list id given twice breaks the memberships' primary key (500).",
         only("crash", lambda crash, body, **_: crash or len(set(lists := body.get("lists") or [])) < len(lists)),
         "SPEC-NO-SERVER-ERROR")
def _timestamp_of_start() -> Hooks:
    started = datetime.now(timezone.utc).strftime(ISO_SECONDS)
    return {"timestamp": lambda stamp, **_: started}


register("created_at_fixed_at_start", "created_at is computed once, when the server starts (a default argument "
         "evaluated at import): every contact has the same one.", _timestamp_of_start, "CREATE-CREATED-AT-MATCHES-DATE")
register("nul_in_name_crashes", "A name holding U+0000 fails the database insert (PostgreSQL's text refuses it): 500.",
         only("crash", lambda crash, body, **_: crash or "\x00" in str(body.get("name", ""))), "SPEC-NO-SERVER-ERROR")
register("many_lists_crash", "A contact with 10 or more lists crashes (500).",
         only("crash", lambda crash, body, **_: crash or len(body.get("lists") or []) >= 10), "SPEC-NO-SERVER-ERROR")

# --- create: duplicates -------------------------------------------------------------------------------------
register("no_conflict", "Duplicate phones are stored again (no 409).",
         only("phone_key", lambda key, **_: None), "CREATE-409-DUPLICATE-PHONE")
register("duplicate_is_422", "A duplicate phone gets 422 validation_error instead of 409.",
         only("conflict_status", lambda status, **_: 422), "CREATE-409-DUPLICATE-PHONE")
register("duplicate_key_includes_name", "Uniqueness is on (phone, name): the same phone with another name is stored.",
         only("phone_key", lambda key, contact, **_: f"{key}\n{contact['name']}"), "CREATE-409-DUPLICATE-PHONE")
register("duplicate_key_includes_lists", "Uniqueness is per list: the same phone in other lists is stored.",
         only("phone_key", lambda key, contact, **_: f"{key}\n{sorted(contact['lists'])}"),
         "CREATE-409-DUPLICATE-PHONE")
register("racy_conflict_check", "Duplicates are found by a read before the insert, not by the database: "
         "parallel creates with one phone all succeed.",
         lambda: {"phone_key": lambda key, **_: None, "duplicate_precheck_delay": lambda delay, **_: 0.05},
         "CREATE-409-CONCURRENT-DUPLICATES")
register("racy_conflict_check_short_window", "As racy_conflict_check, with 5 ms between the read and the insert.",
         lambda: {"phone_key": lambda key, **_: None, "duplicate_precheck_delay": lambda delay, **_: 0.005},
         "CREATE-409-CONCURRENT-DUPLICATES")
register("concurrent_delete_double_204", "DELETE reads whether the contact exists, then deletes it 50 ms later: "
         "parallel deletes of one contact all answer 204.",
         only("delete_precheck_delay", lambda delay, **_: 0.05), "DELETE-CONCURRENT-ONE-204")
register("racy_upsert", "A read before the insert, then INSERT OR REPLACE: parallel creates with one phone all "
         "answer 201 and only the last one is kept.",
         lambda: {"duplicate_precheck_delay": lambda delay, **_: 0.05, "insert_replaces": lambda r, **_: True},
         "CREATE-409-CONCURRENT-DUPLICATES")

# --- create: response body ----------------------------------------------------------------------------------
register("id_without_prefix", "Ids lack the cnt_ prefix.",
         only("new_id", lambda id_, **_: id_.removeprefix("cnt_")), "CREATE-ID-CNT-PREFIX")
register("id_prefix_contact", "Ids are prefixed contact_ instead of cnt_.",
         only("new_id", lambda id_, **_: id_.replace("cnt_", "contact_", 1)), "CREATE-ID-CNT-PREFIX")
register("id_prefix_upper_case", "Ids are prefixed CNT_ (upper case).",
         only("new_id", lambda id_, **_: id_.replace("cnt_", "CNT_", 1)), "CREATE-ID-CNT-PREFIX")
register("id_prefix_dash", "Ids are prefixed cnt- (dash instead of underscore).",
         only("new_id", lambda id_, **_: id_.replace("cnt_", "cnt-", 1)), "CREATE-ID-CNT-PREFIX")
register("repeated_ids", "Each create answers with the id of the previous one.", _repeated_ids, "CREATE-ID-UNIQUE")
register("ids_from_two_worker_counters", "Two workers count ids separately: cnt_000001 is given out twice, "
         "then cnt_000002 …", _worker_counter_ids, "CREATE-ID-UNIQUE")
register("ids_from_clock_seconds", "Ids are the Unix time in hex: contacts created in one second share an id.",
         only("new_id", lambda id_, **_: f"cnt_{int(time.time()):x}"), "CREATE-ID-UNIQUE")
register("ids_too_short", "Ids hold one random byte (cnt_3f): they collide after a few dozen creates.",
         _short_random_ids, "CREATE-ID-UNIQUE")
register("echo_drops_lists", "The create response leaves out lists.",
         only("created_body", _drop("lists")), "CREATE-ECHOES-FIELDS")
register("echo_lists_as_objects", "The create response gives lists as objects ({\"id\": \"lst_…\"}), not ids.",
         only("created_body", lambda body, **_: {**body, "lists": [{"id": i} for i in body["lists"]]}),
         "CREATE-ECHOES-FIELDS", also=("SPEC-RESPONSES-CONFORM",))
register("echo_drops_email", "The create response leaves out email (it is stored and listed).",
         only("created_body", _drop("email")), "CREATE-ECHOES-FIELDS")
register("echo_lists_empty", "The create response says lists: [] (memberships are stored).",
         only("created_body", lambda body, **_: {**body, "lists": []}), "CREATE-ECHOES-FIELDS")
register("email_local_part_lowercased", "The email's local part is lower-cased before it is stored.",
         _stored("email", _lower_local_part), "CREATE-ECHOES-FIELDS")
register("email_plus_tag_dropped", "A + tag is dropped from the email's local part before it is stored "
         "(maria+promo@… becomes maria@…, as one mail provider reads addresses).",
         _stored("email", lambda email: re.sub(r"\+[^@]*@", "@", email)), "CREATE-ECHOES-FIELDS")
register("email_local_dots_removed", "Dots are removed from the email's local part (one provider's rule applied "
         "to every address).", _stored("email", _undotted_local_part), "CREATE-ECHOES-FIELDS")
register("email_cut_at_64", "Emails are cut to a 64-character column.",
         _stored("email", lambda email: email[:64]), "CREATE-ECHOES-FIELDS")
register("name_ascii_folded", "Names come back with accents and other non-ASCII characters stripped.",
         _stored("name", _ascii_fold), "CREATE-NAME-AS-PROVIDED")
register("name_html_escaped", "Names are stored HTML-escaped (& < > become entities), as a sanitising layer does.",
         _stored("name", lambda name: html.escape(name, quote=False)), "CREATE-NAME-AS-PROVIDED")
register("name_trimmed", "Leading and trailing whitespace is trimmed from names.",
         _stored("name", str.strip), "CREATE-NAME-AS-PROVIDED")
register("name_whitespace_collapsed", "Runs of whitespace in names are collapsed to one space.",
         _stored("name", lambda name: " ".join(name.split()) if name.strip() else name), "CREATE-NAME-AS-PROVIDED")
register("name_cut_at_100", "Names are cut to a 100-character column.",
         _stored("name", lambda name: name[:100]), "CREATE-NAME-AS-PROVIDED")
register("name_nfc_normalised", "Names are stored NFC-normalised (a decomposed é comes back composed).",
         _stored("name", lambda name: unicodedata.normalize("NFC", name)), "CREATE-NAME-AS-PROVIDED")
register("name_outside_bmp_dropped", "Characters outside the BMP (emoji, some CJK) are dropped (utf8mb3).",
         _stored("name", lambda name: "".join(ch for ch in name if ord(ch) <= 0xFFFF)), "CREATE-NAME-AS-PROVIDED")
register("name_combining_marks_dropped", "Combining marks are dropped from names.",
         _stored("name", lambda name: "".join(ch for ch in name if not unicodedata.combining(ch))),
         "CREATE-NAME-AS-PROVIDED")
register("created_at_local_offset", "created_at is given in local time (+01:00), not UTC.",
         only("created_body", lambda body, **_: {**body, "created_at": body["created_at"].replace("Z", "+01:00")}),
         "CREATE-CREATED-AT-ISO-UTC")
register("created_at_without_zone", "created_at has no zone designator (2026-06-24T10:00:00).",
         only("timestamp", lambda stamp, **_: stamp.removesuffix("Z")), "CREATE-CREATED-AT-ISO-UTC")
register("created_at_rfc1123", "created_at is an HTTP date (Wed, 24 Jun 2026 10:00:00 GMT), not ISO 8601.",
         only("timestamp", lambda stamp, now, **_: now.strftime("%a, %d %b %Y %H:%M:%S GMT")),
         "CREATE-CREATED-AT-ISO-UTC")
register("created_at_local_wall_clock", "created_at is the server's local wall clock (UTC+1) labelled Z.",
         only("clock", lambda now, **_: now + timedelta(hours=1)), "CREATE-CREATED-AT-MATCHES-DATE")
register("created_at_clock_behind", "The database clock is 30 s behind the web server's.",
         only("clock", lambda now, **_: now - timedelta(seconds=30)), "CREATE-CREATED-AT-MATCHES-DATE")
register("created_at_date_only", "created_at comes from a DATE column: midnight of the day (T00:00:00Z).",
         only("clock", lambda now, **_: now.replace(hour=0, minute=0, second=0, microsecond=0)),
         "CREATE-CREATED-AT-MATCHES-DATE")

# --- errors -------------------------------------------------------------------------------------------------
register("error_without_message", "Error bodies have no message field.",
         only("error_body", _drop("message")), "ERROR-BODY-SHAPE")
register("message_missing_on_404", "404 error bodies have no message field (other errors do).",
         only("error_body", lambda body, status, **_: _drop("message")(body) if status == 404 else body),
         "ERROR-BODY-SHAPE")
register("errors_nested_under_error", "Error bodies nest the fields: {\"error\": {\"code\": …, \"message\": …}}.",
         only("error_body", lambda body, **_: {"error": {"code": body["error"], "message": body["message"]}}),
         "ERROR-BODY-SHAPE")
register("error_without_request_id", "Error bodies carry no request_id (error and message are there).",
         only("error_body", _drop("request_id")), "ERROR-REQUEST-ID")
def _reset_header_on_429(response: Response, **_: Any) -> Response:
    if response.status_code == 429:
        response.headers["X-RateLimit-Reset"] = str(int(time.time()) + 1)
    return response


def _plain_text_429(response: Response, **_: Any) -> Response:
    if response.status_code != 429:
        return response
    return PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": "1"})


register("rate_limit_without_retry_after", "Every 40th request gets 429 with no Retry-After header.",
         rate_limited_every(40, retry_after=lambda value, **_: None), "RATE-LIMIT-RETRY-AFTER")
register("rate_limit_retry_after_fraction", "Every 40th request gets 429 with Retry-After: 0.5 (delay-seconds is a "
         "whole number).", rate_limited_every(40, retry_after=lambda value, **_: "0.5"), "RATE-LIMIT-RETRY-AFTER")
register("rate_limit_reset_header_instead", "Every 40th request gets 429 with X-RateLimit-Reset (an epoch second) "
         "instead of Retry-After.", rate_limited_every(40, retry_after=lambda value, **_: None,
                                                        response=_reset_header_on_429), "RATE-LIMIT-RETRY-AFTER")
register("rate_limit_plain_text", "Every 40th request gets a proxy's 429: text/plain 'Too Many Requests'.",
         rate_limited_every(40, response=_plain_text_429), "JSON-CONTENT-TYPE")
register("rate_limit_body_without_message", "Every 40th request gets 429 whose JSON body carries only error.",
         rate_limited_every(40, error_body=lambda body, status, **_: {"error": body["error"]} if status == 429
                             else body), "ERROR-BODY-SHAPE")
register("request_id_repeated", "Every error body carries the same request_id.",
         only("error_body", lambda body, **_: {**body, "request_id": "req_5f2c9a01d3e4b786"}), "ERROR-REQUEST-ID")
register("message_null_on_409", "409 error bodies carry message: null.",
         only("error_body", lambda body, status, **_: {**body, "message": None} if status == 409 else body),
         "ERROR-BODY-SHAPE")
register("conflict_code_is_duplicate", "409 answers carry error 'duplicate' instead of 'conflict'.",
         _error_code(lambda code: "duplicate", 409), "ERROR-CODE-MATCHES-STATUS")
register("error_codes_upper_case", "Error codes are upper case (VALIDATION_ERROR, NOT_FOUND …).",
         _error_code(str.upper), "ERROR-CODE-MATCHES-STATUS")
register("not_found_code_is_contact_not_found", "404 answers carry error 'contact_not_found'.",
         _error_code(lambda code: "contact_not_found", 404), "ERROR-CODE-MATCHES-STATUS")
register("unauthorized_code_is_invalid_api_key", "401 answers carry error 'invalid_api_key'.",
         _error_code(lambda code: "invalid_api_key", 401), "ERROR-CODE-MATCHES-STATUS")
register("charset_param_refused_415", "A create whose Content-Type is not exactly application/json (a charset "
         "parameter, other letter case) is answered 415.",
         only("content_type_accepted", lambda ok, content_type, **_: ok and content_type == "application/json"),
         "CREATE-201-CREATED")
register("html_for_browsers", "A list request whose Accept asks for text/html first (a browser's) is answered with "
         "an HTML page of the contacts (P: the API always answers with JSON).", only("response", _html_for_browsers),
         "JSON-CONTENT-TYPE")
register("accept_compared_exactly_406", "A list request whose Accept is not absent, */* or exactly application/json "
         "(a parameter, a range, a list) is answered 406.",
         only("accept_acceptable", lambda ok, accept, **_: ok and accept in ("", "*/*", "application/json")),
         "LIST-RESPONSE-SHAPE")
register("list_content_type_html", "Successful list answers say Content-Type: text/html.",
         only("list_content_type", lambda ctype, **_: "text/html; charset=utf-8"), "JSON-CONTENT-TYPE")
register("errors_text_plain", "Error answers carry their JSON with Content-Type: text/plain.",
         _content_type(lambda response, _op: response.status_code >= 400, "text/plain; charset=utf-8"),
         "JSON-CONTENT-TYPE")
register("created_text_plain", "201 answers carry their JSON with Content-Type: text/plain.",
         _content_type(lambda response, _op: response.status_code == 201, "text/plain; charset=utf-8"),
         "JSON-CONTENT-TYPE")
register("unauthorized_html_page", "401 is answered by a gateway's HTML page, not JSON.",
         only("response", _unauthorized_html_page), "JSON-CONTENT-TYPE")

# --- list ---------------------------------------------------------------------------------------------------
register("list_wraps_in_items", "List answers put contacts under 'items' instead of 'data'.",
         only("list_body", lambda body, **_: {"items": body["data"], "meta": body["meta"]}), "LIST-RESPONSE-SHAPE")
register("meta_total_as_string", "meta.total is a string (\"128\").",
         only("list_body", _meta(total=str)), "LIST-RESPONSE-SHAPE")
register("meta_fields_top_level", "total, page and per_page sit next to data instead of under meta.",
         only("list_body", lambda body, **_: {"data": body["data"], **body["meta"]}), "LIST-RESPONSE-SHAPE")
register("empty_list_without_meta", "An empty page has no meta object.",
         only("list_body", lambda body, **_: body if body["data"] else {"data": []}), "LIST-RESPONSE-SHAPE")
register("default_per_page_20", "Without per_page, pages hold 20 contacts.",
         only("default_per_page", lambda n, **_: 20), "LIST-DEFAULT-PAGING")
register("default_per_page_100", "Without per_page, pages hold the maximum, 100.",
         only("default_per_page", lambda n, **_: 100), "LIST-DEFAULT-PAGING")
register("default_per_page_25", "Without per_page, pages hold 25 (the docs' example value).",
         only("default_per_page", lambda n, **_: 25), "LIST-DEFAULT-PAGING")
register("default_per_page_10", "Without per_page, pages hold 10 (a framework default).",
         only("default_per_page", lambda n, **_: 10), "LIST-DEFAULT-PAGING")
register("per_page_uncapped", "per_page above 100 is honoured.",
         only("per_page_cap", lambda cap, **_: None), "LIST-PER-PAGE-MAX-100")
register("per_page_cap_101", "Off by one: per_page=101 is honoured, 102 rejected.",
         only("per_page_cap", lambda cap, **_: 101), "LIST-PER-PAGE-MAX-100")
register("per_page_100_rejected", "Off by one: per_page=100, the documented maximum, is rejected with 422.",
         only("per_page_cap", lambda cap, **_: 99), "LIST-PER-PAGE-MAX-100")
register("per_page_uncapped_with_list_filter", "With list_id, per_page above 100 is honoured.",
         only("per_page_cap", lambda cap, list_id, **_: None if list_id else cap), "LIST-PER-PAGE-MAX-100")
register("meta_page_always_1", "meta.page is always 1.",
         only("list_body", _meta(page=lambda page: 1)), "LIST-META-DESCRIBES-PAGE")
register("meta_page_zero_based", "meta.page counts from 0 (page=1 reports page 0).",
         only("list_body", _meta(page=lambda page: page - 1)), "LIST-META-DESCRIBES-PAGE")
register("meta_per_page_always_50", "meta.per_page is always the default, 50.",
         only("list_body", _meta(per_page=lambda n: 50)), "LIST-META-DESCRIBES-PAGE")
register("per_page_zero_returns_everything", "per_page=0 answers every contact with meta.per_page 0 (LIMIT 0 taken "
         "as no limit).", lambda: {"per_page_zero_unlimited": lambda unlimited, **_: True,
                                   "limit": lambda limit, **_: limit or -1}, "LIST-META-DESCRIBES-PAGE")
register("paging_raw_into_sql_crashes", "page and per_page are checked with int() but the raw text goes into the "
         "SQL: a number int() reads that is not plain ASCII digits (+5, ' 5', fullwidth ５) answers 500.",
         only("paging_raw_crashes", lambda crash, raw, **_: crash or not (raw.isascii() and raw.lstrip("-").isdigit())),
         "SPEC-NO-SERVER-ERROR")
register("extra_row_for_has_more", "One row more than per_page is fetched (to know if more exist) and not cut off.",
         only("limit", lambda limit, **_: limit + 1), "LIST-META-DESCRIBES-PAGE")
register("total_counts_page_only", "meta.total counts the contacts on this page, not all matching ones.",
         only("list_body", lambda body, **_: {**body, "meta": {**body["meta"], "total": len(body["data"])}}),
         "LIST-TOTAL-COUNTS-MATCHES")
register("total_off_by_one", "meta.total is one more than the matching contacts.",
         only("list_body", _meta(total=lambda total: total + 1)), "LIST-TOTAL-COUNTS-MATCHES")
register("total_counts_deleted", "Deletes are soft and meta.total forgets to leave the deleted rows out.",
         _soft_delete(total_query=lambda q, **_: dataclasses.replace(q, deleted=True, deleted_members=True)),
         "LIST-TOTAL-COUNTS-MATCHES")
register("total_ignores_list_filter", "Under list_id, meta.total counts every contact of the account.",
         only("total", lambda total, store, query, **_: store.count(dataclasses.replace(query, list_id=None))),
         "LIST-TOTAL-COUNTS-MATCHES")
register("total_cached", "meta.total is cached per query and recounted only every 5th read.",
         lambda: _total_refreshed_every(5), "LIST-TOTAL-COUNTS-MATCHES")
register("pages_overlap", "Each page after the first starts one contact early.",
         only("offset", lambda offset, page, **_: offset - 1 if page > 1 else offset), "LIST-PAGES-PARTITION")
register("unfiltered_walk_repeats_across_pages", "Without list_id, each page after the first starts one contact "
         "early (list filters page correctly).",
         only("offset", lambda offset, page, list_id, **_: offset - 1 if page > 1 and list_id is None else offset),
         "LIST-PAGES-PARTITION")
register("pages_skip_one", "Each page after the first starts one contact late (one contact per page is never "
         "shown).", only("offset", lambda offset, page, **_: offset + 1 if page > 1 else offset),
         "LIST-PAGES-PARTITION")
register("last_partial_page_empty", "A last page that is not full comes back empty (unless it is page 1).",
         only("offset", lambda offset, page, per_page, total, **_:
              total if page > 1 and offset < total < offset + per_page else offset), "LIST-PAGES-PARTITION")
register("last_page_overlaps", "The last page starts one contact early (pages before it are right).",
         only("offset", lambda offset, page, per_page, total, **_:
              offset - 1 if page > 1 and offset < total <= offset + per_page else offset), "LIST-PAGES-PARTITION")
register("order_random_per_request", "No ORDER BY: every page request sees the rows in a new order.",
         only("order", lambda order, **_: "random"), "LIST-PAGES-PARTITION")
def _int32_overflow(limit_of: Callable[[int, int], int]) -> Callable[[], Hooks]:
    """A list read whose value does not fit a 32-bit INT column fails the way a framework answers an uncaught
    exception: 500, text/plain."""
    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        try:
            page, per_page = int(request.query_params.get("page", 1)), int(request.query_params.get("per_page", 50))
        except ValueError:
            return answer
        if operation == "list" and answer.status_code == 200 and limit_of(page, per_page) > 2**31 - 1:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return answer
    return only("response", response)


register("page_over_int32_crashes", "A page number beyond 2^31-1 overflows a 32-bit column: 500 instead of an empty "
         "page.", _int32_overflow(lambda page, per_page: page), "SPEC-NO-SERVER-ERROR",
         also=("SPEC-RESPONSES-CONFORM",))
register("offset_over_int32_crashes", "An offset ((page-1) × per_page) beyond 2^31-1 overflows a 32-bit column: 500.",
         _int32_overflow(lambda page, per_page: (page - 1) * per_page), "SPEC-NO-SERVER-ERROR",
         also=("SPEC-RESPONSES-CONFORM",))
register("past_end_repeats_last_page", "A page past the end repeats the first page.",
         only("offset", lambda offset, total, **_: 0 if offset >= total else offset), "LIST-PAGE-PAST-END-EMPTY")
register("past_end_clamps_to_last_page", "A page past the end answers the last page.",
         only("offset", lambda offset, per_page, total, **_:
              (total - 1) // per_page * per_page if offset >= total > 0 else offset), "LIST-PAGE-PAST-END-EMPTY")
register("past_end_wraps_around", "Page numbers wrap around: a page past the end starts over modulo the total.",
         only("offset", lambda offset, total, **_: offset % total if offset >= total > 0 else offset),
         "LIST-PAGE-PAST-END-EMPTY")
register("list_filter_ignored", "list_id is ignored: every contact is returned.",
         only("list_filter", lambda list_id, **_: None), "LIST-FILTER-BY-LIST")
register("list_filter_prefix_match", "list_id is matched with LIKE 'id%' (so lst_a also returns lst_ab's members).",
         only("query", lambda q, **_: dataclasses.replace(q, list_prefix=True)), "LIST-FILTER-BY-LIST")
register("list_filter_case_insensitive", "list_id is compared without regard to letter case (a case-insensitive "
         "collation: LST_A returns lst_a's members).",
         only("query", lambda q, **_: dataclasses.replace(q, list_compare="= ? COLLATE NOCASE")), "LIST-FILTER-BY-LIST",
         also=("LIST-TOTAL-COUNTS-MATCHES",))
register("list_filter_like_wildcards", "list_id is compared with LIKE and not escaped: _ and % in it are wildcards "
         "(lst_a_ returns lst_ab's members).",
         only("query", lambda q, **_: dataclasses.replace(q, list_compare="LIKE ?")), "LIST-FILTER-BY-LIST",
         also=("LIST-TOTAL-COUNTS-MATCHES",))
register("list_id_truncated_to_32", "Memberships are stored in a VARCHAR(32): a longer list id is cut (the create "
         "echoes it whole), so its filter finds nothing and its first 32 characters find the contact.",
         only("memberships", lambda lists, **_: [list_id[:32] for list_id in lists]), "LIST-SHOWS-CREATED",
         also=("LIST-FILTER-BY-LIST", "LIST-TOTAL-COUNTS-MATCHES"))
register("list_filter_ignored_when_paging", "list_id is dropped when page or per_page is given too.",
         only("list_filter", lambda list_id, paging_asked, **_: None if paging_asked else list_id),
         "LIST-FILTER-BY-LIST")
register("list_filter_keeps_unlisted", "A LEFT JOIN slip: under list_id, contacts in no list are returned too.",
         only("query", lambda q, **_: dataclasses.replace(q, or_unlisted=True)), "LIST-FILTER-BY-LIST")
register("list_omits_email", "List items leave out email.",
         only("list_body", _map_items(_drop("email"))), "LIST-ITEM-FIELDS")
register("list_omits_created_at", "List items leave out created_at.",
         only("list_body", _map_items(_drop("created_at"))), "LIST-ITEM-FIELDS")
register("list_omits_name", "List items leave out name.",
         only("list_body", _map_items(_drop("name"))), "LIST-ITEM-FIELDS")
register("list_items_use_contact_id", "List items name the id contact_id.",
         only("list_body", _map_items(lambda item: {"contact_id": item["id"], **_drop("id")(item)})),
         "LIST-ITEM-FIELDS")
register("list_ids_as_objects", "List items give the id as an object ({\"value\": \"cnt_…\"}), not a string.",
         only("list_body", _map_items(lambda item: {**item, "id": {"value": item["id"]}})), "SPEC-RESPONSES-CONFORM",
         also=("LIST-SHOWS-CREATED", "LIST-FILTER-BY-LIST", "LIST-PAGES-PARTITION"))
register("list_created_at_epoch", "List items give created_at as a Unix timestamp number.",
         only("list_body", _map_items(lambda item: {**item, "created_at": 1782295200})), "SPEC-RESPONSES-CONFORM")
register("lists_null_when_empty", "A create without lists answers lists: null instead of an array.",
         only("created_body", lambda body, **_: {**body, "lists": body["lists"] or None}), "SPEC-RESPONSES-CONFORM")
register("list_phone_as_number", "List items give phone as a JSON number without the +.",
         only("list_body", _map_items(lambda item: {**item, "phone": int(item["phone"][1:])}
                                      if item["phone"][1:].isdigit() else item)), "SPEC-RESPONSES-CONFORM")
register("list_created_at_one_second_later", "List items show created_at from a separate column written 1 s after "
         "the create's.", only("list_body", _map_items(lambda item: {**item, "created_at": _later(
             item["created_at"], 1)})), "LIST-ITEM-MATCHES-CREATE")
register("list_created_at_is_read_time", "List items show the time of the read as created_at (a view that fills "
         "the column with now()).", only("list_body", _map_items(lambda item: {**item, "created_at": datetime.now(
             timezone.utc).strftime(ISO_SECONDS)})), "LIST-ITEM-MATCHES-CREATE")
register("list_name_cut_at_64", "The list view cuts names to 64 characters (the create echo is whole).",
         only("list_body", _map_items(lambda item: {**item, "name": item["name"][:64]})), "LIST-ITEM-MATCHES-CREATE")
register("list_email_lowercased", "The list view lower-cases emails (the create echo is as sent).",
         only("list_body", _map_items(lambda item: {**item, "email": item["email"].lower()} if "email" in item
                                      else item)), "LIST-ITEM-MATCHES-CREATE")
register("forgets_contacts", "Creates are answered 201 but nothing is stored (a stateless mock).",
         only("keeps_contact", lambda keep, **_: False), "LIST-SHOWS-CREATED")
register("membership_first_list_only", "Only the first of the given lists is stored (the echo shows them all).",
         only("memberships", lambda lists, **_: lists[:1]), "LIST-SHOWS-CREATED")
register("unfiltered_list_needs_a_list", "The unfiltered list joins memberships: contacts in no list are missing.",
         only("query", lambda q, **_: dataclasses.replace(q, in_any_list=True) if q.list_id is None else q),
         "LIST-SHOWS-CREATED")
register("newest_hidden_until_next_create", "A write-behind index: the newest contact is listed only once another "
         "create flushes it.", _newest_hidden_until_next_create, "LIST-SHOWS-CREATED")

# --- delete -------------------------------------------------------------------------------------------------
register("delete_returns_200_with_body", "DELETE answers 200 with a JSON body instead of 204.",
         only("delete_answer", lambda answer, **_: (200, {"deleted": True})), "DELETE-204-EMPTY-BODY")
register("delete_returns_200_empty", "DELETE answers 200 with an empty body.",
         only("delete_answer", lambda answer, **_: (200, None)), "DELETE-204-EMPTY-BODY")
register("delete_returns_202", "DELETE answers 202 Accepted (deletion queued) instead of 204.",
         only("delete_answer", lambda answer, **_: (202, None)), "DELETE-204-EMPTY-BODY")
register("delete_not_removed", "DELETE answers 204 but the contact stays.",
         only("delete_mode", lambda mode, **_: ("keep", "keep")), "DELETE-GONE-FROM-LIST")
register("delete_only_leaves_lists", "DELETE removes the contact's list memberships but keeps the contact.",
         only("delete_mode", lambda mode, **_: ("keep", "remove")), "DELETE-GONE-FROM-LIST")
register("unfiltered_list_shows_soft_deleted", "Deletes are soft and the unfiltered list forgets the deleted flag.",
         _soft_delete(query=lambda q, **_: dataclasses.replace(q, deleted=True)), "DELETE-GONE-FROM-LIST")
register("delete_keeps_list_membership", "A deleted contact still shows under its lists' filters.",
         lambda: {"delete_mode": lambda mode, **_: ("soft", "keep"),
                  "query": lambda q, **_: dataclasses.replace(q, deleted_members=True)}, "DELETE-REMOVED-FROM-LISTS")
register("delete_leaves_one_list", "A delete removes only the first of the contact's memberships; the filters of "
         "its other lists still show it.",
         lambda: {"delete_mode": lambda mode, **_: ("soft", "remove_first"),
                  "query": lambda q, **_: dataclasses.replace(q, deleted_members=True)}, "DELETE-REMOVED-FROM-LISTS")
register("list_total_counts_deleted_members", "Memberships survive a (soft) delete: lists' filters leave the "
         "contact out of data but count it in meta.total.",
         lambda: {"delete_mode": lambda mode, **_: ("soft", "keep"),
                  "total_query": lambda q, **_: dataclasses.replace(q, deleted_members=True)},
         "LIST-TOTAL-COUNTS-MATCHES", also=("DELETE-REMOVED-FROM-LISTS",))
register("delete_misses_last_list", "The membership clean-up loop stops one short: a deleted contact stays in the "
         "last list it joined.",
         lambda: {"delete_mode": lambda mode, **_: ("soft", "keep_last"),
                  "query": lambda q, **_: dataclasses.replace(q, deleted_members=True)}, "DELETE-REMOVED-FROM-LISTS")
register("delete_unknown_is_204", "Deleting an unknown id answers 204.",
         only("unknown_delete_status", lambda status, **_: 204), "DELETE-404-UNKNOWN-ID")
register("deleted_id_is_410_gone", "Deletes are soft; deleting a deleted id answers 410 gone.",
         _soft_delete(unknown_delete_status=lambda status, contact_id, store, **_:
                      410 if store.was_deleted(contact_id) else status), "DELETE-404-AFTER-DELETE")
register("deleted_id_is_204_again", "Deletes are soft; deleting a deleted id again answers 204.",
         _soft_delete(unknown_delete_status=lambda status, contact_id, store, **_:
                      204 if store.was_deleted(contact_id) else status), "DELETE-404-AFTER-DELETE")
register("malformed_id_is_400", "An id without the cnt_ prefix gets 400 invalid_request instead of 404.",
         only("unknown_delete_status", lambda status, contact_id, **_:
              status if contact_id.startswith("cnt_") else 400), "DELETE-404-UNKNOWN-ID")
register("phone_kept_after_delete", "A deleted contact's phone stays taken (409 on re-create).",
         only("delete_mode", lambda mode, **_: ("soft_keep_phone", "remove")), "DELETE-FREES-PHONE")
register("conflict_precheck_sees_deleted", "Deletes are soft and the duplicate pre-check reads deleted rows too: "
         "re-creating a deleted contact's phone gets 409.",
         _soft_delete(duplicate_precheck_delay=lambda delay, **_: 0.0,
                      precheck_includes_deleted=lambda include, **_: True), "DELETE-FREES-PHONE")
def _revived(contact: dict, store, **_: Any) -> dict:
    holder = store.deleted_holder(contact["phone"])
    return contact if holder is None else {**contact, "id": holder}


register("recreate_revives_deleted_id", "Deletes are soft and keep the phone; a create with a deleted contact's "
         "phone revives that row (upsert on the phone): the new contact gets the deleted one's id.",
         lambda: {"delete_mode": lambda mode, **_: ("soft_keep_phone", mode[1]), "stored": _revived,
                  "insert_replaces": lambda replace, contact, store, **_: replace or
                  store.deleted_holder(contact["phone"]) is not None}, "CREATE-ID-UNIQUE")
register("recreate_after_delete_crashes", "Deletes are soft; re-creating a deleted contact's phone crashes (500) "
         "on a lookup that finds the deleted row.", _recreate_after_delete_crashes, "DELETE-FREES-PHONE")
register("delete_matches_id_prefix", "DELETE finds the contact with LIKE 'id%': a prefix of an existing id deletes "
         "that contact.", only("id_match", lambda match, **_: "prefix"), "DELETE-ONLY-THE-GIVEN-ID")
register("delete_matches_id_extension", "DELETE finds contacts whose id is a prefix of the given one: "
         "cnt_abc123x deletes cnt_abc123.", only("id_match", lambda match, **_: "extension"),
         "DELETE-ONLY-THE-GIVEN-ID")
register("delete_ignores_id_case", "DELETE compares ids case-insensitively: CNT_ABC deletes cnt_abc.",
         only("id_match", lambda match, **_: "any_case"), "DELETE-ONLY-THE-GIVEN-ID")


# --- written with the model-based test: clocks, list echoes, memberships, exact ids, cached totals ----------------
def _high_water_totals() -> Hooks:
    highest: dict[str | None, int] = {}

    def hook(body: dict, list_id: str | None = None, **_: Any) -> dict:
        highest[list_id] = max(highest.get(list_id, 0), body["meta"]["total"])
        return {**body, "meta": {**body["meta"], "total": highest[list_id]}}
    return {"list_body": hook}


register("created_at_30s_ahead_of_date", "created_at is 30 s later than the answer's Date header.",
         only("created_body", lambda body, **_: {**body, "created_at": _later(body["created_at"], 30)}),
         "CREATE-CREATED-AT-MATCHES-DATE")
register("list_truncates_names_to_100", "List items show names cut to 100 characters.",
         only("list_body", _map_items(lambda item: {**item, "name": item["name"][:100]})), "LIST-ITEM-MATCHES-CREATE")
register("membership_two_lists_at_most", "A contact created in more than two lists joins only the first two.",
         only("memberships", lambda lists, **_: lists[:2]), "LIST-SHOWS-CREATED")
register("long_names_join_no_list", "A contact whose name is longer than 255 characters joins none of its lists.",
         only("memberships", lambda lists, name, **_: lists if len(name) <= 255 else []), "LIST-SHOWS-CREATED")
register("delete_non_ascii_id_crashes", "DELETE of an id with a character outside ASCII answers 500 (a latin1 id "
         "column compared with a UTF-8 parameter: 'Illegal mix of collations').",
         only("delete_id_crashes", lambda crash, contact_id, **_: crash or not contact_id.isascii()),
         "DELETE-404-UNKNOWN-ID")
register("delete_prefix_is_204", "DELETE of an id that is a prefix of a contact's id answers 204 (deletes nothing).",
         only("unknown_delete_status", lambda status, contact_id, store, **_:
              204 if store.live_ids(contact_id, "prefix") else status), "DELETE-ONLY-THE-GIVEN-ID")
register("total_high_water_mark", "meta.total never goes down: deletes leave the cached total as it was.",
         _high_water_totals, "LIST-TOTAL-COUNTS-MATCHES")


# Rules a fault necessarily breaks besides the one it exists for (the self-check's attribution figure counts a fault
# as exactly attributed when nothing else fails): a response off the spec's shape is also SPEC-RESPONSES-CONFORM's
# finding, a wrong total also breaks the page partition, a refused valid create is also not a 201, and so on.
ALSO_BREAKS: dict[str, tuple[str, ...]] = {
    "create_returns_200": ("SPEC-RESPONSES-CONFORM",),
    "create_returns_202": ("SPEC-RESPONSES-CONFORM",),
    "missing_field_crashes": ("CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",),
    "malformed_json_is_500": ("SPEC-NO-SERVER-ERROR", "SPEC-RESPONSES-CONFORM",),
    "bad_phone_is_400": ("CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",),
    "bad_email_is_400": ("CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",),
    "rejects_plus_in_email": ("CREATE-201-CREATED",),
    "rejects_subdomain_emails": ("CREATE-201-CREATED",),
    "rejects_uppercase_emails": ("CREATE-201-CREATED",),
    "empty_lists_crashes": ("SPEC-RESPONSES-CONFORM",),
    "long_name_crashes": ("CREATE-201-CREATED", "CREATE-NAME-AS-PROVIDED",),
    "emoji_name_crashes": ("CREATE-201-CREATED", "CREATE-NAME-AS-PROVIDED", "SPEC-RESPONSES-CONFORM",),
    "many_lists_crash": ("SPEC-RESPONSES-CONFORM",),
    "duplicate_is_422": ("CREATE-409-CONCURRENT-DUPLICATES",),
    "email_unique_per_account": ("CREATE-VALID-EMAIL-ACCEPTED",),
    "refused_creates_stored": ("SPEC-RESPONSES-CONFORM",),
    "nul_in_name_crashes": ("SPEC-RESPONSES-CONFORM",),
    "phone_check_takes_trailing_newline": ("SPEC-RESPONSES-CONFORM",),
    "recreate_revives_deleted_id": ("DELETE-GONE-FROM-LIST", "DELETE-REMOVED-FROM-LISTS", "LIST-TOTAL-COUNTS-MATCHES",),
    "id_without_prefix": ("SPEC-RESPONSES-CONFORM",),
    "id_prefix_contact": ("SPEC-RESPONSES-CONFORM",),
    "id_prefix_upper_case": ("SPEC-RESPONSES-CONFORM",),
    "id_prefix_dash": ("SPEC-RESPONSES-CONFORM",),
    "repeated_ids": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "DELETE-204-EMPTY-BODY", "DELETE-CONCURRENT-ONE-204",),
    "ids_from_two_worker_counters": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "LIST-ITEM-FIELDS", "LIST-ITEM-MATCHES-CREATE", "DELETE-CONCURRENT-ONE-204",),
    "ids_from_clock_seconds": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "LIST-ITEM-FIELDS", "LIST-ITEM-MATCHES-CREATE", "DELETE-CONCURRENT-ONE-204",),
    "echo_drops_email": ("LIST-ITEM-MATCHES-CREATE",),
    "created_at_local_offset": ("CREATE-CREATED-AT-MATCHES-DATE", "LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM",),
    "created_at_without_zone": ("SPEC-RESPONSES-CONFORM",),
    "created_at_rfc1123": ("SPEC-RESPONSES-CONFORM",),
    "error_without_message": ("SPEC-RESPONSES-CONFORM",),
    "message_missing_on_404": ("SPEC-RESPONSES-CONFORM",),
    "errors_nested_under_error": ("ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM",),
    "message_null_on_409": ("SPEC-RESPONSES-CONFORM",),
    "conflict_code_is_duplicate": ("SPEC-RESPONSES-CONFORM",),
    "error_codes_upper_case": ("SPEC-RESPONSES-CONFORM",),
    "not_found_code_is_contact_not_found": ("SPEC-RESPONSES-CONFORM",),
    "unauthorized_code_is_invalid_api_key": ("SPEC-RESPONSES-CONFORM",),
    "list_content_type_html": ("SPEC-RESPONSES-CONFORM",),
    "errors_text_plain": ("SPEC-RESPONSES-CONFORM",),
    "unauthorized_html_page": ("ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM",),
    "list_wraps_in_items": ("SPEC-RESPONSES-CONFORM",),
    "meta_total_as_string": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGE-PAST-END-EMPTY", "LIST-FILTER-BY-LIST", "SPEC-RESPONSES-CONFORM",),
    "meta_fields_top_level": ("SPEC-RESPONSES-CONFORM",),
    "per_page_uncapped": ("SPEC-RESPONSES-CONFORM",),
    "meta_page_zero_based": ("LIST-DEFAULT-PAGING",),
    "extra_row_for_has_more": ("LIST-DEFAULT-PAGING", "LIST-PAGES-PARTITION",),
    "total_counts_page_only": ("LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY",),
    "total_off_by_one": ("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST",),
    "total_ignores_list_filter": ("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST",),
    "pages_overlap": ("LIST-PAGE-PAST-END-EMPTY",),
    "list_filter_ignored": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION",),
    "list_filter_prefix_match": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION",),
    "list_filter_ignored_when_paging": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION",),
    "list_filter_keeps_unlisted": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION",),
    "list_omits_email": ("LIST-ITEM-MATCHES-CREATE",),
    "list_omits_created_at": ("LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM",),
    "list_omits_name": ("LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM",),
    "list_items_use_contact_id": ("LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "SPEC-RESPONSES-CONFORM",),
    "list_created_at_epoch": ("LIST-ITEM-MATCHES-CREATE",),
    "list_phone_as_number": ("LIST-ITEM-MATCHES-CREATE",),
    "membership_first_list_only": ("LIST-TOTAL-COUNTS-MATCHES",),
    "newest_hidden_until_next_create": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY", "LIST-FILTER-BY-LIST",),
    "delete_not_removed": ("LIST-TOTAL-COUNTS-MATCHES", "DELETE-REMOVED-FROM-LISTS", "DELETE-404-AFTER-DELETE", "DELETE-FREES-PHONE", "DELETE-CONCURRENT-ONE-204",),
    "delete_only_leaves_lists": ("DELETE-404-AFTER-DELETE", "DELETE-FREES-PHONE", "DELETE-CONCURRENT-ONE-204",),
    "delete_keeps_list_membership": ("LIST-TOTAL-COUNTS-MATCHES",),
    "delete_leaves_one_list": ("LIST-TOTAL-COUNTS-MATCHES",),
    "delete_unknown_is_204": ("DELETE-404-AFTER-DELETE", "DELETE-ONLY-THE-GIVEN-ID", "DELETE-CONCURRENT-ONE-204",),
    "delete_matches_id_prefix": ("LIST-TOTAL-COUNTS-MATCHES",),
    "delete_matches_id_extension": ("LIST-TOTAL-COUNTS-MATCHES",),
    "delete_ignores_id_case": ("LIST-TOTAL-COUNTS-MATCHES",),
    "delete_misses_last_list": ("LIST-TOTAL-COUNTS-MATCHES",),
    "ids_too_short": ("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "LIST-ITEM-FIELDS",
                      "LIST-ITEM-MATCHES-CREATE", "LIST-SHOWS-CREATED", "DELETE-204-EMPTY-BODY"),
    "rejects_long_tlds": ("CREATE-201-CREATED",),
    "created_text_plain": ("SPEC-RESPONSES-CONFORM",),
    "empty_list_without_meta": ("SPEC-RESPONSES-CONFORM",),
    "create_with_lists_returns_200": ("SPEC-RESPONSES-CONFORM",),
    "created_at_30s_ahead_of_date": ("LIST-ITEM-MATCHES-CREATE",),
    "membership_two_lists_at_most": ("LIST-TOTAL-COUNTS-MATCHES",),
    "long_names_join_no_list": ("LIST-TOTAL-COUNTS-MATCHES",),
    "total_high_water_mark": ("LIST-PAGES-PARTITION",),
    "delete_returns_202": ("DELETE-CONCURRENT-ONE-204",),
    "deleted_id_is_410_gone": ("DELETE-CONCURRENT-ONE-204",),
    "deleted_id_is_204_again": ("DELETE-CONCURRENT-ONE-204",),
}
for _name, _also in ALSO_BREAKS.items():
    REGISTRY[_name] = dataclasses.replace(REGISTRY[_name], also_breaks=_also)
