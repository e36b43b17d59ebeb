"""`tally eval-classifier FILE.csv [--no-mcc]`: classifier accuracy on a labelled set.

Reports; does not judge: the exit status is 0 whatever the accuracy, unless `--min-accuracy`
asks for a threshold (then 1 below it, for CI). Bad input exits 2 with `file:line: problem`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.cli.errors import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval-classifier",
        help="classifier accuracy on a labelled CSV (descriptor,mcc,expected[,amount])",
        description="Classify every row of FILE with the merchant API off and print the "
                    "accuracy, a confusion table and per-category precision and recall.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.csv")
    parser.add_argument("--no-mcc", action="store_true",
                        help="ignore the mcc column: descriptor-only accuracy")
    parser.add_argument("--min-accuracy", type=_percent, metavar="PERCENT",
                        help="exit 1 when the accuracy is below PERCENT (0-100)")
    parser.add_argument("--misses", action="store_true", help="also list every misclassified row")
    parser.set_defaults(handler=run)


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return value


def run(args: argparse.Namespace) -> int:
    from service.classification.evaluation import (
        LabeledSetError,
        evaluate,
        format_report,
        read_labeled,
    )

    source = str(args.file)
    try:
        with args.file.open(encoding="utf-8-sig", newline="") as stream:
            examples = read_labeled(stream, source)
    except FileNotFoundError:
        raise CliError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{source}: is a directory, expected a CSV file") from None
    except UnicodeDecodeError:
        raise CliError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"{source}: cannot read ({exc.strerror})") from None
    except LabeledSetError as exc:
        raise CliError(str(exc)) from None

    report = evaluate(examples, use_mcc=not args.no_mcc)
    print(format_report(report, source, show_misses=args.misses))
    if args.min_accuracy is not None and 100 * report.accuracy < args.min_accuracy:
        print(f"accuracy {100 * report.accuracy:.1f}% is below --min-accuracy {args.min_accuracy:g}%",
              file=sys.stderr)
        return 1
    return 0
