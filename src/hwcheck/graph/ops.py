"""Every operation of the expression language, each defined in one place.

An :class:`Op` holds, together, what a student needs to see and what the engine needs
to compute: the forward value, the vector–Jacobian product (the local derivative applied
to an upstream gradient ``g``), the formula of each local derivative as it is written by
hand, the kinks where a subgradient had to be chosen, and the other valid subgradients
there. Values are float64 NumPy arrays; shapes follow NumPy broadcasting, and the engine
sums a broadcast operand's gradient back to its own shape (:func:`unbroadcast`).

The formulas are typed terms (:mod:`.terms`): templates over the operands (``Arg(0)``,
``Arg(1)``), the result (``Out()``), the upstream gradient G of a vector–Jacobian form and
n, the number of elements. Everything else that lists operations — the parser's
``FUNCTIONS``, the TeX names, the mistakes an operation invites, the docs table — is read
from this registry.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ..errors import HwcheckError
from ..record import Record
from . import terms as T

Array = np.ndarray
Vjp = Callable[[Array, Sequence[Array], Array], tuple]
Shape = tuple[int, ...]


class DomainError(HwcheckError):
    """An operation applied where it is undefined (log of 0, division by zero...)."""


class Op(Record):
    name: str
    arity: int
    forward: Callable[..., Array]
    vjp: Vjp
    derivatives: tuple[T.Term, ...]  # one formula per operand, as written by hand (a template)
    symbol: str | None = None  # '+', '*', ... for infix operators
    elementwise: bool = True  # local Jacobian is diagonal (after broadcasting)
    vjp_form: bool = False  # derivatives are written as G ↦ ... rather than ∂
    # The quantity whose zeros are the kinks and whose sign says which side of a kink an
    # element is on: the input of relu/abs, a − b for max/min (where a kink is a tie).
    kink_at: Callable[[Sequence[Array]], Array] | None = None
    kink_is_tie: bool = False
    # How PyTorch resolves the kink: words, with the maths in them as terms (relu'(0) = 0).
    # Every output typesets it, the JSON's text (contract §6) too.
    kink_rule: tuple = ()
    alternatives: tuple[tuple[str, Vjp], ...] = ()  # other valid subgradients at kinks
    domain: Callable[[Sequence[Array]], str | None] | None = None
    constant_args: tuple[int, ...] = ()  # operands that must be numbers (leaky_relu's slope)
    data_args: tuple[int, ...] = ()  # operands that are data, never trained (cross_entropy's labels)
    function: bool = False  # called by name in the expression language: relu(a)
    tex: str = ""  # the function's TeX name
    mistakes: tuple[str, ...] = ()  # the mistake codes this operation invites (mistakes.py)
    meaning: str = ""  # what it computes, for the docs table
    # A point of its domain away from kinks and ties, one value per operand: the registry's
    # tests check the VJP and the formulas there, and an op without one fails them.
    example: tuple = ()
    call: str = ""  # the name it is called by, when several ops share one (sum(a), sum(a, axis))
    params: tuple[str, ...] = ()  # its operands' names in the docs and the schema: ("a", "axis")
    # Operands whose gradient may be undefined where nothing trained feeds them: pow's exponent,
    # d(aⁿ)/dn = aⁿ·ln a is NaN at a < 0; PyTorch computes it only for an exponent that requires
    # grad, so an input exponent does not make dz/da fail (it is refused only if asked).
    data_if_untrained: tuple[int, ...] = ()
    # The result's shape from the operands' shapes (and the values of the operands that are
    # numbers, such as an axis: None for the others), known before anything is computed, so a
    # file cannot make hwcheck allocate a 30000×30000 result; and the multiply-adds it costs.
    shape: Callable[[Sequence[Shape], Sequence[float | None]], Shape] = lambda shapes, numbers: broadcast_shape(shapes)
    work: Callable[[Sequence[Shape], Shape], int] | None = None  # default: one per result element
    # (outer, inner): the builder rewrites outer(inner(a), b) to this op where inner's result
    # feeds nothing else (build.py). Its VJP then also takes ``inner=``, the inner node's value
    # as the graph holds it (the softmax's p; a student's own p when it is carried forward).
    fuses: tuple[str, str] = ()

    @property
    def called(self) -> str:
        return self.call or self.name

    @property
    def signature(self) -> str:
        """How a student writes it: relu(a), sum(a, axis), a @ b."""
        names = self.params or ("a", "b")[: self.arity]
        if self.symbol:
            return f"{names[0]} {self.symbol} {names[1]}"
        return f"{self.called}({', '.join(names)})"


def size_of(shape: Shape) -> int:
    return math.prod(shape)


def broadcast_shape(shapes: Sequence[Shape]) -> Shape:
    """NumPy's broadcasting of ``shapes``, without making an array."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise DomainError(f"shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast together") from None


