"""Faults of what a create accepts: its status, the body's parsing, required fields, phone and email
checks, several problems at once, and bodies that crash the handler."""
from __future__ import annotations

import contextvars
import json
import random
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import phonenumbers
from starlette.responses import JSONResponse, Response

from conformance.mock.app import error_body
from conformance.mock.faults.common import INVISIBLE, ISO_SECONDS, soft_delete
from conformance.mock.formats import E164, email_is_valid, first_wins
from conformance.mock.registry import Hooks, fault, only


E164_UP_TO_16 = re.compile(r"\+[1-9][0-9]{1,15}")
FULLWIDTH_DIGITS = {0xFF10 + d: ord("0") + d for d in range(10)}
ARABIC_DIGITS = {zero + d: ord("0") + d for zero in (0x0660, 0x06F0) for d in range(10)}  # Arabic-Indic, Persian
SINGLE_HYPHEN_LABEL = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")
DIGITS_WITHOUT_PLUS = re.compile(r"[1-9][0-9]{7,14}")
TWO_DIGIT_COUNTRY_CODES = {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
                           "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
                           "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"}


def _not_an_object_coded_validation_error(answer: Response, operation: str, **_: Any) -> Response:
    if operation != "create" or answer.status_code != 400 or not json.loads(answer.body).get(
            "message", "").startswith("The request body must be a JSON object"):
        return answer
    return JSONResponse(error_body(400, "body: value is not a valid object", code="validation_error"), status_code=400)


