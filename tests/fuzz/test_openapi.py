"""Every operation of each instance, generated from its own GET /openapi.json (schemathesis):
no 500, and every answer's status, content type and body as the document declares them.
How cases are made, authenticated and signed: tests/fuzz/conftest.py."""

from __future__ import annotations

import schemathesis
from schemathesis import Case

from tests.fuzz.conftest import MIN_CASES, FuzzRun, served_by

ingest_cases = schemathesis.pytest.from_fixture("ingest_schema").include(served_by("ingest"))
api_cases = schemathesis.pytest.from_fixture("api_schema").include(served_by("api"))


@ingest_cases.parametrize()
def test_ingest_answers_as_documented(case: Case, fuzz_run: FuzzRun) -> None:
    fuzz_run.send(case)


@api_cases.parametrize()
def test_api_answers_as_documented(case: Case, fuzz_run: FuzzRun) -> None:
    fuzz_run.send(case)


def test_the_run_sent_enough_cases(fuzz_run: FuzzRun) -> None:
    assert sum(fuzz_run.cases.values()) >= MIN_CASES, fuzz_run.cases