def _scalar_shape(shapes: Sequence[Shape], numbers) -> Shape:
    return ()


def _matmul_shape(shapes: Sequence[Shape], numbers) -> Shape:
    """np.matmul's result shape: vectors act as a row (left) or a column (right)."""
    a, b = shapes
    if not a or not b:
        raise DomainError(f"@ needs vectors or matrices, got shapes {a} and {b}; use * for scalars")
    inner_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner_b:
        raise DomainError(f"shapes {list(a)} @ {list(b)} do not fit: inner sizes {a[-1]} and {inner_b} differ")
    batch = broadcast_shape([a[:-2], b[:-2]])
    return batch + a[-2:-1] + b[-1:] if len(b) > 1 else batch + a[-2:-1]


def _matmul_work(shapes: Sequence[Shape], out: Shape) -> int:
    return max(size_of(out), 1) * shapes[0][-1]  # one multiply-add per result element and inner index


def _broadcast_work(shapes: Sequence[Shape], out: Shape) -> int:
    return size_of(broadcast_shape(shapes))  # mse(a, b) forms a − b before taking the mean


def _input_work(shapes: Sequence[Shape], out: Shape) -> int:
    return max(size_of(s) for s in shapes)  # a reduction reads every element


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


def _extremum_vjp(wins):
    """The VJP of max (wins is >) or min (<): the gradient goes to the argument that wins;
    at a tie the first argument takes ``tie_a`` of it (½, as PyTorch) and the second the rest."""

    def vjp(g, args, out, tie_a=0.5):
        a, b = args
        tie = a == b
        return g * (wins(a, b) + tie_a * tie), g * (wins(b, a) + (1.0 - tie_a) * tie)

    return vjp


_erf = np.frompyfunc(math.erf, 1, 1)  # math.erf element by element: exact to double precision, no scipy


def _Phi(x) -> Array:
    """Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF."""
    return 0.5 * (1.0 + np.asarray(_erf(np.asarray(x, dtype=float) / math.sqrt(2.0)), dtype=float))


def _phi(x) -> Array:
    """φ(x) = e^(−x²/2)/√(2π), the standard normal density (Φ' = φ)."""
    return np.exp(-0.5 * np.square(x)) / math.sqrt(2.0 * math.pi)


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


def class_targets(shape: tuple[int, ...], y: Array) -> Array:
    """The targets of cross_entropy(p, y) as rows over p's last axis (classes).

    y shaped like p is used as it is (one-hot rows or distributions); y shaped like p
    without its last axis holds integer class labels, as torch's ``cross_entropy`` takes
    them (``y: [1, 0]`` for a batch of two), and becomes their one-hot rows. Anything
    else is a DomainError saying which two shapes would do.
    """
    y = np.asarray(y, dtype=float)
    shape = tuple(shape)
    if y.shape == shape:
        return y
    if shape and y.shape == shape[:-1]:
        classes = shape[-1]
        if np.any(y != np.round(y)) or np.any(y < 0) or np.any(y >= classes):
            raise DomainError(f"cross_entropy(p, y): class labels in y must be whole numbers from 0 to {classes - 1} (p has {classes} classes)")
        onehot = np.zeros(shape)  # linear in p's size: no identity matrix of classes × classes
        np.put_along_axis(onehot, y.astype(np.intp)[..., None], 1.0, axis=-1)
        return onehot
    labels = f" or {list(shape[:-1])} (integer class labels)" if shape else ""
    raise DomainError(f"cross_entropy(p, y) needs y of shape {list(shape)} (one-hot rows or distributions, like p){labels}, got {list(y.shape)}")


