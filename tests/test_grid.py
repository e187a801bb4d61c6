"""The input grid's classes: what each is made from, and that none of them is by chance the valid value it stands
beside (a forged key that is the key, a neighbour that is the list id)."""
from __future__ import annotations

import pytest

from conformance import grid
from conformance.exchange import Exchange
from conformance.judgements import bearer_token, key_kind


@pytest.mark.parametrize("key", ["zx_live_abc123", "zx_live_abc12_", "zx_live_abc12%", "zx_live_abc12*", "k"])
def test_forged_authorizations_never_carry_the_key_itself(key):
    forged = grid.forged_authorizations(key)
    assert f"Bearer {key}" not in forged.values()
    assert all(value.startswith("Bearer ") for value in forged.values())
    assert len(forged) >= 6


def test_forged_authorizations_show_no_part_of_the_key_shorter_than_all_but_its_last_character():
    key = "zx_live_0123456789abcdef"
    for value in grid.forged_authorizations(key).values():
        token = value.removeprefix("Bearer ")
        assert key in token or key[:-1] in token or key[:4] not in token, value


def test_key_elsewhere_sends_no_authorization_and_the_key_as_cookies():
    (headers,) = grid.key_elsewhere("secret").values()
    assert "Authorization" not in headers and headers["Cookie"].count("=secret") >= 3


def test_email_classes_are_distinct_dot_atom_addresses():
    emails = list(grid.email_classes().values())
    assert len(set(emails)) == len(emails)
    assert all(email.count("@") == 1 and " " not in email and not email.startswith(".") for email in emails)


@pytest.mark.parametrize("header, token", [("Bearer k", "k"), ("bearer k", "k"), ("BEARER  k", "k"),
                                           ("Bearer\tk", "k"), ("Bearer ", None), ("Token k", None), ("", None)])
def test_bearer_token_reads_any_scheme_case_and_whitespace(header, token):
    assert bearer_token(header) == token


def test_a_key_in_a_header_the_docs_do_not_name_is_not_judged_as_missing():
    assert key_kind("", "k", {"X-API-Key": "$ZEXA_API_KEY"}) == "other"
    assert key_kind("", "k", {"Cookie": "token=$ZEXA_API_KEY"}) == "missing"
    assert key_kind("bearer k", "k") == "key"


def test_a_406_to_a_client_that_refuses_json_is_not_an_undocumented_status():
    from conformance.judgements import spec_problem
    refused = Exchange("GET", "http://x/v1/contacts", {"Accept": "application/xml"}, None, status=406,
                       headers={"content-type": "application/json"}, text='{"error": "x", "message": "y"}')
    asked_json = Exchange("GET", "http://x/v1/contacts", {"Accept": "application/json"}, None, status=406,
                          headers={"content-type": "application/json"}, text='{"error": "x", "message": "y"}')
    assert spec_problem(refused, "list") == ""
    assert "does not document" in spec_problem(asked_json, "list")


def test_contact_id_neighbours_are_ids_no_account_of_such_a_target_holds():
    """Each made-up id differs from the probe; those of the probe's length differ by a character a target of cnt_
    ids in ASCII never makes (upper case, fullwidth), the others have a length no id of the target has."""
    probe, ids = "cnt_3f9a0c1d2e4b", ["cnt_3f9a0c1d2e4b", "cnt_0000aaaa1111"]
    near = grid.contact_id_neighbours(probe, ids)
    assert probe not in near and len(near) == 13 and near[probe + ".json"] == "a .json format suffix after"
    assert near[probe + "/"] == "a slash after" and probe + "\x00" in near and probe + "\u200b" in near
    same_length = [made for made in near if len(made) == len(probe)]
    assert sorted(same_length) == sorted([probe.upper(), probe[:-1] + "\uff42"])
    assert all(not made.startswith("cnt_") or not made.isascii() for made in same_length)


def test_contact_id_neighbours_leave_out_what_such_a_target_could_hold():
    """Upper case only when every id is cnt_-prefixed, fullwidth only when every id is ASCII (the ids of another
    length may hold any character: no id of such a target has their length)."""
    probe = "cnt_3f9a0c1d2e4b"
    near = grid.contact_id_neighbours(probe, [probe, "CNT_3F9A0C1D2E4\uff42"])
    assert "CNT_3F9A0C1D2E4B" not in near and all(made.isascii() for made in near if len(made) == len(probe))


def test_list_id_neighbours_hold_what_a_loose_filter_folds_back():
    """A NUL or a zero-width space after the id, a regex dot and a fullwidth form for its last character: a C string,
    a sanitiser, an unescaped regex and a width-folding analyzer take each for the id itself."""
    near = grid.neighbours("lst_zxconf_1a2b_walk")
    assert near["nul_after"] == "lst_zxconf_1a2b_walk\x00" and near["zero_width_after"].endswith("\u200b")
    assert near["regex_one_char"] == "lst_zxconf_1a2b_wal." and near["fullwidth_last"] == "lst_zxconf_1a2b_wal\uff4b"
    assert "lst_zxconf_1a2b_walk" not in near.values()


def test_page_sizes_past_the_check_each_name_a_size_over_the_maximum():
    assert all(grid.page_size_over_max(params) for params in grid.PAGE_SIZES_PAST_THE_CHECK)
    assert all(grid.page_size_over_max(params) for params in (
        {"per_page": "100.5"}, {"per_page": ["5", "101"]}, {"limit": "1e3"}, {"per_page": "Infinity"},
        {"Per_Page": 101}))
    assert not any(grid.page_size_over_max(params) for params in (
        {}, {"per_page": 100}, {"per_page": ["5", "7"]}, {"per_page": "abc"}, {"page": 1000}, {"limit": "x"}))
