"""classify(): the layer order of docs/design.md, "Categories", the weak-MCC rule, and the recorded source."""

from decimal import Decimal

import pytest

from service.classification import Classification, classify
from service.classification.categories import SOURCE_CONFIDENCE


def _classify(**overrides) -> Classification:
    arguments = {"mcc": None, "merchant_name": "", "description": None}
    arguments.update(overrides)
    return classify(**arguments)


def test_a_user_rule_beats_every_other_layer():
    result = _classify(user_rule="health", merchant_api="shopping", mcc="5411",
                       description="TESCO STORES")
    assert result == Classification("health", "user_rule", SOURCE_CONFIDENCE["user_rule"])


def test_the_merchant_api_beats_the_mcc_and_the_words():
    result = _classify(merchant_api="dining_out", mcc="5411", description="TESCO STORES")
    assert result == Classification("dining_out", "merchant_api", SOURCE_CONFIDENCE["merchant_api"])


def test_a_trusted_mcc_beats_the_words():
    result = _classify(mcc="5541", description="SHELL SEEKERS CAFE")
    assert (result.category, result.source) == ("fuel", "mcc")
    assert result.confidence == SOURCE_CONFIDENCE["mcc"]


def test_words_decide_when_there_is_no_mcc():
    result = _classify(description="SHELL 12345678")
    assert (result.category, result.source) == ("fuel", "description")
    assert result.confidence == SOURCE_CONFIDENCE["description"]


def test_unknown_mcc_falls_through_to_the_words():
    assert _classify(mcc="0001", description="TESCO").source == "description"


def test_nothing_known_falls_back_to_other():
    result = _classify(mcc=None, merchant_name="XYZ 123", description="POS PURCHASE 0428")
    assert result == Classification("other", "fallback", SOURCE_CONFIDENCE["fallback"])


@pytest.mark.parametrize(("mcc", "description", "category"), [
    ("5311", "TARGET CAFE 1234", "dining_out"),
    ("5999", "PAYPAL *DELIVEROO", "dining_out"),
    ("6012", "REVOLUT*TOP-UP", "transfers"),
    ("4829", "PAYPAL *SPOTIFY", "entertainment"),
    ("7399", "SQ *ROCKYS BARBERSHOP", "personal_care"),
    ("8999", "H&R BLOCK", "services"),
    ("4899", "NETFLIX.COM", "entertainment"),
    ("7997", "PUREGYM LTD", "health"),
    ("5912", "ROSSMANN 1234", "personal_care"),
])
def test_words_beat_a_weak_mcc(mcc, description, category):
    result = _classify(mcc=mcc, description=description)
    assert (result.category, result.source) == (category, "description")


@pytest.mark.parametrize(("mcc", "category"), [("5311", "shopping"), ("5999", "shopping"),
                                                ("6012", "transfers"), ("4899", "utilities")])
def test_a_weak_mcc_decides_when_the_words_say_nothing(mcc, category):
    result = _classify(mcc=mcc, description="XYZ 0042")
    assert (result.category, result.source) == (category, "mcc")


def test_the_description_is_read_before_the_merchant_name():
    result = _classify(merchant_name="Tesco", description="TESCO PETROL 12")
    assert result.category == "fuel"
    result = _classify(merchant_name="Blue Bottle Coffee", description="SQ *BBC 0042")
    assert (result.category, result.source) == ("dining_out", "description")


def test_use_mcc_false_ignores_even_a_trusted_mcc():
    assert _classify(mcc="5411", description="SHELL 1234", use_mcc=False).category == "fuel"
    assert _classify(mcc="5411", description="XYZ", use_mcc=False).source == "fallback"


def test_unknown_slugs_from_upper_layers_count_as_no_answer():
    result = _classify(user_rule="Groceries", merchant_api="food", mcc="5812")
    assert (result.category, result.source) == ("dining_out", "mcc")