def _cross_entropy(p, y):
    # −Σ y log p over every element (a batch is summed), with 0 · log 0 taken as 0.
    y = class_targets(p.shape, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y != 0, y * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -np.sum(terms)


def _cross_entropy_domain(args):
    p, y = args
    try:
        y = class_targets(p.shape, y)
    except DomainError as exc:
        return exc.args[0]
    if np.any((p <= 0) & (y != 0)):
        return "log of a probability that is 0 (or negative) where y ≠ 0"
    return None


def _cross_entropy_vjp(g, args, out):
    p, y = args
    targets = class_targets(p.shape, y)
    with np.errstate(all="ignore"):
        d_p = np.where(targets != 0, -g * targets / p, 0.0)
        # Class labels are indices, not a point one could move: no gradient (as torch).
        d_y = -g * np.log(p) if y.shape == p.shape else np.zeros_like(y)
    return d_p, d_y


# cross_entropy(softmax(h), y) as one op, as PyTorch's F.cross_entropy takes logits. The
# builder rewrites to it where the softmax feeds nothing else (build.py); the derivation
# still shows L → p → h, but the numbers come from here: −Σ y·log_softmax(h) never forms
# log p, so logits of ±1000 (where p underflows to 0) give the exact finite loss and gradient.
def _softmax_cross_entropy(h, y):
    return -np.sum(class_targets(h.shape, y) * log_softmax(h))


def _softmax_cross_entropy_domain(args):
    h, y = args
    if h.ndim == 0:
        return "softmax needs a vector, got a scalar"
    try:
        class_targets(h.shape, y)
    except DomainError as exc:
        return exc.args[0]
    return None


def _softmax_cross_entropy_vjp(g, args, out, inner=None):
    h, y = args
    targets = class_targets(h.shape, y)
    p = softmax(h) if inner is None else inner
    # d/dh of −Σ_j y_j log p_j with p = softmax(h), row by row: p·Σ_j y_j − y, which is
    # p − y for one-hot rows or distributions; summed over a batch as cross_entropy is.
    d_h = g * (p * np.sum(targets, axis=-1, keepdims=True) - targets)
    # Class labels are indices, not a point one could move: no gradient (as torch).
    d_y = -g * log_softmax(h) if y.shape == h.shape else np.zeros_like(y)
    return d_h, d_y


# Binary cross-entropy as torch.nn.BCELoss (reduction="mean"): each log clamped at −100,
# so p = 0 or 1 gives a finite loss, and p(1 − p) kept ≥ 1e-12 in the gradient, as torch does.
def _clamped_log(x):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0)


def _bce(p, y):
    return -np.mean(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))


def _bce_domain(args):
    p, y = args
    if p.shape != y.shape:
        return f"bce(p, y) needs p and y of the same shape, got {list(p.shape)} and {list(y.shape)}"
    if np.any((p < 0) | (p > 1)):
        return "bce(p, y) needs probabilities p from 0 to 1 (apply sigmoid first)"
    return None


def _bce_vjp(g, args, out):
    p, y = args
    n = max(p.size, 1)
    d_p = g * (p - y) / np.maximum(p * (1.0 - p), 1e-12) / n
    d_y = g * (_clamped_log(1.0 - p) - _clamped_log(p)) / n
    return d_p, d_y


def _mse_vjp(g, args, out):
    a, b = args
    diff = np.broadcast_arrays(a, b)[0] - b
    d = g * 2.0 * diff / diff.size
    return unbroadcast(d, a.shape), unbroadcast(-d, b.shape)


# Reductions along one axis, as torch.sum(a, dim) / torch.mean(a, dim): the axis a whole
# number, negative counting from the end. Their VJP puts G back along the reduced axis.
def _axis_shape(name):
    def shape(shapes, numbers):
        a, axis = shapes[0], numbers[1]
        if not a:
            raise DomainError(f"{name}(a, axis) needs a tensor, got a scalar; use {name}(a)")
        if axis != round(axis) or not -len(a) <= axis < len(a):
            raise DomainError(f"{name}(a, axis): the axis must be a whole number from {-len(a)} to {len(a) - 1} for a tensor of shape {list(a)}, got {axis:g}")
        axis = int(axis) % len(a)
        return a[:axis] + a[axis + 1:]

    return shape


