"""The OpenAPI document and each instance's Flask routes agree (no server needed: making an
app opens no connection). That each documented route answers on its running instance is
checked in tests/e2e/test_api_contract.py."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from service.api.openapi import document
from service.app import create_app
from service.settings import Settings

METHODS = {"get", "post", "put", "patch", "delete"}


def routes(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route: <name> and <path:name> become {name}."""
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in rule.methods or () if method.lower() in METHODS}
    return found


def documented(instance: str) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document()["paths"].items() if instance in item["x-instance"]
            for method in item if method in METHODS}


@pytest.mark.parametrize("instance", ["ingest", "api"])
def test_every_route_of_each_instance_is_documented_for_it_and_nothing_more(instance: str) -> None:
    app = create_app(Settings.from_env(bcrypt_cost=4), instance, configure_logging=False)
    assert routes(app) == documented(instance)


@pytest.mark.parametrize("instance", ["ingest", "api"])
def test_no_instance_serves_files_from_disk(instance: str) -> None:
    app = create_app(Settings.from_env(bcrypt_cost=4), instance, configure_logging=False)
    assert app.static_folder is None
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/static")]


def test_the_document_is_well_formed() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        assert item["x-instance"] and set(item["x-instance"]) <= {"ingest", "api"}, path
        for name in re.findall(r"{([a-z_]+)}", path):
            for method in set(item) & METHODS:
                assert name in {p["name"] for p in item[method].get("parameters", []) if p["in"] == "path"}, path
        for method in set(item) & METHODS:
            assert item[method]["responses"], (path, method)
    refs = set(re.findall(r"#/components/schemas/(\w+)", str(doc)))
    assert refs <= set(schemas), refs - set(schemas)
    assert doc["paths"]["/hook/transaction"]["x-instance"] == ["ingest"]
    assert doc["paths"]["/me/transactions"]["get"]["security"] == [{"bearer": []}]


NO_DATABASE = {"/livez", "/categories", "/openapi.json", "/app/", "/app/{name}"}  # the rest read Cassandra


def _operations() -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [(path, method, item[method]) for path, item in document()["paths"].items()
            for method in item if method in METHODS]


def test_every_operation_with_a_body_documents_413_415_400_and_422() -> None:
    for path, method, operation in _operations():
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)


def test_every_operation_that_reads_cassandra_documents_503_with_retry_after() -> None:
    for path, method, operation in _operations():
        if path in NO_DATABASE:
            assert "503" not in operation["responses"], (method, path)
            continue
        unavailable = operation["responses"].get("503")
        assert unavailable and "Retry-After" in unavailable.get("headers", {}), (method, path)
        assert unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_limits_are_documented_with_retry_after() -> None:
    paths = document()["paths"]
    for path in ("/users", "/auth/login"):
        assert "Retry-After" in paths[path]["post"]["responses"]["429"]["headers"], path
    login = paths["/auth/login"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    answer = document()["components"]["schemas"][login["$ref"].rsplit("/", 1)[1]]
    assert "device_token" in answer["required"]
    assert "device_token" in document()["components"]["schemas"]["Login"]["properties"]


def _objects(schema: object, schemas: dict) -> list[dict]:  # type: ignore[type-arg]
    """Every object schema reachable from `schema`, following $refs once each."""
    found: list[dict] = []  # type: ignore[type-arg]
    seen: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref and ref not in seen:
            seen.add(ref)
            walk(schemas[ref.rsplit("/", 1)[-1]])
        if node.get("type") == "object" and "properties" in node:
            found.append(node)
        for value in node.values():
            walk(value)

    walk(schema)
    return found


def test_every_answer_names_all_its_fields() -> None:
    """What the fuzz layer's response_schema_conformance holds the apps to: an answer carrying
    a field the document does not name fails, so the document cannot fall behind the code."""
    schemas = document()["components"]["schemas"]
    for path, method, operation in _operations():
        for status, answer in operation["responses"].items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if schema is None or path == "/openapi.json":
                continue
            for node in _objects(schema, schemas):
                assert node.get("additionalProperties") is False, (method, path, status, sorted(node["properties"]))


def test_every_answer_schema_is_derived_from_the_class_the_views_send() -> None:
    """One declaration: the document's answer schemas are those of service/api/answers.py (and
    the error, health and 202 bodies), so a field added to a view's answer is in the document."""
    import msgspec

    from service.api import answers
    from service.contract import Accepted
    from service.http.errors import Error
    from service.http.health import Health

    schemas = document()["components"]["schemas"]
    for cls in (*answers.SCHEMAS, Error, Health, Accepted):
        _, parts = msgspec.json.schema_components([cls], ref_template="#/components/schemas/{name}")
        for name, part in parts.items():
            part.pop("title", None)
            assert schemas[name] == part, name
            assert part["additionalProperties"] is False, name
