"""Sign-up, login, sessions and logout on the api app (in-process, real Cassandra)."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import bcrypt
import pytest
from cassandra.cluster import Session

from service.bootstrap import runtime
from service.settings import Settings
from tests.support.api import PASSWORD, InProcessApi, in_process, log_in, new_session, sign_up


@pytest.fixture(scope="module")
def api(test_settings: Settings) -> Iterator[InProcessApi]:
    with in_process(test_settings) as client:
        yield client


def test_sign_up_normalises_the_email_and_refuses_it_twice(api: InProcessApi) -> None:
    local = f"Ada.{uuid.uuid4().hex[:8]}"
    answer = api.call("POST", "/users", json={"email": f"  {local}@Example.COM ", "password": PASSWORD,
                                              "name": "Ada", "time_zone": "Europe/Berlin"})
    assert answer.status == 201, answer.body
    assert answer.body == {"user_id": answer.body["user_id"], "email": f"{local.lower()}@example.com", "name": "Ada"}
    again = api.call("POST", "/users", json={"email": f"{local.upper()}@example.com", "password": PASSWORD,
                                             "name": "Other"})
    assert again.status == 409 and again.error() == "email_taken"
    assert again.body["request_id"] == again.headers["X-Request-Id"]


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "not-an-email", "password": PASSWORD, "name": "A"}, "email"),
    ({"email": "a@example.com", "password": "short", "name": "A"}, "password"),
    ({"email": "a@example.com", "password": "x" * 73, "name": "A"}, "password"),
    ({"email": "a@example.com", "password": PASSWORD, "name": " "}, "name"),
    ({"email": "a@example.com", "password": PASSWORD, "name": "A", "time_zone": "Mars/Olympus"}, "time_zone"),
    ({"email": "a@example.com", "password": 12345678, "name": "A"}, "password"),
    ({"password": PASSWORD, "name": "A"}, "email"),
])
def test_invalid_sign_ups_are_422_naming_the_field(api: InProcessApi, body: dict, field: str) -> None:  # type: ignore[type-arg]
    answer = api.call("POST", "/users", json=body)
    assert answer.status == 422, answer.body
    assert [d["field"] for d in answer.body["details"]] == [field]
    assert answer.body["request_id"]


def test_malformed_json_is_400_and_a_non_json_body_415(api: InProcessApi) -> None:
    bad = api.call("POST", "/users", data=b'{"email": ', headers={"Content-Type": "application/json"})
    assert bad.status == 400 and bad.error() == "invalid_json"
    text = api.call("POST", "/auth/login", data=b"email=a", headers={"Content-Type": "text/plain"})
    assert text.status == 415
    array = api.call("POST", "/auth/login", json=["a"])
    assert array.status == 422


def test_login_gives_a_token_stored_only_as_its_hash_with_a_ttl(
        api: InProcessApi, session: Session, test_settings: Settings) -> None:
    user_id, email = sign_up(api)
    before = datetime.now(UTC)
    answer = api.call("POST", "/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert answer.status == 200, answer.body
    token = answer.body["token"]
    assert len(token) == 43  # token_urlsafe(32): 256 bits
    expires = datetime.fromisoformat(answer.body["expires_at"])
    assert abs((expires - before).total_seconds() - test_settings.session_ttl_seconds) < 60

    stored = session.execute("SELECT token_hash, user_id, TTL(user_id) AS ttl FROM sessions WHERE token_hash = %s",
                             (hashlib.sha256(token.encode()).digest(),)).one()
    assert stored is not None and stored.user_id == user_id
    assert 0 < stored.ttl <= test_settings.session_ttl_seconds
    assert session.execute("SELECT token_hash FROM sessions WHERE token_hash = %s", (token.encode(),)).one() is None

    me = api.call("GET", "/me", token=token)
    assert me.status == 200 and me.body["user_id"] == str(user_id)
    assert datetime.fromisoformat(me.body["last_login_at"]) >= before.replace(microsecond=0)


def test_unknown_email_and_wrong_password_get_the_same_answer(api: InProcessApi) -> None:
    _, email = sign_up(api)
    wrong = api.call("POST", "/auth/login", json={"email": email, "password": "wrong password"})
    unknown = api.call("POST", "/auth/login", json={"email": f"nobody-{uuid.uuid4().hex}@example.com",
                                                    "password": "wrong password"})
    too_long = api.call("POST", "/auth/login", json={"email": email, "password": PASSWORD + "x" * 80})
    for answer in (wrong, unknown, too_long):
        assert answer.status == 401
        assert {k: v for k, v in answer.body.items() if k != "request_id"} == {
            "error": "invalid_credentials", "message": "the email or the password is wrong"}


def test_logout_ends_that_session_only_and_bad_tokens_are_401(api: InProcessApi) -> None:
    _, email, token = new_session(api)
    second = log_in(api, email)  # another device of the same user
    assert api.call("POST", "/auth/logout", token=token).status == 204
    after = api.call("GET", "/me", token=token)
    assert after.status == 401 and after.error() == "invalid_token"
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.call("POST", "/auth/logout", token=token).status == 401
    assert api.call("GET", "/me", token=second).status == 200
    for header in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer " + "A" * 43},
                   {"Authorization": "Bearer short"}):
        answer = api.call("GET", "/me/transactions", headers=header)
        assert answer.status == 401 and answer.body["request_id"], header


def test_an_expired_token_is_401(test_settings: Settings) -> None:
    with in_process(test_settings.replace(session_ttl_seconds=2)) as short:
        _, _, token = new_session(short)
        assert short.call("GET", "/me", token=token).status == 200
        time.sleep(2.2)
        assert short.call("GET", "/me", token=token).status == 401


def test_login_at_the_default_cost_12_with_equal_timing(test_settings: Settings) -> None:
    """The one test at the production bcrypt cost: the hash is cost 12 and unknown emails take
    as long as wrong passwords (both pay one bcrypt check)."""
    with in_process(test_settings.replace(bcrypt_cost=12)) as api:
        user_id, email = sign_up(api)
        stored = runtime(api.app).users().get(user_id)
        assert stored is not None
        assert stored.password_hash.startswith("$2b$12$")
        assert bcrypt.checkpw(PASSWORD.encode(), stored.password_hash.encode())
        assert log_in(api, email)

        def timed(login_email: str) -> float:
            started = time.perf_counter()
            assert api.call("POST", "/auth/login", json={"email": login_email, "password": "nope-nope"}).status == 401
            return time.perf_counter() - started

        # Interleaved, and the fastest of each: the least disturbed by other load on the machine.
        # Skipping bcrypt for unknown emails would make the ratio ~0.01; hashing twice, ~2.
        pairs = [(timed(f"nobody-{uuid.uuid4().hex}@example.com"), timed(email)) for _ in range(4)]
        unknown, wrong = min(p[0] for p in pairs), min(p[1] for p in pairs)
        assert wrong > 0.05  # a cost-12 check really ran
        assert 0.7 < unknown / wrong < 1.4, pairs
