"""The seed homework's own numbers (the seed text in the steering repository), worked by hand.

Problem 1 (T1): x0 = 1, w0 = 0.3, w1 = -0.2, b0 = 0.1, b1 = -0.3.
  xw0 = 0.3, xwb0 = 0.4, x1 = relu(0.4) = 0.4, xw1 = 0.4 * -0.2 = -0.08,
  y1 = -0.08 - 0.3 = -0.38, yx = -0.38 + 1 = 0.62, z = relu(0.62) = 0.62.
  Both ReLUs are open (inputs 0.4 and 0.62 > 0), so their local derivatives are 1:
  dz/dw0 = 1·1·1·w1·1·1·x0 = -0.2      dz/dw1 = 1·1·1·x1 = 0.4
  dz/db0 = 1·1·1·w1·1·1 = -0.2          dz/db1 = 1·1·1 = 1
  dz/dx0 = skip path 1·1 + path through w0: 1·1·1·w1·1·1·w0 = 1 - 0.06 = 0.94
"""

from __future__ import annotations

import numpy as np
import pytest

import hwcheck
from hwcheck.render.typeset import unicode

from support import PROBLEMS, contract_example


@pytest.fixture(scope="module")
def residual():
    return hwcheck.solve(hwcheck.load_problem(contract_example("residual_relu.yaml")))


@pytest.mark.parametrize(
    "ask, expected",
    [("xw0", 0.3), ("xwb0", 0.4), ("x1", 0.4), ("xw1", -0.08), ("y1", -0.38), ("yx", 0.62), ("z", 0.62)],
)
def test_forward_values(residual, ask, expected):
    assert residual.expected(ask).value == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    "ask, expected",
    [("dz/dw0", -0.2), ("dz/dw1", 0.4), ("dz/db0", -0.2), ("dz/db1", 1.0), ("dz/dx0", 0.94)],
)
def test_gradients(residual, ask, expected):
    assert residual.expected(ask).value == pytest.approx(expected, abs=1e-15)


def test_dz_dx0_is_the_skip_path_plus_the_path_through_w0(residual):
    derivation = next(d for d in residual.gradients if d.name == "x0")
    assert derivation.path_count == 2
    contributions = sorted(float(p.value) for p in derivation.paths)
    assert contributions == pytest.approx([-0.06, 1.0])  # w1·w0 = -0.06, and the skip path 1
    skip = next(p for p in derivation.paths if len(p.nodes) == 3)
    assert skip.nodes == ["z", "yx", "x0"]


def test_dz_dw0_path_factors_are_the_seeds(residual):
    # The seed writes 1 · 1 · 1 · (-0.2) · 1 · 1 (it skips the factor dxw0/dw0 = x0 = 1).
    derivation = next(d for d in residual.gradients if d.name == "w0")
    (path,) = derivation.paths
    assert path.nodes == ["z", "yx", "y1", "xw1", "x1", "xwb0", "xw0", "w0"]
    assert [float(f.value) for f in path.factors] == pytest.approx([1, 1, 1, -0.2, 1, 1, 1])
    assert [unicode(f.formula) for f in path.factors] == ["[yx > 0]", "1", "1", "w1", "[xwb0 > 0]", "1", "x0"]


def test_local_derivatives_match_the_seed_differentials(residual):
    # Seed: dxw0 = w0 dx0, dxw0 = x0 dw0; dxw1 = w1 dx1, dxw1 = x1 dw1.
    locals_ = {(d.node, d.operand): (unicode(d.formula), float(d.value)) for row in residual.rows for d in row.locals}
    assert locals_[("xw0", "x0")] == ("w0", 0.3)
    assert locals_[("xw0", "w0")] == ("x0", 1.0)
    assert locals_[("xw1", "x1")] == ("w1", -0.2)
    assert locals_[("xw1", "w1")] == ("x1", 0.4)
    assert locals_[("x1", "xwb0")] == ("[xwb0 > 0]", 1.0)


def test_alice_left_out_the_skip_connection(residual):
    # Alice's -0.06 is exactly the path through w0 alone: the skip path (1) is missing.
    codes = {m.code: m for m in residual.mistakes("dz/dx0", {"T1.x0": "-0.06"}) if np.isclose(m.value, -0.06)}
    assert "missing-path" in codes
    assert "skip connection" in codes["missing-path"].description


def test_softmax_cross_entropy_gradient_is_p_minus_y():
    # T4: dL/dx3 = softmax(x3) - y. x1 = w1·1 + b1 = [0.6, -0.1]; x2 = relu = [0.6, 0];
    # x3 = w2 @ x2 + b2 = [0.12 + 0, 0.42 + 0.1, -0.18 - 0.2] = [0.12, 0.52, -0.38].
    solution = hwcheck.solve(hwcheck.load_problem(contract_example("softmax_ce.yaml")))
    x3 = np.array([0.12, 0.52, -0.38])
    assert solution.expected("x3").value == pytest.approx(x3, abs=1e-15)
    p = np.exp(x3) / np.exp(x3).sum()
    y = np.array([0.0, 1.0, 0.0])
    assert solution.expected("dL/dx3").value == pytest.approx(p - y, abs=1e-15)
    assert solution.expected("L").value == pytest.approx(-np.log(p[1]), abs=1e-15)
    (shortcut,) = solution.softmax
    assert shortcut.agree and shortcut.logits == "x3"
    assert shortcut.shortcut == pytest.approx(p - y)
    # dL/db2 = p - y too (x3 = ... + b2); dL/dw2 = outer(p - y, x2), zero column for x2[1] = 0.
    assert solution.expected("dL/db2").value == pytest.approx(p - y)
    assert solution.expected("dL/dw2").value == pytest.approx(np.outer(p - y, [0.6, 0.0]))


def test_shipped_seed_problems_are_the_contracts():
    for name in ("residual_relu.yaml", "softmax_ce.yaml"):
        assert (PROBLEMS / name).read_text() == contract_example(name).read_text()
