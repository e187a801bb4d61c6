"""Legal variants of the contact: what a create takes or refuses where the docs are silent, and how it is stored
and shown."""
from __future__ import annotations

import contextvars
import json
import re
from typing import Any

from starlette.responses import JSONResponse

from conformance.mock.formats import first_wins, long_address_taken, repeats_an_item
from conformance.mock.registry import Hooks, map_items, only, variant

DOCS_LISTS = ("lst_abc123", "lst_def456")
BODY_FIELDS = {"name", "phone", "email", "lists"}
CONTROL = re.compile("[\x00-\x1f\x7f]")


def _lower_domain(contact: dict, **_: Any) -> dict:
    if not contact.get("email"):
        return contact
    local, _, domain = contact["email"].rpartition("@")
    return {**contact, "email": f"{local}@{domain.lower()}"}


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


variant("extra_fields", "Responses carry extra fields the docs do not name.",
        lambda: {"created_body": lambda body, **_: {**body, "status": "active", "tags": []},
                 "list_body": lambda body, **_: {**body, "links": {"self": None},
                                                 "data": [{**i, "lists": []} for i in body["data"]]}})
variant("email_null", "A contact without email shows email: null instead of leaving it out ('if provided').",
        lambda: {"created_body": lambda body, **_: {"email": None, **body},
                 "list_body": map_items(lambda item: {"email": None, **item})})
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
variant("long_addresses_taken", "Emails up to 320 characters (64 @ 255) are taken and kept whole: C refuses a "
        "malformed address, and a length past RFC 5321's 254 breaks no address syntax.",
        only("email_valid", long_address_taken))
variant("lists_echo_repeats_first", "The create answer names the first list id twice (memberships joined, not "
        "de-duplicated): C's lists is 'an array of contact list IDs the contact belongs to' and says nothing of "
        "repeats; every id it names is still one the contact belongs to.",
        only("created_body", lambda body, **_: {**body, "lists": [*body["lists"], body["lists"][0]]}
             if body.get("lists") else body))
variant("lists_per_contact_capped_422", "A create naming more than 10 list ids gets 422 validation_error (C sets no "
        "limit on how many lists a contact joins; refusing is no alteration).",
        only("problems", lambda found, body, **_: {**found, "lists": "at most 10"} if isinstance(
            body.get("lists"), list) and len(body["lists"]) > 10 else found))
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
variant("created_at_basic_format", "created_at in ISO 8601's basic format, without separators (20260624T100000Z: C "
        "and P say ISO 8601 UTC, not the extended format its examples use).",
        only("timestamp", lambda stamp, now, **_: now.strftime("%Y%m%dT%H%M%SZ")))
variant("created_at_zero_offset", "created_at ends in +00:00 instead of Z (ISO 8601 UTC either way).",
        only("timestamp", lambda stamp, **_: stamp.removesuffix("Z") + "+00:00"))
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
variant("lists_sorted", "A contact's lists are kept and echoed in sorted order, not the order sent (C: 'an array of "
        "contact list IDs the contact belongs to' names no order).",
        only("stored", lambda contact, **_: {**contact, "lists": sorted(contact["lists"])}))
variant("created_at_decimal_comma", "created_at carries milliseconds after a decimal comma "
        "(2026-06-24T10:00:00,123Z: ISO 8601 allows the comma as the decimal sign, and prefers it).",
        only("timestamp", lambda stamp, now, **_:
             now.strftime("%Y-%m-%dT%H:%M:%S,") + f"{now.microsecond // 1000:03d}Z"))
variant("create_without_json_content_type_415", "A create whose Content-Type is not application/json (in any "
        "spelling) is answered 415 with the usual JSON error body (P: request bodies are sent with Content-Type: "
        "application/json; a request without it is outside the docs).",
        only("content_type_accepted", lambda ok, content_type, **_: ok and content_type.split(";")[0].strip().lower()
             == "application/json"))
variant("null_name_refused_422", "A name given as null gets 422 validation_error, not 400 (C: 400 for missing "
        "fields, 422 for failed validation; a null is a present field of the wrong kind, either reading holds).",
        _null_name_refused_422)
variant("json_nan_taken", "The body is parsed by Python's json.loads with its defaults (Starlette, Flask), which take "
        "NaN and Infinity: whether such a body is malformed JSON is RFC 8259's question, not the docs'.",
        only("parse_json", lambda parse, **_: json.loads))


variant("repeated_names_first_wins", "A name repeated in a JSON object keeps its first value, for validation and "
        "storage alike (RFC 8259 §4: names SHOULD be unique, and which value a parser keeps is its own; the docs say "
        "nothing).", only("parse_json", lambda parse, **_: lambda raw: (parse(raw), json.loads(
            raw, object_pairs_hook=first_wins))[1]))