def _axis_domain(name):
    rule = _axis_shape(name)

    def check(args):
        try:
            rule([args[0].shape, ()], [None, float(args[1])])
        except DomainError as fault:
            return str(fault)
        return None

    return check


def _unsqueeze(g, axis) -> Array:
    return np.expand_dims(np.asarray(g, dtype=float), int(axis))


def _dot_domain(args):
    if args[0].ndim != 1 or args[0].shape != args[1].shape:
        return f"dot(a, b) needs two vectors of the same length, got shapes {list(args[0].shape)} and {list(args[1].shape)}; use @ for matrices"
    return None


# The operands, the result, G and n of the derivative formulas (see terms.py).
_a, _b, _out, _G, _n = T.Arg(0), T.Arg(1), T.Out(), T.Upstream(), T.Count(0)
_ONE, _TIE = T.Num(1), (T.Half(), " at a tie")
_FORGOTTEN = "derivative-forgotten"  # the activation's local derivative left out (taken as 1)
_CONFUSED = "derivative-confused"  # the activation itself used where its derivative belongs
_ROUNDED = "rounded-early"  # a value a calculator gives (σ, tanh, exp, ...) rounded before going on
_SQUARE = "square-factor"  # the 2 of a square's derivative dropped (or the ½ of ½·square left out)

