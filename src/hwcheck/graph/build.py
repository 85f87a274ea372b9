"""From parsed steps to the computation graph: one node per leaf and per operation.

A step such as ``h: relu(x0 * w0 + b0)`` becomes three nodes — ``x0 * w0``,
``x0 * w0 + b0`` and ``h`` — so that every local derivative appears in the derivation.
Sub-expression nodes are named by their canonical text, and the same text always means
the same node. Nodes are created in an order where every operand comes before its
consumer, so the node list is already topologically sorted: the engine never needs to
sort, and never recurses.

Operands that are numbers (``2 * x``) are :class:`Const`, not nodes; a sub-expression made
only of numbers is folded at once in float64 (so ``10 ** 10 ** 10`` is an overflow, not
an attempt to build a 10-billion-digit integer).

Every node's shape is inferred here from its operands' shapes (each Op knows its rule), so
sizes are checked before anything is computed: a 390 KB file broadcasting a 30000×1 matrix
against a 30000-vector asks for 9·10⁸ elements, and is refused with its column instead of
running out of memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..record import Record
from ..errors import HwcheckError, Pos
from ..numbers import fmt
from . import expr as E
from .ops import BY_SYMBOL, CALLS, OPS, DomainError, Op, Shape, size_of

# Sizes a homework never needs, refused before allocating (documented in docs/format.md).
MAX_ELEMENTS = 1_000_000  # in one node's value (8 MB of float64)
MAX_TOTAL_ELEMENTS = 5_000_000  # in all the graph's values together (each pass keeps them all)
MAX_MULTIPLY_ADDS = 100_000_000  # in one operation (a matrix product of 1000×1000 by 1000×100)

# The fused ops of the registry, by the (outer, inner) pair of operations each replaces.
FUSIONS: dict[tuple[str, str], Op] = {op.fuses: op for op in OPS.values() if op.fuses}


class Const(Record):
    value: float


@dataclass
class Node:
    index: int
    name: str  # the step or leaf name, or the canonical text of a sub-expression
    role: str  # "input", "param", "step" or "sub" (an operation inside a step)
    op: Op | None = None
    operands: tuple = ()  # node indices (int) or Const
    expr: E.Expr | None = None  # the node's own expression (operations only)
    step: str | None = None  # the step this operation belongs to
    pos: Pos | None = None
    shape: Shape = ()  # known before any value is computed
    untrained: bool = False  # no param feeds it (set by Graph.add): its gradient is never needed for training
    # The one op the engine runs instead of this node and its operand 0's node together
    # (set by Graph.add: softmax + cross-entropy), or None; the graph keeps both nodes.
    fused: Node | None = None

    @property
    def is_leaf(self) -> bool:
        return self.op is None


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)  # name -> node index
    consumers: list[list[tuple[int, int]]] = field(default_factory=list)  # node -> [(consumer, operand k)]
    elements: int = 0  # the number of float64 values one forward pass holds
    # What depends on the graph's structure only (paths, which steps lie between two nodes),
    # worked out once and shared by every set of leaf values: each student's variant keeps
    # the graph (variants.py). Filled only once the graph is built (by the mistakes).
    _structure: dict = field(default_factory=dict, repr=False, compare=False)

    def structure(self, key, compute):
        """compute(), once per key for this graph: ``compute`` must read the graph's
        structure and names only, never a node's value."""
        if key not in self._structure:
            self._structure[key] = compute()
        return self._structure[key]

    def add(self, node: Node) -> Node:
        node.index = len(self.nodes)
        self.elements += size_of(node.shape)
        if node.is_leaf:
            node.untrained = node.role == "input"
        else:
            node.untrained = all(self.nodes[o].untrained for o in node.operands if isinstance(o, int))
        self.nodes.append(node)
        self.index[node.name] = node.index
        self.consumers.append([])
        for k, operand in enumerate(node.operands):
            if isinstance(operand, int):
                self.consumers[operand].append((node.index, k))
        self._fuse(node)
        return node

    def _fuse(self, node: Node) -> None:
        """Rewrite outer(inner(h), y) to the registry's fused op where inner feeds nothing else:
        cross_entropy(softmax(h), y) to softmax_cross_entropy(h, y), as PyTorch's
        F.cross_entropy takes logits: exact at logits of ±1000, where p underflows to 0 and
        −y/p would be infinite. Both nodes
        stay in the graph for the derivation (L → p → h, as students write it); the engine
        computes the loss and the gradient at h with the fused op. A later step that uses
        the softmax too undoes the rewrite (the softmax's own gradient is then needed)."""
        for operand in node.operands:
            # Only an operand's first consumer can have been rewritten (its inner node then had
            # that one consumer), so undoing looks at that one: constant time per operand.
            if isinstance(operand, int) and len(self.consumers[operand]) > 1:
                first, k = self.consumers[operand][0]
                if k == 0:
                    self.nodes[first].fused = None
        if node.is_leaf or not node.operands or not isinstance(node.operands[0], int):
            return
        inner = self.nodes[node.operands[0]]
        op = FUSIONS.get((node.op.name, inner.op.name)) if not inner.is_leaf else None
        if op is not None and len(self.consumers[inner.index]) == 1 and isinstance(inner.operands[0], int):
            node.fused = Node(node.index, node.name, node.role, op, (inner.operands[0],) + tuple(node.operands[1:]),
                              node.expr, node.step, node.pos, node.shape, node.untrained)

    def operand_name(self, operand) -> str:
        return self.nodes[operand].name if isinstance(operand, int) else fmt(operand.value)

    def __len__(self) -> int:
        return len(self.nodes)


