"""Properties of the hypothesis strategies the cases draw their inputs from."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
from hypothesis import given, settings

from conformance.mock.app import email_is_valid
from conformance.strategies import (AMBIGUOUS_EMAILS, e164_phones, invalid_phones, malformed_emails, person_names,
                                    phone_regions, valid_emails)

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


def test_every_region_libphonenumber_knows_is_covered_docs_regions_first():
    regions = phone_regions()
    assert regions[:3] == ("AO", "PT", "US")
    assert len(regions) > 200


@settings(max_examples=300)
@given(e164_phones())
def test_e164_phones_are_valid_numbers_in_e164(phone):
    assert E164.match(phone)
    assert phonenumbers.is_valid_number(phonenumbers.parse(phone))


@settings(max_examples=300)
@given(invalid_phones())
def test_invalid_phones_never_match_e164(case):
    kind, phone = case
    assert not (isinstance(phone, str) and E164.match(phone)), kind


@settings(max_examples=300)
@given(valid_emails())
def test_valid_emails_are_accepted_by_the_reference_validator(email):
    assert email_is_valid(email)


@settings(max_examples=300)
@given(malformed_emails())
def test_malformed_emails_are_rejected_by_the_reference_validator(case):
    assert not email_is_valid(case[1]), case


def test_ambiguous_emails_are_named_classes():
    assert {"quoted_local_part", "ip_literal", "internationalised_domain"} <= set(AMBIGUOUS_EMAILS)


@given(person_names())
def test_person_names_are_nfc_and_non_empty(name):
    assert name and unicodedata.normalize("NFC", name) == name
