"""The user's profile and bank accounts: GET /me, DELETE /me (erase), POST /me/accounts,
DELETE /me/accounts/{partner_id}/{account_number} (docs/api.md)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, Response, current_app, g
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from service.api import answers, parsing
from service.api.bearer import current_user_id, require_user
from service.banks.client import BankError, BankUnavailable, UnknownLinkCode
from service.bootstrap import runtime
from service.http.errors import ApiError, unavailable
from service.http.responses import send
from service.users import profile as profiles
from service.users.erasure import TooManyAttempts, UserGone, WrongPassword
from service.users.link_codes import UnknownPartner, UserErased, link_with_code
from service.users.linking import AccountTaken, forget_account, unlink_account

blueprint = Blueprint("me", __name__)
blueprint.before_request(require_user)
log = logging.getLogger("tally.api")
RETRY_AFTER_SECONDS = "5"


class LinkRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    partner_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
    link_code: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


@blueprint.get("/me")
def me() -> ResponseReturnValue:
    rt = runtime(current_app)
    found = profiles.profile(rt.users(), rt.accounts(), current_user_id())
    if found is None:
        raise ApiError(401, "the token's user no longer exists", error="invalid_token")
    return send(answers.profile(found))


class EraseRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    password: Annotated[str, Field(max_length=1024)]


@blueprint.delete("/me")
def erase() -> ResponseReturnValue:
    rt = runtime(current_app)
    given = parsing.body(EraseRequest)
    try:
        done = rt.erasure().erase_with_password(current_user_id(), given.password, datetime.now(UTC))
    except UserGone:
        raise ApiError(401, "the token's user no longer exists", error="invalid_token") from None
    except TooManyAttempts as exc:
        raise ApiError(429, f"too many wrong passwords; retry in {exc.retry_after} s",
                       headers={"Retry-After": str(exc.retry_after)}) from None
    except WrongPassword:
        raise ApiError(403, "the password is wrong", error="wrong_password") from None
    log.info("user erased", extra={"request_id": g.request_id, "transactions": done.transactions,
                                   "accounts": done.accounts, "sessions": done.sessions})
    return Response(status=204)


@blueprint.post("/me/accounts")
def link() -> ResponseReturnValue:
    rt = runtime(current_app)
    given = parsing.body(LinkRequest)
    try:
        linked = link_with_code(rt.partners(), rt.bank_client(), rt.accounts(),
                                rt.link_outbox(), rt.publishers, users=rt.users(), user_id=current_user_id(),
                                partner_id=given.partner_id, link_code=given.link_code)
    except UnknownPartner:
        raise parsing.invalid("partner_id", "no such partner, or it does not link accounts",
                              error="unknown_partner") from None
    except UnknownLinkCode:
        raise parsing.invalid("link_code", "the bank does not know this code (unknown, expired or already used)",
                              error="invalid_link_code") from None
    except UserErased:
        raise ApiError(401, "the token's user no longer exists", error="invalid_token") from None
    except AccountTaken:
        raise ApiError(409, "this account is linked to another user", error="account_taken") from None
    except BankUnavailable as exc:
        raise unavailable("the bank did not answer; ask it for a new link code and try again",
                          reason=f"bank unavailable: {exc}", error="bank_unavailable") from None
    except BankError as exc:
        log.warning("bank error", extra={"request_id": g.request_id, "error": str(exc)})
        raise ApiError(502, "the bank's answer could not be used; try again later", error="bank_error") from None
    if linked.unqueued is not None:  # the link stands; the consumers' outbox sweep drains the account
        log.warning("account linked, account_linked not queued: the outbox sweep publishes it", extra={
            "request_id": g.request_id, "partner_id": linked.partner_id, "error": linked.unqueued})
    body = answers.LinkedAccount(linked.partner_id, linked.account_number, sorted(linked.card_ids))
    return send(body, 201 if linked.created else 200)


@blueprint.delete("/me/accounts/<partner_id>/<account_number>")
def unlink(partner_id: str, account_number: str) -> ResponseReturnValue:
    rt = runtime(current_app)
    if parsing.query_text("forget", "true|false", "true or false") == "true":
        done = forget_account(rt.accounts(), rt.history(), rt.changes(), user_id=current_user_id(),
                              partner_id=partner_id, account_number=account_number) is not None
    else:
        done = unlink_account(rt.accounts(), current_user_id(), partner_id, account_number)
    if not done:
        raise ApiError(404, "you have no such linked account")
    return Response(status=204)
