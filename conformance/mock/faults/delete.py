"""Faults of DELETE: its answer, what it removes (the contact, its memberships, its phone), and which ids it reaches."""
from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from starlette.responses import JSONResponse, PlainTextResponse, Response

from conformance.mock.app import error_body
from conformance.mock.faults.common import (INVISIBLE, SOFT_DELETE, SOFT_DELETE_KEEPING_PHONE, deleted_members_counted,
                                            deleted_rows_counted, soft_delete)
from conformance.mock.registry import Hooks, fault, only
from conformance.mock.store import REMOVE_MEMBERSHIPS, REMOVE_ROW, Store

PHONE_HELD = "SELECT 1 FROM contacts WHERE phone = ?"  # by any row, soft-deleted ones too
FIRST_MEMBERSHIP_ONLY = "DELETE FROM memberships WHERE seq = (SELECT min(seq) FROM memberships WHERE contact_id = :id)"
ALL_BUT_LAST_MEMBERSHIP = ("DELETE FROM memberships WHERE contact_id = :id AND seq < (SELECT max(seq) FROM memberships "
                           "WHERE contact_id = :id)")
ID_PREFIX_OF = "id LIKE ? || '%'"
# PostgreSQL's LIKE (case-sensitive), the given id bound unescaped: _ and % in it are wildcards.
ID_LIKE_UNESCAPED = "id GLOB replace(replace(?, '%', '*'), '_', '?')"
ID_TRIMMED = "id = trim(?, ' ' || char(9) || char(10) || char(13))"
ROUTE_ID = re.compile(r"[A-Za-z0-9_]+")
# The membership clean-up keyed by the wrong column: every membership of the contact's lists goes, not only its own
WHOLE_LISTS_CLEARED = ("DELETE FROM memberships WHERE list_id IN (SELECT list_id FROM memberships WHERE contact_id = "
                       ":id)")
REVIVE_BY_PHONE = "UPDATE contacts SET deleted = 0 WHERE phone = ? AND deleted = 1"


def _was_deleted(store: Store, contact_id: str) -> bool:
    return store.first("SELECT 1 FROM contacts WHERE id = ? AND deleted = 1", (contact_id,)) is not None


def _recreate_after_delete_crashes() -> Hooks:
    stores: list = []
    return {"opened": lambda store, **_: stores.append(store) or store,
            "delete_mode": lambda mode, **_: (SOFT_DELETE, REMOVE_MEMBERSHIPS),
            "crash": lambda crash, body, **_: crash or (isinstance(body.get("phone"), str) and any(
                s.first(PHONE_HELD, (body["phone"],)) is not None and not s.phone_in_use(body["phone"])
                for s in stores))}


def _delete_looked_up_as(transform: Callable[[str], str]) -> Callable[[], Hooks]:
    """The id is transformed (decoded once more, normalised) before the lookup that decides 404: a DELETE of an id
    no contact has deletes the contact whose id it becomes."""
    def hooks() -> Hooks:
        stores: list[Store] = []

        def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
            if operation != "delete" or answer.status_code != 404 or not stores:
                return answer
            given = request.path_params.get("id", "")
            looked_up = transform(given)
            if looked_up != given and stores[0].exists(looked_up):
                stores[0].delete(looked_up)
                return Response(status_code=204)
            return answer
        return {"opened": lambda store, **_: stores.append(store) or store, "response": response}
    return hooks


def _dot_segments_resolved(given: str) -> str:
    """The id a gateway routes to once it has decoded %2F and resolved dot segments (the id itself elsewhere)."""
    resolved = posixpath.normpath(f"/v1/contacts/{given}")
    return resolved.removeprefix("/v1/contacts/") if resolved.count("/") == 3 else given