def _lower_keys(body: Any) -> Any:
    return {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else body


def _validation_status_when(condition: Callable[[dict], bool]) -> Callable[[], Hooks]:
    return only("validation_status", lambda answer, problems, **_:
                (400, "invalid_request") if condition(problems) else answer)


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


def _stored_before_validation(problems: dict, body: dict, store, **_: Any) -> dict:
    """The row is written first and the validation error answered after, with nothing rolled back."""
    if problems and isinstance(body.get("name"), str) and isinstance(body.get("phone"), str):
        lists = [i for i in body.get("lists") or [] if isinstance(i, str)]
        email = body.get("email") if isinstance(body.get("email"), str) else None
        store.insert({"id": f"cnt_{random.getrandbits(48):012x}", "name": body["name"], "phone": body["phone"],
                      "email": email, "lists": lists, "created_at": datetime.now(timezone.utc).strftime(ISO_SECONDS)},
                     phone_key=None)
    return problems


def _phones_also(accepted: Callable[[str], object]) -> Callable[[], Hooks]:
    """The E.164 check also lets through every phone `accepted` takes."""
    return only("phone_valid", lambda valid, phone, **_: valid or bool(accepted(phone)))


fault("create_returns_200", "A created contact is answered with 200 instead of 201.",
      only("create_status", lambda status, **_: 200), "CREATE-201-CREATED", also=("SPEC-RESPONSES-CONFORM",))
fault("create_returns_202", "A created contact is answered 202 Accepted (queued) instead of 201.",
      only("create_status", lambda status, **_: 202), "CREATE-201-CREATED", also=("SPEC-RESPONSES-CONFORM",))
fault("create_with_lists_returns_200", "A create that assigns lists answers 200 (another code path); without "
      "lists 201.", only("create_status", lambda status, body, **_: 200 if body.get("lists") else status),
      "CREATE-201-CREATED", also=("SPEC-RESPONSES-CONFORM",))
fault("missing_phone_is_422", "A body without phone gets 422 validation_error instead of 400.",
      only("missing_field_error", lambda err, **_: (422, "validation_error")), "CREATE-400-MISSING-FIELD")
fault("missing_name_accepted", "name is treated as optional: a body without it is stored with an empty name.",
      only("required_fields", lambda fields, **_: ("phone",)), "CREATE-400-MISSING-FIELD")
fault("missing_field_crashes", "A missing required field crashes the handler (500, a KeyError).",
      only("missing_field_error", lambda err, **_: (500, "internal_error")), "CREATE-400-MISSING-FIELD",
      also=("CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",))
fault("missing_both_fields_is_422", "A body missing both name and phone gets 422 (one missing field: 400).",
      only("missing_field_error", lambda err, missing, **_: (422, "validation_error") if len(missing) > 1 else err),
      "CREATE-400-MISSING-FIELD")
fault("not_an_object_code_validation_error", "A body that is JSON but no object (a top-level array) is refused by "
      "a schema check whose 400 carries error 'validation_error' (other 400s say 'invalid_request').",
      lambda: {"response": _not_an_object_coded_validation_error}, "ERROR-CODE-MATCHES-STATUS",
      also=("SPEC-RESPONSES-CONFORM",))
fault("malformed_json_is_500", "A body that is not JSON crashes the handler (500).",
      only("malformed_json_status", lambda err, **_: (500, "internal_error")), "CREATE-400-MALFORMED-JSON",
      also=("SPEC-NO-SERVER-ERROR", "SPEC-RESPONSES-CONFORM"))
fault("malformed_json_is_422", "A body that is not JSON gets 422 validation_error instead of 400.",
      only("malformed_json_status", lambda err, **_: (422, "validation_error")), "CREATE-400-MALFORMED-JSON")
fault("json_trailing_garbage_ignored", "The parser reads the first JSON value and ignores what follows "
      "(`{...} xyz` is accepted).",
      only("parse_json", lambda parse, **_: lambda raw: json.JSONDecoder().raw_decode(raw.decode().lstrip())[0]),
      "CREATE-400-MALFORMED-JSON")
fault("control_characters_in_strings_accepted", "The parser takes unescaped control characters inside strings "
      "(json.loads(strict=False)): a raw line break in a value is created.",
      only("parse_json", lambda parse, **_: lambda raw: json.loads(raw, strict=False)), "CREATE-400-MALFORMED-JSON")
fault("json_comments_accepted", "A JSON5-style parser takes /* comments */ in a body.",
      only("parse_json", lambda parse, **_: lambda raw: parse(re.sub(rb"/\*.*?\*/", b"", raw, flags=re.S))),
      "CREATE-400-MALFORMED-JSON")
fault("field_names_case_insensitive", "Body fields are bound ignoring the case of their names (a JSON binder set "
      "case-insensitive): {\"Name\": …, \"Phone\": …} is created.",
      only("parse_json", lambda parse, **_: lambda raw: _lower_keys(parse(raw))), "CREATE-400-MISSING-FIELD")
fault("single_quoted_json_accepted", "A lenient parser retries a body that is not JSON with ' read as \" "
      "({'name': 'x'} is accepted).", only("parse_json", lambda parse, **_: _single_quotes_tolerated(parse)),
      "CREATE-400-MALFORMED-JSON")
fault("accepts_local_phone", "Local formats like 0912345678 are accepted.",
      only("phone_valid", lambda valid, phone, **_: valid or phone.isdigit()), "CREATE-422-PHONE-NOT-E164")
fault("accepts_phone_with_spaces", "Spaces are ignored when validating (+244 912 345 678 is stored as sent).",
      _phones_also(lambda phone: E164.fullmatch(phone.replace(" ", ""))),
      "CREATE-422-PHONE-NOT-E164")
fault("accepts_phone_without_plus", "Digits without the leading + (244912345678) are accepted.",
      _phones_also(DIGITS_WITHOUT_PLUS.fullmatch),
      "CREATE-422-PHONE-NOT-E164")
fault("accepts_16_digit_phones", "The length check is off by one: 16 digits after + are accepted.",
      _phones_also(E164_UP_TO_16.fullmatch),
      "CREATE-422-PHONE-NOT-E164")
fault("phone_check_takes_trailing_newline", "The E.164 check is re.match with ^...$, whose $ also matches before a "
      "final newline: '+244912345678\\n' is accepted.",
      _phones_also(lambda phone: re.match(r"^\+[1-9][0-9]{1,14}$", phone)),
      "CREATE-422-PHONE-NOT-E164", also=("SPEC-RESPONSES-CONFORM",))
fault("phone_stripped_before_check", "The phone is stripped of surrounding whitespace before the E.164 check "
      "and stored so (' +244912345678' is accepted).",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(phone.strip())),
               "stored": lambda c, **_: {**c, "phone": c["phone"].strip()}}, "CREATE-422-PHONE-NOT-E164")
