"""The MCC table covers every ISO 18245 code of the shared list, each with a real category, and
the groups land where the design (and service/classification/data/README.md) says."""

import csv
from importlib import resources
from pathlib import Path

import pytest

from service.classification.categories import CATEGORY_SLUGS
from service.classification.mcc import (
    CATCH_ALL_MCCS,
    FINANCIAL_MCCS,
    WEAK_MCCS,
    category_for_mcc,
    is_catch_all_mcc,
    is_financial_mcc,
    is_weak_mcc,
    mcc_table,
    normalize_mcc,
)

# The ISO 18245 list the table must cover, kept in the repository so this check runs on every clone.
SHARED_MCC_LIST = Path(__file__).resolve().parents[1] / "data" / "mcc_codes.csv"


def _table_rows() -> list[dict[str, str]]:
    text = resources.files("service").joinpath("data", "mcc_categories.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_the_table_holds_exactly_981_distinct_four_digit_codes():
    rows = _table_rows()
    codes = [row["mcc"] for row in rows]
    assert len(codes) == 981
    assert len(set(codes)) == 981
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(mcc_table()) == 981


def test_every_code_maps_to_a_valid_category_and_keeps_its_description():
    for row in _table_rows():
        assert row["category"] in CATEGORY_SLUGS, row
        assert row["description"].strip(), row


def test_the_table_has_the_same_codes_as_the_shared_mcc_list():
    with SHARED_MCC_LIST.open(encoding="utf-8") as stream:
        shared = {row["mcc"] for row in csv.DictReader(stream)}
    assert set(mcc_table()) == shared


@pytest.mark.parametrize(("low", "high", "category"), [
    (3000, 3299, "travel"),      # airlines
    (3351, 3441, "travel"),      # car rental: trips, not daily transport
    (3501, 3999, "travel"),      # hotels
    (1520, 1799, "housing"),     # contractors
    (8011, 8099, "health"),
    (8211, 8299, "education"),
    (5811, 5814, "dining_out"),
    (5815, 5818, "entertainment"),
    (5611, 5699, "shopping"),
    (7531, 7549, "transport"),
])
def test_ranges_land_in_their_category(low, high, category):
    table = mcc_table()
    in_range = {code: slug for code, slug in table.items() if low <= int(code) <= high}
    assert in_range, (low, high)
    exceptions = {"5697": "services", "5698": "personal_care"}  # tailors, wigs among clothing
    for code, slug in in_range.items():
        assert slug == exceptions.get(code, category), (code, slug)


@pytest.mark.parametrize(("code", "category"), [
    ("4511", "travel"), ("7011", "travel"), ("7512", "travel"), ("4722", "travel"),
    ("5411", "groceries"), ("5422", "groceries"), ("5441", "groceries"), ("5451", "groceries"),
    ("5462", "groceries"), ("5499", "groceries"),
    ("5812", "dining_out"), ("5813", "dining_out"), ("5814", "dining_out"),
    ("5541", "fuel"), ("5542", "fuel"), ("5983", "fuel"),
    ("4111", "transport"), ("4112", "transport"), ("4121", "transport"), ("4131", "transport"),
    ("4784", "transport"), ("4789", "transport"), ("7523", "transport"),
    ("4900", "utilities"), ("4814", "utilities"), ("4899", "utilities"),
    ("6010", "cash"), ("6011", "cash"),
    ("6012", "transfers"), ("4829", "transfers"), ("6051", "transfers"), ("6211", "transfers"),
    ("5311", "shopping"), ("5999", "shopping"), ("5712", "shopping"), ("5732", "shopping"),
    ("5912", "health"), ("5122", "health"), ("8062", "health"),
    ("7230", "personal_care"), ("7297", "personal_care"), ("7298", "personal_care"),
    ("5977", "personal_care"),
    ("8220", "education"), ("8351", "services"), ("4225", "housing"),
    ("9311", "fees"), ("9222", "fees"), ("9211", "fees"), ("9399", "fees"),
    ("6300", "services"), ("6381", "services"), ("5960", "services"), ("0742", "services"),
    ("9402", "services"), ("8111", "services"),
    ("7832", "entertainment"), ("7841", "entertainment"), ("7922", "entertainment"),
    ("7991", "entertainment"), ("7995", "entertainment"), ("7999", "entertainment"),
    ("6513", "housing"), ("5200", "housing"), ("5251", "housing"),
    ("8398", "other"), ("8661", "other"),
])
def test_spot_checks(code, category):
    assert category_for_mcc(code) == category


def test_no_code_maps_to_income():
    assert "income" not in set(mcc_table().values())


@pytest.mark.parametrize("value", [None, "", "   ", "abcd", "12345", "54 11", "٥٤١١"])
def test_missing_or_malformed_codes_have_no_category(value):
    assert category_for_mcc(value) is None


def test_unknown_but_well_formed_codes_have_no_category():
    assert category_for_mcc("0001") is None
    assert category_for_mcc("9999") is None


def test_codes_are_normalised_to_four_digits():
    assert normalize_mcc("742") == "0742"
    assert normalize_mcc(" 5411 ") == "5411"
    assert category_for_mcc("742") == "services"


def test_weak_codes_are_real_codes_and_recognised_in_any_spelling():
    assert set(mcc_table()) >= WEAK_MCCS
    assert {"5311", "5999", "6012", "4829", "7399", "7512", "8999"} <= WEAK_MCCS
    assert is_weak_mcc(" 5999")
    assert not is_weak_mcc("5411")
    assert not is_weak_mcc(None)


def test_financial_and_catch_all_codes_are_real_codes_of_their_kind():
    table = mcc_table()
    assert {table[code] for code in FINANCIAL_MCCS} == {"cash", "transfers"}
    assert CATCH_ALL_MCCS <= WEAK_MCCS
    assert {"5942", "9311"} <= WEAK_MCCS
    assert is_financial_mcc("6011") and not is_financial_mcc("5411")
    assert is_catch_all_mcc("5999") and not is_catch_all_mcc("5311") and not is_catch_all_mcc(None)
