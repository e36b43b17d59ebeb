"""Every answer of both instances is JSON in the error shape or deliberately bodiless (204) —
but the web app's page, HTML under a Content-Security-Policy —
carries `X-Content-Type-Options: nosniff`, and what is about one user (`/me…`, `/auth/…`,
`/users`) carries `Cache-Control: no-store`, errors included. No /static route, no HTML
redirect, and OPTIONS is a bodiless 204 with Allow."""

from __future__ import annotations

import re

import pytest
import requests

from service.api.openapi import document
from tests.support.api import PASSWORD, HttpApi, new_session
from tests.support.stack import AppProcess

METHODS = {"get", "post", "put", "patch", "delete"}
PRIVATE = re.compile(r"^/(me|auth|users)(/|$)")


def _calls() -> list[tuple[str, str]]:
    """Every documented operation and OPTIONS on its path, plus paths no route serves."""
    calls = [(method.upper(), re.sub(r"{[a-z_]+}", "x1", path))
             for path, item in document()["paths"].items() for method in item if method in METHODS]
    calls += [("OPTIONS", path) for _, path in calls]
    return calls + [("GET", "/static/x"), ("GET", "/static/app.js"), ("GET", "/me//rules"), ("GET", "//livez"),
                    ("GET", "/no-such-page"), ("PUT", "/users"), ("OPTIONS", "/no-such-page")]


def _assert_hygienic(response: requests.Response, path: str) -> None:
    what = (response.request.method, path, response.status_code, response.text[:200])
    assert response.headers["X-Content-Type-Options"] == "nosniff", what
    if PRIVATE.match(path):
        assert response.headers["Cache-Control"] == "no-store", what
    if response.status_code == 204:
        assert response.content == b"" and "Content-Type" not in response.headers, what
        return
    if path == "/app/" and response.status_code == 200:  # the web app's page: HTML, under its policy
        assert response.headers["Content-Type"] == "text/html; charset=utf-8", what
        assert "default-src 'none'" in response.headers["Content-Security-Policy"], what
        return
    assert response.headers["Content-Type"] == "application/json", what
    body = response.json()
    if response.status_code >= 300:
        assert {"error", "message", "request_id"} <= set(body), what
        assert body["request_id"] == response.headers["X-Request-Id"], what


@pytest.mark.parametrize("instance", ["api", "ingest"])
def test_every_answer_is_json_or_bodiless_and_carries_the_hygiene_headers(
        instance: str, request: pytest.FixtureRequest) -> None:
    app: AppProcess = request.getfixturevalue(instance)
    for method, path in _calls():
        # no token and no body: errors of every kind (401, 404, 405, 415…) and the open routes
        response = requests.request(method, f"{app.url}{path}", timeout=10, allow_redirects=False)
        _assert_hygienic(response, path)


def test_answers_about_a_user_are_no_store_when_they_succeed_too(api: AppProcess) -> None:
    http = HttpApi(api.url or "")
    _, email, token = new_session(http)
    auth = {"Authorization": f"Bearer {token}"}
    for method, path, body in (("POST", "/auth/login", {"email": email, "password": PASSWORD}),
                               ("GET", "/me", None), ("GET", "/me/transactions", None), ("GET", "/me/rules", None),
                               ("GET", "/me/summary", None), ("POST", "/auth/logout", None)):
        response = requests.request(method, f"{api.url}{path}", json=body, headers=auth, timeout=10)
        assert response.status_code in (200, 204), (path, response.text)
        _assert_hygienic(response, path)
    open_route = requests.get(f"{api.url}/categories", timeout=10)
    assert open_route.status_code == 200 and "Cache-Control" not in open_route.headers


@pytest.mark.parametrize("instance", ["api", "ingest"])
def test_options_is_a_bodiless_204_with_allow(instance: str, request: pytest.FixtureRequest) -> None:
    app: AppProcess = request.getfixturevalue(instance)
    path = {"api": "/users", "ingest": "/hook/transaction"}[instance]
    response = requests.options(f"{app.url}{path}", timeout=10)
    assert response.status_code == 204 and response.content == b""
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