class BuildError(HwcheckError):
    """A semantic fault in a step's expression, at a 0-based column (the loader places it in the file)."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.column = column


def _fold(op: Op, values: list[float], column: int) -> float:
    """Evaluate an operation on numbers alone, refusing overflow and undefined results."""
    args = [np.asarray(v, dtype=float) for v in values]
    if op.domain and (problem := op.domain(args)):
        raise BuildError(problem, column)
    try:
        with np.errstate(all="ignore"):
            result = op.forward(*args)
    except DomainError as exc:
        raise BuildError(str(exc), column) from None
    if not np.all(np.isfinite(result)):
        raise BuildError("this constant overflows float64 (or is undefined)", column)
    return float(result)


def add_step(graph: Graph, name: str, tree: E.Expr, pos: Pos | None) -> Node:
    """Add the nodes of one step; the last one is named `name`. Names must already exist."""

    def operand_of(sub: E.Expr, is_root: bool):
        """Returns a node index or a Const for a sub-expression, adding nodes as needed."""
        if isinstance(sub, E.Num):
            return Const(sub.value)
        if isinstance(sub, E.Name):
            if sub.name not in graph.index:
                raise BuildError(f"unknown name '{sub.name}'", sub.column)
            return graph.index[sub.name]
        op, children = _op_and_children(sub)
        operands = [operand_of(child, False) for child in children]
        for k in op.constant_args:
            if not isinstance(operands[k], Const):
                raise BuildError(f"argument {k + 1} of {sub.func}() must be a number", sub.column)
        if all(isinstance(o, Const) for o in operands) and not is_root:
            return Const(_fold(op, [o.value for o in operands], sub.column))
        text = E.to_text(sub)
        if not is_root and text in graph.index:
            return graph.index[text]  # the same sub-expression is the same node
        shapes = [graph.nodes[o].shape if isinstance(o, int) else () for o in operands]
        shape = _checked_shape(graph, op, shapes, [o.value if isinstance(o, Const) else None for o in operands], sub.column)
        node = Node(0, name if is_root else text, "step" if is_root else "sub", op, tuple(operands), sub, name, pos, shape)
        return graph.add(node).index

    if isinstance(tree, (E.Num, E.Name)):  # `c: 3` or `a: b` — a step that copies a value
        if isinstance(tree, E.Name) and tree.name not in graph.index:
            raise BuildError(f"unknown name '{tree.name}'", tree.column)
        operand = Const(tree.value) if isinstance(tree, E.Num) else graph.index[tree.name]
        shape = () if isinstance(operand, Const) else _checked_shape(graph, OPS["copy"], [graph.nodes[operand].shape], [None], tree.column)
        return graph.add(Node(0, name, "step", OPS["copy"], (operand,), tree, name, pos, shape))
    index = operand_of(tree, True)
    return graph.nodes[index]


def _checked_shape(graph: Graph, op: Op, shapes: list[Shape], numbers: list[float | None], column: int) -> Shape:
    """The shape of ``op`` on operands of ``shapes`` (``numbers``: the value of each operand that
    is a number, else None), refused when it is too large to compute."""
    try:
        shape = op.shape(shapes, numbers)
        size = size_of(shape)
        work = op.work(shapes, shape) if op.work else size
    except DomainError as exc:
        raise BuildError(str(exc), column) from None
    shown = "×".join(map(str, shape))
    if size > MAX_ELEMENTS:
        raise BuildError(f"the result would be {shown} = {size:,} numbers (limit {MAX_ELEMENTS:,} per value); check the shapes: broadcasting may have made it this big", column)
    if work > MAX_MULTIPLY_ADDS:
        raise BuildError(f"this operation would take {work:,} multiply-adds (limit {MAX_MULTIPLY_ADDS:,}); use smaller tensors", column)
    if graph.elements + size > MAX_TOTAL_ELEMENTS:
        raise BuildError(f"the graph's values would hold more than {MAX_TOTAL_ELEMENTS:,} numbers in all; use smaller tensors or fewer steps", column)
    return shape


def _op_and_children(sub: E.Expr) -> tuple[Op, tuple]:
    if isinstance(sub, E.BinOp):
        op = BY_SYMBOL[sub.op]
    elif isinstance(sub, E.Neg):
        op = OPS["neg"]
    else:
        op = CALLS[(sub.func, len(sub.args))]
    return op, E.children(sub)


def evaluate(node: Node, values: list) -> np.ndarray:
    """The forward value of one operation node; raises DomainError on numeric faults."""
    args = [values[o] if isinstance(o, int) else np.asarray(o.value) for o in node.operands]
    try:
        if node.op.domain and (problem := node.op.domain(args)):
            raise DomainError(problem)
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            result = np.asarray(node.op.forward(*args), dtype=float)
    except DomainError:
        raise  # a ValueError too, but not NumPy's shape error below
    except FloatingPointError as exc:
        raise DomainError(f"{exc} (the result is not a finite number)") from None
    except ValueError as exc:  # NumPy's shape mismatch in broadcasting
        shapes = " and ".join(str(list(np.shape(a))) for a in args)
        raise DomainError(f"shapes {shapes} do not broadcast together ({exc})") from None
    if not np.all(np.isfinite(result)):
        raise DomainError("the result is not a finite number")
    return result
