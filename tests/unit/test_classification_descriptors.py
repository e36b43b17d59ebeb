"""The description layer: normalisation, processor prefixes, keyword precedence and sign rules."""

from decimal import Decimal

import pytest

from service.classification.categories import CATEGORY_SLUGS
from service.classification.descriptors import (
    Reading,
    classify_description,
    keyword_index,
    normalize,
    read_description,
    split_processor,
    strip_processor_prefix,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("McDONALD'S #123", "mcdonalds 123"),
    ("Café  Crème", "cafe creme"),
    ("H&M", "h and m"),
    ("AT&T*BILL", "at and t bill"),
    ("DISNEY+", "disney plus"),
    ("SAINSBURY’S S/MKTS", "sainsburys s mkts"),
    ("ØRSTED", "orsted"),
    ("STRAßE", "strasse"),
    ("  ", ""),
])
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(("text", "rest", "hint"), [
    ("SQ *BLUE BOTTLE COFFEE", "BLUE BOTTLE COFFEE", None),
    ("TST* JOES PIZZA", "JOES PIZZA", "dining_out"),
    ("TST*JOES PIZZA", "JOES PIZZA", "dining_out"),
    ("PAYPAL *SUSHI ZEN", "SUSHI ZEN", None),
    ("PP*SUSHI ZEN", "SUSHI ZEN", None),
    ("SP * GYMSHARK", "GYMSHARK", "shopping"),
    ("ZETTLE_*TAQUERIA", "TAQUERIA", None),
    ("IZ *CAFE NERO", "CAFE NERO", None),
    ("SUMUP *KEBAB HAUS", "KEBAB HAUS", None),
    ("WL *SHOP", "SHOP", None),
    ("GOOGLE *YOUTUBE", "YOUTUBE", None),
    ("APL* ITUNES.COM/BILL", "ITUNES.COM/BILL", None),
    ("DD *DOORDASH*CHIPOTLE", "CHIPOTLE", "dining_out"),
    ("UBER *TRIP", "UBER *TRIP", None),  # the platform is the merchant: kept
    ("SQUARE ONE DELI", "SQUARE ONE DELI", None),
    ("SPAR EXPRESS", "SPAR EXPRESS", None),
])
def test_processor_prefixes(text, rest, hint):
    assert split_processor(text) == (rest, hint)
    assert strip_processor_prefix(text) == rest


@pytest.mark.parametrize(("text", "category"), [
    ("TESCO STORES 2231", "groceries"),
    ("LIDL DIENSTLEISTUNG", "groceries"),
    ("JUMBO SUPERMARKTEN 1234", "groceries"),     # Dutch plural of a place word
    ("STADTAPOTHEKE MITTE", "health"),            # compound ending in a place word
    ("BURGERMEISTER BERLIN", "dining_out"),       # compound starting with one
    ("WATERSTONES 123", "shopping"),              # a brand beats a compound
    ("SHELL 12345678", "fuel"),
    ("SHELL SEEKERS CAFE", "dining_out"),         # a place word beats a brand
    ("TESCO PETROL", "fuel"),
    ("WALMART PHARMACY", "health"),
    ("BRITISH GAS", "utilities"),                 # "gas" inside a longer brand is dropped
    ("COSTCO GAS #0123", "fuel"),
    ("OBI MARKT 0123", "housing"),                # a weak word loses to a brand
    ("MEDIA MARKT", "shopping"),
    ("UCL STUDENT FEES", "education"),            # "fees" inside "student fees" is dropped
    ("ATM FEE", "fees"),                          # fees beat cash among money words
    ("CASH ADVANCE FEE", "fees"),
    ("ATM WITHDRAWAL 0231", "cash"),
    ("CASH APP*JOHN D", "transfers"),
    ("UBER *EATS PENDING", "dining_out"),         # the longer brand wins
    ("UBER *TRIP HELP.UBER.COM", "transport"),
    ("AMZN Mktp DE*2K4LL0", "shopping"),
    ("NETFLIX.COM 866-579-7172", "entertainment"),
    ("DISNEY+ 888-905-7888", "entertainment"),
    ("HOMEDEPOT.COM 1234", "housing"),            # a brand written as one word
    ("TST* UNKNOWN 0042", "dining_out"),          # only the processor's hint
    ("HERTZ RENT-A-CAR", "travel"),
    ("RENT PAYMENT OAK APARTMENTS", "housing"),
    ("CITY OF CHICAGO PARKING TICKET", "fees"),
    ("PARKING CITY OF AUSTIN", "transport"),
    ("GEICO AUTO INSURANCE", "services"),
    ("RED CROSS DONATION", "other"),
])
def test_keywords(text, category):
    assert classify_description(text) == category


@pytest.mark.parametrize("text", ["POS PURCHASE 0428", "CHECKCARD 0412 XYZ123", "SQ *MISC 12345", ""])
def test_words_that_say_nothing_give_none(text):
    assert classify_description(text) is None


def test_income_words_count_only_for_money_in():
    assert classify_description("PAYROLL ACME CORP", Decimal("2500.00")) == "income"
    assert classify_description("PAYROLL ACME CORP", None) == "income"
    assert classify_description("PAYROLL ACME CORP", Decimal("-2500.00")) is None
    assert classify_description("ADP PAYROLL FEES", Decimal("-45")) == "fees"


