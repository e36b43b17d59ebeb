"""merchant_key(): one key per merchant however the bank prints it, different keys for
different merchants."""

import pytest

from service.classification.merchant_key import merchant_key


@pytest.mark.parametrize(("first", "second"), [
    ("ACME MARKET 123", "Acme Market #456"),
    ("ACME MARKET STORE 123", "acme market"),
    ("ACME MARKET No. 12", "ACME MARKET NR 7"),
    ("SQ *BLUE BOTTLE COFFEE", "Blue Bottle Coffee"),
    ("TST* JOES PIZZA 0042", "Joe's Pizza"),
    ("PAYPAL *SUSHI ZEN", "Sushi-Zen"),
    ("Café Crème", "CAFE CREME"),
    ("ACME INC", "Acme"),
    ("MUSTERFIRMA GMBH & CO KG", "Musterfirma"),
    ("STARBUCKS STORE 12345", "STARBUCKS #998"),
    ("AMZN Mktp DE*2K4LL0", "AMZN MKTP DE*9XY12Z"),
])
def test_the_same_merchant_gets_one_key(first, second):
    assert merchant_key(first) == merchant_key(second)


def test_city_and_country_are_dropped_when_they_appear_in_the_name():
    assert merchant_key("TST* JOES PIZZA 0042 NEW YORK NY", city="New York", country="US") == "joes pizza"
    assert merchant_key("TESCO STORES 2231 LONDON GB", city="London", country="GB") == "tesco stores"
    assert merchant_key("ACME MARKET BERLIN DE", city="Berlin", country="DE") == merchant_key("Acme Market")
    assert merchant_key("WALMART USA", country="US") == "walmart"
    assert merchant_key("ACME LONDON UK", country="GB", city="London") == "acme"


def test_city_and_country_are_kept_when_not_given():
    assert merchant_key("ACME MARKET BERLIN") == "acme market berlin"


@pytest.mark.parametrize(("first", "second"), [
    ("ACME MARKET", "ACME PHARMACY"),
    ("SHELL 1234", "SHELL SEEKERS CAFE"),
    ("UBER *TRIP", "UBER *EATS"),
    ("BP CONNECT", "BP"),
])
def test_different_merchants_keep_different_keys(first, second):
    assert merchant_key(first) != merchant_key(second)


def test_the_key_is_normalised_text():
    assert merchant_key("  THE   RED-LION  PUB!! ") == "the red lion pub"


@pytest.mark.parametrize(("name", "expected"), [
    ("O2", "o"),              # only letters left after dropping words with digits
    ("7-ELEVEN #33", "eleven"),
    ("BERLIN", "berlin"),     # a name that is only its city keeps its letters
    ("76", "76"),             # digits only: keep them rather than collapse to ""
    ("SQ *", "sq"),
])
def test_the_key_is_never_empty_for_a_name_with_content(name, expected):
    assert merchant_key(name, city="Berlin") == expected


def test_a_blank_name_has_a_blank_key():
    assert merchant_key("") == ""
    assert merchant_key("  ") == ""