fault("phone_invisible_characters_removed", "Invisible characters (no-break and zero-width spaces, bidirectional "
      "marks, a BOM) are removed from the phone before the E.164 check, and it is stored cleaned.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(INVISIBLE.sub("", phone))),
               "stored": lambda c, **_: {**c, "phone": INVISIBLE.sub("", c["phone"])}}, "CREATE-422-PHONE-NOT-E164")
fault("phone_read_up_to_nul", "The phone is checked and stored as a C string: it ends at the first U+0000, so "
      "'+244912345678\\u0000x' is accepted and stored as +244912345678.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(phone.split("\x00")[0])),
               "stored": lambda c, **_: {**c, "phone": c["phone"].split("\x00")[0]}}, "CREATE-422-PHONE-NOT-E164")
fault("phone_fullwidth_digits_converted", "Fullwidth digits in the phone are converted to ASCII before the E.164 "
      "check, and it is stored converted (a Japanese-input normaliser, jaconv.z2h(digit=True), which leaves the "
      "fullwidth plus and every other script alone): '+２４４９１２３４５６７８' is accepted as +244912345678.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(
          phone.translate(FULLWIDTH_DIGITS))), "stored": lambda c, **_: {**c, "phone": c["phone"].translate(
              FULLWIDTH_DIGITS)}},
      "CREATE-422-PHONE-NOT-E164")
fault("phone_persian_digits_converted", "Arabic-Indic and Persian digits in the phone are converted to ASCII before "
      "the E.164 check, and it is stored converted (a normaliser for right-to-left keyboards): '+2٤٤٩١٢٣٤٥٦٧٨' is "
      "accepted as +244912345678.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(phone.translate(ARABIC_DIGITS))),
               "stored": lambda c, **_: {**c, "phone": c["phone"].translate(ARABIC_DIGITS)}},
      "CREATE-422-PHONE-NOT-E164")
fault("phone_00_prefix_accepted", "The international call prefix 00 is taken for + (00244912345678 is accepted "
      "and stored as +244912345678).",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(re.fullmatch(r"00[1-9][0-9]{1,14}", phone)),
               "stored": lambda c, **_: {**c, "phone": re.sub(r"^00", "+", c["phone"])}},
      "CREATE-422-PHONE-NOT-E164")
fault("phone_parsed_by_libphonenumber", "The phone is checked by parsing it with libphonenumber, which reads "
      "many notations ('tel:+244912345678', '+244 (91) 234-5678', a fullwidth +), and stored as E.164.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or _libphonenumber_valid(phone),
               "stored": lambda c, **_: {**c, "phone": _libphonenumber_e164(c["phone"])}},
      "CREATE-422-PHONE-NOT-E164")
fault("phone_check_takes_any_digits", "The E.164 check uses \\d, which matches the digits of every script "
      "('+2４４９１２３４５６７８' is accepted).",
      _phones_also(lambda phone: re.fullmatch(r"\+[1-9]\d{1,14}", phone)),
      "CREATE-422-PHONE-NOT-E164")
fault("bad_phone_is_400", "A phone not in E.164 gets 400 invalid_request instead of 422.",
      _validation_status_when(lambda problems: "phone" in problems), "CREATE-422-PHONE-NOT-E164",
      also=("CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",))