variant("large_bodies_refused_413", "A create body over 64 kB is refused with 413 and the usual JSON error body (the "
        "docs set no size limit on a body; refusing one is no alteration, and the answer is still the API's JSON "
        "error).",
        lambda: {"problems": lambda found, body, **_: {**found, "body": "is larger than 64 kB"}
                 if len(json.dumps(body)) > 65_536 else found,
                 "validation_status": lambda answer, problems, **_: (413, "payload_too_large") if "body" in problems
                 else answer})
variant("nul_in_names_refused_400", "A name holding U+0000 gets 400 invalid_request (a database whose text cannot hold "
        "it, PostgreSQL's; C says nothing of such names, and refusing is no alteration).",
        lambda: {"problems": lambda found, body, **_: {**found, "name": "holds U+0000"} if isinstance(
            body.get("name"), str) and "\x00" in body["name"] else found,
                 "validation_status": lambda answer, problems, **_: (400, "invalid_request") if "name" in problems
                 else answer})
variant("list_created_at_zero_offset", "List items write created_at with +00:00 (Python's isoformat()) while the "
        "create answer writes Z (strftime): the same instant, in UTC, in both of ISO 8601's ways of saying so.",
        only("list_body", map_items(lambda item: {**item, "created_at": item["created_at"].removesuffix("Z")
                                                   + "+00:00"})))
variant("lists_omitted_when_none", "A create that names no lists answers without a lists field (a serialiser that "
        "leaves empty arrays out, Go's omitempty): C's lists are those the contact belongs to, and it belongs to none.",
        only("created_body", lambda body, **_: body if body.get("lists") else {k: v for k, v in body.items()
                                                                               if k != "lists"}))
variant("email_empty_when_none", "A contact without email shows email: \"\" in the create's answer and in the list "
        "(a Go struct's zero value, serialised without omitempty): C gives the address 'if provided' and names no way "
        "of saying that none was; \"\" is no address.",
        lambda: {"created_body": lambda body, **_: {"email": "", **body},
                 "list_body": map_items(lambda item: {"email": "", **item})})
variant("blank_names_refused_422", "A name that is empty or only whitespace gets 422 validation_error (C: the "
        "contact's full name; it sets no length, and refusing a name with no letters is no alteration).",
        only("problems", lambda found, body, **_: {**found, "name": "is blank"}
             if isinstance(body.get("name"), str) and not body["name"].strip() else found))


def _lists_read_leniently(parse, **_: Any):
    def read(raw: bytes) -> Any:
        body = parse(raw)
        lists = body.get("lists") if isinstance(body, dict) else None
        if isinstance(lists, str):
            return {**body, "lists": [lists]}
        if isinstance(lists, list) and None in lists:
            return {**body, "lists": [list_id for list_id in lists if list_id is not None]}
        return body
    return read


def _wrong_types_422(answer: Any, operation: str, **_: Any) -> Any:
    if operation != "create" or answer.status_code != 400:
        return answer
    body = json.loads(answer.body)
    if not body.get("message", "").startswith("Wrong JSON type"):
        return answer
    return JSONResponse({**body, "error": "validation_error"}, status_code=422)


variant("lists_read_leniently", "lists given as a string is read as an array of that one id (Jackson's "
        "ACCEPT_SINGLE_VALUE_AS_ARRAY), and a null among the ids is skipped: C documents an array of list ids and says "
        "nothing of a string in its place or of a null in it.",
        only("parse_json", lambda parse, **_: _lists_read_leniently(parse)))
variant("wrong_json_types_are_422", "A field of another JSON type than the docs give (a number for a string, a string "
        "for an array) gets 422 validation_error: the JSON is well-formed and no field is missing, so C's 400 "
        "reasons do not fit it, and P's 422 is for a well-formed request that failed validation.",
        only("response", _wrong_types_422))


def _domain_decoded(contact: dict, **_: Any) -> dict:
    if not contact.get("email"):
        return contact
    local, _, domain = contact["email"].rpartition("@")
    labels = [label.encode().decode("idna") if label.lower().startswith("xn--") else label
              for label in domain.split(".")]
    return {**contact, "email": f"{local}@{'.'.join(labels)}"}


variant("email_domain_stored_in_unicode", "An email's domain in its ASCII form (xn-- labels) is stored and shown in "
        "Unicode (email-validator's normalized address): correio.xn--angol-1qa.ao comes back as correio.angolá.ao, "
        "the same domain (IDNA), so the same address.", only("stored", _domain_decoded))
