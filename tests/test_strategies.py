"""Properties of the strategies the cases draw their inputs from, and of the batches they build from them."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
import pytest
from email_validator import validate_email
from hypothesis import find, given, settings

from conformance.mock.app import LIST_ID, email_is_valid
from conformance.sampling import draws
from conformance.strategies import (AMBIGUOUS_EMAILS, INVALID_PHONE_CLASSES, LONGEST_PHONE_PREFIXES,
                                    MALFORMED_EMAIL_CLASSES, NAME_CLASSES, NON_STRING_PHONES, RAW_NAME_CLASSES,
                                    VALID_EMAIL_CLASSES, e164_15_digits, e164_phones, every_class, list_id_sets,
                                    person_names, phone_regions, valid_emails)

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
SEEDS = (1, 20261123, 987654321)


def test_every_region_libphonenumber_knows_is_covered_docs_regions_first():
    regions = phone_regions()
    assert regions[:3] == ("AO", "PT", "US")
    assert len(regions) > 200


@settings(max_examples=300, deadline=None)  # how long an example takes depends on the machine's load
@given(e164_phones())
def test_e164_phones_are_valid_numbers_in_e164(phone):
    assert E164.fullmatch(phone)
    assert phonenumbers.is_valid_number(phonenumbers.parse(phone))


@pytest.mark.parametrize("variation", [0, 1, 7, 12345, 2**32 - 1])
def test_longest_phones_are_valid_with_15_digits_and_two_and_three_digit_country_codes(variation):
    phones = [e164_15_digits(prefix, variation) for prefix in LONGEST_PHONE_PREFIXES.values()]
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert E164.fullmatch(phone) and len(phone) == 16, phone
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
    assert {len(str(phonenumbers.parse(p).country_code)) for p in phones} >= {2, 3}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_named_class_is_in_every_batch(seed):
    for classes in ({**INVALID_PHONE_CLASSES, **NON_STRING_PHONES}, MALFORMED_EMAIL_CLASSES):
        batch = every_class(classes, 1, seed, "test")
        assert {kind for kind, _ in batch} == set(classes)


@pytest.mark.parametrize("seed", SEEDS)
def test_batches_are_the_same_for_the_same_seed_and_differ_across_seeds(seed):
    classes = {**INVALID_PHONE_CLASSES, **NON_STRING_PHONES}
    assert every_class(classes, 2, seed, "test") == every_class(classes, 2, seed, "test")
    assert draws(valid_emails(), 10, seed, "a") == draws(valid_emails(), 10, seed, "a")
    assert draws(valid_emails(), 10, seed, "a") != draws(valid_emails(), 10, seed + 1, "a")


@pytest.mark.parametrize("seed", SEEDS)
def test_invalid_phones_never_match_e164(seed):
    for kind, phone in every_class({**INVALID_PHONE_CLASSES, **NON_STRING_PHONES}, 10, seed, "test"):
        assert not (isinstance(phone, str) and E164.fullmatch(phone)), kind


@pytest.mark.parametrize("seed", SEEDS)
def test_valid_emails_pass_email_validator_and_the_reference_server(seed):
    emails = list(VALID_EMAIL_CLASSES.values()) + draws(valid_emails(), 300, seed, "test")
    for email in emails:
        validate_email(email, check_deliverability=False)  # raises on an address it does not accept
        assert email_is_valid(email), email
    assert max(len(e) for e in emails) == 254 and max(len(e.rpartition("@")[0]) for e in emails) == 64
    assert any(e != e.lower() for e in emails) and any("+" in e for e in emails)
    assert any(len(e.rpartition(".")[2]) > 10 for e in VALID_EMAIL_CLASSES.values())  # .photography, .international


@pytest.mark.parametrize("seed", SEEDS)
def test_malformed_emails_are_rejected_by_the_reference_validator(seed):
    for kind, email in every_class(MALFORMED_EMAIL_CLASSES, 10, seed, "test"):
        assert not email_is_valid(email), (kind, email)


def test_ambiguous_emails_are_named_classes():
    assert {"quoted_local_part", "ip_literal", "internationalised_domain"} <= set(AMBIGUOUS_EMAILS)


def test_named_names_cover_scripts_planes_and_lengths():
    names = NAME_CLASSES.values()
    assert min(map(len, names)) == 1 and max(map(len, names)) >= 1000
    assert any(unicodedata.bidirectional(c) == "AL" for name in names for c in name)  # right to left
    assert any(ord(c) > 0xFFFF for name in names for c in name)  # beyond the Basic Multilingual Plane
    assert any("\u200d" in name for name in names)  # emoji joined with ZWJ
    assert any(unicodedata.category(c).startswith("M") for name in names for c in name)  # combining marks


def test_raw_names_keep_leading_spaces_runs_of_spaces_and_decomposed_marks():
    names = RAW_NAME_CLASSES.values()
    assert any(name != name.lstrip() for name in names)
    assert any("  " in name.strip() for name in names)
    assert any(unicodedata.normalize("NFC", name) != name for name in names)
    assert unicodedata.normalize("NFD", "João Ferreira") in names


@pytest.mark.parametrize("seed", SEEDS)
def test_person_names_are_nfc_and_at_most_1000_characters(seed):
    names = draws(person_names(), 80, seed, "test")
    assert all(name and unicodedata.normalize("NFC", name) == name and name == name.strip() for name in names)
    assert max(map(len, names)) <= 1000


def test_person_names_span_1_to_1000_characters():
    # a search, not a sample: which lengths 80 draws hit depends on the constants of the modules loaded (hypothesis
    # mixes them into its draws)
    quiet = settings(database=None, derandomize=True, max_examples=2000)
    assert len(find(person_names(), lambda name: len(name) <= 3, settings=quiet)) <= 3
    assert len(find(person_names(), lambda name: len(name) > 255, settings=quiet)) <= 1000


@pytest.mark.parametrize("seed", SEEDS)
def test_list_id_sets_hold_0_to_20_valid_ids_sharing_a_prefix(seed):
    sets = draws(list_id_sets("lst_zxconf_run_echo"), 50, seed, "test")
    assert all(len(ids) <= 20 and len(set(ids)) == len(ids) for ids in sets)
    assert all(LIST_ID.match(i) and i.startswith("lst_zxconf_run_echo") for ids in sets for i in ids)
    assert any(len(ids) == 0 for ids in sets) and any(len(ids) > 5 for ids in sets)