fault("accepts_malformed_email", "Any email string is accepted.",
      only("email_valid", lambda valid, **_: True), "CREATE-422-EMAIL-MALFORMED")
fault("accepts_email_with_spaces", "Emails containing spaces are accepted (the check strips them first).",
      only("email_valid", lambda valid, email, **_: valid or email_is_valid(email.replace(" ", ""))),
      "CREATE-422-EMAIL-MALFORMED")
fault("email_spaces_trimmed_before_check", "The email is checked and stored as SQL's TRIM() leaves it: spaces "
      "around it are removed (' maria@example.com ' is accepted; TRIM removes spaces only, not a line break).",
      lambda: {"email_valid": lambda valid, email, **_: valid or email_is_valid(email.strip(" ")),
               "stored": lambda c, **_: {**c, "email": c["email"].strip(" ")} if c.get("email") else c},
      "CREATE-422-EMAIL-MALFORMED")
fault("email_nfkc_normalised_before_check", "Emails are NFKC-normalised before they are checked and stored (an "
      "input sanitiser): 'maria\uff20example.com', whose fullwidth commercial at is no @, is taken as "
      "maria@example.com.",
      lambda: {"email_valid": lambda valid, email, **_: valid or email_is_valid(unicodedata.normalize("NFKC", email)),
               "stored": lambda c, **_: {**c, "email": unicodedata.normalize("NFKC", c["email"])}
               if c.get("email") else c},
      "CREATE-422-EMAIL-MALFORMED")
fault("email_checked_for_at_only", "Any email containing @ is accepted.",
      only("email_valid", lambda valid, email, **_: valid or "@" in email), "CREATE-422-EMAIL-MALFORMED")
fault("email_check_takes_trailing_newline", "The email check's $ also matches before a final newline: "
      "'maria@example.com\\n' is accepted.",
      only("email_valid", lambda valid, email, **_: valid or (email.endswith("\n") and email_is_valid(email[:-1]))),
      "CREATE-422-EMAIL-MALFORMED")
fault("refused_creates_stored", "A create that fails validation is stored before the 422 is answered (no "
      "rollback): the contact exists although its create was refused.", only("problems", _stored_before_validation),
      "CREATE-REFUSED-CREATES-NOTHING", also=("SPEC-RESPONSES-CONFORM",))
fault("bad_email_is_400", "A malformed email gets 400 invalid_request instead of 422.",
      _validation_status_when(lambda problems: "email" in problems), "CREATE-422-EMAIL-MALFORMED",
      also=("CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",))
fault("rejects_nanp_phones", "Valid +1 numbers are rejected with 422.",
      only("phone_valid", lambda valid, phone, **_: valid and not phone.startswith("+1")),
      "CREATE-VALID-PHONE-ACCEPTED")
fault("rejects_15_digit_phones", "Off by one at the E.164 limit: numbers of 15 digits are rejected.",
      only("phone_valid", lambda valid, phone, **_: valid and len(phone) < 16), "CREATE-VALID-PHONE-ACCEPTED")
fault("rejects_two_digit_country_codes", "Numbers with a two-digit country code (+44, +55, +81 …) are rejected.",
      only("phone_valid", lambda valid, phone, **_: valid and phone[1:3] not in TWO_DIGIT_COUNTRY_CODES),
      "CREATE-VALID-PHONE-ACCEPTED")
fault("rejects_phones_under_8_digits", "The length check wants 8 to 15 digits: Tokelau's 7-digit numbers get 422.",
      only("phone_valid", lambda valid, phone, **_: valid and len(phone) > 8), "CREATE-VALID-PHONE-ACCEPTED")
fault("rejects_non_angolan_phones", "Only +244 numbers are accepted (an Angola-only validator).",
      only("phone_valid", lambda valid, phone, **_: valid and phone.startswith("+244")),
      "CREATE-VALID-PHONE-ACCEPTED")
