"""Reading what students write: numbers, fractions, lists, shapes, counts — or saying why not."""

import numpy as np
import pytest

from hwcheck.grade.answers import COUNT, SCALAR, SHAPE, TENSOR, Target, Unreadable, answer_text, read_answer, read_answer_noted

REAL = Target.of(0.4, exact=False)
VECTOR = Target.of(np.array([0.1, 0.2]), exact=False)
SHAPE_1 = Target.of([1024], exact=True)
SHAPE_3 = Target.of([16, 32, 32], exact=True)
COUNT_T = Target.of(557057, exact=True)


def test_forms_of_expected_values():
    assert Target.of(np.array(0.94), False).form == SCALAR  # the graph solver's 0-d arrays
    assert Target.of(np.array([[1.0, 2.0]]), False).form == TENSOR
    assert Target.of([1, 2], True).form == SHAPE
    assert Target.of(np.int64(5), True).form == COUNT


@pytest.mark.parametrize("raw, value", [(0.4, 0.4), (2, 2.0), ("2/5", 0.4), ("-3/4", -0.75), ("1e-6", 1e-6), ("−0.2", -0.2), (" 0.5 ", 0.5)])
def test_real_numbers(raw, value):
    assert read_answer(raw, REAL) == pytest.approx(value)


def test_vectors_and_matrices_as_yaml_lists_and_quoted_lists():
    assert read_answer([0.1, "1/5"], VECTOR).tolist() == pytest.approx([0.1, 0.2])
    assert read_answer("[0.1, 2/5]", VECTOR).tolist() == pytest.approx([0.1, 0.4])
    assert read_answer([[1, 0], [0, 1]], VECTOR).shape == (2, 2)  # read; judged wrong later


@pytest.mark.parametrize("raw", [[1024], "[1024]", "(1024)", 1024, "1024"])
def test_one_dimensional_shape_in_any_natural_spelling(raw):
    assert read_answer(raw, SHAPE_1) == (1024,)


@pytest.mark.parametrize("raw", [[16, 32, 32], "(16, 32, 32)", "16x32x32", "16 × 32 × 32", "[16, 32, 32]"])
def test_shapes(raw):
    assert read_answer(raw, SHAPE_3) == (16, 32, 32)


@pytest.mark.parametrize("raw, value", [(557057, 557057), ("557,057", 557057), ("557 057", 557057), ("5.57057e5", 557057), (557057.0, 557057)])
def test_counts(raw, value):
    got = read_answer(raw, COUNT_T)
    assert got == value and isinstance(got, int)


def test_a_fractional_count_is_read_but_not_an_int():
    assert read_answer(0.5, COUNT_T) == 0.5


@pytest.mark.parametrize(
    "raw, text",
    [("about 0.4", "about 0.4"), ("1/0", "1/0"), (True, "True"), ("nan", "nan"), (["a", 1], "[a, 1]"), ({"x": 1}, "{'x': 1}")],
)
def test_unreadable_answers_carry_the_text_written(raw, text):
    with pytest.raises(Unreadable) as caught:
        read_answer(raw, REAL if not isinstance(raw, list) else VECTOR)
    assert caught.value.text == text


def test_ragged_matrix_is_unreadable():
    with pytest.raises(Unreadable, match="different lengths"):
        read_answer([[1, 2], [3]], VECTOR)


def test_count_written_as_list_is_unreadable():
    with pytest.raises(Unreadable, match="one whole number"):
        read_answer([557057], COUNT_T)


def test_answer_text_is_what_was_written():
    assert answer_text("2/5") == "2/5"
    assert answer_text([1024]) == "[1024]"
    assert answer_text(0.30000000000000004) == "0.3"


def test_expected_values_are_tidied_for_json():
    assert Target.of(np.array(0.9400000000000001), False).plain() == 0.94
    assert Target.of(np.array([0.1 + 0.2, 1.0]), False).plain() == [0.3, 1.0]
    assert Target.of([1024], True).plain() == [1024]


def test_shape_split_reads_separators_with_any_spacing():
    assert read_answer("( 16 ,32 x  32 )", SHAPE_3) == (16, 32, 32)
    assert read_answer("16*32×32", SHAPE_3) == (16, 32, 32)
    with pytest.raises(Unreadable, match="is not a shape"):
        read_answer(" x , ", SHAPE_3)


def test_a_shape_of_a_million_spaces_is_graded_not_a_hang(tmp_path):
    # The separator regex once began with \s*: 60,000 spaces took 18 s (quadratic), a million
    # would take over an hour. run_cli's timeout (120 s) guards against a hang; the time per
    # character is measured in bench/bench_answers.py.
    from support import CONTRACT, run_cli

    sheet = tmp_path / "spaces.yaml"
    sheet.write_text("answers:\n  T2.A: '1" + " " * 1_000_000 + "2'\n  T3: '5" + " " * 1_000_000 + "7'\n", encoding="utf-8")
    done = run_cli("grade", CONTRACT / "mlp_params.yaml", sheet, "--summary")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "spaces" in done.stdout


MATRIX = Target.of(np.array([[0.1, 0.2], [0.3, 0.4]]), exact=False)


@pytest.mark.parametrize(
    "text, value",
    [
        ("[[0.1 0.2]\n [0.3 0.4]]", [[0.1, 0.2], [0.3, 0.4]]),  # print(a)
        ("[[ 0.1  -0.2 ]\n [ 0.3   0.4 ]]", [[0.1, -0.2], [0.3, 0.4]]),  # numpy pads to align the columns
        ("array([[0.1, 0.2],\n       [0.3, 0.4]])", [[0.1, 0.2], [0.3, 0.4]]),  # repr(a)
        ("array([1., 2.], dtype=float32)", [1.0, 2.0]),
        ("[1.e-01 2/5]", [0.1, 0.4]),
    ],
)
def test_numpy_printed_arrays(text, value):
    assert read_answer(text, MATRIX).tolist() == value


@pytest.mark.parametrize("text", ["[1 2] 3", "[[1 2]", "[1 2]]", "[" * 300 + "1" + "]" * 300, "[a b]"])
def test_text_that_is_not_an_array_stays_unreadable(text):
    with pytest.raises(Unreadable):
        read_answer(text, MATRIX)


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("0,3216", 0.3216, "read '0,3216' as 0.3216 (a decimal comma); write a decimal point"),
        ("−0,5", -0.5, "read '−0,5' as -0.5 (a decimal comma); write a decimal point"),
        ("12,5", 12.5, "read '12,5' as 12.5 (a decimal comma); write a decimal point"),
        ("0,125", 0.125, "read '0,125' as 0.125 (a decimal comma); write a decimal point"),  # 0 before: not thousands
        ("[0,3216]", 0.3216, "read '[0,3216]' as 0.3216 (a decimal comma); write a decimal point"),
        ("0.3216", 0.3216, None),
    ],
)
def test_decimal_comma_where_one_number_is_asked(raw, value, note):
    assert read_answer_noted(raw, REAL) == (pytest.approx(value), note)


def test_a_comma_that_could_be_thousands_is_refused_and_lists_stay_lists():
    with pytest.raises(Unreadable, match=r"'1,234' could be 1.234 \(a decimal comma\) or 1234 \(a thousands separator\)"):
        read_answer("1,234", REAL)
    assert read_answer("[0,3216]", VECTOR).tolist() == [0, 3216]  # two numbers asked: a list
    assert read_answer("557,057", COUNT_T) == 557057  # a count: thousands