def test_interest_is_income_when_received_and_a_fee_otherwise():
    assert classify_description("INTEREST PAYMENT", Decimal("12.34")) == "income"
    assert classify_description("INTEREST PAYMENT", Decimal("-12.34")) == "fees"
    assert classify_description("INTEREST PAYMENT", None) == "fees"


def test_a_refund_keeps_the_merchant_category():
    assert classify_description("AMAZON.COM REFUND", Decimal("24.99")) == "shopping"
    assert classify_description("TESCO STORES REFUND", Decimal("12.99")) == "groceries"


def test_keywords_match_whole_words_only():
    assert classify_description("BARNES") is None       # not "bar"
    assert classify_description("TAXIDERMY") is None   # not "taxi" (too short for a compound)
    assert classify_description("COFFEE") == "dining_out"
    assert classify_description("FEE") == "fees"


def test_the_keyword_file_loads_and_covers_every_category():
    categories = {keyword.category for keywords in keyword_index().values() for keyword in keywords}
    assert categories == CATEGORY_SLUGS
    assert len({id(k) for ks in keyword_index().values() for k in ks}) > 1000


@pytest.mark.parametrize(("text", "category"), [
    ("MONTHLY MAINTENANCE FEE", "fees"),
    ("FRAIS TENUE DE COMPTE", "fees"),
    ("KONTOFUEHRUNGSENTGELT", "fees"),              # German compound ending in a fee word
    ("JAHRESGEBUEHR KREDITKARTE", "fees"),
    ("DISPOZINSEN", "fees"),
    ("PLANET FITNESS CLUB FEES", "health"),         # a fee word yields to the merchant named
    ("PARKING FEE CITY", "transport"),
    ("TICKETMASTER SERVICE FEE", "entertainment"),
    ("REVOLUT FEE", "fees"),                        # ... but not to a bank or money service
    ("OVERDRAFT FEE PLANET FITNESS", "fees"),       # bank charges that name themselves always win
])
def test_fee_words(text, category):
    assert classify_description(text, Decimal("-10")) == category


def test_money_words_count_only_at_the_end_of_a_longer_word():
    assert classify_description("INTERESTING TIMES", Decimal("-10")) is None
    assert classify_description("WITHDRAWN", Decimal("-10")) is None


@pytest.mark.parametrize(("text", "category"), [
    ("UEBERWEISUNG AN MAX MUSTERMANN", "transfers"),  # a way of paying, nobody else named
    ("TRANSFER TO SAVINGS 1234", "transfers"),
    ("TRANSFERWISE TRANSFER", "transfers"),            # a money service named: still a transfer
    ("SEPA UEBERWEISUNG VODAFONE GMBH", "utilities"),  # the payee named decides
    ("DAUERAUFTRAG MIETE", "housing"),
    ("VIREMENT LOYER", "housing"),
    ("CARD PAYMENT TO TESCO STORES", "groceries"),
    ("VERIZON AUTOPAY", "utilities"),
    ("TOP UP", "transfers"),
    ("VODAFONE TOP UP", "utilities"),                  # "top up" is weak: the phone bill
])
def test_ways_of_paying_yield_to_the_payee_named(text, category):
    assert classify_description(text, Decimal("-50")) == category


@pytest.mark.parametrize(("text", "category"), [
    ("APPLE.COM/BILL", "entertainment"),            # a billing platform alone ...
    ("APPLE.COM/BILL ICLOUD", "services"),          # ... yields to what it billed for
    ("MICROSOFT*365 PERSONAL", "services"),
    ("MICROSOFT*XBOX GAME PASS", "entertainment"),
    ("PUBLIC STORAGE 21044", "housing"),            # self storage is housing
    ("GOOGLE STORAGE", "services"),
    ("COUNCIL TAX BRISTOL", "housing"),             # taxes on the home are housing
    ("BRIGHT HORIZONS CHILDCARE", "services"),      # childcare is services ...
    ("KINDERGARTEN ST MARY", "education"),          # ... kindergarten is school
    ("BARNES & NOBLE COLLEGE 1203", "education"),   # campus bookstores are education
    ("WATERSTONES 123", "shopping"),
])
def test_conventions(text, category):
    assert classify_description(text, Decimal("-10")) == category


def test_read_description_reports_the_deciding_kind_and_any_processor():
    assert read_description("WALMART #12") == Reading("groceries", "mixed", False)
    assert read_description("SQ *JAMES K") == Reading(None, None, True)
    assert read_description("CHECKOUT.COM*7H2K9") == Reading(None, None, True)
    assert read_description("SP NORDIC KNIT CO") == Reading("shopping", "hint", True)
    assert read_description("UNITED 0162345678") == Reading("travel", "ticket", False)


def test_classifying_prefixes_do_not_change_the_merchant_key_prefixes():
    # PROCESSORS are merchant_key()'s stored format; the extra ones only help classifying.
    assert strip_processor_prefix("CHECKOUT.COM*7H2K9") == "CHECKOUT.COM*7H2K9"
    assert strip_processor_prefix("SP NORDIC KNIT CO") == "SP NORDIC KNIT CO"
