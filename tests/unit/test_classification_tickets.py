"""Airline ticket numbers: an airline's name and a number starting with its IATA code."""

import pytest

from service.classification.descriptors import normalize
from service.classification.tickets import AIRLINE_CODES, is_airline_ticket


@pytest.mark.parametrize("text", [
    "UNITED 0162345678",
    "UNITED 0162345678901",
    "DELTA AIR 0062345678901",
    "AMERICAN AIR0012345678901",          # the number glued to the name
    "AIR FRANCE 0571234567890",
    "ALASKA AIR 0271234567",
])
def test_an_airline_name_with_its_own_ticket_code_is_a_ticket(text):
    assert is_airline_ticket(normalize(text).split())


@pytest.mark.parametrize("text", [
    "UNITED 9992345678",                  # the code is another airline's
    "UNITED WAY",                         # no number
    "DELTA 006123",                       # too short for a ticket number
    "WESTERN UNION 0011223344",           # not an airline name
    "PAYPAL *HOLDINGS 4029357733",
])
def test_other_names_and_numbers_are_not(text):
    assert not is_airline_ticket(normalize(text).split())


def test_only_the_first_word_names_the_airline():
    # The rule is asked only when no keyword matched, so a merchant named after an airline word
    # with a number in that airline's range is the accepted (rare) false positive.
    assert is_airline_ticket(normalize("UNITED RENTALS 0162345678").split())
    assert not is_airline_ticket(normalize("RENTALS UNITED 0162345678").split())


def test_codes_are_three_digits():
    assert all(len(code) == 3 and code.isdigit() for codes in AIRLINE_CODES.values() for code in codes)
