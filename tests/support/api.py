"""Calling the app API in tests: over HTTP (a gunicorn instance) or in-process (Flask's test
client on an app made with the test settings), with one interface, and the sign-up/login
steps most tests start with."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from flask import Flask

from service.app import create_app
from service.bootstrap import runtime
from service.settings import Settings

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]

    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


class Api(Protocol):
    def call(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
             token: str | None = None, headers: Mapping[str, str] | None = None, data: bytes | None = None,
             address: str | None = None) -> Answer: ...


def _headers(token: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(headers or {})
    if token is not None:
        merged["Authorization"] = f"Bearer {token}"
    return merged


class HttpApi:
    """A running instance (gunicorn); `address` cannot be chosen (it is 127.0.0.1)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
             token: str | None = None, headers: Mapping[str, str] | None = None, data: bytes | None = None,
             address: str | None = None) -> Answer:
        assert address is None, "HTTP calls come from 127.0.0.1"
        response = self.http.request(method, f"{self.base_url}{path}", json=json, params=params, data=data,
                                     headers=_headers(token, headers), timeout=30)
        body = response.json() if response.content else None
        return Answer(response.status_code, body, response.headers)


class InProcessApi:
    """Flask's test client: `address` sets the peer address the app sees (REMOTE_ADDR)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()

    def call(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
             token: str | None = None, headers: Mapping[str, str] | None = None, data: bytes | None = None,
             address: str | None = None) -> Answer:
        response = self.client.open(path, method=method, json=json, query_string=params, data=data,
                                    headers=_headers(token, headers),
                                    environ_base={"REMOTE_ADDR": address or "127.0.0.1"})
        body = response.get_json(silent=True) if response.data else None
        return Answer(response.status_code, body, response.headers)


@contextlib.contextmanager
def in_process(settings: Settings) -> Iterator[InProcessApi]:
    """The api instance's app in this process (real Cassandra and RabbitMQ); closed after."""
    app = create_app(settings, "api", configure_logging=False, publisher_pool_size=2)
    try:
        yield InProcessApi(app)
    finally:
        runtime(app).close()


def sign_up(api: Api, time_zone: str = "UTC", email: str | None = None) -> tuple[uuid.UUID, str]:
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    answer = api.call("POST", "/users", json={"email": email, "password": PASSWORD, "name": "Test User",
                                              "time_zone": time_zone})
    assert answer.status == 201, answer.body
    return uuid.UUID(answer.body["user_id"]), email


def log_in(api: Api, email: str, password: str = PASSWORD) -> str:
    answer = api.call("POST", "/auth/login", json={"email": email, "password": password})
    assert answer.status == 200, answer.body
    return str(answer.body["token"])


def new_session(api: Api, time_zone: str = "UTC") -> tuple[uuid.UUID, str, str]:
    """A new user, logged in: (user_id, email, token)."""
    user_id, email = sign_up(api, time_zone)
    return user_id, email, log_in(api, email)