def _router_404(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    if operation == "delete" and answer.status_code == 404 and not ROUTE_ID.fullmatch(
            request.path_params.get("id", "")):
        return PlainTextResponse("Not Found", status_code=404)
    return answer



def _idempotency_replay() -> Hooks:
    """An idempotency layer keyed by method and path replays a DELETE's first 204 to every later DELETE of it."""
    answered: set[str] = set()

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        if operation != "delete":
            return answer
        path = request.url.path
        if answer.status_code == 204:
            answered.add(path)
        elif answer.status_code == 404 and path in answered:
            return Response(status_code=204)
        return answer
    return {"response": response}


def _deleted_id_own_code() -> Hooks:
    """Deletes are soft; the DELETE handler finds the deleted row and answers 404 with a code of its own."""
    stores: list[Store] = []

    def response(answer: Response, request: Any, operation: str, **_: Any) -> Response:
        contact_id = request.path_params.get("id", "")
        if operation != "delete" or answer.status_code != 404 or not _was_deleted(stores[0], contact_id):
            return answer
        return JSONResponse({**error_body(404, "This contact was deleted.", {"id": contact_id}),
                             "error": "contact_deleted"}, status_code=404)
    return {**soft_delete()(), "opened": lambda store, **_: stores.append(store) or store, "response": response}


def _revive(contact: dict, store: Store, **_: Any) -> dict:
    store.write(REVIVE_BY_PHONE, (contact["phone"],))
    return contact

fault("concurrent_delete_double_204", "DELETE reads whether the contact exists, then deletes it 50 ms later: "
      "parallel deletes of one contact all answer 204.",
      only("delete_precheck_delay", lambda delay, **_: 0.05), "DELETE-CONCURRENT-ONE-204")
fault("delete_returns_200_with_body", "DELETE answers 200 with a JSON body instead of 204.",
      only("delete_answer", lambda answer, **_: (200, {"deleted": True})), "DELETE-204-EMPTY-BODY")
fault("delete_returns_200_empty", "DELETE answers 200 with an empty body.",
      only("delete_answer", lambda answer, **_: (200, None)), "DELETE-204-EMPTY-BODY")
fault("delete_returns_202", "DELETE answers 202 Accepted (deletion queued) instead of 204.",
      only("delete_answer", lambda answer, **_: (202, None)), "DELETE-204-EMPTY-BODY",
      also=("DELETE-CONCURRENT-ONE-204",))
fault("delete_not_removed", "DELETE answers 204 but the contact stays.",
      only("delete_mode", lambda mode, **_: (None, None)), "DELETE-GONE-FROM-LIST",
      also=("LIST-TOTAL-COUNTS-MATCHES", "DELETE-REMOVED-FROM-LISTS", "DELETE-404-AFTER-DELETE", "DELETE-FREES-PHONE",
            "DELETE-CONCURRENT-ONE-204"))
fault("delete_only_leaves_lists", "DELETE removes the contact's list memberships but keeps the contact.",
      only("delete_mode", lambda mode, **_: (None, REMOVE_MEMBERSHIPS)), "DELETE-GONE-FROM-LIST",
      also=("DELETE-404-AFTER-DELETE", "DELETE-FREES-PHONE", "DELETE-CONCURRENT-ONE-204"))
fault("unfiltered_list_shows_soft_deleted", "Deletes are soft and the unfiltered list forgets the deleted flag.",
      soft_delete(query=lambda q, **_: deleted_rows_counted(q)), "DELETE-GONE-FROM-LIST")
fault("delete_keeps_list_membership", "A deleted contact still shows under its lists' filters.",
      lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE, None),
               "query": lambda q, **_: deleted_members_counted(q)}, "DELETE-REMOVED-FROM-LISTS",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_leaves_one_list", "A delete removes only the first of the contact's memberships; the filters of "
      "its other lists still show it.",
      lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE, FIRST_MEMBERSHIP_ONLY),
               "query": lambda q, **_: deleted_members_counted(q)}, "DELETE-REMOVED-FROM-LISTS",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_misses_last_list", "The membership clean-up loop stops one short: a deleted contact stays in the "
      "last list it joined.",
      lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE, ALL_BUT_LAST_MEMBERSHIP),
               "query": lambda q, **_: deleted_members_counted(q)}, "DELETE-REMOVED-FROM-LISTS",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_unknown_is_204", "Deleting an unknown id answers 204.",
      only("unknown_delete_status", lambda status, **_: 204), "DELETE-404-UNKNOWN-ID",
      also=("DELETE-404-AFTER-DELETE", "DELETE-ONLY-THE-GIVEN-ID", "DELETE-CONCURRENT-ONE-204"))
fault("deleted_id_is_410_gone", "Deletes are soft; deleting a deleted id answers 410 gone.",
      soft_delete(unknown_delete_status=lambda status, contact_id, store, **_:
                   410 if _was_deleted(store, contact_id) else status), "DELETE-404-AFTER-DELETE",
      also=("DELETE-CONCURRENT-ONE-204",))
fault("deleted_id_is_204_again", "Deletes are soft; deleting a deleted id again answers 204.",
      soft_delete(unknown_delete_status=lambda status, contact_id, store, **_:
                   204 if _was_deleted(store, contact_id) else status), "DELETE-404-AFTER-DELETE",
      also=("DELETE-CONCURRENT-ONE-204",))
