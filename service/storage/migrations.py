"""`tally migrate`, the Cassandra half: the keyspace, then the numbered `.cql` files in order,
each recorded in `schema_migrations` once applied.

The files are cassandra/*.cql. An installed wheel carries them as the package data of
`service.schema` (setup.py maps the folder there; cassandra/ itself is never a Python package,
it would shadow the driver); a source checkout, editable installs included, reads the folder
itself. TALLY_SCHEMA_DIR names another folder. No schema file at all is an error, never
"0 applied".

Two runs at once are serialised by a lightweight-transaction lock (a row with a TTL, so a
crashed run cannot hold it forever); the second run waits, then finds nothing to do.
Every DDL statement is followed by a wait for schema agreement. A failing statement stops
the run with the file name and the server's message, and that file is not recorded.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from cassandra.cluster import Session

from service.settings import REPO_ROOT, Settings

log = logging.getLogger("tally.migrate")

FILE_PATTERN = re.compile(r"^(\d{3,})_[A-Za-z0-9_]+\.cql$")
LOCK_TTL_SECONDS = 600
LOCK_WAIT_SECONDS = 300

BOOTSTRAP = (
    """CREATE TABLE IF NOT EXISTS schema_migrations (
           version int PRIMARY KEY, name text, checksum text, applied_at timestamp)""",
    """CREATE TABLE IF NOT EXISTS schema_migrations_lock (
           name text PRIMARY KEY, owner text, acquired_at timestamp)""",
)


class MigrationError(RuntimeError):
    """A schema file could not be applied; the message names the file and the server error."""


@dataclass(frozen=True)
class SchemaFile:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def statements(self) -> list[str]:
        """The file's statements: `--` comments dropped, split at the `;` that ends a line."""
        lines = [re.sub(r"--.*$", "", line) for line in self.text.splitlines()]
        body = "\n".join(lines)
        return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


@dataclass
class MigrationReport:
    keyspace: str
    applied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # applied files whose text changed since


def schema_folder(directory: str = "") -> Traversable:
    """TALLY_SCHEMA_DIR when set; else the installed package data, or the checkout's cassandra/."""
    if directory:
        return Path(directory)
    try:
        return resources.files("service.schema")
    except ModuleNotFoundError:  # a source checkout: the folder is not a package there
        return REPO_ROOT / "cassandra"


def schema_files(directory: str | Path = "") -> list[SchemaFile]:
    """The numbered files in order; MigrationError when the folder is missing, holds none, or
    two share a number."""
    folder = schema_folder(str(directory))
    if not folder.is_dir():
        raise MigrationError(f"schema folder {folder} does not exist (TALLY_SCHEMA_DIR)")
    files = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        match = FILE_PATTERN.match(entry.name)
        if match:
            files.append(SchemaFile(int(match.group(1)), entry.name, entry.read_text()))
    if not files:
        raise MigrationError(f"no schema files (NNN_name.cql) in {folder}")
    versions = [f.version for f in files]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two schema files in {folder} share a number: {sorted(versions)}")
    return files


def migrate(settings: Settings, session: Session, say: Callable[[str], None] = log.info) -> MigrationReport:
    """Creates the keyspace and applies the pending schema files. `session` may have no keyspace."""
    keyspace = settings.keyspace
    _execute_ddl(session, f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = "
                          f"{_cql_map(settings.keyspace_replication)}")
    session.set_keyspace(keyspace)
    for ddl in BOOTSTRAP:
        _execute_ddl(session, ddl)
    files = schema_files(settings.schema_dir)
    report = MigrationReport(keyspace)
    owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    _acquire_lock(session, owner, say)
    try:
        applied = {row.version: row for row in session.execute(
            "SELECT version, name, checksum FROM schema_migrations")}
        for schema_file in files:
            done = applied.get(schema_file.version)
            if done is not None:
                report.already.append(schema_file.name)
                if done.checksum != schema_file.checksum:
                    report.changed.append(schema_file.name)
                continue
            _apply(session, schema_file)
            report.applied.append(schema_file.name)
            say(f"applied {schema_file.name}")
    finally:
        session.execute("DELETE FROM schema_migrations_lock WHERE name = 'migrate' IF owner = %s", (owner,))
    return report


def _apply(session: Session, schema_file: SchemaFile) -> None:
    for statement in schema_file.statements():
        try:
            _execute_ddl(session, statement)
        except Exception as exc:  # noqa: BLE001 - any server error stops the run, named
            raise MigrationError(f"{schema_file.name}: {type(exc).__name__}: {exc}") from exc
    session.execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (%s, %s, %s, %s)",
        (schema_file.version, schema_file.name, schema_file.checksum, datetime.now(UTC)))


def _execute_ddl(session: Session, statement: str) -> None:
    session.execute(statement, timeout=60)
    if not session.cluster.control_connection.wait_for_schema_agreement(wait_time=60):
        raise MigrationError(f"no schema agreement within 60 s after: {statement[:80]}")


def _acquire_lock(session: Session, owner: str, say: Callable[[str], None]) -> None:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    announced = False
    while True:
        row = session.execute(
            "INSERT INTO schema_migrations_lock (name, owner, acquired_at) VALUES ('migrate', %s, %s) "
            "IF NOT EXISTS USING TTL %s", (owner, datetime.now(UTC), LOCK_TTL_SECONDS)).one()
        if row.applied:
            return
        if not announced:
            say(f"waiting for the migration lock held by {row.owner}")
            announced = True
        if time.monotonic() > deadline:
            raise MigrationError(f"the migration lock is still held by {row.owner} after {LOCK_WAIT_SECONDS} s")
        time.sleep(0.5)


def _cql_map(values: dict[str, object]) -> str:
    def literal(value: object) -> str:
        return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
    return "{" + ", ".join(f"'{k}': {literal(v)}" for k, v in values.items()) + "}"
