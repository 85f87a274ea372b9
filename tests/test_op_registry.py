"""Every entry of the op registry, checked the same way: an op lacking anything fails here.

For each op, at its registered example point (in its domain, away from kinks and ties):
the VJP against central finite differences; each derivative formula, evaluated, against
the VJP (the formula a student reads is the rule the engine runs); both typesetters on
every formula (all TeX compiled once by pdflatex); the docs row; the parser's table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hwcheck.graph import terms as T
from hwcheck.graph.ops import CALLS, FUNCTIONS, MATH_FUNCTIONS, OPS, numpy_functions, unbroadcast
from hwcheck.render import optable
from hwcheck.render.latex import document, wline
from hwcheck.render.tex import UnknownSymbol
from hwcheck.render.typeset import tex, unicode
from support import ROOT
from test_latex import compile_latex

H = 1e-6
NAMES = [op.name for op in OPS.values()]
FORMULAS = [pytest.param(op.name, k, id=f"{op.name}-{k}") for op in OPS.values() for k in range(op.arity) if k not in op.constant_args]


def example(op):
    assert op.example and len(op.example) == op.arity, f"{op.name} has no example point (one value per operand)"
    return [np.asarray(v, dtype=float) for v in op.example]


def numeric_vjp(op, args, k, g):
    """∂⟨g, f(args)⟩/∂args[k] by central differences (written here, independent of the code)."""
    a = args[k]
    result = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        shifted = []
        for step in (H, -H):
            moved = a.copy()
            moved[index] += step
            shifted.append(np.asarray(op.forward(*[moved if i == k else x for i, x in enumerate(args)]), dtype=float))
        result[index] = np.sum(g * (shifted[0] - shifted[1])) / (2 * H)
    return result


@pytest.mark.parametrize("name", NAMES)
def test_vjp_matches_finite_differences(name):
    op = OPS[name]
    args = example(op)
    out = np.asarray(op.forward(*args), dtype=float)
    g = np.random.default_rng(7).normal(size=out.shape)
    grads = op.vjp(g, args, out)
    for k in range(op.arity):
        if k not in op.constant_args:
            got = unbroadcast(np.asarray(grads[k], dtype=float), args[k].shape)
            np.testing.assert_allclose(got, numeric_vjp(op, args, k, g), rtol=1e-6, atol=1e-8, err_msg=f"{name}, operand {k}")


@pytest.mark.parametrize("name, k", FORMULAS)
def test_formula_evaluated_is_the_vjp(name, k):
    """The formula's meaning depends on its kind: a VJP (G ↦ …), an element-wise derivative,
    a gradient (a scalar of a tensor) or a full Jacobian J[i, j] = ∂out_i/∂arg_j."""
    op = OPS[name]
    args = example(op)
    out = np.asarray(op.forward(*args), dtype=float)
    g = np.random.default_rng(11).normal(size=out.shape)
    want = unbroadcast(np.asarray(op.vjp(g, args, out)[k], dtype=float), args[k].shape)
    formula = op.derivatives[k]
    if op.vjp_form:  # G ↦ formula, broadcast to the operand's shape (unsqueeze(G, axis))
        got = np.broadcast_to(T.evaluate(formula, args, out, g=g, functions=numpy_functions()), want.shape)
    else:
        value = T.evaluate(formula, args, out, functions=numpy_functions())
        if op.elementwise or out.ndim == 0:  # the derivative of each element: g times it
            got = unbroadcast(g * np.broadcast_to(value, np.broadcast_shapes(np.shape(value), out.shape, args[k].shape)), args[k].shape)
        else:  # the Jacobian of a vector function
            assert value.shape == (out.size, args[k].size), f"{name}: a Jacobian formula should be {out.size}×{args[k].size}"
            got = (value.T @ g.reshape(-1)).reshape(args[k].shape)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"{name}: {unicode(_instances(op)[k])}")


def _instances(op):
    names = (T.Symbol("x0"), T.Symbol("w_1"))[: op.arity]
    return [T.instantiate(d, names, T.Symbol("h2")) for d in op.derivatives]


@pytest.mark.parametrize("name", NAMES)
def test_every_formula_typesets_in_unicode_and_tex(name):
    op = OPS[name]
    assert op.derivatives and len(op.derivatives) == op.arity
    for formula in _instances(op):
        text, math_ = unicode(formula), tex(formula)
        assert text and "?" not in text and "{" not in text
        assert math_ and math_.isascii() and "?" not in math_
        for term in T.walk(formula):
            if isinstance(term, T.Apply):
                assert term.func in FUNCTIONS or term.func in MATH_FUNCTIONS, f"{name}: unknown function {term.func}"


def test_an_unknown_term_is_an_error_not_a_question_mark():
    class Mystery(T.Term):
        pass

    with pytest.raises(TypeError, match="cannot typeset a Mystery"):
        tex(T.Prod((T.Symbol("a"), Mystery())))
    with pytest.raises(UnknownSymbol, match="no TeX name for the function 'frobnicate'"):
        tex(T.Apply("frobnicate", (T.Symbol("a"),)))


def test_every_formula_compiles_in_one_tex_document(tmp_path):
    lines = [wline(rf"\frac{{\partial\, {op.name.replace('_', '')}}}{{\partial\, \mathrm{{arg}}_{k}}} = {tex(formula)}")
             for op in OPS.values() for k, formula in enumerate(_instances(op))]
    compile_latex(document("Every formula of the registry", lines), tmp_path)


def test_functions_tex_names_and_mistakes_come_from_the_registry():
    assert set(FUNCTIONS) == {op.called for op in OPS.values() if op.function}
    assert all(CALLS[(op.called, op.arity)] is op for op in OPS.values() if op.function)
    for op in OPS.values():
        if op.function:
            assert op.tex and op.tex.isascii(), f"{op.name} has no TeX name"
            assert op.meaning, f"{op.name} has no meaning for the docs"
    # Activations invite forgetting their derivative and confusing it with themselves.
    activations = {op.name for op in OPS.values() if "derivative-forgotten" in op.mistakes}
    assert {"relu", "leaky_relu", "sigmoid", "tanh"} <= activations
    assert all("derivative-confused" in OPS[name].mistakes for name in activations)


def test_the_docs_table_is_the_registry():
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    assert optable.table() in text, "docs/format.md is out of date: paste `python -m hwcheck.render.optable` over its table"
    for op in OPS.values():
        if op.name != "copy":
            assert f"| `{optable.syntax(op)}` |" in text


def test_formulas_evaluate_on_the_seed_by_hand():
    # d relu(x)/dx at x = (0.5, −1.2, 2) is (1, 0, 1); d tanh = 1 − tanh²; d(a/b)/db = −a/b².
    assert T.evaluate(OPS["relu"].derivatives[0], [np.array([0.5, -1.2, 2.0])], None).tolist() == [1, 0, 1]
    t = math.tanh(0.5)
    assert float(T.evaluate(OPS["tanh"].derivatives[0], [0.5], t)) == pytest.approx(1 - t * t, rel=1e-15)
    assert float(T.evaluate(OPS["div"].derivatives[1], [3.0, 2.0], 1.5)) == -0.75
