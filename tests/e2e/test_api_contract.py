"""The OpenAPI document against the running instances: every documented operation answers on
the instance that serves it (never a routing 404/405), and not on the other one."""

from __future__ import annotations

import re

import requests

from service.api.openapi import document
from tests.support.stack import AppProcess

METHODS = {"get", "post", "put", "patch", "delete"}
ROUTING_MESSAGES = {"no such resource", "method not allowed on this resource"}


def _operations() -> list[tuple[str, str, list[str]]]:
    return [(re.sub(r"{[a-z_]+}", "x1", path), method, item["x-instance"])
            for path, item in document()["paths"].items() for method in item if method in METHODS]


def test_every_documented_operation_answers_on_its_instance_and_only_there(
        api: AppProcess, ingest: AppProcess) -> None:
    urls = {"api": api.url, "ingest": ingest.url}
    for url in urls.values():
        served = requests.get(f"{url}/openapi.json", timeout=10)
        assert served.status_code == 200 and served.json() == document()
    for path, method, instances in _operations():
        for instance, url in urls.items():
            # no token and no body: every route answers before it looks anything up (401, 400…)
            response = requests.request(method, f"{url}{path}", timeout=10)
            if response.headers.get("Content-Type", "").startswith("text/html"):  # the web app's page
                assert (instance, path) == ("api", "/app/") and response.status_code == 200, (instance, path)
                continue
            body = response.json()
            routed = response.status_code not in (404, 405) or body.get("message") not in ROUTING_MESSAGES
            assert routed == (instance in instances), (instance, method, path, response.status_code, body)
            assert body.get("request_id") or response.status_code < 400


def test_categories_are_the_taxonomy(api: AppProcess) -> None:
    body = requests.get(f"{api.url}/categories", timeout=10).json()
    slugs = [c["slug"] for c in body["categories"]]
    assert len(slugs) == 18 and slugs[0] == "groceries" and "income" in slugs
    assert {"slug": "dining_out", "name": "Dining out"} in body["categories"]