_OPS: list[Op] = [
    Op("add", 2, np.add, lambda g, a, o: (g, g), (_ONE, _ONE), symbol="+", meaning="element-wise, NumPy broadcasting", example=([0.5, -1.2, 2.0], [1.5, 0.3, -0.7])),
    Op("sub", 2, np.subtract, lambda g, a, o: (g, -g), (_ONE, -_ONE), symbol="-", meaning="element-wise, NumPy broadcasting", example=([0.5, -1.2, 2.0], [1.5, 0.3, -0.7])),
    Op("mul", 2, np.multiply, lambda g, a, o: (g * a[1], g * a[0]), (_b, _a), symbol="*", meaning="element-wise", example=([0.5, -1.2, 2.0], [1.5, 0.3, -0.7])),
    Op("div", 2, np.divide, lambda g, a, o: (g / a[1], -g * a[0] / a[1] ** 2), (_ONE / _b, -(_a / T.Power(_b, T.Num(2)))), symbol="/", domain=_div_domain, meaning="element-wise", example=([0.5, -1.2, 2.0], [1.5, 0.3, -0.7])),
    Op("pow", 2, np.power, _pow_vjp, (_b * T.Power(_a, _b - 1), _out * T.Apply("ln", (_a,))), symbol="**", domain=_pow_domain, data_if_untrained=(1,), mistakes=(_SQUARE,), meaning="element-wise power", example=([0.5, 1.2, 2.0], [1.5, -0.3, 2.5])),
    Op("matmul", 2, _matmul, _matmul_vjp, (_G * T.Transpose(_b), T.Transpose(_a) * _G), symbol="@", elementwise=False, vjp_form=True, shape=_matmul_shape, work=_matmul_work, mistakes=("missing-transpose",),
       meaning="matrix product, NumPy semantics (vectors are rows/columns as NumPy does)", example=([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]], [[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]])),
    Op("neg", 1, np.negative, lambda g, a, o: (-g,), (-_ONE,), meaning="negation", example=([0.5, -1.2, 2.0],)),
    Op("copy", 1, lambda a: np.array(a, dtype=float), lambda g, a, o: (g,), (_ONE,), meaning="a step that copies a value (`c: b`)", example=([0.5, -1.2, 2.0],)),
    Op(
        "relu", 1, lambda a: np.where(a > 0, a, 0.0), lambda g, a, o: (_where(a[0] > 0, g),), (T.Indicator(_a, ">", T.Num(0)),),
        kink_at=lambda a: a[0], kink_rule=(T.Equals((T.Prime("relu", T.Num(0)), T.Num(0))), ", as PyTorch"),
        alternatives=(("relu'(0) = 1", lambda g, a, o: (_where(a[0] >= 0, g),)),),
        function=True, tex=r"\operatorname{ReLU}", mistakes=(_FORGOTTEN, _CONFUSED), meaning="max(a, 0)",
        example=([0.5, -1.2, 2.0],),
    ),
    Op(
        "leaky_relu", 2, lambda a, s: np.where(a > 0, a, s * a), lambda g, a, o: (g * np.where(a[0] > 0, 1.0, a[1]), np.zeros_like(a[1])),
        (T.Indicator(_a, ">", T.Num(0)) + _b * T.Indicator(_a, "≤", T.Num(0)), T.Num(0)), constant_args=(1,),
        kink_at=lambda a: a[0], kink_rule=(T.Equals((T.Prime("leaky_relu", T.Num(0)), T.Symbol("slope"))), ", as PyTorch"),
        alternatives=(("leaky_relu'(0) = 1", lambda g, a, o: (g * np.where(a[0] >= 0, 1.0, a[1]), np.zeros_like(a[1]))),),
        function=True, tex=r"\operatorname{LeakyReLU}", mistakes=(_FORGOTTEN, _CONFUSED), meaning="a if a > 0 else b·a; `b` must be a number",
        example=([0.5, -1.2, 2.0], 0.1),
    ),
    # Heaviside: relu's derivative written as a function, for formula answers (step(x) = relu'(x)).
    Op("step", 1, lambda a: np.where(a > 0, 1.0, 0.0), lambda g, a, o: (np.zeros_like(g * a[0]),), (T.Num(0),),
       kink_at=lambda a: a[0], kink_rule=(T.Equals((T.Apply("step", (T.Num(0),)), T.Num(0))), ", as relu'(0) in PyTorch; its derivative is 0 elsewhere"),
       function=True, tex=r"\operatorname{step}", meaning="1 where a > 0, else 0: relu's derivative (0 at 0, as PyTorch), for formula answers",
       example=([0.5, -1.2, 2.0],)),
    Op("sigmoid", 1, _sigmoid, lambda g, a, o: (g * o * (1.0 - o),), (_out * T.Paren(1 - _out),),
       function=True, tex=r"\sigma", mistakes=(_FORGOTTEN, _CONFUSED, _ROUNDED), meaning="1/(1 + e^(−a)), element-wise, computed stably", example=([0.5, -1.2, 2.0],)),
    Op("tanh", 1, np.tanh, lambda g, a, o: (g * (1.0 - o**2),), (1 - T.Power(_out, T.Num(2)),),
       function=True, tex=r"\tanh", mistakes=(_FORGOTTEN, _CONFUSED, "tanh-one-minus", _ROUNDED), meaning="element-wise", example=([0.5, -1.2, 2.0],)),
    # GELU as PyTorch's default (approximate="none"): a·Φ(a); (a·Φ(a))' = Φ(a) + a·φ(a).
    Op("gelu", 1, lambda a: a * _Phi(a), lambda g, a, o: (g * (_Phi(a[0]) + a[0] * _phi(a[0])),), (T.Apply("Φ", (_a,)) + _a * T.Apply("φ", (_a,)),),
       function=True, tex=r"\operatorname{GELU}", mistakes=(_FORGOTTEN, _CONFUSED, _ROUNDED),
       meaning="a·Φ(a), Φ the standard normal CDF, exact (with erf), as PyTorch's default `approximate='none'`", example=([0.5, -1.2, 2.0],)),
    # softplus as PyTorch (beta=1, threshold=20): log(1 + eᵃ), and a itself above 20, where
    # the two differ by less than e⁻²⁰ ≈ 2·10⁻⁹; its derivative is σ(a) (1 above 20).
    Op("softplus", 1, lambda a: np.where(a > 20, a, np.log1p(np.exp(np.minimum(a, 20.0)))),
       lambda g, a, o: (g * np.where(a[0] > 20, 1.0, _sigmoid(a[0])),), (T.Apply("sigmoid", (_a,)),),
       function=True, tex=r"\operatorname{softplus}", mistakes=(_FORGOTTEN, _CONFUSED, _ROUNDED),
       meaning="log(1 + eᵃ), as PyTorch (beta = 1, and a itself above threshold = 20)", example=([0.5, -1.2, 2.0],)),
    # log σ(a) = min(a, 0) − log(1 + e^(−|a|)), stable for any a; (log σ)' = 1 − σ(a) = σ(−a).
    Op("log_sigmoid", 1, lambda a: np.minimum(a, 0.0) - np.log1p(np.exp(-np.abs(a))), lambda g, a, o: (g * _sigmoid(-a[0]),),
       (1 - T.Apply("sigmoid", (_a,)),), function=True, tex=r"\log\sigma",
       meaning="log σ(a), computed stably (as `torch.nn.functional.logsigmoid`)", example=([0.5, -1.2, 2.0],)),
    Op("exp", 1, np.exp, lambda g, a, o: (g * o,), (_out,), function=True, tex=r"\exp", mistakes=(_ROUNDED,), meaning="element-wise", example=([0.5, -1.2, 2.0],)),
    Op("log", 1, np.log, lambda g, a, o: (g / a[0],), (_ONE / _a,), domain=lambda a: "log of a number ≤ 0" if np.any(a[0] <= 0) else None,
       function=True, tex=r"\log", mistakes=(_ROUNDED,), meaning="natural logarithm, element-wise", example=([0.5, 1.2, 2.0],)),
    Op("sqrt", 1, np.sqrt, lambda g, a, o: (g / (2.0 * o),), (_ONE / T.Paren(2 * _out),), domain=lambda a: "square root of a negative number" if np.any(a[0] < 0) else None,
       function=True, tex=r"\operatorname{sqrt}", mistakes=(_ROUNDED,), meaning="element-wise", example=([0.5, 1.2, 2.0],)),
    Op(
        "abs", 1, np.abs, lambda g, a, o: (g * np.sign(a[0]),), (T.Apply("sign", (_a,)),),
        kink_at=lambda a: a[0], kink_rule=(T.Equals((T.Prime("abs", T.Num(0)), T.Num(0))), ", as PyTorch"),
        alternatives=(
            ("abs'(0) = 1", lambda g, a, o: (g * np.where(a[0] >= 0, 1.0, -1.0),)),
            ("abs'(0) = -1", lambda g, a, o: (g * np.where(a[0] > 0, 1.0, -1.0),)),
        ),
        function=True, tex=r"\operatorname{abs}", meaning="element-wise",
        example=([0.5, -1.2, 2.0],),
    ),
    *(
        Op(
            name, 2, forward, vjp, (T.Noted(T.Indicator(_a, wins, _b), _TIE), T.Noted(T.Indicator(_b, wins, _a), _TIE)),
            kink_at=lambda a: a[0] - a[1], kink_is_tie=True, kink_rule=("a tie splits the gradient evenly, as PyTorch",),
            alternatives=(
                ("the whole gradient to the first argument at the tie", lambda g, a, o, vjp=vjp: vjp(g, a, o, 1.0)),
                ("the whole gradient to the second argument at the tie", lambda g, a, o, vjp=vjp: vjp(g, a, o, 0.0)),
            ),
            function=True, tex=rf"\{name}", meaning="element-wise",
            example=([0.5, -1.2, 2.0], [1.0, -2.0, 0.3]),
        )
        for name, forward, wins, vjp in (
            ("max", np.maximum, ">", _extremum_vjp(np.greater)),
            ("min", np.minimum, "<", _extremum_vjp(np.less)),
        )
    ),
    Op("sum", 1, lambda a: np.sum(a), lambda g, a, o: (g * np.ones_like(a[0]),), (T.Noted(_ONE, ("every element",)),), elementwise=False, shape=_scalar_shape, work=_input_work,
       function=True, tex=r"\operatorname{sum}", meaning="over every element, to a scalar", example=([[0.5, -1.2], [2.0, 0.3]],)),
    Op("mean", 1, lambda a: np.mean(a), lambda g, a, o: (g * np.ones_like(a[0]) / max(a[0].size, 1),), (T.Noted(_ONE / _n, ("every element",)),), elementwise=False, shape=_scalar_shape, work=_input_work,
       function=True, tex=r"\operatorname{mean}", meaning="over every element, to a scalar", example=([[0.5, -1.2], [2.0, 0.3]],)),
    Op("sum_axis", 2, lambda a, axis: np.sum(a, axis=int(axis)), lambda g, a, o: (np.broadcast_to(_unsqueeze(g, a[1]), a[0].shape), np.zeros_like(a[1])),
       (T.Noted(T.Apply("unsqueeze", (_G, _b)), ("copied along the summed axis",)), T.Num(0)), elementwise=False, vjp_form=True,
       constant_args=(1,), domain=_axis_domain("sum"), shape=_axis_shape("sum"), work=_input_work, function=True, call="sum", params=("a", "axis"), tex=r"\operatorname{sum}",
       meaning="along one axis, as `torch.sum(a, dim=axis)`; axis a whole number, negative from the end", example=([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]], 1)),
    Op("mean_axis", 2, lambda a, axis: np.mean(a, axis=int(axis)),
       lambda g, a, o: (np.broadcast_to(_unsqueeze(g, a[1]), a[0].shape) / a[0].shape[int(a[1])], np.zeros_like(a[1])),
       (T.Noted(T.Apply("unsqueeze", (_G, _b)) / T.Count(0, axis=1), ("copied along the averaged axis; n its length",)), T.Num(0)),
       elementwise=False, vjp_form=True, constant_args=(1,), domain=_axis_domain("mean"), shape=_axis_shape("mean"), work=_input_work, function=True, call="mean", params=("a", "axis"),
       tex=r"\operatorname{mean}", meaning="along one axis, as `torch.mean(a, dim=axis)`; axis a whole number, negative from the end",
       example=([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]], -2)),
    Op("dot", 2, lambda a, b: np.dot(a, b), lambda g, a, o: (g * a[1], g * a[0]), (_b, _a), elementwise=False, domain=_dot_domain, shape=_scalar_shape, work=_input_work,
       function=True, tex=r"\operatorname{dot}", meaning="two vectors of the same length (as `torch.dot`)", example=([0.5, -1.2, 2.0], [1.5, 0.3, -0.7])),
    Op("transpose", 1, lambda a: np.array(a.T), lambda g, a, o: (np.asarray(g).T,), (T.Transpose(_G),), elementwise=False, vjp_form=True, shape=lambda shapes, numbers: shapes[0][::-1],
       function=True, tex=r"\operatorname{transpose}", meaning="reverse the axes", example=([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],)),
    Op("softmax", 1, softmax, _softmax_vjp, (T.Apply("diag", (_out,)) - _out * T.Transpose(_out),), elementwise=False, domain=_vector_domain("softmax"),
       function=True, tex=r"\operatorname{softmax}", mistakes=(_ROUNDED,), meaning="over the last axis, computed stably", example=([0.5, -1.2, 2.0],)),
    Op("log_softmax", 1, log_softmax, _log_softmax_vjp, (T.Identity() - _ONE * T.Transpose(T.Apply("softmax", (_a,))),), elementwise=False,
       domain=_vector_domain("log_softmax"), function=True, tex=r"\operatorname{log\_softmax}", mistakes=(_ROUNDED,), meaning="over the last axis, computed stably", example=([0.5, -1.2, 2.0],)),
    Op("cross_entropy", 2, _cross_entropy, _cross_entropy_vjp, (-(_b / _a), -T.Apply("log", (_a,))), elementwise=False, domain=_cross_entropy_domain,
       data_args=(1,), shape=_scalar_shape, work=_input_work, function=True, tex=r"\operatorname{CE}",
       meaning="−Σ b·log a summed over every element, a batch included; a probabilities, b one-hot rows or distributions shaped like a, "
               "or integer class labels shaped like a without its last axis; 0·log 0 = 0", example=([0.2, 0.5, 0.3], [0.1, 0.6, 0.3])),
    Op("softmax_cross_entropy", 2, _softmax_cross_entropy, _softmax_cross_entropy_vjp,
       (T.Apply("softmax", (_a,)) - _b, -T.Apply("log_softmax", (_a,))), elementwise=False, domain=_softmax_cross_entropy_domain,
       data_args=(1,), shape=_scalar_shape, work=_input_work, fuses=("cross_entropy", "softmax"), tex=r"\operatorname{CE}\circ\operatorname{softmax}", mistakes=("y-minus-p",),
       meaning="not written by a student: what `cross_entropy(softmax(a), b)` is computed as when the softmax feeds nothing else "
               "(the derivation still shows both steps); −Σ b·log_softmax(a), stable at any logits a, its gradient p − b with p = softmax(a) "
               "(p·Σb − b row by row when a row of b does not sum to 1)", example=([0.5, -1.2, 2.0], [0.1, 0.6, 0.3])),
    Op("bce", 2, _bce, _bce_vjp, (T.Paren(_a - _b) / T.Paren(_a * T.Paren(1 - _a)) / _n, T.Paren(T.Apply("log", (1 - _a,)) - T.Apply("log", (_a,))) / _n),
       elementwise=False, domain=_bce_domain, data_args=(1,), shape=_scalar_shape, work=_broadcast_work, function=True, tex=r"\operatorname{BCE}",
       meaning="binary cross-entropy, the **mean** of −(b·log a + (1 − b)·log(1 − a)) as `torch.nn.BCELoss()`: a probabilities "
               "from 0 to 1, b targets of the same shape; each log clamped at −100 and a(1 − a) at 10⁻¹² in the gradient, as torch",
       example=([0.2, 0.7, 0.9], [0.0, 1.0, 0.6])),
    Op("mse", 2, lambda a, b: np.mean((a - b) ** 2), _mse_vjp, (2 * T.Paren(_a - _b) / _n, -(2 * T.Paren(_a - _b) / _n)), elementwise=False, shape=_scalar_shape, work=_broadcast_work,
       function=True, tex=r"\operatorname{MSE}", mistakes=(_SQUARE,), meaning="mean of (a − b)²", example=([0.5, -1.2, 2.0], [1.5, 0.3, -0.7])),
]

