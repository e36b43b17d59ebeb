"""Classifier accuracy on a labelled set: the product metric of docs/design.md, "Categories".

The set is CSV with the header `descriptor,mcc,expected` and an optional `amount` column
(signed, negative = money out). The merchant-lookup API is never consulted: the figure measures
Tally's own layers, with the MCC (`use_mcc=True`) or from the descriptor alone.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from service.classification.categories import CATEGORIES, CATEGORY_BY_SLUG, is_category
from service.classification.classifier import Classification, classify
from service.classification.mcc import normalize_mcc

REQUIRED_COLUMNS = ("descriptor", "mcc", "expected")
HEADER_HINT = "descriptor,mcc,expected[,amount]"


class LabeledSetError(ValueError):
    """The labelled set cannot be used; the message starts with `source:line:`."""


@dataclass(frozen=True)
class LabeledExample:
    line: int
    descriptor: str
    mcc: str | None
    expected: str
    amount: Decimal | None


@dataclass(frozen=True)
class Miss:
    example: LabeledExample
    predicted: Classification


@dataclass(frozen=True)
class EvaluationReport:
    """Counts of (expected, predicted) pairs and the misclassified examples."""

    use_mcc: bool
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: tuple[Miss, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.confusion.values())

    @property
    def correct(self) -> int:
        return sum(n for (expected, predicted), n in self.confusion.items() if expected == predicted)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def categories(self) -> list[str]:
        """Slugs that occur as expected or predicted, in taxonomy order."""
        seen = {slug for pair in self.confusion for slug in pair}
        return [category.slug for category in CATEGORIES if category.slug in seen]

    def precision(self, slug: str) -> float | None:
        """Share of predictions of `slug` that were right; None if never predicted."""
        predicted = sum(n for (_, p), n in self.confusion.items() if p == slug)
        return self.confusion[(slug, slug)] / predicted if predicted else None

    def recall(self, slug: str) -> float | None:
        """Share of examples labelled `slug` predicted as such; None if none labelled."""
        expected = sum(n for (e, _), n in self.confusion.items() if e == slug)
        return self.confusion[(slug, slug)] / expected if expected else None


def read_labeled(lines: Iterable[str], source: str) -> list[LabeledExample]:
    """The examples of a labelled CSV given as lines of text. Raises LabeledSetError naming
    `source` and the line for a missing column, an unknown expected category, a malformed mcc
    or amount, an empty descriptor, a row with more fields than the header, or a set with no examples."""
    reader = csv.DictReader(lines)
    columns = reader.fieldnames
    if not columns:
        raise LabeledSetError(f"{source}:1: empty file, expected the header {HEADER_HINT}")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise LabeledSetError(f"{source}:1: missing column {', '.join(missing)} (header {HEADER_HINT})")
    examples = [_example(row, f"{source}:{reader.line_num}", reader.line_num) for row in reader]
    if not examples:
        raise LabeledSetError(f"{source}:2: no examples after the header")
    return examples


def _example(row: dict[str | None, str], where: str, line: int) -> LabeledExample:
    if row.get(None):  # DictReader puts fields beyond the header under the key None
        raise LabeledSetError(f"{where}: more fields than the header has "
                              "(a decimal comma? quote the field or use a point)")
    descriptor = (row["descriptor"] or "").strip()
    if not descriptor:
        raise LabeledSetError(f"{where}: empty descriptor")
    expected = (row["expected"] or "").strip()
    if not is_category(expected):
        raise LabeledSetError(f"{where}: unknown expected category {expected!r}")
    mcc_text = (row["mcc"] or "").strip()
    mcc = normalize_mcc(mcc_text) if mcc_text else None
    if mcc_text and mcc is None:
        raise LabeledSetError(f"{where}: bad mcc {mcc_text!r}, expected up to 4 digits or empty")
    return LabeledExample(line, descriptor, mcc, expected, _amount(row.get("amount"), where))


def _amount(text: str | None, where: str) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise LabeledSetError(f"{where}: bad amount {text!r}, expected a number such as -12.50")
    return amount


def evaluate(examples: Iterable[LabeledExample], *, use_mcc: bool = True) -> EvaluationReport:
    """Classify every example (merchant API off) and count outcomes."""
    confusion: Counter[tuple[str, str]] = Counter()
    misses: list[Miss] = []
    for example in examples:
        result = classify(mcc=example.mcc, merchant_name="", description=example.descriptor,
                          amount=example.amount, use_mcc=use_mcc)
        confusion[(example.expected, result.category)] += 1
        if result.category != example.expected:
            misses.append(Miss(example, result))
    return EvaluationReport(use_mcc, confusion, tuple(misses))


def format_report(report: EvaluationReport, source: str, *, show_misses: bool = False) -> str:
    """The accuracy line, the confusion table (rows expected, columns predicted, only
    categories that occur), per-category precision and recall and, optionally, the misses."""
    mode = "MCC used" if report.use_mcc else "MCC ignored (--no-mcc)"
    lines = [
        f"{source}: {report.total} examples, {mode}, merchant API off",
        f"accuracy: {report.correct}/{report.total} = {_percent(report.accuracy)}",
        "",
        "confusion (rows: expected, columns: predicted)",
        *_confusion_rows(report),
        "",
        f"{'category':<15}{'n':>5}{'precision':>11}{'recall':>9}",
        *_score_rows(report),
    ]
    if show_misses and report.misses:
        lines += ["", "misses (line: descriptor [mcc] expected -> predicted by source)"]
        lines += [_miss_row(miss, source) for miss in report.misses]
    return "\n".join(lines)


def _confusion_rows(report: EvaluationReport) -> list[str]:
    slugs = report.categories()
    width = max(len(CATEGORY_BY_SLUG[slug].short) for slug in slugs) + 1
    header = f"{'':<15}" + "".join(f"{CATEGORY_BY_SLUG[slug].short:>{width}}" for slug in slugs)
    rows = [header]
    for expected in slugs:
        cells = (report.confusion[(expected, predicted)] or "." for predicted in slugs)
        rows.append(f"{expected:<15}" + "".join(f"{cell:>{width}}" for cell in cells))
    return rows


def _score_rows(report: EvaluationReport) -> list[str]:
    rows = []
    for slug in report.categories():
        labelled = sum(n for (expected, _), n in report.confusion.items() if expected == slug)
        rows.append(f"{slug:<15}{labelled:>5}{_percent(report.precision(slug)):>11}"
                    f"{_percent(report.recall(slug)):>9}")
    return rows


def _miss_row(miss: Miss, source: str) -> str:
    example, predicted = miss.example, miss.predicted
    return (f"{source}:{example.line}: {example.descriptor} [{example.mcc or '-'}] "
            f"{example.expected} -> {predicted.category} by {predicted.source}")


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"