fault("rejects_plus_in_email", "Valid emails with + in the local part are rejected with 422.",
      only("email_valid", lambda valid, email, **_: valid and "+" not in email), "CREATE-VALID-EMAIL-ACCEPTED",
      also=("CREATE-201-CREATED",))
fault("rejects_subdomain_emails", "Emails whose domain has more than two labels (a@mail.example.com) get 422.",
      only("email_valid", lambda valid, email, **_: valid and email.rpartition("@")[2].count(".") < 2),
      "CREATE-VALID-EMAIL-ACCEPTED", also=("CREATE-201-CREATED",))
fault("rejects_long_tlds", "Emails whose top-level domain is longer than 3 letters (.info, .museum) get 422.",
      only("email_valid", lambda valid, email, **_: valid and len(email.rpartition(".")[2]) <= 3),
      "CREATE-VALID-EMAIL-ACCEPTED", also=("CREATE-201-CREATED",))
fault("rejects_punycode_domains", "Each label of the email's domain is checked by [A-Za-z0-9]+(-[A-Za-z0-9]+)* (a "
      "hyphen only between letters or digits): a domain in its ASCII form (correio.xn--angol-1qa.ao: LDH labels, "
      "RFC 5321) gets 422.",
      only("email_valid", lambda valid, email, **_: valid and all(
          SINGLE_HYPHEN_LABEL.fullmatch(label) for label in email.rpartition("@")[2].split("."))),
      "CREATE-VALID-EMAIL-ACCEPTED", also=("CREATE-201-CREATED",))
fault("rejects_uppercase_emails", "Emails with upper-case letters get 422.",
      only("email_valid", lambda valid, email, **_: valid and email == email.lower()), "CREATE-VALID-EMAIL-ACCEPTED",
      also=("CREATE-201-CREATED",))
