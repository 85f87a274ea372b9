"""Every operation of the expression language, each defined in one place.

An :class:`Op` holds, together, what a student needs to see and what the engine needs
to compute: the forward value, the vector–Jacobian product (the local derivative applied
to an upstream gradient ``g``), the formula of each local derivative as it is written by
hand, the kinks where a subgradient had to be chosen, and the other valid subgradients
there. Values are float64 NumPy arrays; shapes follow NumPy broadcasting, and the engine
sums a broadcast operand's gradient back to its own shape (:func:`unbroadcast`).

Formulas use ``{0}``, ``{1}`` for the operands' names and ``{out}`` for the result's;
``G`` stands for the upstream gradient in vector–Jacobian forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

Array = np.ndarray
Vjp = Callable[[Array, Sequence[Array], Array], tuple]


class DomainError(ValueError):
    """An operation applied where it is undefined (log of 0, division by zero...)."""


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Callable[..., Array]
    vjp: Vjp
    derivatives: tuple[str, ...]  # one hand-written formula per operand
    symbol: str | None = None  # '+', '*', ... for infix operators
    elementwise: bool = True  # local Jacobian is diagonal (after broadcasting)
    vjp_form: bool = False  # derivatives are written as G ↦ ... rather than ∂
    # The quantity whose zeros are the kinks and whose sign says which side of a kink an
    # element is on: the input of relu/abs, a − b for max/min (where a kink is a tie).
    kink_at: Callable[[Sequence[Array]], Array] | None = None
    kink_is_tie: bool = False
    kink_rule: str = ""  # how PyTorch resolves the kink, for the report
    alternatives: tuple[tuple[str, Vjp], ...] = ()  # other valid subgradients at kinks
    domain: Callable[[Sequence[Array]], str | None] | None = None
    constant_args: tuple[int, ...] = ()  # operands that must be numbers (leaky_relu's slope)
    data_args: tuple[int, ...] = ()  # operands that are data, never trained (cross_entropy's labels)


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient over the axes NumPy broadcasting added or stretched."""
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad.reshape(shape)


def _where(mask, value) -> Array:
    return np.where(mask, value, 0.0)


# -- element-wise arithmetic ---------------------------------------------------------


def _div_domain(args):
    if np.any(args[1] == 0):
        return "division by zero"
    return None


def _pow_domain(args):
    base, exponent = np.broadcast_arrays(*args)
    if np.any((base < 0) & (exponent != np.round(exponent))):
        return "a negative number to a non-integer power"
    if np.any((base == 0) & (exponent < 0)):
        return "0 to a negative power (division by zero)"
    return None


def _pow_vjp(g, args, out):
    base, exponent = args
    with np.errstate(all="ignore"):
        # PyTorch: the derivative of a**0 is 0 everywhere, also at a = 0 (not 0·inf).
        d_base = np.where(exponent == 0, 0.0, g * exponent * np.power(base, exponent - 1.0))
        # PyTorch: d(a**b)/db = a**b · ln a, taken as 0 where a == 0 and b ≥ 0.
        log_base = np.log(np.where(base > 0, base, 1.0))
        d_exponent = g * np.where((base == 0) & (exponent >= 0), 0.0, out * np.where(base > 0, log_base, np.nan))
    return d_base, d_exponent


# -- activations --------------------------------------------------------------------


