"""Standard Webhooks verification against any of a partner's active secrets."""

from __future__ import annotations

from collections.abc import Mapping

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.repositories.partners import Partner


class SignatureError(ValueError):
    """Why a request is not authentic; the message is safe to return to the caller."""


_MESSAGES = {
    "Message timestamp too old": "webhook-timestamp is more than 5 minutes in the past",
    "Message timestamp too new": "webhook-timestamp is more than 5 minutes in the future",
    "Missing required headers": "webhook-id, webhook-timestamp and webhook-signature are required",
    "Invalid Signature Headers": "webhook-timestamp is not a Unix time",
    "No matching signature found": "no signature matches an active secret of this partner",
}


def verify(partner: Partner, body: bytes, headers: Mapping[str, str]) -> None:
    """Raises SignatureError unless some active secret signed `body` within the time window."""
    if not partner.secrets:
        raise SignatureError("this partner has no active signing secret")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError("the body is not UTF-8, so its signature cannot be verified") from None
    lowered = {k.lower(): v for k, v in headers.items()}
    wanted = {k: lowered.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    last = "No matching signature found"
    for secret in partner.secrets:
        try:
            Webhook(secret.secret).verify(text, wanted, json_parse=False)
            return
        except WebhookVerificationError as exc:
            last = str(exc)
            if last != "No matching signature found":
                break  # header or timestamp problems are the same for every secret
        except (ValueError, TypeError):
            # A malformed signature list ("abc", bad base64) makes the library raise these.
            last = "No matching signature found"
    raise SignatureError(_MESSAGES.get(last, last))