fault("two_problems_crash", "A body with both a bad phone and a bad email crashes (500).",
      only("crash", lambda crash, problems, **_: crash or len(problems) > 1), "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
fault("two_problems_is_400", "Several validation problems at once are answered 400 invalid_request.",
      _validation_status_when(lambda problems: len(problems) > 1), "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
fault("bad_phone_and_unknown_list_crash", "A bad phone together with a malformed list id crashes (500).",
      only("crash", lambda crash, problems, **_: crash or {"phone", "lists"} <= set(problems)),
      "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
fault("empty_lists_crashes", "An empty lists array crashes the handler (500).",
      only("crash", lambda crash, body, **_: crash or body.get("lists") == []), "SPEC-NO-SERVER-ERROR",
      also=("SPEC-RESPONSES-CONFORM",))
fault("big_body_crashes", "A create body over 64 kB overflows the server's buffer: 500.",
      only("crash", lambda crash, body, **_: crash or len(json.dumps(body)) > 65_536), "SPEC-NO-SERVER-ERROR")
fault("long_name_crashes", "Names longer than 255 characters overflow the column and crash (500).",
      only("crash", lambda crash, body, **_: crash or len(str(body.get("name", ""))) > 255), "SPEC-NO-SERVER-ERROR",
      also=("CREATE-201-CREATED", "CREATE-NAME-AS-PROVIDED"))
fault("emoji_name_crashes", "Names with characters outside the BMP (emoji) crash a utf8mb3 column (500).",
      only("crash", lambda crash, body, **_: crash or any(ord(ch) > 0xFFFF for ch in str(body.get("name", "")))),
      "SPEC-NO-SERVER-ERROR", also=("CREATE-201-CREATED", "CREATE-NAME-AS-PROVIDED", "SPEC-RESPONSES-CONFORM"))
fault("repeated_list_crashes", "A list id given twice breaks the memberships' primary key (500).",
      only("crash", lambda crash, body, **_: crash or len(set(lists := body.get("lists") or [])) < len(lists)),
      "SPEC-NO-SERVER-ERROR", also=("SPEC-RESPONSES-CONFORM",))
fault("nul_in_name_crashes", "A name holding U+0000 fails the database insert (PostgreSQL's text refuses it): 500.",
      only("crash", lambda crash, body, **_: crash or "\x00" in str(body.get("name", ""))), "SPEC-NO-SERVER-ERROR",
      also=("SPEC-RESPONSES-CONFORM",))
fault("many_lists_crash", "A contact with 10 or more lists crashes (500).",
      only("crash", lambda crash, body, **_: crash or len(body.get("lists") or []) >= 10), "SPEC-NO-SERVER-ERROR",
      also=("SPEC-RESPONSES-CONFORM",))


def _null_name_as_text(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """A binder that formats every value as text: a name given as null is stored as the string 'None'."""
    def lenient(raw: bytes) -> Any:
        body = parse(raw)
        return {**body, "name": str(None)} if isinstance(body, dict) and "name" in body and body["name"] is None \
            else body
    return lenient


fault("invalid_utf8_replaced", "Body bytes that are not UTF-8 are decoded with replacement characters (Node's "
      "Buffer.toString, Python's errors='replace'): a Latin-1 body is created, its é stored as U+FFFD.",
      only("parse_json", lambda parse, **_: lambda raw: parse(raw.decode("utf-8", "replace").encode())),
      "CREATE-400-MALFORMED-JSON")
fault("null_name_stored_as_text", "A name given as null is created with the name 'None' (the value formatted as "
      "text, not checked as missing).", only("parse_json", lambda parse, **_: _null_name_as_text(parse)),
      "CREATE-400-MISSING-FIELD")
fault("accepts_country_code_alone", "The E.164 check is \\+[1-9][0-9]{0,14}: a country code alone (+1, +7), with no "
      "subscriber number, is accepted.",
      _phones_also(lambda phone: re.fullmatch(r"\+[1-9][0-9]{0,14}", phone)),
      "CREATE-422-PHONE-NOT-E164", also=("SPEC-RESPONSES-CONFORM",))
fault("email_domain_leading_dot_accepted", "The email's domain is checked by a pattern whose labels may each start "
      "with a dot, so maria@.example.com is accepted (a trailing dot and two dots in a row are still refused).",
      only("email_valid", lambda valid, email, **_: valid or (
          "@." in email and email_is_valid(email.replace("@.", "@", 1)))), "CREATE-422-EMAIL-MALFORMED")


def _local_part_dots_unchecked(valid: bool, email: str, **_: Any) -> bool:
    """The local part is checked by the usual [A-Za-z0-9._%+-]+, which lets a dot stand first, last or twice in a
    row; the domain is checked properly."""
    local, at, domain = email.rpartition("@")
    return valid or bool(at and re.fullmatch(r"[A-Za-z0-9._%+-]+", local) and email_is_valid(f"x@{domain}"))


def _first_checked_last_stored() -> Hooks:
    """A validating layer reads the body with a first-wins JSON reader while the handler's parser keeps the last
    value of a repeated name: the values checked are not the values stored."""
    last: contextvars.ContextVar[dict] = contextvars.ContextVar("last_values", default={})

    def parser(parse: Callable[[bytes], Any], **_: Any) -> Callable[[bytes], Any]:
        def read(raw: bytes) -> Any:
            body = parse(raw)
            last.set(body if isinstance(body, dict) else {})
            return json.loads(raw, object_pairs_hook=first_wins) if isinstance(body, dict) else body
        return read

    def stored(contact: dict, **_: Any) -> dict:
        later = last.get()
        return {**contact, **{k: later[k] for k in ("name", "phone", "email") if isinstance(later.get(k), str)}}
    return {"parse_json": parser, "stored": stored}


fault("email_local_part_dots_unchecked", "The email's local part is checked by [A-Za-z0-9._%+-]+ (the usual "
      "pattern's), so a dot first, last or twice in a row is accepted (.maria@, maria.@, ma..ria@example.com); the "
      "domain is checked properly.", only("email_valid", _local_part_dots_unchecked), "CREATE-422-EMAIL-MALFORMED")
fault("repeated_key_checked_first_stored_last", "A field named twice in a body is validated by its first value and "
      "stored with its last (a first-wins validating reader before a last-wins handler): {\"phone\": \"+244…\", "
      "\"phone\": \"0912345678\"} is created with the local-format phone.", _first_checked_last_stored,
      "CREATE-422-PHONE-NOT-E164", also=("CREATE-422-EMAIL-MALFORMED",))


def _suppressed_email(problems: dict, body: dict, store, **_: Any) -> dict:
    """An email a deleted contact had is on the suppression list: refused as if it were malformed."""
    email = body.get("email")
    if not isinstance(email, str) or store.first("SELECT 1 FROM contacts WHERE email = ? AND deleted = 1",
                                                 (email,)) is None:
        return problems
    return {**problems, "email": "belongs to a deleted contact and is suppressed"}


fault("deleted_contacts_email_suppressed", "Deletes are soft and put the contact's email on a suppression list (the "
      "Note's 'permanently excludes them from future campaigns' read as a block): a create with the email of a "
      "deleted contact gets 422 validation_error, however well-formed the address (and whatever else was wrong: "
      "a taken phone too).",
      soft_delete(problems=_suppressed_email), "CREATE-VALID-EMAIL-ACCEPTED",
      also=("CREATE-201-CREATED", "CREATE-409-DUPLICATE-PHONE"))
fault("apostrophe_name_with_lists_crashes", "A create that assigns lists writes an audit line per membership with "
      "the name spliced into its SQL: a name holding an apostrophe (O'Brien) breaks that statement, 500 (without "
      "lists it is stored).",
      only("crash", lambda crash, body, **_: crash or ("'" in str(body.get("name", "")) and bool(body.get("lists")))),
      "CREATE-201-CREATED", also=("SPEC-NO-SERVER-ERROR",))


def _lists_read_loosely(loose: Callable[[object], list[str] | None]) -> Callable[[], Hooks]:
    """lists the per-id check never sees: `loose(lists)` gives the ids a handler stores for a value the check
    (which runs on arrays of strings only, skipping empty items) lets through, or None for a value it checks."""
    def hooks() -> Hooks:
        def parse(parser: Callable[[bytes], object]) -> Callable[[bytes], object]:
            def parsed(raw: bytes) -> object:
                body = parser(raw)
                stored = loose(body.get("lists")) if isinstance(body, dict) else None
                return body if stored is None else {**body, "lists": [], "lists_stored": stored}
            return parsed
        return {"parse_json": lambda parser, **_: parse(parser),
                "answer_fields_taken": lambda taken, body, **_: {**taken, "lists": body["lists_stored"]}
                if "lists_stored" in body else taken}
    return hooks


def _characters_of_text(lists: object) -> list[str] | None:
    return list(dict.fromkeys(lists)) if isinstance(lists, str) else None


def _nulls_as_text(lists: object) -> list[str] | None:
    if not isinstance(lists, list) or None not in lists:
        return None
    return list(dict.fromkeys(str(list_id) for list_id in lists))


fault("lists_string_iterated", "lists given as a string (\"lists\": \"lst_abc\") skips the list id check, which "
      "runs on arrays only, and the insert loop iterates it: the contact joins the lists l, s, t, _, a, b and c.",
      _lists_read_loosely(_characters_of_text), "CREATE-ECHOES-FIELDS")
fault("lists_null_stored_as_text", "A null among the list ids passes the per-id check (`if list_id and not "
      "valid(list_id)`) and is stored as str(None): [\"lst_abc\", null] makes the contact a member of lst_abc and "
      "of a list 'None'.", _lists_read_loosely(_nulls_as_text), "CREATE-ECHOES-FIELDS")
