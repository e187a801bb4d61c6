"""Named deviations of the reference server: faults (break one documented rule) and variants (legal behaviours
the faithful server does not use). Each is a small set of hooks; the app folds values through the active ones."""
from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Hooks = Mapping[str, Callable[..., Any]]


@dataclass(frozen=True)
class Deviation:
    name: str
    kind: str  # "fault" or "variant"
    description: str
    make_hooks: Callable[[], Hooks]
    breaks: str = ""  # the requirement ID a fault violates; empty for variants


REGISTRY: dict[str, Deviation] = {}


def _register(name: str, description: str, make_hooks: Callable[[], Hooks], breaks: str = "") -> None:
    REGISTRY[name] = Deviation(name, "fault" if breaks else "variant", description, make_hooks, breaks)


def faults() -> list[Deviation]:
    return [d for d in REGISTRY.values() if d.kind == "fault"]


def variants() -> list[Deviation]:
    return [d for d in REGISTRY.values() if d.kind == "variant"]


@dataclass
class Active:
    """The deviations switched on for one server; `apply` passes a value through each one's hook for a point."""
    names: tuple[str, ...] = ()
    _hooks: list[Hooks] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [n for n in self.names if n not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown fault or variant: {', '.join(unknown)} (see `conformance mock --list-faults`)")
        self._hooks = [REGISTRY[n].make_hooks() for n in self.names]

    def apply(self, point: str, value: Any, **context: Any) -> Any:
        for hooks in self._hooks:
            if point in hooks:
                value = hooks[point](value, **context)
        return value


def _only(point: str, hook: Callable[..., Any]) -> Callable[[], Hooks]:
    return lambda: {point: hook}


def _repeated_ids() -> Hooks:
    previous: list[str] = []

    def hook(body: dict, **_: Any) -> dict:
        if previous:
            body = {**body, "id": previous[0]}
        previous[:] = [body["id"]]
        return body
    return {"created_body": hook}


def _every_nth_rate_limited(n: int) -> Hooks:
    counter = itertools.count(1)
    return {"rate_limited": lambda limited, **_: limited or next(counter) % n == 0}


def _latency_spikes(n: int) -> Hooks:
    rng = random.Random(n)
    return {"latency": lambda delay, **_: delay + (rng.uniform(0.1, 0.5) if rng.randrange(n) == 0 else 0.0)}


def _ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _drop(key: str) -> Callable[..., dict]:
    return lambda body, **_: {k: v for k, v in body.items() if k != key}


def _map_items(fn: Callable[[dict], dict]) -> Callable[..., dict]:
    return lambda body, **_: {**body, "data": [fn(item) for item in body["data"]]}


# --- auth -------------------------------------------------------------------------------------------------
_register("any_key_accepted", "Any Bearer key is accepted, not only the account's.",
          _only("key_valid", lambda valid, **_: True), "AUTH-401-INVALID-KEY")
_register("missing_key_allowed_on_list", "GET /contacts without Authorization answers 200.",
          _only("auth_required", lambda required, operation, **_: required and operation != "list"),
          "AUTH-401-MISSING-KEY")
_register("delete_skips_auth", "DELETE runs without checking the key.",
          _only("auth_required", lambda required, operation, **_: required and operation != "delete"),
          "AUTH-401-MISSING-KEY")
_register("validates_before_auth", "Body validation runs before the key check (a bad body gets 400/422 unauthenticated).",
          _only("auth_first", lambda first, **_: False), "AUTH-401-BEFORE-VALIDATION")

# --- create: status and validation ------------------------------------------------------------------------
_register("create_returns_200", "A created contact is answered with 200 instead of 201.",
          _only("create_status", lambda status, **_: 200), "CREATE-201-CREATED")
_register("missing_phone_is_422", "A body without phone gets 422 validation_error instead of 400.",
          _only("missing_field_error", lambda err, **_: (422, "validation_error")), "CREATE-400-MISSING-FIELD")
_register("malformed_json_is_500", "A body that is not JSON crashes the handler (500).",
          _only("malformed_json_status", lambda err, **_: (500, "internal_error")), "CREATE-400-MALFORMED-JSON")
_register("accepts_local_phone", "Local formats like 0912345678 are accepted.",
          _only("phone_valid", lambda valid, phone, **_: valid or phone.isdigit()), "CREATE-422-PHONE-NOT-E164")
_register("rejects_nanp_phones", "Valid +1 numbers are rejected with 422.",
          _only("phone_valid", lambda valid, phone, **_: valid and not phone.startswith("+1")),
          "CREATE-VALID-PHONE-ACCEPTED")
_register("accepts_malformed_email", "Any email string is accepted.",
          _only("email_valid", lambda valid, **_: True), "CREATE-422-EMAIL-MALFORMED")
_register("rejects_plus_in_email", "Valid emails with + in the local part are rejected with 422.",
          _only("email_valid", lambda valid, email, **_: valid and "+" not in email), "CREATE-VALID-EMAIL-ACCEPTED")
_register("two_problems_crash", "A body with both a bad phone and a bad email crashes (500).",
          _only("crash", lambda crash, problems, **_: crash or len(problems) > 1), "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE")
_register("empty_lists_crashes", "An empty lists array crashes the handler (500).",
          _only("crash", lambda crash, body, **_: crash or body.get("lists") == []), "SPEC-NO-SERVER-ERROR")

# --- create: duplicates -------------------------------------------------------------------------------------
_register("no_conflict", "Duplicate phones are stored again (no 409).",
          _only("phone_key", lambda key, **_: None), "CREATE-409-DUPLICATE-PHONE")
_register("racy_conflict_check", "Duplicates are found by a read before the insert, not by the database: "
          "parallel creates with one phone all succeed.",
          lambda: {"phone_key": lambda key, **_: None, "duplicate_precheck_delay": lambda delay, **_: 0.05},
          "CREATE-409-CONCURRENT-DUPLICATES")

# --- create: response body ----------------------------------------------------------------------------------
_register("id_without_prefix", "Ids lack the cnt_ prefix.",
          _only("created_body", lambda body, **_: {**body, "id": body["id"].removeprefix("cnt_")}), "CREATE-ID-CNT-PREFIX")
_register("repeated_ids", "Each create answers with the id of the previous one.", _repeated_ids, "CREATE-ID-UNIQUE")
_register("echo_drops_lists", "The create response leaves out lists.",
          _only("created_body", _drop("lists")), "CREATE-ECHOES-FIELDS")
_register("name_ascii_folded", "Names come back with accents and other non-ASCII characters stripped.",
          _only("created_body", lambda body, **_: {**body, "name": _ascii_fold(body["name"])}), "CREATE-NAME-AS-PROVIDED")
_register("created_at_local_offset", "created_at is given in local time (+01:00), not UTC.",
          _only("created_body", lambda body, **_: {**body, "created_at": body["created_at"].replace("Z", "+01:00")}),
          "CREATE-CREATED-AT-ISO-UTC")

# --- errors -------------------------------------------------------------------------------------------------
_register("error_without_message", "Error bodies have no message field.",
          _only("error_body", _drop("message")), "ERROR-BODY-SHAPE")
_register("conflict_code_is_duplicate", "409 answers carry error 'duplicate' instead of 'conflict'.",
          _only("error_body", lambda body, **_: {**body, "error": "duplicate"} if body["error"] == "conflict" else body),
          "ERROR-CODE-MATCHES-STATUS")
_register("list_content_type_html", "Successful list answers say Content-Type: text/html.",
          _only("list_content_type", lambda ctype, **_: "text/html; charset=utf-8"), "JSON-CONTENT-TYPE")

# --- list ---------------------------------------------------------------------------------------------------
_register("list_wraps_in_items", "List answers put contacts under 'items' instead of 'data'.",
          _only("list_body", lambda body, **_: {"items": body["data"], "meta": body["meta"]}), "LIST-RESPONSE-SHAPE")
_register("default_per_page_20", "Without per_page, pages hold 20 contacts.",
          _only("default_per_page", lambda n, **_: 20), "LIST-DEFAULT-PAGING")
_register("per_page_uncapped", "per_page above 100 is honoured.",
          _only("per_page_cap", lambda cap, **_: None), "LIST-PER-PAGE-MAX-100")
_register("meta_page_always_1", "meta.page is always 1.",
          _only("list_body", lambda body, **_: {**body, "meta": {**body["meta"], "page": 1}}), "LIST-META-DESCRIBES-PAGE")
_register("total_counts_page_only", "meta.total counts the contacts on this page, not all matching ones.",
          _only("list_body", lambda body, **_: {**body, "meta": {**body["meta"], "total": len(body["data"])}}),
          "LIST-TOTAL-COUNTS-MATCHES")
_register("pages_overlap", "Each page after the first starts one contact early.",
          _only("offset", lambda offset, page, **_: offset - 1 if page > 1 else offset), "LIST-PAGES-PARTITION")
_register("past_end_repeats_last_page", "A page past the end repeats the first page.",
          _only("offset", lambda offset, total, **_: 0 if offset >= total else offset), "LIST-PAGE-PAST-END-EMPTY")
_register("list_filter_ignored", "list_id is ignored: every contact is returned.",
          _only("list_filter", lambda list_id, **_: None), "LIST-FILTER-BY-LIST")
_register("list_omits_email", "List items leave out email.",
          _only("list_body", _map_items(_drop("email"))), "LIST-ITEM-FIELDS")
_register("list_created_at_epoch", "List items give created_at as a Unix timestamp number.",
          _only("list_body", _map_items(lambda item: {**item, "created_at": 1782295200})), "SPEC-RESPONSES-CONFORM")

# --- delete -------------------------------------------------------------------------------------------------
_register("delete_returns_200_with_body", "DELETE answers 200 with a JSON body instead of 204.",
          _only("delete_answer", lambda answer, **_: (200, {"deleted": True})), "DELETE-204-EMPTY-BODY")
_register("delete_not_removed", "DELETE answers 204 but the contact stays.",
          _only("delete_mode", lambda mode, **_: "noop"), "DELETE-GONE-FROM-LIST")
_register("delete_keeps_list_membership", "A deleted contact still shows under its lists' filters.",
          lambda: {"delete_mode": lambda mode, **_: "keep_memberships",
                   "list_includes_deleted_members": lambda include, **_: True}, "DELETE-REMOVED-FROM-LISTS")
_register("delete_unknown_is_204", "Deleting an unknown id answers 204.",
          _only("unknown_delete_status", lambda status, **_: 204), "DELETE-404-UNKNOWN-ID")
_register("phone_kept_after_delete", "A deleted contact's phone stays taken (409 on re-create).",
          _only("delete_mode", lambda mode, **_: "keep_phone"), "DELETE-FREES-PHONE")

# --- legal variants: the docs allow these, so they must pass clean -------------------------------------------
_register("clamp_per_page", "per_page above 100 is clamped to 100 instead of rejected.",
          _only("per_page_over_max", lambda action, **_: "clamp"))
_register("oldest_first", "Lists are ordered oldest first.",
          _only("newest_first", lambda newest, **_: False))
_register("extra_fields", "Responses carry extra fields the docs do not name.",
          lambda: {"created_body": lambda body, **_: {**body, "status": "active", "tags": []},
                   "list_body": lambda body, **_: {**body, "links": {"self": None},
                                                   "data": [{**i, "lists": []} for i in body["data"]]}})
_register("email_null", "A contact without email shows email: null instead of leaving it out.",
          lambda: {"created_body": lambda body, **_: {"email": None, **body},
                   "list_body": _map_items(lambda item: {"email": None, **item})})
_register("occasional_429", "Every 40th request is rate limited with Retry-After: 1.",
          lambda: _every_nth_rate_limited(40))
_register("latency_spikes", "One request in twenty takes 0.1-0.5 s longer.", lambda: _latency_spikes(20))
_register("lists_must_exist", "Only the docs' lists (lst_abc123, lst_def456) exist; other list ids get 422.",
          _only("list_exists", lambda exists, list_id, **_: exists and list_id in ("lst_abc123", "lst_def456")))
_register("lenient_paging", "Out-of-range page and per_page values are clamped, never rejected.",
          lambda: {"per_page_over_max": lambda action, **_: "clamp", "page_below_1": lambda action, **_: "clamp"})


# --- the model-based test's rules: echo in lists, membership, exact ids, created_at against Date ----------------
def _shift_stamp(seconds: float) -> Callable[[str], str]:
    def shift(stamp: str) -> str:
        moved = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=seconds)
        return moved.strftime("%Y-%m-%dT%H:%M:%SZ")
    return shift


