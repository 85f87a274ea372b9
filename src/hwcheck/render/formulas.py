"""Text of the chain rule, shared by every output format.

These functions only arrange names and numbers the solver already computed: the factor
labels of a path (∂z/∂yx · ∂yx/∂y1 · …), the numbers filled in, and a node's gradient
as the sum of its consumers' contributions. Each format then typesets them its own way.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import terms as T
from ..graph.solve import SCALAR
from ..numbers import fmt_count, fmt_factor, fmt_value
from .typeset import unicode


def partial(top: T.Term, bottom: T.Term, d: str = "∂") -> str:
    """∂top/∂bottom, the terms as written after ∂ (expressions parenthesised): ∂(x0 * w0)/∂x0."""
    return unicode(T.Partial(top, bottom, d))


def local_partial(local) -> str:
    """∂node/∂operand of a local derivative."""
    return partial(local.node_term, local.operand_term)


def value_text(value) -> str:
    """A value as a factor in a product: -0.2 → (-0.2); vectors as [..]."""
    if value is None:
        return "…"
    array = np.asarray(value)
    return fmt_factor(float(array)) if array.ndim == 0 else fmt_value(array)


def shape_text(value) -> str:
    """'scalar', '3', '3×2'."""
    shape = np.shape(value)
    return "scalar" if shape == () else "×".join(map(str, shape))


def shape_of(shape: tuple[int, ...]) -> str:
    """'3×2' for a shape (as shape_text, for a shape rather than a value)."""
    return "scalar" if shape == () else "×".join(map(str, shape))


def local_formula(local) -> str:
    """A local derivative's formula as true as written: a vector–Jacobian product says so
    (G ↦ Xᵀ·G, shaped like the operand), anything else is the derivative itself."""
    formula = unicode(local.formula)
    if not local.vjp:
        return formula
    return f"G ↦ {formula}" + (f" ({shape_of(local.operand_shape)})" if local.operand_shape else "")


def unshown_note(local) -> str:
    """For a local derivative whose formula is the derivative itself but whose Jacobian is
    too large to print (not a VJP: writing G ↦ 1 for a broadcast b would be false)."""
    rows, columns = math.prod(local.node_shape), math.prod(local.operand_shape)
    return f"Jacobian {rows}×{columns}, too large to show"


def jacobian_note(local) -> str:
    """What the rows and columns of a full Jacobian are (for a formula that is a VJP)."""
    rows, columns = math.prod(local.node_shape), math.prod(local.operand_shape)
    return f"Jacobian {rows}×{columns}: row i = element i of {local.node}, column j = element j of {local.operand}, row-major"


def path_labels(path) -> list[str]:
    """∂a/∂b for each factor of a ChainPath, from the output down."""
    return [local_partial(f) for f in path.factors]


def path_numbers(path) -> str | None:
    """'1 · 1 · (-0.2)' when every factor is a number, else None (tensors)."""
    if path.product != SCALAR:
        return None
    return " · ".join(value_text(f.value) for f in path.factors)


MAX_TERMS = 12  # beyond this many consumers a sum is described, not written out


def sum_terms(contributions, output: T.Term, product: str) -> tuple[str, str | None]:
    """A node's gradient as Σ over its consumers: symbols, and numbers when scalar."""
    if len(contributions) > MAX_TERMS:
        operand = contributions[0].local.operand_term
        return f"Σ over its {len(contributions):,} consumers c of d{unicode(output)}/dc · ∂c/∂{unicode(operand)}", None
    symbols = " + ".join(f"{partial(output, c.local.node_term, 'd')} · {local_partial(c.local)}" for c in contributions)
    if product == SCALAR:
        numbers = " + ".join(f"{value_text(c.upstream)} · {value_text(c.local.value)}" for c in contributions)
        return symbols, numbers
    return symbols, None


def path_count_text(count: int) -> str:
    return f"{fmt_count(count)} path" + ("" if count == 1 else "s")
