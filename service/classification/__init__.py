"""Transaction classification: pure functions over package data (docs/design.md, "Categories").

`classify()` applies the layers user_rule > merchant_api > mcc > description > fallback;
`merchant_key()` normalises merchant names for the lookup cache and user rules.
"""

from service.classification.classifier import Classification, classify
from service.classification.merchant_key import merchant_key

__all__ = ["Classification", "classify", "merchant_key"]
