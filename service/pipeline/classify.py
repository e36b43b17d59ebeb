"""The classification step of the pipeline, pluggable: anything with `classify(subjects)`.

`LocalLayers` uses only what is in the transaction and the user's rules (user_rule > mcc >
description > fallback); `WithMerchantLookup` (service.pipeline.enrichment) puts the
merchant-lookup API in front of them and marks what it could not answer in time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from service.classification.classifier import Classification, classify
from service.contract import Transaction


@dataclass(frozen=True)
class Subject:
    transaction: Transaction
    user_id: uuid.UUID
    merchant_key: str
    user_rule: str | None  # the user's category for this merchant, if they made a rule


@dataclass(frozen=True)
class Decision:
    classification: Classification
    enrich_later: bool = False  # the merchant API did not answer in time: ask again later


class ClassificationStep(Protocol):
    def classify(self, subjects: Sequence[Subject]) -> list[Decision]: ...


class LocalLayers:
    """Every layer that needs no network: the user's rule, the MCC, the descriptor."""

    def classify(self, subjects: Sequence[Subject]) -> list[Decision]:
        return [Decision(classify_locally(s)) for s in subjects]


def classify_locally(subject: Subject, merchant_api: str | None = None) -> Classification:
    t = subject.transaction
    return classify(mcc=t.merchant.mcc, merchant_name=t.merchant.name, description=t.description,
                    amount=t.amount_decimal, user_rule=subject.user_rule, merchant_api=merchant_api)
