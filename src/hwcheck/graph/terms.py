"""The maths of a derivation as small typed terms, never as text to be parsed again.

A formula such as ∂x1/∂xwb0 = [xwb0 > 0] is the tree ``Indicator(Var(...), ">", Num(0))``;
each output target has one typesetter (:mod:`hwcheck.render.typeset`: Unicode and TeX)
with one ``_print_<Term>`` method per type here, as SymPy's printers do. Words are kept
apart from maths (:class:`Noted`), so a typesetter can set them as text.

An operation's derivative formulas are templates over :class:`Arg` (its operands),
:class:`Out` (its result), :class:`Upstream` (G, the upstream gradient of a
vector–Jacobian product) and :class:`Count` (n, the number of elements);
:func:`instantiate` puts in the operands' terms, :func:`evaluate` their values, so a
test can check that the formula a student reads is the rule the engine runs.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from ..record import Record
from . import expr as E


class Term(Record):
    """A node of a formula. Subclasses are frozen records (:mod:`hwcheck.record`)."""

    def __add__(self, other):
        return Sum((self, _term(other)))

    def __sub__(self, other):
        return Sum((self, Neg(_term(other))))

    def __mul__(self, other):
        return Prod((self, _term(other)))

    def __truediv__(self, other):
        return Quotient(self, _term(other))

    def __rsub__(self, other):
        return Sum((_term(other), Neg(self)))

    def __rmul__(self, other):
        return Prod((_term(other), self))

    def __rtruediv__(self, other):
        return Quotient(_term(other), self)

    def __neg__(self):
        return Neg(self)


def _term(value) -> Term:
    return value if isinstance(value, Term) else Num(value)


# -- leaves ------------------------------------------------------------------------------


class Num(Term):
    value: float


class _Atom(Term):
    """A term without parts: equal to any other of its type."""

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __repr__(self):
        return f"{type(self).__name__}()"


class Half(_Atom):
    """½, as a number inside notes (½ at a tie)."""


class Symbol(Term):
    """A name in a formula: x0 (typeset x₀ / x_{0}), G, n, I, p, y."""

    name: str


class Code(Term):
    """A node of the problem by its expression (``x0 * w0 + b0``) or its step name,
    typed as the expression language's tree; in a formula it is parenthesised unless it is
    a name, a number or one call."""

    tree: object  # an expr.Expr


class Shape(Term):
    dims: tuple[int, ...]


class Identity(_Atom):
    """I, the identity matrix (of the size of the last axis of operand 0)."""


# -- placeholders of an operation's formulas ---------------------------------------------


class Arg(Term):
    k: int


class Out(_Atom):
    """The operation's result."""


class Upstream(_Atom):
    """G, the upstream gradient of a vector–Jacobian product."""


class Count(Term):
    """n, the number of elements of operand ``k`` (along the axis that operand ``axis``
    names, for a reduction along one axis)."""

    k: int = 0
    axis: int | None = None


# -- structure ---------------------------------------------------------------------------


class Apply(Term):
    """A function applied: relu(x), ln(a), diag(p), sign(a), softmax(h)."""

    func: str
    args: tuple[Term, ...]


class Neg(Term):
    operand: Term


class Sum(Term):
    """a + b − c: a Neg term is written with a minus."""

    terms: tuple[Term, ...]


class Prod(Term):
    """a·b, written with a centred dot."""

    factors: tuple[Term, ...]


class Quotient(Term):
    """a/b, written inline."""

    numerator: Term
    denominator: Term


class Power(Term):
    """a², or a^(b − 1) with the exponent in parentheses."""

    base: Term
    exponent: Term


class Transpose(Term):
    operand: Term


class Paren(Term):
    """Parentheses written on purpose: (1 − y)."""

    body: Term


class Indicator(Term):
    """[a > b]: 1 where the comparison holds, else 0 (Iverson's bracket)."""

    left: Term
    relation: str  # ">", "<", "≤", "≥"
    right: Term


class Partial(Term):
    """∂top/∂bottom (or d top/d bottom)."""

    top: Term
    bottom: Term
    d: str = "∂"


class Noted(Term):
    """A formula with a remark in words beside it: [a > b] (½ at a tie). The words are
    a tuple of pieces, each a string of words or a Term set as maths."""

    body: Term
    words: tuple


RELATIONS = {">": np.greater, "<": np.less, "≤": np.less_equal, "≥": np.greater_equal}


# -- from the expression language --------------------------------------------------------


def from_expr(tree) -> Code:
    return Code(tree)


def is_atomic(tree) -> bool:
    """A name, a non-negative number or one call: written without parentheses in a formula."""
    return isinstance(tree, (E.Name, E.Num, E.Call))


