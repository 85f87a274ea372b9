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
    elif isinstance(term, Infix):
        children = (term.left, term.right)
    elif isinstance(term, Equals):
        children = term.sides
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
# -- a step's expression, and the numbers put into it ------------------------------------


class Infix(Term):
    """An operator of the expression language as a step writes it: a * b, a / b, a @ b,
    a ** b, a + b, a - b (Sum and Prod are the derivation's own notation: a·b)."""

    op: str  # + - * / ** @
    left: Term
    right: Term


class Literal(Term):
    """A number as a step writes it, every digit kept: 1.000000000001 is not 1."""

    value: float


class Tensor(Term):
    """A vector or matrix the forward pass computed, put in for an operand (nested tuples
    of floats, so that the term stays a hashable value)."""

    rows: tuple

    @property
    def array(self) -> np.ndarray:
        return np.asarray(self.rows, dtype=float)


def tensor(value) -> Tensor:
    return Tensor(_nested(np.asarray(value, dtype=float).tolist()))


def _nested(items):
    return tuple(_nested(x) for x in items) if isinstance(items, list) else items


def from_tree(tree, replace: Mapping[int, Term] | None = None) -> Term:
    """A step's expression tree (:mod:`.expr`) as terms, with parentheses exactly where its
    canonical text (:func:`.expr.to_text`) has them; ``replace`` maps id(sub-tree) to the
    term written in its place (an operand's name, or its number)."""
    if replace and id(tree) in replace:
        return replace[id(tree)]
    if isinstance(tree, E.Num):
        return Literal(tree.value)
    if isinstance(tree, E.Name):
        return Symbol(tree.name)
    if isinstance(tree, E.Call):
        return Apply(tree.func, tuple(from_tree(a, replace) for a in tree.args))
    if isinstance(tree, E.Neg):
        return Neg(_paren(from_tree(tree.operand, replace), E.precedence(tree.operand) < _NEG))
    mine = E.precedence(tree)
    left, right = from_tree(tree.left, replace), from_tree(tree.right, replace)
    if tree.op == "**":  # right associative: the base needs parentheses at equal precedence
        return Infix("**", _paren(left, E.precedence(tree.left) <= mine), _paren(right, E.precedence(tree.right) < _NEG))
    return Infix(tree.op, _paren(left, E.precedence(tree.left) < mine), _paren(right, E.precedence(tree.right) <= mine))


_NEG = E.precedence(E.Neg(E.Num(0.0, 0), 0))  # unary minus: tighter than * and looser than **


def _paren(term: Term, needed: bool) -> Term:
    """Parentheses where precedence needs them, once: (-0.3) ** 2, not ((-0.3)) ** 2."""
    return Paren(term) if needed and not isinstance(term, Paren) else term


class Equals(Term):
    """a = b (= c …): where a kink lies (xwb0 = 0, a = b = 0.5), or a rule (relu'(0) = 0)."""

    sides: tuple[Term, ...]


class Prime(Term):
    """f'(at): a function's derivative at a point, as in relu'(0) = 0."""

    func: str
    at: Term