def _created_at(change: Callable[[str], str]) -> Callable[..., dict]:
    return lambda body, **_: {**body, "created_at": change(body["created_at"])}


def _high_water_totals() -> Hooks:
    highest: dict[str | None, int] = {}

    def hook(body: dict, list_id: str | None = None, **_: Any) -> dict:
        highest[list_id] = max(highest.get(list_id, 0), body["meta"]["total"])
        return {**body, "meta": {**body["meta"], "total": highest[list_id]}}
    return {"list_body": hook}


_register("created_at_10s_behind_date", "created_at is 10 s earlier than the answer's Date header.",
          _only("created_body", _created_at(_shift_stamp(-10))), "CREATE-CREATED-AT-MATCHES-DATE")
_register("created_at_30s_ahead_of_date", "created_at is 30 s later than the answer's Date header.",
          _only("created_body", _created_at(_shift_stamp(30))), "CREATE-CREATED-AT-MATCHES-DATE")
_register("created_at_is_midnight", "created_at holds the date only, at 00:00:00Z.",
          _only("created_body", _created_at(lambda stamp: stamp[:10] + "T00:00:00Z")), "CREATE-CREATED-AT-MATCHES-DATE")
_register("list_truncates_names_to_100", "List items show names cut to 100 characters.",
          _only("list_body", _map_items(lambda item: {**item, "name": item["name"][:100]})), "LIST-ITEM-MATCHES-CREATE")