def _sigmoid(a):
    z = np.exp(-np.abs(a))  # never overflows, unlike exp(-a) for a ≪ 0
    return np.where(a >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _max_vjp(g, args, out, tie_a=0.5):
    a, b = args
    tie = a == b
    return g * ((a > b) + tie_a * tie), g * ((b > a) + (1.0 - tie_a) * tie)


def _min_vjp(g, args, out, tie_a=0.5):
    a, b = args
    tie = a == b
    return g * ((a < b) + tie_a * tie), g * ((b < a) + (1.0 - tie_a) * tie)


# -- tensor functions ---------------------------------------------------------------


def _matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise DomainError(f"@ needs vectors or matrices, got shapes {a.shape} and {b.shape}; use * for scalars")
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise DomainError(f"shapes {list(a.shape)} @ {list(b.shape)} do not fit: inner sizes {a.shape[-1]} and {b.shape[0 if b.ndim == 1 else -2]} differ")
    return np.matmul(a, b)


def _matmul_vjp(g, args, out):
    a, b = args
    if a.ndim == 1 and b.ndim == 1:  # the inner product: a scalar
        return g * b, g * a
    # Treat vectors as 1-row / 1-column matrices, apply dA = G·Bᵀ and dB = Aᵀ·G, undo.
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.asarray(g)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    da = np.matmul(g2, np.swapaxes(b2, -1, -2))
    db = np.matmul(np.swapaxes(a2, -1, -2), g2)
    if a.ndim == 1:
        da = da[..., 0, :]
    if b.ndim == 1:
        db = db[..., :, 0]
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


def softmax(h: Array) -> Array:
    """Softmax over the last axis, shifted by the maximum so exp never overflows."""
    shifted = h - np.max(h, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(h: Array) -> Array:
    """log softmax(h) = h − logsumexp(h), computed without forming softmax(h)."""
    shifted = h - np.max(h, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _softmax_vjp(g, args, out):
    # Jᵀg with J = diag(p) − p pᵀ, without forming J: p ⊙ (g − ⟨g, p⟩).
    return (out * (g - np.sum(g * out, axis=-1, keepdims=True)),)


def _log_softmax_vjp(g, args, out):
    return (g - softmax(args[0]) * np.sum(g, axis=-1, keepdims=True),)


def _vector_domain(name):
    def check(args):
        if args[0].ndim == 0:
            return f"{name} needs a vector, got a scalar"
        return None

    return check


def _cross_entropy(p, y):
    # −Σ y log p, with 0 · log 0 taken as 0 (a class with y = 0 contributes nothing).
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y != 0, y * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -np.sum(terms)


def _cross_entropy_domain(args):
    p, y = args
    if p.shape != y.shape:
        return f"cross_entropy(p, y) needs p and y of the same shape, got {list(p.shape)} and {list(y.shape)}"
    if np.any((p <= 0) & (y != 0)):
        return "log of a probability that is 0 (or negative) where y ≠ 0"
    return None


def _cross_entropy_vjp(g, args, out):
    p, y = args
    with np.errstate(all="ignore"):
        d_p = np.where(y != 0, -g * y / p, 0.0)
        d_y = -g * np.log(p)
    return d_p, d_y


def _mse_vjp(g, args, out):
    a, b = args
    diff = np.broadcast_arrays(a, b)[0] - b
    d = g * 2.0 * diff / diff.size
    return unbroadcast(d, a.shape), unbroadcast(-d, b.shape)


def _dot_domain(args):
    if args[0].ndim != 1 or args[0].shape != args[1].shape:
        return f"dot(a, b) needs two vectors of the same length, got shapes {list(args[0].shape)} and {list(args[1].shape)}; use @ for matrices"
    return None


_OPS: list[Op] = [
    Op("add", 2, np.add, lambda g, a, o: (g, g), ("1", "1"), symbol="+"),
    Op("sub", 2, np.subtract, lambda g, a, o: (g, -g), ("1", "-1"), symbol="-"),
    Op("mul", 2, np.multiply, lambda g, a, o: (g * a[1], g * a[0]), ("{1}", "{0}"), symbol="*"),
    Op("div", 2, np.divide, lambda g, a, o: (g / a[1], -g * a[0] / a[1] ** 2), ("1/{1}", "-{0}/{1}²"), symbol="/", domain=_div_domain),
    Op("pow", 2, np.power, _pow_vjp, ("{1}·{0}^({1} - 1)", "{out}·ln({0})"), symbol="**", domain=_pow_domain),
    Op("matmul", 2, _matmul, _matmul_vjp, ("G·{1}ᵀ", "{0}ᵀ·G"), symbol="@", elementwise=False, vjp_form=True),
    Op("neg", 1, np.negative, lambda g, a, o: (-g,), ("-1",)),
    Op("copy", 1, lambda a: np.array(a, dtype=float), lambda g, a, o: (g,), ("1",)),
    Op(
        "relu", 1, lambda a: np.where(a > 0, a, 0.0), lambda g, a, o: (_where(a[0] > 0, g),), ("[{0} > 0]",),
        kink_at=lambda a: a[0], kink_rule="relu'(0) = 0, as PyTorch",
        alternatives=(("relu'(0) = 1", lambda g, a, o: (_where(a[0] >= 0, g),)),),
    ),
    Op(
        "leaky_relu", 2, lambda a, s: np.where(a > 0, a, s * a), lambda g, a, o: (g * np.where(a[0] > 0, 1.0, a[1]), np.zeros_like(a[1])),
        ("[{0} > 0] + {1}·[{0} ≤ 0]", "0"), constant_args=(1,),
        kink_at=lambda a: a[0], kink_rule="leaky_relu'(0) = slope, as PyTorch",
        alternatives=(("leaky_relu'(0) = 1", lambda g, a, o: (g * np.where(a[0] >= 0, 1.0, a[1]), np.zeros_like(a[1]))),),
    ),
    Op(  # Heaviside, relu's derivative written as a function (formula answers: step(x) = relu'(x))
        "step", 1, lambda a: np.where(a > 0, 1.0, 0.0), lambda g, a, o: (np.zeros_like(g * a[0]),), ("0",),
        kink_at=lambda a: a[0], kink_rule="step(0) = 0, as relu'(0) in PyTorch; its derivative is 0 elsewhere",
    ),
    Op("sigmoid", 1, _sigmoid, lambda g, a, o: (g * o * (1.0 - o),), ("{out}·(1 - {out})",)),
    Op("tanh", 1, np.tanh, lambda g, a, o: (g * (1.0 - o**2),), ("1 - {out}²",)),
    Op("exp", 1, np.exp, lambda g, a, o: (g * o,), ("{out}",)),
    Op("log", 1, np.log, lambda g, a, o: (g / a[0],), ("1/{0}",), domain=lambda a: "log of a number ≤ 0" if np.any(a[0] <= 0) else None),
    Op("sqrt", 1, np.sqrt, lambda g, a, o: (g / (2.0 * o),), ("1/(2·{out})",), domain=lambda a: "square root of a negative number" if np.any(a[0] < 0) else None),
    Op(
        "abs", 1, np.abs, lambda g, a, o: (g * np.sign(a[0]),), ("sign({0})",),
        kink_at=lambda a: a[0], kink_rule="abs'(0) = 0, as PyTorch",
        alternatives=(
            ("abs'(0) = 1", lambda g, a, o: (g * np.where(a[0] >= 0, 1.0, -1.0),)),
            ("abs'(0) = -1", lambda g, a, o: (g * np.where(a[0] > 0, 1.0, -1.0),)),
        ),
    ),
    Op(
        "max", 2, np.maximum, _max_vjp, ("[{0} > {1}] (½ at a tie)", "[{1} > {0}] (½ at a tie)"),
        kink_at=lambda a: a[0] - a[1], kink_is_tie=True, kink_rule="a tie splits the gradient evenly, as PyTorch",
        alternatives=(
            ("the whole gradient to the first argument at the tie", lambda g, a, o: _max_vjp(g, a, o, 1.0)),
            ("the whole gradient to the second argument at the tie", lambda g, a, o: _max_vjp(g, a, o, 0.0)),
        ),
    ),
    Op(
        "min", 2, np.minimum, _min_vjp, ("[{0} < {1}] (½ at a tie)", "[{1} < {0}] (½ at a tie)"),
        kink_at=lambda a: a[0] - a[1], kink_is_tie=True, kink_rule="a tie splits the gradient evenly, as PyTorch",
        alternatives=(
            ("the whole gradient to the first argument at the tie", lambda g, a, o: _min_vjp(g, a, o, 1.0)),
            ("the whole gradient to the second argument at the tie", lambda g, a, o: _min_vjp(g, a, o, 0.0)),
        ),
    ),
    Op("sum", 1, lambda a: np.sum(a), lambda g, a, o: (g * np.ones_like(a[0]),), ("1 (every element)",), elementwise=False),
    Op("mean", 1, lambda a: np.mean(a), lambda g, a, o: (g * np.ones_like(a[0]) / max(a[0].size, 1),), ("1/n (every element)",), elementwise=False),
    Op("dot", 2, lambda a, b: np.dot(a, b), lambda g, a, o: (g * a[1], g * a[0]), ("{1}", "{0}"), elementwise=False, domain=_dot_domain),
    Op("transpose", 1, lambda a: np.array(a.T), lambda g, a, o: (np.asarray(g).T,), ("Gᵀ",), elementwise=False, vjp_form=True),
    Op("softmax", 1, softmax, _softmax_vjp, ("diag({out}) - {out}·{out}ᵀ",), elementwise=False, domain=_vector_domain("softmax")),
    Op("log_softmax", 1, log_softmax, _log_softmax_vjp, ("I - 1·softmax({0})ᵀ",), elementwise=False, domain=_vector_domain("log_softmax")),
    Op("cross_entropy", 2, _cross_entropy, _cross_entropy_vjp, ("-{1}/{0}", "-log({0})"), elementwise=False, domain=_cross_entropy_domain, data_args=(1,)),
    Op("mse", 2, lambda a, b: np.mean((a - b) ** 2), _mse_vjp, ("2·({0} - {1})/n", "-2·({0} - {1})/n"), elementwise=False),
]

OPS: dict[str, Op] = {op.name: op for op in _OPS}
BY_SYMBOL: dict[str, Op] = {op.symbol: op for op in _OPS if op.symbol}
FUNCTIONS: dict[str, int] = {
    name: OPS[name].arity
    for name in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "max", "min", "leaky_relu", "step", "sum", "mean", "dot", "transpose", "softmax", "log_softmax", "cross_entropy", "mse")
}
