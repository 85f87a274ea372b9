"""Every operation's local derivative against central finite differences (float64).

Two ways in:

* ``Op.vjp`` directly: for a random upstream g, the vector–Jacobian product Jᵀg must
  equal the finite-difference gradient of ⟨g, f(args)⟩ with respect to each operand
  (central differences, h = 1e-6, error O(h²)).
* the public engine: a tiny problem file, ``hwcheck.solve(hwcheck.load_problem(path))``,
  and ``solution.expected("dL/dw")`` against finite differences of a forward pass we
  compute ourselves with NumPy.

Kinks follow PyTorch (relu'(0) = 0, abs'(0) = 0, a tie of max/min splits ½–½,
leaky_relu'(0) = slope); numeric faults are refused at load with an InputError.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hwcheck
from hwcheck import InputError
from hwcheck.graph.ops import OPS
from hwcheck.render.typeset import kink_rule, kink_where

H = 1e-6
SETTINGS = settings(max_examples=40, deadline=None)


# -- helpers ---------------------------------------------------------------------------


def reduce_to(grad, shape):
    """Sum a broadcast gradient back to `shape` (written here, independent of the code)."""
    grad = np.asarray(grad, dtype=float)
    if grad.shape == tuple(shape):
        return grad
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad.reshape(shape)


def numeric_vjp(f, args, k, g):
    """∂⟨g, f(args)⟩/∂args[k] by central differences, element by element."""
    a = np.array(args[k], dtype=float)
    result = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += H
        minus[idx] -= H
        ap = list(args)
        am = list(args)
        ap[k], am[k] = plus, minus
        fp = np.asarray(f(*ap), dtype=float)
        fm = np.asarray(f(*am), dtype=float)
        result[idx] = np.sum(g * (fp - fm)) / (2 * H)
    return result


def check_vjp(name, *args, constant=(), rtol=1e-5, atol=1e-7, seed=0):
    op = OPS[name]
    args = [np.asarray(a, dtype=float) for a in args]
    out = np.asarray(op.forward(*args), dtype=float)
    g = np.random.default_rng(seed).normal(size=out.shape)
    grads = op.vjp(g, args, out)
    assert len(grads) == len(args)
    for k in range(len(args)):
        if k in constant:
            continue
        got = reduce_to(grads[k], args[k].shape)
        want = numeric_vjp(op.forward, args, k, g)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{name} operand {k}")


def floats(lo=-3.0, hi=3.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def arrays(shape, lo=-3.0, hi=3.0):
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def away_from_zero(lo=0.2, hi=3.0):
    return st.tuples(st.floats(lo, hi), st.sampled_from([-1.0, 1.0])).map(lambda t: t[0] * t[1])


def arrays_away_from_zero(shape, lo=0.2, hi=3.0):
    return hnp.arrays(np.float64, shape, elements=away_from_zero(lo, hi))


SHAPE_PAIRS = [((), ()), ((3,), (3,)), ((), (3,)), ((3,), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ())]


def pair_of(shapes, first=None, second=None):
    first = first or (lambda s: arrays(s))
    second = second or (lambda s: arrays(s))
    return st.sampled_from(shapes).flatmap(lambda sh: st.tuples(first(sh[0]), second(sh[1])))


def write_problem(tmp_path, steps, inputs=None, params=None, name="p.yaml", extra=""):
    lines = ["id: t", "kind: graph"]
    for key, mapping in (("inputs", inputs), ("params", params)):
        if mapping:
            lines.append(f"{key}:")
            for n, v in mapping.items():
                lines.append(f"  {n}: {json.dumps(np.asarray(v, dtype=float).tolist())}")
    lines.append("steps:")
    for n, e in steps.items():
        lines.append(f"  {n}: {e}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def solve(tmp_path, steps, inputs=None, params=None, **kw):
    return hwcheck.solve(hwcheck.load_problem(write_problem(tmp_path, steps, inputs, params, **kw)))


# -- element-wise arithmetic, with broadcasting ------------------------------------


@SETTINGS
@given(pair_of(SHAPE_PAIRS))
def test_add_vjp(ab):
    check_vjp("add", *ab)


@SETTINGS
@given(pair_of(SHAPE_PAIRS))
def test_sub_vjp(ab):
    check_vjp("sub", *ab)


@SETTINGS
@given(pair_of(SHAPE_PAIRS))
def test_mul_vjp(ab):
    check_vjp("mul", *ab)


@SETTINGS
@given(pair_of(SHAPE_PAIRS, second=lambda s: arrays_away_from_zero(s, 0.5, 3.0)))
def test_div_vjp_away_from_zero(ab):
    check_vjp("div", *ab, rtol=1e-4)


@SETTINGS
@given(pair_of(SHAPE_PAIRS, first=lambda s: arrays(s, 0.5, 3.0), second=lambda s: arrays(s, -2.0, 2.0)))
def test_pow_vjp_positive_base(ab):
    check_vjp("pow", *ab, rtol=1e-4)


def test_pow_by_hand():
    # d(a^b)/da = b·a^(b−1) = 3·2² = 12; d(a^b)/db = a^b·ln a = 8·ln 2
    da, db = OPS["pow"].vjp(np.array(1.0), [np.array(2.0), np.array(3.0)], np.array(8.0))
    assert da == pytest.approx(12.0)
    assert db == pytest.approx(8 * np.log(2.0))


@SETTINGS
@given(st.sampled_from([(), (3,), (2, 3)]).flatmap(arrays))
def test_neg_vjp(a):
    check_vjp("neg", a)


# -- activations and element-wise functions ----------------------------------------


@SETTINGS
@given(st.sampled_from([(), (4,), (2, 3)]).flatmap(arrays_away_from_zero))
def test_relu_vjp_away_from_zero(a):
    check_vjp("relu", a)


@SETTINGS
@given(st.sampled_from([(), (4,), (2, 3)]).flatmap(arrays_away_from_zero))
def test_abs_vjp_away_from_zero(a):
    check_vjp("abs", a)


@SETTINGS
@given(st.sampled_from([(), (4,), (2, 3)]).flatmap(arrays_away_from_zero), st.floats(0.0, 1.0))
def test_leaky_relu_vjp_constant_slope(a, slope):
    check_vjp("leaky_relu", a, slope, constant=(1,))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "exp"])
@SETTINGS
@given(a=st.sampled_from([(), (4,), (2, 3)]).flatmap(arrays))
def test_smooth_activation_vjp(name, a):
    check_vjp(name, a)


@pytest.mark.parametrize("name", ["log", "sqrt"])
@SETTINGS
@given(a=st.sampled_from([(), (4,), (2, 3)]).flatmap(lambda s: arrays(s, 0.2, 5.0)))
def test_positive_domain_vjp(name, a):
    check_vjp(name, a, rtol=1e-4)


def test_sigmoid_does_not_overflow_for_large_negative_input():
    # σ(−800) = e^−800/(1 + e^−800) underflows to 0 but must not be nan; σ(800) = 1.
    out = OPS["sigmoid"].forward(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("name", ["max", "min"])
@SETTINGS
@given(ab=pair_of([((), ()), ((4,), (4,)), ((), (4,)), ((2, 3), (3,))]))
def test_max_min_vjp_away_from_ties(name, ab):
    a, b = np.broadcast_arrays(*ab)
    assume(np.all(np.abs(a - b) > 0.05))
    check_vjp(name, *ab)


# -- reductions and tensor functions -----------------------------------------------


@pytest.mark.parametrize("name", ["sum", "mean"])
@SETTINGS
@given(a=st.sampled_from([(), (4,), (2, 3)]).flatmap(arrays))
def test_reductions_vjp(name, a):
    check_vjp(name, a)


def test_mean_vjp_by_hand():
    # mean of 4 numbers: each gets 1/4 of the upstream 2.0 → 0.5
    (d,) = OPS["mean"].vjp(np.array(2.0), [np.zeros(4)], np.array(0.0))
    np.testing.assert_allclose(d, [0.5] * 4)


@SETTINGS
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(arrays((n,)), arrays((n,)))))
def test_dot_vjp(ab):
    check_vjp("dot", *ab)


@SETTINGS
@given(st.sampled_from([(4,), (2, 3), (3, 1)]).flatmap(arrays))
def test_transpose_vjp(a):
    check_vjp("transpose", a)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((1, 3), (3, 1)), ((3,), (3, 1)), ((1, 3), (3,))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=lambda s: f"{s[0]}@{s[1]}")
@SETTINGS
@given(data=st.data())
def test_matmul_vjp_every_1d_2d_combination(shapes, data):
    a = data.draw(arrays(shapes[0]))
    b = data.draw(arrays(shapes[1]))
    out = OPS["matmul"].forward(a, b)
    assert out.shape == np.matmul(a, b).shape
    check_vjp("matmul", a, b)


def test_matmul_vector_vector_by_hand():
    # a·b = 1·3 + 2·4 = 11; d/da = g·b, d/db = g·a with g = 2
    da, db = OPS["matmul"].vjp(np.array(2.0), [np.array([1.0, 2.0]), np.array([3.0, 4.0])], np.array(11.0))
    np.testing.assert_allclose(da, [6.0, 8.0])
    np.testing.assert_allclose(db, [2.0, 4.0])


@SETTINGS
@given(st.integers(1, 5).flatmap(lambda n: arrays((n,))))
def test_softmax_vjp(h):
    check_vjp("softmax", h)


@SETTINGS
@given(st.integers(1, 5).flatmap(lambda n: arrays((n,))))
def test_log_softmax_vjp(h):
    check_vjp("log_softmax", h)


def test_softmax_forward_is_shift_invariant_and_finite():
    p = OPS["softmax"].forward(np.array([1000.0, 1001.0]))
    # softmax(1000, 1001) = softmax(0, 1) = (1/(1+e), e/(1+e))
    np.testing.assert_allclose(p, [1 / (1 + np.e), np.e / (1 + np.e)])
    ls = OPS["log_softmax"].forward(np.array([1000.0, -1000.0]))
    np.testing.assert_allclose(ls, [0.0, -2000.0])


def _probability(n):
    return arrays((n,), -2.0, 2.0).map(lambda z: np.exp(z) / np.exp(z).sum())


@SETTINGS
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(_probability(n), st.one_of(_probability(n), st.integers(0, n - 1).map(lambda i: np.eye(n)[i])))))
def test_cross_entropy_vjp(py):
    p, y = py
    check_vjp("cross_entropy", p, y, rtol=1e-4)


def test_cross_entropy_by_hand():
    # −Σ y log p with y = (0, 1), p = (0.25, 0.75): −log 0.75; d/dp = −y/p = (0, −4/3)
    p, y = np.array([0.25, 0.75]), np.array([0.0, 1.0])
    out = OPS["cross_entropy"].forward(p, y)
    assert out == pytest.approx(-np.log(0.75))
    dp, dy = OPS["cross_entropy"].vjp(np.array(1.0), [p, y], out)
    np.testing.assert_allclose(dp, [0.0, -4 / 3])
    np.testing.assert_allclose(dy, [-np.log(0.25), -np.log(0.75)])


@SETTINGS
@given(pair_of([((), ()), ((4,), (4,)), ((2, 3), (2, 3)), ((4,), ())]))
def test_mse_vjp(ab):
    check_vjp("mse", *ab)


def test_mse_by_hand():
    # mean((a − b)²) with a − b = (1, −3): (1 + 9)/2 = 5; d/da = 2(a − b)/n = (1, −3)
    a, b = np.array([2.0, 0.0]), np.array([1.0, 3.0])
    out = OPS["mse"].forward(a, b)
    assert out == pytest.approx(5.0)
    da, db = OPS["mse"].vjp(np.array(1.0), [a, b], out)
    np.testing.assert_allclose(da, [1.0, -3.0])
    np.testing.assert_allclose(db, [-1.0, 3.0])


# -- through the public engine ------------------------------------------------------


def numeric_grad(f, value):
    value = np.array(value, dtype=float)
    result = np.zeros_like(value)
    for idx in np.ndindex(value.shape):
        plus, minus = value.copy(), value.copy()
        plus[idx] += H
        minus[idx] -= H
        result[idx] = (f(plus) - f(minus)) / (2 * H)
    return result


def _sig(z):
    return 1 / (1 + np.exp(-z))


# (steps, f(x, w) in NumPy, x, w): L is always a scalar of the param w.
ENGINE_CASES = {
    "scalar_times_vector": ({"L": "sum(w * x)"}, lambda x, w: np.sum(w * x), [1.0, -2.0, 0.5], 0.7),
    "vector_plus_scalar": ({"h": "x + w", "L": "sum(h * h)"}, lambda x, w: np.sum((x + w) ** 2), [1.0, -2.0, 0.5], 0.3),
    "vector_minus_scalar": ({"L": "sum(tanh(x - w))"}, lambda x, w: np.sum(np.tanh(x - w)), [1.0, -2.0, 0.5], 0.3),
    "scalar_div_vector": ({"L": "sum(w / x)"}, lambda x, w: np.sum(w / x), [1.0, -2.0, 0.5], 0.3),
    "pow_positive_base": ({"L": "sum(x ** w)"}, lambda x, w: np.sum(x ** w), [1.5, 2.0, 0.5], 1.3),
    "matrix_at_vector": ({"L": "sum(sigmoid(w @ x))"}, lambda x, w: np.sum(_sig(w @ x)), [1.0, -2.0], [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]),
    "vector_at_matrix": ({"L": "sum(x @ w)"}, lambda x, w: np.sum(x @ w), [1.0, -2.0], [[0.1, 0.2, 0.3], [0.3, -0.4, 0.5]]),
    "vector_at_vector": ({"L": "x @ w"}, lambda x, w: x @ w, [1.0, -2.0], [0.3, 0.7]),
    "matrix_at_matrix": ({"L": "sum(transpose(w) @ x)"}, lambda x, w: np.sum(w.T @ x), [[1.0, 2.0], [-1.0, 0.5]], [[0.1, 0.2], [0.3, -0.4]]),
    "dot": ({"L": "dot(w, x)"}, lambda x, w: np.dot(w, x), [1.0, -2.0, 3.0], [0.2, 0.4, -0.1]),
    "mean_exp": ({"L": "mean(exp(w * x))"}, lambda x, w: np.mean(np.exp(w * x)), [1.0, -2.0, 3.0], 0.4),
    "log_sqrt": ({"L": "sum(log(x * w) + sqrt(w))"}, lambda x, w: np.sum(np.log(x * w) + np.sqrt(w)), [1.0, 2.0, 3.0], 0.4),
    "mse": ({"L": "mse(w * x, x)"}, lambda x, w: np.mean((w * x - x) ** 2), [1.0, -2.0, 3.0], 0.4),
    "mse_scalar_broadcast": ({"L": "mse(x, w)"}, lambda x, w: np.mean((x - w) ** 2), [1.0, -2.0, 3.0], 0.4),
    "softmax_then_dot": ({"p": "softmax(w)", "L": "dot(p, x)"}, lambda x, w: np.dot(np.exp(w) / np.exp(w).sum(), x), [1.0, -2.0, 3.0], [0.2, 0.4, -0.1]),
    "log_softmax_then_dot": ({"L": "dot(log_softmax(w), x)"}, lambda x, w: np.dot(w - np.log(np.exp(w).sum()), x), [0.0, 1.0, 0.0], [0.2, 0.4, -0.1]),
    "cross_entropy_of_softmax": ({"p": "softmax(w)", "L": "cross_entropy(p, x)"}, lambda x, w: -np.sum(x * (w - np.log(np.exp(w).sum()))), [0.2, 0.5, 0.3], [0.2, 0.4, -0.1]),
    "cross_entropy_of_sigmoid": ({"L": "cross_entropy(sigmoid(w), x)"}, lambda x, w: -np.sum(x * np.log(_sig(w))), [0.2, 0.5, 0.3], [0.2, 0.4, -0.1]),
    "leaky_relu": ({"L": "sum(leaky_relu(x * w, 0.1))"}, lambda x, w: np.sum(np.where(x * w > 0, x * w, 0.1 * x * w)), [1.0, -2.0, 3.0], 0.4),
    "max_min": ({"L": "sum(max(x, w) - min(x, w * 2))"}, lambda x, w: np.sum(np.maximum(x, w) - np.minimum(x, 2 * w)), [1.0, -2.0, 3.0], 0.4),
    "relu_abs": ({"L": "sum(relu(x * w) + abs(x - w))"}, lambda x, w: np.sum(np.maximum(x * w, 0) + np.abs(x - w)), [1.0, -2.0, 3.0], 0.4),
    "transpose_vector": ({"L": "dot(transpose(w), x)"}, lambda x, w: np.dot(w, x), [1.0, -2.0], [0.3, 0.7]),
    "neg_pow": ({"L": "sum(-x ** 2 * w)"}, lambda x, w: np.sum(-(x ** 2) * w), [1.0, -2.0], 0.7),
}


@pytest.mark.parametrize("case", list(ENGINE_CASES))
def test_engine_gradient_matches_finite_differences(tmp_path, case):
    steps, f, x, w = ENGINE_CASES[case]
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    solution = solve(tmp_path, steps, inputs={"x": x}, params={"w": w})
    got = np.asarray(solution.expected("dL/dw").value, dtype=float)
    assert got.shape == w.shape
    want = numeric_grad(lambda v: f(x, v), w)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # and the forward value
    assert float(solution.expected("L").value) == pytest.approx(float(f(x, w)), rel=1e-12, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(w=floats(-2, 2), x=arrays((3,), -2, 2), b=floats(-1, 1))
def test_engine_random_small_network(tmp_path_factory, w, x, b):
    tmp_path = tmp_path_factory.mktemp("net")
    steps = {"h": "tanh(w * x + b)", "L": "mean(h * h) + sigmoid(w) * b"}
    solution = solve(tmp_path, steps, inputs={"x": x}, params={"w": w, "b": b})

    def f(wv, bv):
        h = np.tanh(wv * x + bv)
        return np.mean(h * h) + _sig(wv) * bv

    assert float(solution.expected("dL/dw").value) == pytest.approx(float(numeric_grad(lambda v: f(v, b), w)), rel=1e-5, abs=1e-8)
    assert float(solution.expected("dL/db").value) == pytest.approx(float(numeric_grad(lambda v: f(w, v), b)), rel=1e-5, abs=1e-8)


# -- kinks, as PyTorch ---------------------------------------------------------------


def _alternative_values(expected):
    return sorted(float(np.asarray(a.value)) for a in expected.alternatives)


def test_relu_at_zero_is_zero_with_alternative_one(tmp_path):
    s = solve(tmp_path, {"y": "relu(w)"}, params={"w": 0.0})
    e = s.expected("dy/dw")
    assert float(e.value) == 0.0  # PyTorch: relu'(0) = 0
    assert _alternative_values(e) == [1.0]
    assert len(s.kinks) == 1
    assert s.kinks[0].node == "y"
    assert "relu'(0) = 0" in kink_rule(s.kinks[0])


def test_relu_kink_inside_a_step_is_reported(tmp_path):
    # relu(x·w + b) with x·w + b = 2·0.5 − 1 = 0: a kink at the sub-expression input
    s = solve(tmp_path, {"y": "relu(x * w + b) * 3"}, inputs={"x": 2.0}, params={"w": 0.5, "b": -1.0})
    assert float(s.expected("dy/dw").value) == 0.0
    # the other subgradient, relu'(0) = 1: dy/dw = 3 · 1 · x = 6
    assert _alternative_values(s.expected("dy/dw")) == [6.0]
    assert [k.node for k in s.kinks] == ["relu(x * w + b)"]
    assert "x * w + b = 0" in kink_where(s.kinks[0])


def test_abs_at_zero_is_zero_with_alternatives(tmp_path):
    s = solve(tmp_path, {"y": "abs(w)"}, params={"w": 0.0})
    e = s.expected("dy/dw")
    assert float(e.value) == 0.0  # PyTorch: sign(0) = 0
    assert _alternative_values(e) == [-1.0, 1.0]
    assert len(s.kinks) == 1 and "abs'(0) = 0" in kink_rule(s.kinks[0])


def test_max_tie_splits_half_half(tmp_path):
    s = solve(tmp_path, {"y": "max(a, b)"}, params={"a": 0.5, "b": 0.5})
    assert float(s.expected("dy/da").value) == 0.5
    assert float(s.expected("dy/db").value) == 0.5
    assert _alternative_values(s.expected("dy/da")) == [0.0, 1.0]
    assert _alternative_values(s.expected("dy/db")) == [0.0, 1.0]
    assert len(s.kinks) == 1
    assert "a = b = 0.5" in kink_where(s.kinks[0])


def test_min_tie_splits_half_half(tmp_path):
    s = solve(tmp_path, {"y": "min(a, b) * 4"}, params={"a": -1.0, "b": -1.0})
    assert float(s.expected("dy/da").value) == 2.0  # 4 · ½
    assert float(s.expected("dy/db").value) == 2.0
    assert _alternative_values(s.expected("dy/da")) == [0.0, 4.0]
    assert len(s.kinks) == 1


def test_max_tie_in_a_vector_only_at_the_tied_element(tmp_path):
    # max((1, 2, 3), 2): element 0 → second argument, 1 tie, 2 → first
    s = solve(tmp_path, {"y": "sum(max(a, b))"}, params={"a": [1.0, 2.0, 3.0], "b": 2.0})
    np.testing.assert_allclose(s.expected("dy/da").value, [0.0, 0.5, 1.0])
    assert float(s.expected("dy/db").value) == pytest.approx(1.5)  # 1 + ½
    assert len(s.kinks) == 1


def test_leaky_relu_at_zero_is_slope(tmp_path):
    s = solve(tmp_path, {"y": "leaky_relu(w, 0.1)"}, params={"w": 0.0})
    e = s.expected("dy/dw")
    assert float(e.value) == pytest.approx(0.1)  # PyTorch: x > 0 ? 1 : slope
    assert _alternative_values(e) == [1.0]
    assert len(s.kinks) == 1 and "slope" in kink_rule(s.kinks[0])


def test_leaky_relu_negative_side(tmp_path):
    # leaky_relu(−2, 0.2) = −0.4, derivative 0.2
    s = solve(tmp_path, {"y": "leaky_relu(w, 0.2)"}, params={"w": -2.0})
    assert float(s.expected("y").value) == pytest.approx(-0.4)
    assert float(s.expected("dy/dw").value) == pytest.approx(0.2)
    assert s.kinks == [] and s.expected("dy/dw").alternatives == ()


def test_leaky_relu_slope_must_be_a_number(tmp_path):
    path = write_problem(tmp_path, {"y": "leaky_relu(w, s)"}, params={"w": 1.0, "s": 0.1})
    with pytest.raises(InputError, match="must be a number"):
        hwcheck.load_problem(path)


def test_no_kink_away_from_zero(tmp_path):
    s = solve(tmp_path, {"y": "relu(w) + abs(w) + max(w, 0.2)"}, params={"w": 0.5})
    assert s.kinks == []
    assert float(s.expected("dy/dw").value) == pytest.approx(3.0)
    assert s.expected("dy/dw").alternatives == ()


# -- numeric faults, refused at load ----------------------------------------------


NUMERIC_FAULTS = [
    ("log(x)", 0.0, "x = 0"),
    ("log(x)", -1.0, "x = -1"),
    ("x / z", 1.0, "z = 0"),
    ("sqrt(x)", -1.0, "x = -1"),
    ("exp(x)", 1000.0, "x = 1000"),
    ("x ** -1", 0.0, "x = 0"),
]


@pytest.mark.parametrize("expression, x, shown", NUMERIC_FAULTS, ids=[f[0] + f" at {f[1]}" for f in NUMERIC_FAULTS])
def test_numeric_faults_are_refused_at_load(tmp_path, expression, x, shown):
    path = write_problem(tmp_path, {"h": "x * 2", "bad": expression}, inputs={"x": x, "z": 0.0}, name="faulty.yaml")
    with pytest.raises(InputError) as info:
        hwcheck.load_problem(path)
    text = str(info.value)
    assert "faulty.yaml" in text
    assert "'bad'" in text
    assert shown in text
    assert ":8:" in text  # the line of step `bad` (id, kind, inputs, x, z, steps, h, bad)


def test_numeric_fault_in_a_sub_expression_names_the_step(tmp_path):
    path = write_problem(tmp_path, {"y": "relu(log(x) + 1)"}, inputs={"x": -2.0}, name="f.yaml")
    with pytest.raises(InputError) as info:
        hwcheck.load_problem(path)
    assert "f.yaml" in str(info.value) and "'y'" in str(info.value) and "x = -2" in str(info.value)


def test_numeric_fault_is_exit_2_without_traceback(tmp_path):
    path = write_problem(tmp_path, {"y": "log(x)"}, inputs={"x": 0.0})
    result = subprocess.run([sys.executable, "-m", "hwcheck", "solve", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {path}:")


def test_infinite_derivative_of_sqrt_at_zero_is_an_input_error(tmp_path):
    # sqrt(0) = 0 is fine, but d sqrt/dx = 1/(2·sqrt(0)) is infinite: the problem cannot be
    # solved, which must be reported as an InputError naming file and step, not a crash.
    path = write_problem(tmp_path, {"y": "sqrt(x)"}, params={"x": 0.0}, name="sqrt0.yaml")
    with pytest.raises(InputError) as info:
        hwcheck.solve(hwcheck.load_problem(path))
    assert "sqrt0.yaml" in str(info.value) and "'y'" in str(info.value)


def test_infinite_derivative_via_cli_is_exit_2_without_traceback(tmp_path):
    path = write_problem(tmp_path, {"y": "sqrt(x)"}, params={"x": 0.0}, name="sqrt0.yaml")
    result = subprocess.run([sys.executable, "-m", "hwcheck", "solve", str(path)], capture_output=True, text=True)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {path}")


def test_cross_entropy_with_a_zero_probability_of_an_absent_class_solves(tmp_path):
    # p = (1, 0), y = (1, 0): L = −1·log 1 − 0 = 0 (0·log 0 taken as 0, as the code says);
    # dL/dp = −y/p = (−1, 0) where y ≠ 0. dL/dy = −log p = (0, +inf) is not finite, and
    # that must not crash solving (at worst an InputError).
    path = write_problem(tmp_path, {"L": "cross_entropy(p, y)"}, inputs={"y": [1.0, 0.0]}, params={"p": [1.0, 0.0]}, extra="wrt: [p]\n")
    problem = hwcheck.load_problem(path)
    assert float(problem.values[problem.graph.index["L"]]) == 0.0
    try:
        solution = hwcheck.solve(problem)
    except InputError:
        return
    np.testing.assert_allclose(solution.expected("dL/dp").value, [-1.0, 0.0])


def test_pow_of_shapes_that_do_not_broadcast_is_an_input_error(tmp_path):
    path = write_problem(tmp_path, {"y": "sum(a ** b)"}, inputs={"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}, name="shapes.yaml")
    with pytest.raises(InputError) as info:
        hwcheck.load_problem(path)
    assert "shapes.yaml" in str(info.value) and "'y'" in str(info.value)


def test_mul_of_shapes_that_do_not_broadcast_is_an_input_error(tmp_path):
    path = write_problem(tmp_path, {"y": "sum(a * b)"}, inputs={"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}, name="shapes.yaml")
    with pytest.raises(InputError, match=r"shapes\.yaml.*'y'.*\[2\] and \[3\]"):
        hwcheck.load_problem(path)


def test_matmul_inner_size_mismatch_is_an_input_error(tmp_path):
    path = write_problem(tmp_path, {"y": "sum(a @ b)"}, inputs={"a": [[1.0, 2.0]], "b": [1.0, 2.0, 3.0]}, name="mm.yaml")
    with pytest.raises(InputError, match=r"mm\.yaml.*'y'.*do not fit"):
        hwcheck.load_problem(path)