_register("list_created_at_one_second_later", "List items show created_at one second later than the create did.",
          _only("list_body", _map_items(lambda item: {**item, "created_at": _shift_stamp(1)(item["created_at"])})),
          "LIST-ITEM-MATCHES-CREATE")
_register("list_lowercases_email", "List items show emails lowercased, the create echoed them as sent.",
          _only("list_body", _map_items(lambda item: {**item, "email": item["email"].lower()} if "email" in item
                                        else item)), "LIST-ITEM-MATCHES-CREATE")
_register("membership_first_list_only", "A contact created in several lists joins only the first.",
          _only("stored_lists", lambda lists, **_: lists[:1]), "LIST-SHOWS-CREATED")
_register("membership_two_lists_at_most", "A contact created in more than two lists joins only the first two.",
          _only("stored_lists", lambda lists, **_: lists[:2]), "LIST-SHOWS-CREATED")
_register("long_names_join_no_list", "A contact whose name is longer than 255 characters joins none of its lists.",
          _only("stored_lists", lambda lists, name, **_: lists if len(name) <= 255 else []), "LIST-SHOWS-CREATED")
_register("delete_by_prefix", "DELETE removes every contact whose id starts with the given id (LIKE 'id%').",
          _only("delete_targets",
                lambda targets, contact_id, store, **_: targets or store.ids_starting_with(contact_id)),
          "DELETE-ONLY-THE-GIVEN-ID")
_register("delete_matches_first_16_chars", "DELETE compares ids on their first 16 characters (a truncated column).",
          _only("delete_targets", lambda targets, contact_id, store, **_: targets or (
              [contact_id[:16]] if store.exists(contact_id[:16]) else [])), "DELETE-ONLY-THE-GIVEN-ID")
_register("delete_prefix_is_204", "DELETE of an id that is a prefix of a contact's id answers 204 (deletes nothing).",
          _only("unknown_delete_status", lambda status, contact_id, store, **_: 204
                if store.ids_starting_with(contact_id) else status), "DELETE-ONLY-THE-GIVEN-ID")
_register("total_high_water_mark", "meta.total never goes down: deletes leave the cached total as it was.",
          _high_water_totals, "LIST-TOTAL-COUNTS-MATCHES")
_register("lagging_lists", "List reads show a create or a delete 0.5 s late (a lagging read replica).",
          _only("list_lag", lambda lag, **_: lag + 0.5))
