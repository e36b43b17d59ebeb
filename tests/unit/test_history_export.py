"""The CSV export's pure parts: formula cells defused, the window in the user's zone and its limits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from service.history.export import MAX_DAYS, InvalidRange, cell, window


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\r=x", "'\r=x"), ("ACME", "ACME"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_formula_cells_are_prefixed_and_others_kept(text: str | None, written: str) -> None:
    assert cell(text) == written


def test_the_window_runs_between_local_midnights_both_days_included() -> None:
    span = window("2026-03-28", "2026-03-29", ZoneInfo("Europe/Berlin"))  # DST starts on the 29th
    assert span.start == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert span.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(("first", "last", "parameter"), [
    (None, "2026-01-01", "from"), ("2026-01-01", None, "to"), ("2026-1-1", "2026-01-02", "from"),
    ("2026-02-30", "2026-03-01", "from"), ("2026-03-02", "2026-03-01", "to"), ("1970-01-01", "1970-01-02", "from"),
    ("2025-01-01", "2026-02-05", "to"),
])
def test_bad_ranges_name_the_parameter(first: str | None, last: str | None, parameter: str) -> None:
    with pytest.raises(InvalidRange) as refused:
        window(first, last, ZoneInfo("UTC"))
    assert refused.value.parameter == parameter


def test_exactly_the_maximum_is_allowed() -> None:
    span = window("2025-01-01", "2026-02-04", ZoneInfo("UTC"))
    assert (span.end - span.start).days == MAX_DAYS