# -- putting in operands and values ------------------------------------------------------


def instantiate(term: Term, args: tuple[Term, ...], out: Term) -> Term:
    """The template with the operands' and the result's terms put in."""
    return _map(term, lambda t: args[t.k] if isinstance(t, Arg) else out if isinstance(t, Out) else None)


def _map(term: Term, leaf: Callable[[Term], Term | None]) -> Term:
    replaced = leaf(term)
    if replaced is not None:
        return replaced
    if isinstance(term, Apply):
        return Apply(term.func, tuple(_map(a, leaf) for a in term.args))
    if isinstance(term, (Sum, Prod)):
        return type(term)(tuple(_map(t, leaf) for t in (term.terms if isinstance(term, Sum) else term.factors)))
    if isinstance(term, (Neg, Transpose)):
        return type(term)(_map(term.operand, leaf))
    if isinstance(term, Paren):
        return Paren(_map(term.body, leaf))
    if isinstance(term, Quotient):
        return Quotient(_map(term.numerator, leaf), _map(term.denominator, leaf))
    if isinstance(term, Power):
        return Power(_map(term.base, leaf), _map(term.exponent, leaf))
    if isinstance(term, Indicator):
        return Indicator(_map(term.left, leaf), term.relation, _map(term.right, leaf))
    if isinstance(term, Partial):
        return Partial(_map(term.top, leaf), _map(term.bottom, leaf), term.d)
    if isinstance(term, Noted):
        return Noted(_map(term.body, leaf), term.words)
    return term


def evaluate(term: Term, args: list, out, g=None, functions: Mapping[str, Callable] | None = None) -> np.ndarray:
    """The number (or array) a template stands for, element-wise, at these operand values.

    ``functions`` maps function names to their NumPy forms (the op registry's forwards,
    plus ln, sign, erf...). A matrix formula (Prod of a transpose) is a matrix product.
    """
    functions = functions or {}

    def ev(t):
        if isinstance(t, Num):
            return np.asarray(t.value, dtype=float)
        if isinstance(t, Half):
            return np.asarray(0.5)
        if isinstance(t, Arg):
            return np.asarray(args[t.k], dtype=float)
        if isinstance(t, Out):
            return np.asarray(out, dtype=float)
        if isinstance(t, Upstream):
            return np.asarray(g, dtype=float)
        if isinstance(t, Identity):
            return np.eye(np.shape(args[0])[-1])
        if isinstance(t, Count):
            if t.axis is not None:
                return np.asarray(float(np.shape(args[t.k])[int(args[t.axis])]))
            return np.asarray(float(np.size(args[t.k])))
        if isinstance(t, Apply):
            return np.asarray(functions[t.func](*[ev(a) for a in t.args]), dtype=float)
        if isinstance(t, Neg):
            return -ev(t.operand)
        if isinstance(t, Sum):
            return sum((ev(x) for x in t.terms), np.asarray(0.0))
        if isinstance(t, Prod):
            # A factor written transposed makes the product a matrix product (G·Wᵀ, Xᵀ·G,
            # p·pᵀ); for two vectors, column·row is the outer product.
            result = ev(t.factors[0])
            for before, f in zip(t.factors, t.factors[1:]):
                right = ev(f)
                if isinstance(f, Transpose) and np.ndim(result) == 1 and np.ndim(right) == 1:
                    result = np.outer(result, right)
                elif (isinstance(f, Transpose) or isinstance(before, Transpose)) and np.ndim(result) >= 1 and np.ndim(right) >= 1:
                    result = result @ right
                else:
                    result = result * right
            return result
        if isinstance(t, Quotient):
            return ev(t.numerator) / ev(t.denominator)
        if isinstance(t, Power):
            return np.power(ev(t.base), ev(t.exponent))
        if isinstance(t, Transpose):
            inner = ev(t.operand)
            return np.swapaxes(inner, -1, -2) if np.ndim(inner) >= 2 else inner
        if isinstance(t, Paren):
            return ev(t.body)
        if isinstance(t, Indicator):
            return RELATIONS[t.relation](ev(t.left), ev(t.right)).astype(float)
        if isinstance(t, Noted):
            return ev(t.body)
        raise TypeError(f"cannot evaluate a {type(t).__name__}")

    with np.errstate(all="ignore"):
        return ev(term)


