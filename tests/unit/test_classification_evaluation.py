"""The evaluation: reading the labelled CSV, its errors (file:line), the report and the
`tally eval-classifier` command."""

from pathlib import Path

import pytest

from service.classification.evaluation import (
    LabeledSetError,
    evaluate,
    format_report,
    read_labeled,
)
from service.cli.main import main

LABELED_SET = Path(__file__).parents[1] / "data" / "classifier_labeled.csv"


def _read(text: str):
    return read_labeled(text.splitlines(keepends=True), "set.csv")


def test_rows_are_read_with_their_line_numbers_and_optional_amount():
    examples = _read("descriptor,mcc,expected,amount\nTESCO,5411,groceries,-3.10\n\nSHELL,,fuel,\n")
    assert [(e.line, e.descriptor, e.mcc, e.expected) for e in examples] == [
        (2, "TESCO", "5411", "groceries"), (4, "SHELL", None, "fuel")]
    assert str(examples[0].amount) == "-3.10"
    assert examples[1].amount is None


def test_the_amount_column_is_optional_and_short_mccs_are_padded():
    [example] = _read("descriptor,mcc,expected\nVCA ANIMAL HOSPITAL,742,services\n")
    assert example.amount is None
    assert example.mcc == "0742"


@pytest.mark.parametrize(("text", "message"), [
    ("", "set.csv:1: empty file"),
    ("descriptor,expected\nTESCO,groceries\n", "set.csv:1: missing column mcc"),
    ("mcc,amount\n", "set.csv:1: missing column descriptor, expected"),
    ("descriptor,mcc,expected\n", "set.csv:2: no examples"),
    ("descriptor,mcc,expected\nTESCO,5411,groceries\nSHELL,5541,petrol\n",
     "set.csv:3: unknown expected category 'petrol'"),
    ("descriptor,mcc,expected,amount\nTESCO,5411,groceries,12,50\n",
     "set.csv:2: more fields than the header has (a decimal comma?"),
    ("descriptor,mcc,expected,amount\nTESCO,5411,groceries,abc\n", "set.csv:2: bad amount 'abc'"),
    ("descriptor,mcc,expected,amount\nTESCO,5411,groceries,NaN\n", "set.csv:2: bad amount 'NaN'"),
    ("descriptor,mcc,expected\nTESCO,54111,groceries\n", "set.csv:2: bad mcc '54111'"),
    ("descriptor,mcc,expected\n,5411,groceries\n", "set.csv:2: empty descriptor"),
    ('descriptor,mcc,expected\n"TESCO\nSTORES",5411,groceres\n', "set.csv:3: unknown expected"),
])
def test_bad_input_names_the_file_and_line(text, message):
    with pytest.raises(LabeledSetError) as error:
        _read(text)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_the_report_counts_hits_misses_precision_and_recall():
    examples = _read("descriptor,mcc,expected\nTESCO,5411,groceries\nSHELL 1,,fuel\n"
                     "XYZ,,fuel\nSHELL SEEKERS CAFE,5541,dining_out\n")
    report = evaluate(examples)
    assert (report.correct, report.total) == (2, 4)
    assert report.accuracy == 0.5
    assert report.categories() == ["groceries", "dining_out", "fuel", "other"]
    assert report.recall("fuel") == 0.5
    assert report.precision("fuel") == 0.5    # SHELL 1 right, the cafe wrongly fuel by MCC
    assert report.precision("dining_out") is None
    assert [miss.example.line for miss in report.misses] == [4, 5]
    without_mcc = evaluate(examples, use_mcc=False)
    assert without_mcc.correct == 3   # the cafe is dining out by its words


def test_the_formatted_report_shows_accuracy_confusion_and_misses():
    examples = _read("descriptor,mcc,expected\nTESCO,5411,groceries\nXYZ,,fuel\n")
    text = format_report(evaluate(examples), "set.csv", show_misses=True)
    lines = text.splitlines()
    assert lines[1] == "accuracy: 1/2 = 50.0%"
    header = next(line for line in lines if "groc" in line and "fuel" in line)
    assert header.split() == ["groc", "fuel", "other"]    # only categories that occur
    assert any(line.split() == ["groceries", "1", ".", "."] for line in lines)
    assert any(line.split() == ["fuel", ".", ".", "1"] for line in lines)
    assert "set.csv:3: XYZ [-] fuel -> other by fallback" in lines


def test_the_command_prints_the_report_and_exits_0(capsys):
    assert main(["eval-classifier", str(LABELED_SET)]) == 0
    output = capsys.readouterr().out
    assert "MCC used, merchant API off" in output
    assert "accuracy: " in output
    assert "confusion (rows: expected, columns: predicted)" in output


def test_the_labelled_set_meets_the_accuracy_targets():
    examples = read_labeled(LABELED_SET.read_text("utf-8").splitlines(keepends=True), "set")
    assert len(examples) >= 180
    assert {example.expected for example in examples} >= {"income", "transfers", "fees", "cash"}
    assert evaluate(examples).accuracy >= 0.95
    assert evaluate(examples, use_mcc=False).accuracy >= 0.75


def test_min_accuracy_turns_a_low_figure_into_exit_1(capsys):
    assert main(["eval-classifier", str(LABELED_SET), "--no-mcc", "--min-accuracy", "100"]) == 1
    assert "below --min-accuracy 100%" in capsys.readouterr().err
    assert main(["eval-classifier", str(LABELED_SET), "--min-accuracy", "50"]) == 0


def test_a_missing_file_is_a_one_line_error_and_exit_2(capsys, tmp_path):
    assert main(["eval-classifier", str(tmp_path / "nope.csv")]) == 2
    error = capsys.readouterr().err
    assert error == f"tally eval-classifier: {tmp_path / 'nope.csv'}: no such file\n"


def test_a_bad_row_is_reported_with_file_and_line_and_exit_2(capsys, tmp_path):
    path = tmp_path / "set.csv"
    path.write_text("descriptor,mcc,expected\nTESCO,5411,groceries\nSHELL,5541,gasoline\n", "utf-8")
    assert main(["eval-classifier", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"tally eval-classifier: {path}:3: unknown expected category 'gasoline'\n")


def test_an_out_of_range_threshold_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["eval-classifier", str(LABELED_SET), "--min-accuracy", "120"])
    assert exit_.value.code == 2
    assert "not a percentage between 0 and 100" in capsys.readouterr().err