def test_the_amount_reaches_the_words():
    income = _classify(description="SALARY MAY ACME LTD", amount=Decimal("3200.00"))
    assert (income.category, income.source) == ("income", "description")
    outgoing = _classify(description="SALARY MAY ACME LTD", amount=Decimal("-3200.00"))
    assert outgoing.category != "income"


def test_car_sharing_on_the_car_rental_code_is_transport_and_rental_stays_travel():
    assert _classify(mcc="7512", description="SHARE NOW I4B1NE").category == "transport"
    assert _classify(mcc="7512", description="SIXT AUTOVERMIETUNG").category == "travel"
    assert _classify(mcc="7512", description="XYZ 1234") == Classification(
        "travel", "mcc", SOURCE_CONFIDENCE["mcc"])


@pytest.mark.parametrize(("mcc", "description", "category"), [
    ("6011", "ATM FEE OTHER BANK", "fees"),         # the code says "a bank", the words say "fee"
    ("6011", "NON-NETWORK ATM FEE", "fees"),
    ("6051", "TRAVELEX CURRENCY LHR T5", "cash"),   # currency bought over the counter
    ("6051", "COINBASE.COM", "transfers"),
])
def test_money_words_beat_a_financial_mcc(mcc, description, category):
    result = _classify(mcc=mcc, description=description, amount=Decimal("-3"))
    assert (result.category, result.source) == (category, "description")


def test_other_words_do_not_beat_a_financial_mcc():
    result = _classify(mcc="6010", description="CASHBACK AT TESCO LTD")
    assert result.category == "cash"
    result = _classify(mcc="6011", description="TESCO EXPRESS")
    assert (result.category, result.source) == ("cash", "mcc")


def test_a_catch_all_mcc_behind_a_processor_says_nothing():
    for mcc, description in (("5999", "SQ *JAMES K"), ("5399", "PAYPAL *HOLDINGS 4029357733"),
                             ("7399", "IZ *ACME HOLDINGS LTD"), ("5999", "CHECKOUT.COM*7H2K9")):
        result = _classify(mcc=mcc, description=description)
        assert (result.category, result.source) == ("other", "fallback"), description
    # without a processor, a specific code, or words that say something, nothing changes
    assert _classify(mcc="5999", description="XYZ 0042").category == "shopping"
    assert _classify(mcc="4829", description="PAYPAL *XYZ").category == "transfers"
    assert _classify(mcc="5814", description="SQ *XYZ").category == "dining_out"
    assert _classify(mcc="5999", description="SQ *CAFE LUNA").category == "dining_out"


def test_the_processor_may_be_in_the_merchant_name():
    result = _classify(mcc="5999", merchant_name="SQ *JAMES K", description="POS PURCHASE 0428")
    assert (result.category, result.source) == ("other", "fallback")


def test_a_mixed_retailer_asks_even_a_weak_mcc_which_counter_it_was():
    assert _classify(mcc="5311", description="WAL-MART #3287").category == "shopping"
    assert _classify(mcc="5411", description="WAL-MART #3287").category == "groceries"
    result = _classify(mcc=None, description="WAL-MART #3287")
    assert (result.category, result.source) == ("groceries", "description")
    assert _classify(mcc="5311", description="WALMART PHARMACY").category == "health"


@pytest.mark.parametrize(("mcc", "description", "category"), [
    ("5942", "BARNES & NOBLE COLLEGE 1203", "education"),  # book stores are weak
    ("5942", "CHEGG ORDER", "education"),
    ("5942", "XYZ BOOKS 12", "shopping"),
    ("9311", "COUNCIL TAX BRISTOL CC", "housing"),          # tax payments are weak
    ("9311", "IRS USATAXPYMT", "fees"),
    ("9311", "COUNTY OF XYZ 0042", "fees"),
    ("8351", "BRIGHT HORIZONS 0042", "services"),           # childcare is services
    ("4225", "PUBLIC STORAGE 21044", "housing"),            # self storage is housing
])
def test_conventions_with_the_mcc(mcc, description, category):
    assert _classify(mcc=mcc, description=description, amount=Decimal("-42")).category == category
