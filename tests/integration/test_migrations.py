"""`tally migrate` against the real Cassandra: idempotent, serialised, and loud on errors."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest

from service.settings import Settings
from service.storage.migrations import migrate, schema_files
from service.storage.session import connect, shutdown
from tests.support.stack import BIN, settings_env

BOOTSTRAP_TABLES = {"schema_migrations", "schema_migrations_lock"}


def expected_tables(schema_dir: str) -> set[str]:
    """Every table the numbered files create, plus migrate's own bookkeeping tables."""
    names = set()
    for schema_file in schema_files(schema_dir):
        names |= set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema_file.text))
    return names | BOOTSTRAP_TABLES


def _schema_snapshot(session, keyspace: str) -> tuple[list, list, list]:  # type: ignore[no-untyped-def]
    tables = sorted(tuple(r) for r in session.execute(
        "SELECT table_name, id FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,)))
    columns = sorted(tuple(r) for r in session.execute(
        "SELECT table_name, column_name, type, kind FROM system_schema.columns WHERE keyspace_name = %s",
        (keyspace,)))
    versions = sorted(tuple(r) for r in session.execute(
        f"SELECT version, name, checksum, applied_at FROM {keyspace}.schema_migrations"))
    return tables, columns, versions


@pytest.fixture
def scratch_settings(test_settings: Settings):  # type: ignore[no-untyped-def]
    """Settings for a keyspace of its own, dropped afterwards."""
    settings = test_settings.replace(keyspace=f"tally_mig_{uuid.uuid4().hex[:8]}")
    yield settings
    session = connect(settings, slow_query_log=False)
    session.execute(f"DROP KEYSPACE IF EXISTS {settings.keyspace}", timeout=60)
    shutdown(session)


def test_first_run_creates_every_table_and_second_changes_nothing(test_settings: Settings, session) -> None:  # type: ignore[no-untyped-def]
    before = _schema_snapshot(session, test_settings.keyspace)
    assert {t for t, _ in before[0]} == expected_tables(test_settings.schema_dir)
    assert {"transactions_by_user_day", "transactions_by_id", "sessions", "partners"} <= {t for t, _ in before[0]}
    assert [v[1] for v in before[2]] == [f.name for f in schema_files(test_settings.schema_dir)]

    admin = connect(test_settings, slow_query_log=False)
    try:
        report = migrate(test_settings, admin, say=lambda _: None)
    finally:
        shutdown(admin)

    assert report.applied == []
    assert len(report.already) == len(before[2])
    assert _schema_snapshot(session, test_settings.keyspace) == before


def test_two_concurrent_runs_apply_each_file_once(scratch_settings: Settings) -> None:
    env = settings_env(scratch_settings)
    runs = [subprocess.Popen([str(BIN / "tally"), "migrate", "--cassandra-only"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    applied = [line.split()[1] for out, _ in outputs for line in out.splitlines() if line.startswith("applied ")]
    names = [f.name for f in schema_files(scratch_settings.schema_dir)]
    assert sorted(applied) == sorted(names)  # every file once, across both runs

    session = connect(scratch_settings, keyspace=scratch_settings.keyspace, slow_query_log=False)
    try:
        rows = list(session.execute("SELECT version FROM schema_migrations"))
    finally:
        shutdown(session)
    assert len(rows) == len(names)


def test_broken_file_stops_with_its_name_and_the_server_error(scratch_settings: Settings, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    schema.mkdir()
    for schema_file in schema_files(scratch_settings.schema_dir):
        (schema / schema_file.name).write_text(schema_file.text)
    (schema / "900_broken.cql").write_text("CREATE TABLE IF NOT EXISTS broken (id int PRIMARY KEY, oops nosuchtype);\n")
    settings = scratch_settings.replace(schema_dir=str(schema))

    run = subprocess.run([str(BIN / "tally"), "migrate", "--cassandra-only"], env=settings_env(settings),
                         capture_output=True, text=True, timeout=240)

    assert run.returncode == 2
    assert "900_broken.cql" in run.stderr
    assert "nosuchtype" in run.stderr.lower()  # the server's own message
    assert "Traceback" not in run.stderr
    session = connect(settings, keyspace=settings.keyspace, slow_query_log=False)
    try:
        versions = {r.version for r in session.execute("SELECT version FROM schema_migrations")}
    finally:
        shutdown(session)
    assert 900 not in versions
    assert versions == {f.version for f in schema_files(scratch_settings.schema_dir)}