OPS: dict[str, Op] = {op.name: op for op in _OPS}
BY_SYMBOL: dict[str, Op] = {op.symbol: op for op in _OPS if op.symbol}
CALLS: dict[tuple[str, int], Op] = {(op.called, op.arity): op for op in _OPS if op.function}
"""The op a call means, by function name and number of arguments: sum(a) and sum(a, axis)."""


def _arities(name: str) -> int | tuple[int, int]:
    counts = sorted(arity for (called, arity) in CALLS if called == name)
    return counts[0] if len(counts) == 1 else (counts[0], counts[-1])


FUNCTIONS: dict[str, int | tuple[int, int]] = {called: _arities(called) for called, _ in CALLS}
"""The functions the expression language can call and how many arguments each takes (a
number, or the fewest and most): from the registry."""
SIGNATURES: list[str] = [op.signature for op in _OPS if op.function]

# Functions that appear only inside derivative formulas: TeX name and NumPy form.
MATH_FUNCTIONS: dict[str, tuple[str, Callable]] = {
    "ln": (r"\ln", np.log),
    "sign": (r"\operatorname{sign}", np.sign),
    "Φ": (r"\Phi", _Phi),
    "φ": (r"\varphi", _phi),
    "unsqueeze": (r"\operatorname{unsqueeze}", _unsqueeze),
    "diag": (r"\operatorname{diag}", lambda v: np.diag(v) if np.ndim(v) == 1 else np.vectorize(np.diag, signature="(n)->(n,n)")(v)),
}


TEX_NAMES: dict[str, str] = {**{name: tex for name, (tex, _) in MATH_FUNCTIONS.items()}, **{op.called: op.tex for op in _OPS if op.function}}
"""Every function a formula or an expression may apply, by name, in TeX."""


def numpy_functions() -> dict[str, Callable]:
    """Every function a formula may apply, as NumPy: for evaluating formulas in tests."""
    return {**{name: np_form for name, (_, np_form) in MATH_FUNCTIONS.items()}, **{op.called: op.forward for op in _OPS if op.function and not op.call}}