def walk(term: Term):
    """Every term inside `term`, itself first."""
    yield term
    children: tuple = ()
    if isinstance(term, Apply):
        children = term.args
    elif isinstance(term, Sum):
        children = term.terms
    elif isinstance(term, Prod):
        children = term.factors
    elif isinstance(term, (Neg, Transpose)):
        children = (term.operand,)
    elif isinstance(term, Paren):
        children = (term.body,)
    elif isinstance(term, Quotient):
        children = (term.numerator, term.denominator)
    elif isinstance(term, Power):
        children = (term.base, term.exponent)
    elif isinstance(term, Indicator):
        children = (term.left, term.right)
    elif isinstance(term, Partial):
        children = (term.top, term.bottom)
    elif isinstance(term, Noted):
        children = (term.body,) + tuple(w for w in term.words if isinstance(w, Term))
    for child in children:
        yield from walk(child)


# -- architecture arithmetic -------------------------------------------------------------
#
# The working of an architecture problem (shapes and parameter counts) as the board writes
# it: ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32, 16·3·5·5 + 16 = 1216, 30×1024 + 1024 = 31,744.
# Every value is an exact integer, so these terms evaluate with Python's integers
# (:func:`evaluate_arith`), and a test checks that what a student reads is what was counted.


class Int(Term):
    """An integer inside the working, written in full: 1024, −1 (a typographic minus)."""

    value: int


class Tally(Term):
    """A count, with thousands separators from five digits: 1216, 31,744, 557,057."""

    value: int


class Fixed(Term):
    """A rounded decimal, with this many places: 2.23 (in 2.23 MB)."""

    value: float
    places: int = 2


class BoardSum(Sum):
    """a + b − c as the board writes it: a Neg term with the typographic minus (−).

    The graph's Sum writes ASCII '-', the expression language's; the architecture's working
    has always written '−'. Evaluated and walked as a Sum."""


class Times(Prod):
    """a×b×c: the factors of a term of the written-out total (16×3×5×5), as the seed writes it."""


class Floor(Term):
    """⌊a/b⌋: a divided by b, rounded down (PyTorch's output-size rule)."""

    numerator: Term
    denominator: Term


class Ceil(Term):
    """⌈a/b⌉: a divided by b, rounded up (ceil_mode; Keras' 'same')."""

    numerator: Term
    denominator: Term


class ShapeList(Term):
    """A shape as the architecture problems write it: [3, 32, 32]."""

    dims: tuple[int, ...]


class Chain(Term):
    """a = b = c, or a = b ≥ c, so d = e: terms joined by ``relations`` (one fewer than
    terms), each one of CHAIN_RELATIONS; ``so`` joins a conclusion drawn from what comes before."""

    terms: tuple[Term, ...]
    relations: tuple[str, ...]


class Measure(Term):
    """A quantity with its unit, the unit set as a word: 2,228,228 B."""

    value: Term
    unit: str


class Phrase(Term):
    """A sentence of words and terms in a run: trainable 557,057 · non-trainable 0 · total
    557,057. The pieces are strings of words or Terms."""

    pieces: tuple


CHAIN_RELATIONS = ("=", "≈", "≥", "→", "so")


def equation(*terms: Term) -> Term:
    """a = b = c; one term alone is itself."""
    return terms[0] if len(terms) == 1 else Chain(tuple(terms), ("=",) * (len(terms) - 1))


def evaluate_arith(term: Term) -> int:
    """The integer a term of the architecture's working stands for.

    A Chain is worth its last term, and each of its '=' and '≥' must hold (ValueError if
    not): a chain that says 2·2·2 = 9 is a bug the test of every layer type catches.
    """
    if isinstance(term, (Int, Tally)):
        return term.value
    if isinstance(term, Num) and float(term.value).is_integer():
        return int(term.value)
    if isinstance(term, Neg):
        return -evaluate_arith(term.operand)
    if isinstance(term, Sum):
        return sum(evaluate_arith(t) for t in term.terms)
    if isinstance(term, Prod):
        result = 1
        for factor in term.factors:
            result *= evaluate_arith(factor)
        return result
    if isinstance(term, Paren):
        return evaluate_arith(term.body)
    if isinstance(term, Noted):
        return evaluate_arith(term.body)
    if isinstance(term, Floor):
        return evaluate_arith(term.numerator) // evaluate_arith(term.denominator)
    if isinstance(term, Ceil):
        return -(-evaluate_arith(term.numerator) // evaluate_arith(term.denominator))
    if isinstance(term, Chain):
        values = [evaluate_arith(t) for t in term.terms]
        for left, relation, right in zip(values, term.relations, values[1:]):
            if relation == "=" and left != right or relation == "≥" and left < right:
                raise ValueError(f"the working says {left} {relation} {right}")
        return values[-1]
    raise TypeError(f"cannot evaluate a {type(term).__name__} as an integer")
