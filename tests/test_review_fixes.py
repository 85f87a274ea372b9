"""Regression tests for faults found in review: each worked out by hand or from PyTorch's rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hwcheck
from hwcheck.cli import main
from hwcheck.errors import InputError
from hwcheck.numbers import NotANumber, parse_number
from hwcheck.problem import Tolerance


def solve_text(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return hwcheck.solve(hwcheck.load_problem(path))


def test_softmax_cross_entropy_over_a_batch_of_rows(tmp_path):
    # Two rows of logits, one-hot labels per row: L = -log p[0,2] - log p[1,0], and
    # dL/dh = p - y row by row (each row's labels sum to 1, not the whole batch's).
    solution = solve_text(tmp_path, """\
id: batch
kind: graph
inputs: {y: [[0, 0, 1], [1, 0, 0]]}
params: {h: [[1, 2, 3], [1, 1, 1]]}
steps:
  p: softmax(h)
  L: cross_entropy(p, y)
""")
    e = np.exp([1.0, 2.0, 3.0])
    p = np.array([e / e.sum(), [1 / 3, 1 / 3, 1 / 3]])
    y = np.array([[0.0, 0, 1], [1, 0, 0]])
    assert solution.expected("L").value == pytest.approx(-math.log(p[0, 2]) - math.log(1 / 3))
    assert solution.expected("dL/dh").value == pytest.approx(p - y)
    (shortcut,) = solution.softmax
    assert shortcut.agree and shortcut.through_jacobian == pytest.approx(p - y)
    from hwcheck.render import FORMATS

    assert "p - y" in FORMATS["markdown"](solution)
    assert "Softmax" in FORMATS["latex"](solution)


def test_power_zero_has_derivative_zero_at_zero(tmp_path):
    # PyTorch: d(a**0)/da = 0 everywhere, a = 0 included (not 0 · 0^-1 = nan).
    solution = solve_text(tmp_path, "id: p\nkind: graph\nparams: {a: 0.0}\nsteps:\n  z: a ** 0 + a\n")
    assert solution.expected("z").value == 1.0
    assert solution.expected("dz/da").value == 1.0  # 0 from a**0, 1 from + a


def test_an_infinite_expected_value_accepts_only_itself():
    tol = Tolerance()
    assert not tol.allows(-12345.0, math.inf)
    assert tol.allows(math.inf, math.inf)
    assert tol.allows([1.0, 0.4], [1.0, 0.401])  # element-wise: |0.4 - 0.401| ≤ 1e-6 + 0.01·0.401
    assert not tol.allows([1.0, 0.5], [1.0, 0.401])


def test_an_infinite_gradient_into_a_data_input_other_than_labels_is_refused(tmp_path):
    # d sqrt(x)/dx at x = 0 is infinite: refused even when x is an input, not a param.
    with pytest.raises(InputError, match="step 'z'"):
        solve_text(tmp_path, "id: s\nkind: graph\ninputs: {x: 0.0}\nsteps:\n  z: sqrt(x)\nwrt: [x]\n")


def test_a_question_about_another_steps_gradient_is_checked_at_load(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: o\nkind: graph\nparams: {x: 0.0}\nsteps:\n  q: sqrt(x)\n  z: x * 2\n"
                    "questions:\n  - {id: a, ask: dq/dx}\n")
    with pytest.raises(InputError) as info:
        hwcheck.load_problem(path)
    (fault,) = info.value.faults
    assert fault.pos.line == 8 and "question 'a'" in fault.message and "not finite" in fault.message


def test_another_steps_gradient_when_finite(tmp_path):
    solution = solve_text(tmp_path, "id: o\nkind: graph\nparams: {x: 4.0}\nsteps:\n  q: sqrt(x)\n  z: x * 2\n"
                                    "questions:\n  - {id: a, ask: dq/dx}\n")
    assert solution.expected("dq/dx").value == pytest.approx(0.25)  # 1/(2·√4)


@pytest.mark.parametrize("text", ["9" * 400, "9" * 5000 + "/3", "1" + "0" * 400 + ".5"])
def test_huge_numbers_are_not_numbers(text):
    with pytest.raises(NotANumber):
        parse_number(text)


def test_a_huge_integer_in_yaml_is_one_clean_error(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: h\nkind: graph\ninputs: {x: " + "9" * 5000 + "}\nsteps:\n  z: x\n")
    with pytest.raises(InputError, match=r"p.yaml:3:13: a number of 5,000 characters is too long"):
        hwcheck.load_problem(path)


def test_an_absurd_architecture_size_is_refused(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("id: a\nkind: architecture\ninput: [30]\nlayers:\n  - {name: A, type: dense, units: " + "9" * 300 + "}\n")
    with pytest.raises(InputError, match="larger than 1,000,000,000"):
        hwcheck.load_problem(path)


def test_an_internal_error_is_one_line_with_exit_3(monkeypatch, capsys):
    import hwcheck.render

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(hwcheck.render, "print_solution", broken)
    monkeypatch.delenv("HWCHECK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as done:
        main(["solve", "problems/residual_relu.yaml"])
    assert done.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: internal error in hwcheck (RuntimeError: boom)")


def test_writing_into_a_read_only_place_is_one_clean_error(tmp_path):
    from hwcheck.files import write_atomic

    with pytest.raises(InputError, match="cannot write"):
        write_atomic(tmp_path / "missing-folder" / "r.json", "{}")


def test_check_of_a_big_leaf_compares_only_the_checked_elements(tmp_path):
    from hwcheck.graph.check import MAX_CHECKED_ELEMENTS, finite_difference_check

    # L = sum(w * w) over 100 elements: dL/dw = 2w; the first 64 are checked, and say so.
    values = ", ".join(str(i / 10) for i in range(100))
    solution = solve_text(tmp_path, f"id: big\nkind: graph\nparams: {{w: [{values}]}}\nsteps:\n  L: sum(w * w)\n")
    (finding,) = finite_difference_check(solution)
    assert finding.ok and finding.note == f"checked the first {MAX_CHECKED_ELEMENTS} of 100 elements"
    assert finding.numeric == pytest.approx([2 * i / 10 for i in range(MAX_CHECKED_ELEMENTS)], abs=1e-6)


def test_a_big_tensor_is_shown_by_shape_and_first_elements():
    from hwcheck.numbers import fmt_value

    assert fmt_value(np.arange(200.0).reshape(10, 20)) == "10×20 tensor [0, 1, 2, 3, 4, 5, …]"
    assert fmt_value([[1.0, 0.5], [0.25, 2.0]]) == "[[1, 0.5], [0.25, 2]]"