fault("malformed_id_is_400", "An id without the cnt_ prefix gets 400 invalid_request instead of 404.",
      only("unknown_delete_status", lambda status, contact_id, **_:
           status if contact_id.startswith("cnt_") else 400), "DELETE-404-UNKNOWN-ID")
fault("phone_kept_after_delete", "A deleted contact's phone stays taken (409 on re-create).",
      only("delete_mode", lambda mode, **_: (SOFT_DELETE_KEEPING_PHONE, REMOVE_MEMBERSHIPS)), "DELETE-FREES-PHONE")
fault("conflict_precheck_sees_deleted", "Deletes are soft and the duplicate pre-check reads deleted rows too: "
      "re-creating a deleted contact's phone gets 409.",
      soft_delete(duplicate_precheck_delay=lambda delay, **_: 0.0,
                   precheck_query=lambda sql, **_: PHONE_HELD), "DELETE-FREES-PHONE")
fault("recreate_after_delete_crashes", "Deletes are soft; re-creating a deleted contact's phone crashes (500) "
      "on a lookup that finds the deleted row.", _recreate_after_delete_crashes, "DELETE-FREES-PHONE")
fault("delete_matches_id_prefix", "DELETE finds the contact with LIKE 'id%': a prefix of an existing id deletes "
      "that contact.", only("id_match", lambda match, **_: ID_PREFIX_OF), "DELETE-ONLY-THE-GIVEN-ID",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_matches_id_extension", "DELETE finds contacts whose id is a prefix of the given one: "
      "cnt_abc123x deletes cnt_abc123.", only("id_match", lambda match, **_: "? LIKE id || '%'"),
      "DELETE-ONLY-THE-GIVEN-ID", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_ignores_id_case", "DELETE compares ids case-insensitively: CNT_ABC deletes cnt_abc.",
      only("id_match", lambda match, **_: "lower(id) = lower(?)"), "DELETE-ONLY-THE-GIVEN-ID",
      also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_id_trimmed", "DELETE trims whitespace from the id: 'cnt_abc ' deletes cnt_abc.",
      only("id_match", lambda match, **_: ID_TRIMMED), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_like_unescaped", "DELETE finds the contact with id LIKE ? (case-sensitive, unescaped): _ and % in "
      "the given id are wildcards, so cnt_abc_ or cnt_ab% deletes cnt_abcd.",
      only("id_match", lambda match, **_: ID_LIKE_UNESCAPED), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_decoded_twice", "The DELETE handler percent-decodes the id the router already decoded: the id "
      "'cnt_ab%63' (sent as cnt_ab%2563) deletes cnt_abc.", _delete_looked_up_as(unquote), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_non_ascii_id_crashes", "DELETE of an id with a character outside ASCII answers 500 (a latin1 id "
      "column compared with a UTF-8 parameter: 'Illegal mix of collations').",
      only("delete_id_crashes", lambda crash, contact_id, **_: crash or not contact_id.isascii()),
      "DELETE-404-UNKNOWN-ID")
fault("delete_odd_id_router_404", "An id outside [A-Za-z0-9_] does not match the route's pattern: the framework "
      "answers its own text/plain 404 'Not Found'.", only("response", _router_404), "JSON-CONTENT-TYPE",
      also=("ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))
fault("delete_prefix_is_204", "DELETE of an id that is a prefix of a contact's id answers 204 (deletes nothing).",
      only("unknown_delete_status", lambda status, contact_id, store, **_:
           204 if store.live_ids(contact_id, ID_PREFIX_OF) else status), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_clears_its_lists", "The membership clean-up is keyed by list, not by contact: deleting a contact "
      "empties every list it was in, so the other members leave those lists too.",
      only("delete_mode", lambda mode, **_: (REMOVE_ROW, WHOLE_LISTS_CLEARED)), "DELETE-ONLY-THE-GIVEN-ID",
      also=("LIST-SHOWS-CREATED", "LIST-TOTAL-COUNTS-MATCHES"))
fault("recreate_revives_deleted", "Deletes are soft; a create with a deleted contact's phone also restores the "
      "deleted row ('undelete on re-add'), so the deleted contact is listed again beside the new one.",
      soft_delete(stored=_revive), "DELETE-GONE-FROM-LIST", also=("LIST-TOTAL-COUNTS-MATCHES",
                                                                   "DELETE-404-AFTER-DELETE"))
fault("delete_replayed_by_idempotency_cache", "An idempotency layer replays a DELETE's 204 to every later DELETE of "
      "the same path: deleting a deleted contact answers 204 again.",
      _idempotency_replay, "DELETE-404-AFTER-DELETE", also=("DELETE-CONCURRENT-ONE-204",))
fault("delete_id_nfkc_normalised", "The DELETE handler NFKC-normalises the id: a fullwidth copy of a contact's id "
      "(ｃｎｔ_…) deletes that contact.", _delete_looked_up_as(lambda given: unicodedata.normalize("NFKC", given)),
      "DELETE-ONLY-THE-GIVEN-ID")
fault("deleted_id_404_own_code", "Deletes are soft; deleting a deleted contact again answers 404 with error "
      "'contact_deleted' (its own branch), not not_found.", _deleted_id_own_code, "ERROR-CODE-MATCHES-STATUS",
      also=("SPEC-RESPONSES-CONFORM",))
fault("delete_id_spliced_into_upstream_url", "The DELETE handler forwards to an internal service, splicing the "
      "decoded id into that URL unquoted: the id 'cnt_abc?' (sent as cnt_abc%3F) reaches /contacts/cnt_abc there "
      "and deletes it.", _delete_looked_up_as(lambda given: re.split(r"[?#]", given, maxsplit=1)[0]),
      "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_dot_segments_resolved", "A gateway decodes %2F in the path and resolves dot segments before routing: "
      "the id 'cnt_x/../cnt_abc' (sent as cnt_x%2F..%2Fcnt_abc) reaches /contacts/cnt_abc and deletes it.",
      _delete_looked_up_as(_dot_segments_resolved), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_format_suffix_stripped", "The router takes a last path segment ending in an extension as the id "
      "and a response format (Spring MVC's suffix pattern match, Rails' (.:format)): the id 'cnt_abc.json' reaches "
      "cnt_abc and deletes it.", _delete_looked_up_as(lambda given: given.rpartition(".")[0] or given),
      "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_takes_same_email", "A delete is a 'forget this person' cascade keyed on email: every contact with the "
      "deleted one's email goes too (on an account in use, the docs' Maria Santos with a run's maria@example.com; in "
      "a run, its own Maria, whose phone a later create then takes).",
      only("delete_mode", lambda mode, **_: ("DELETE FROM contacts WHERE id = :id OR email = (SELECT email FROM "
                                             "contacts WHERE id = :id)", mode[1])), "DELETE-ONLY-THE-GIVEN-ID",
      also=("LIST-TOTAL-COUNTS-MATCHES", "CREATE-409-DUPLICATE-PHONE"))


def _memberships_handed_to_new_holder(contact: dict, store: Store, **_: Any) -> dict:
    """The memberships deleted contacts with the new contact's phone left behind become the new contact's."""
    store.write("UPDATE memberships SET contact_id = ? WHERE contact_id IN "
                "(SELECT id FROM contacts WHERE phone = ? AND deleted = 1)", (contact["id"], contact["phone"]))
    return contact


fault("delete_id_trailing_slash_dropped", "A gateway decodes %2F in the path and drops a trailing slash before "
      "routing (/contacts/cnt_abc/ and /contacts/cnt_abc are one route to it): the id 'cnt_abc/' (sent as "
      "cnt_abc%2F) reaches cnt_abc and deletes it.",
      _delete_looked_up_as(lambda given: given[:-1] if given.endswith("/") else given), "DELETE-ONLY-THE-GIVEN-ID")
fault("memberships_follow_the_phone", "List memberships are kept per phone number (the campaign service targets "
      "numbers): a delete flags the contact and leaves its memberships, and a later contact with that phone takes "
      "them over: it is listed under lists it never joined.",
      lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE, None), "stored": _memberships_handed_to_new_holder},
      "LIST-FILTER-BY-LIST", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("delete_id_cut_at_nul", "The DELETE handler looks the id up in a key-value store through a C client that reads "
      "it as a NUL-terminated string: the id 'cnt_abc\\x00' (sent as cnt_abc%00) reaches cnt_abc and deletes it.",
      _delete_looked_up_as(lambda given: given.partition("\x00")[0]), "DELETE-ONLY-THE-GIVEN-ID")
fault("delete_id_invisible_characters_stripped", "An input sanitiser removes invisible characters (zero-width "
      "spaces, bidirectional marks, a BOM) from every path parameter: the id 'cnt_abc\\u200b' deletes cnt_abc.",
      _delete_looked_up_as(lambda given: INVISIBLE.sub("", given)), "DELETE-ONLY-THE-GIVEN-ID")
