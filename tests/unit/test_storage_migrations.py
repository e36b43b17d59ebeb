"""The schema files `tally migrate` applies: found in the checkout (or a wheel's package data),
and a folder with none is an error, never "0 applied"."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.storage.migrations import MigrationError, schema_files

CHECKOUT_SCHEMA = Path(__file__).resolve().parents[2] / "cassandra"


def test_the_shipped_schema_is_every_numbered_file_of_cassandra_in_order() -> None:
    """From a checkout, or from an installed wheel (its package data)."""
    shipped = schema_files()
    assert [f.name for f in shipped] == sorted(p.name for p in CHECKOUT_SCHEMA.glob("[0-9]*.cql"))
    assert [f.text for f in shipped] == [(CHECKOUT_SCHEMA / f.name).read_text() for f in shipped]
    assert [f.version for f in shipped] == sorted(f.version for f in shipped)
    assert all("CREATE TABLE IF NOT EXISTS" in f.text for f in shipped)


def test_an_empty_or_missing_schema_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="no schema files"):
        schema_files(tmp_path)
    (tmp_path / "notes.txt").write_text("not a schema file")
    with pytest.raises(MigrationError, match="no schema files"):
        schema_files(tmp_path)
    with pytest.raises(MigrationError, match="does not exist"):
        schema_files(tmp_path / "nowhere")


def test_two_files_with_one_number_are_refused(tmp_path: Path) -> None:
    (tmp_path / "001_a.cql").write_text("CREATE TABLE IF NOT EXISTS a (id int PRIMARY KEY);")
    (tmp_path / "001_b.cql").write_text("CREATE TABLE IF NOT EXISTS b (id int PRIMARY KEY);")
    with pytest.raises(MigrationError, match="share a number"):
        schema_files(tmp_path)
