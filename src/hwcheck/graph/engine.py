"""Forward and reverse mode over the node list, iteratively and in time linear in the graph.

Reverse mode is micrograd's rule without its recursion: walk the (already topological)
node list backwards and give each operand ``g · ∂node/∂operand`` (a vector–Jacobian
product), *accumulating* with ``+``. That accumulation is exactly where the chain-rule
paths through a residual connection add up.

A node the builder fused with its operand's node (``cross_entropy(softmax(h), y)``, see
build.py) is computed by its fused op (``softmax_cross_entropy(h, y)`` in ops.py): logits
of ±1000 give the exact finite loss and gradient although p underflows to 0.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import HwcheckError
from ..record import Record
from ..numbers import fmt_value
from . import terms as T
from .build import Graph, Node, evaluate
from .ops import DomainError, softmax, unbroadcast

# A replacement local rule for one node: (g, args, out) -> grads per operand.
Rule = Callable[[np.ndarray, list, np.ndarray], tuple]


class NumericFault(HwcheckError):
    """A value or gradient that is not a finite number, at a named node."""

    def __init__(self, node: Node, message: str):
        super().__init__(message)
        self.node = node


class Kink(Record):
    """A point where the derivative is not defined and a subgradient was chosen."""

    node: str
    step: str | None
    # As data, which every output typesets (the JSON's "where" and "rule" too, contract §6):
    point: T.Term  # xwb0 = 0, or a = b = 0.5 at a tie
    count: tuple[int, int] | None  # at how many of how many elements, for a tensor
    rule: tuple  # how it was resolved: words, with its maths as terms (relu'(0) = 0, as PyTorch)


def args_of(node: Node, values: list) -> list[np.ndarray]:
    return [values[o] if isinstance(o, int) else np.asarray(o.value, dtype=float) for o in node.operands]


def forward(graph: Graph, leaves: dict[str, np.ndarray], overrides: dict[int, np.ndarray] | None = None, base: list | None = None) -> list[np.ndarray]:
    """Every node's value; raises NumericFault naming the node whose value is undefined.

    ``overrides`` fixes the value of chosen nodes (a student's own answers), so that what
    follows from them can be recomputed; with ``base`` (the values without overrides), a
    node that depends on none of them keeps its value there instead of being recomputed.
    """
    values: list = [None] * len(graph) if base is None else list(base)
    changed: set[int] = set()
    for node in graph.nodes:
        if overrides and node.index in overrides:
            values[node.index] = np.asarray(overrides[node.index], dtype=float)
            changed.add(node.index)
            continue
        if base is not None:
            if not any(isinstance(o, int) and o in changed for o in node.operands):
                continue
            changed.add(node.index)
        if node.is_leaf:
            values[node.index] = leaves[node.name]
            continue
        try:
            values[node.index] = evaluate(node.fused or node, values)
        except DomainError as exc:
            inputs = ", ".join(f"{graph.operand_name(o)} = {fmt_value(v)}" for o, v in zip(node.operands, args_of(node, values)))
            raise NumericFault(node, f"{exc.args[0]}: {node.name} with {inputs}") from None
    return values


def name_term(node: Node) -> T.Term:
    """A node as the derivation names it: its step's name, or an operation's expression."""
    return T.Symbol(node.name) if node.role != "sub" else T.from_tree(node.expr)


def operand_name_term(graph: Graph, operand) -> T.Term:
    """An operand as named in a step's expression: a node's name term, or a constant's number."""
    return name_term(graph.nodes[operand]) if isinstance(operand, int) else T.Num(operand.value)


def kinks(graph: Graph, values: list) -> list[Kink]:
    found = []
    for node in graph.nodes:
        if node.op is None or node.op.kink_at is None:
            continue
        args = args_of(node, values)
        mask = np.asarray(node.op.kink_at(args)) == 0
        if not mask.any():
            continue
        sides = [operand_name_term(graph, o) for o in node.operands]
        count = (int(mask.sum()), mask.size) if mask.ndim else None
        if node.op.kink_is_tie:
            tied = np.broadcast_arrays(*args)[0][mask] if mask.ndim else args[0]
            point = T.Equals((sides[0], sides[1], T.tensor(tied) if np.ndim(tied) else T.Num(float(tied))))
            count = None  # the tied values are listed, one per element
        else:
            point = T.Equals((sides[0], T.Num(0)))
        found.append(Kink(node.name, node.step, point, count, node.op.kink_rule))
    return found


def backward(
    graph: Graph,
    values: list,
    start: int,
    rules: dict[int, Rule] | None = None,
    seed: np.ndarray | None = None,
    overrides: dict[int, np.ndarray] | None = None,
    record: dict[tuple[int, int], np.ndarray] | None = None,
    stop: int = -1,
) -> list[np.ndarray]:
    """d(start)/d(node) for every node, by reverse accumulation from a scalar `start`.

    ``rules`` replaces the local rule of chosen nodes (another subgradient at a kink, or a
    typical student mistake); ``seed`` replaces the 1 at `start`; ``overrides`` replaces
    the accumulated gradient of chosen nodes (a student's own upstream value, to follow an
    error carried forward). Without them this is the plain backward pass. ``record``, when
    given, receives each edge's contribution g·∂consumer/∂operand, keyed (consumer, k).
    ``stop`` ends the pass once node ``stop``'s gradient is complete (the nodes below it
    are then left incomplete: only for a caller that reads no gradient below it).
    """
    grads: list = [None] * len(graph)
    grads[start] = np.ones_like(values[start]) if seed is None else np.asarray(seed, dtype=float)
    skip: set[int] = set()  # inner nodes of a fused op (softmax), whose gradient went straight past them
    for index in range(start, stop, -1):
        if overrides and index in overrides:
            grads[index] = np.asarray(overrides[index], dtype=float)
        g = grads[index]
        node = graph.nodes[index]
        if g is None or node.is_leaf or index in skip:
            continue
        args = args_of(node, values)
        fused = node.fused if not (rules and index in rules) else None
        if fused is not None:  # f(inner(h), y) run as one op F(h, y): the gradient goes straight to h
            inner = node.operands[0]
            with np.errstate(all="ignore"):
                local = fused_vjp(node, values, g)
                # The inner node's gradient is still shown (−y/p for the softmax, ±inf where p
                # underflowed), from this node's own rule; nothing is passed on from it.
                shown = node.op.vjp(g, args, values[index])[0]
            _accumulate(grads, fused.operands[0], local[0], values, node, record, (inner, 0))
            grads[inner] = shown
            if record is not None:
                record[(index, 0)] = shown
            skip.add(inner)
            for k in range(1, len(fused.operands)):  # this node's own other operands (the labels: data)
                if isinstance(fused.operands[k], int):
                    data = k in fused.op.data_args
                    _accumulate(grads, fused.operands[k], local[k], values, node, record, (index, k), data)
            continue
        rule = rules.get(index) if rules else None
        with np.errstate(all="ignore"):
            local = (rule or node.op.vjp)(g, args, values[index])
        # An undefined gradient already let into data (an input exponent's) flows on into its
        # operands, which are data too.
        carried = node.untrained and not np.all(np.isfinite(g))
        for k, operand in enumerate(node.operands):
            if isinstance(operand, int):
                data = carried or k in node.op.data_args or (k in node.op.data_if_untrained and graph.nodes[operand].untrained)
                _accumulate(grads, operand, local[k], values, node, record, (index, k), data)
    for index, g in enumerate(grads):
        if g is None:
            grads[index] = np.zeros_like(values[index])
    return grads


def _accumulate(grads: list, operand: int, contribution, values: list, consumer: Node, record=None, edge=None, data=False) -> None:
    contribution = unbroadcast(np.asarray(contribution, dtype=float), np.shape(values[operand]))
    if record is not None:
        record[edge] = contribution
    # An infinite gradient is a fault, except into data, which no one trains: the labels of
    # cross_entropy (d/dy of −y·log p is −log p, infinite where p = 0), or an exponent fed by
    # inputs only. Such a gradient is refused only where a question asks for it (load.py).
    if not data and not np.all(np.isfinite(contribution)):
        raise NumericFault(consumer, f"the local derivative of {consumer.name} is not finite at these values")
    grads[operand] = contribution if grads[operand] is None else grads[operand] + contribution


def fused_vjp(node: Node, values: list, g) -> tuple:
    """The VJP of a fused node's op (one number's gradient at its operands), given the inner
    node's value as ``values`` holds it: p − y with the graph's p (a student's own p, carried
    forward, or the softmax over the wrong axis, when a mistake is re-run)."""
    return node.fused.op.vjp(g, args_of(node.fused, values), values[node.index], inner=values[node.operands[0]])


def vjp_edge(graph: Graph, values: list, consumer: int, k: int, g: np.ndarray) -> np.ndarray:
    """g · ∂consumer/∂(operand k): one edge of the chain rule, as used along one path."""
    node = graph.nodes[consumer]
    args = args_of(node, values)
    with np.errstate(all="ignore"):
        local = node.op.vjp(g, args, values[consumer])[k]
    return unbroadcast(np.asarray(local, dtype=float), np.shape(args[k]))


def path_value(graph: Graph, values: list, edges, start: int) -> np.ndarray:
    """One path's term of d(start)/d(node it ends in): the chain-rule product along
    ``edges`` (from the top down), each edge a vjp_edge."""
    g = np.ones_like(values[start])
    for consumer, k in edges:
        g = vjp_edge(graph, values, consumer, k, g)
    return g


# -- forward mode: how every node moves with one node ---------------------------------


def tangents(graph: Graph, values: list, target: int, stop: int) -> list:
    """∂node/∂target for every node from `target` up to `stop`, by forward mode (one pass).

    Each entry has target's shape followed by the node's shape (one tangent per element of
    the target, carried together on a leading axis); None for a node that does not depend
    on the target. With them, the backward pass's response to one extra adjoint δ put in at
    node o is read off without re-running it: its change at the target is Σ δ·∂o/∂target
    (the chain rule's paths from o down to the target, counted from the target up).
    A fused node is differentiated by its fused op, as backward() does (p − y at the logits).
    """
    shape = np.shape(values[target])
    m = int(np.prod(shape, dtype=int))
    out: list = [None] * len(graph)
    out[target] = np.eye(m).reshape((m,) + shape)
    for node in graph.nodes[target + 1 : stop + 1]:
        if node.is_leaf or not any(isinstance(o, int) and out[o] is not None for o in node.operands):
            continue
        with np.errstate(all="ignore"):
            if node.fused is not None:  # its result is one number: its VJP at 1 is the row of its Jacobian
                local = fused_vjp(node, values, np.ones(()))
                total = np.zeros((m,))
                for k, o in enumerate(node.fused.operands):
                    if isinstance(o, int) and out[o] is not None:
                        total = total + _contract(out[o], local[k])
                out[node.index] = total
                continue
            out[node.index] = _jvp(node, args_of(node, values), values[node.index], [out[o] if isinstance(o, int) else None for o in node.operands], m)
    return [t.reshape(shape + np.shape(values[i])) if t is not None else None for i, t in enumerate(out)]


def sensitivity(tangent: np.ndarray | None, delta, target_shape) -> np.ndarray:
    """Σ δ·∂o/∂target: the change at the target of an extra adjoint δ at node o."""
    if tangent is None:
        return np.zeros(target_shape)
    delta = np.asarray(delta, dtype=float)
    axes = tuple(range(len(target_shape), tangent.ndim))
    return np.sum(tangent * delta, axis=axes) if axes else tangent * delta


def _contract(tangent: np.ndarray, delta) -> np.ndarray:
    """Σ over a node's own axes of tangent (m, *shape) · delta (shape): shape (m,)."""
    return np.sum((tangent * delta).reshape(tangent.shape[0], -1), axis=1)


def _spread(t: np.ndarray, arg_shape: tuple, out_shape: tuple) -> np.ndarray:
    """A tangent (m, *arg_shape) broadcast to (m, *out_shape) as NumPy broadcasts the operand."""
    t = t.reshape((t.shape[0],) + (1,) * (len(out_shape) - len(arg_shape)) + tuple(arg_shape))
    return np.broadcast_to(t, (t.shape[0],) + tuple(out_shape))


def _jvp(node: Node, args: list, out: np.ndarray, ts: list, m: int) -> np.ndarray:
    """The node's tangent (m, *out.shape) from its operands' tangents (None: constant)."""
    op, shape = node.op, np.shape(out)
    total = np.zeros((m,) + shape)
    if op.name == "matmul":
        a, b = args
        if ts[0] is not None:
            total = total + np.matmul(ts[0], b)
        if ts[1] is not None:
            if b.ndim == 1:  # a·t row by row: (m, D) against a's rows
                total = total + (np.sum(a * ts[1], axis=-1) if a.ndim == 1 else np.matmul(ts[1], a.T))
            else:
                total = total + np.matmul(a, ts[1])
        return total.reshape((m,) + shape)
    if op.name == "transpose":
        t = ts[0]
        return np.transpose(t, (0,) + tuple(range(t.ndim - 1, 0, -1)))
    if op.name == "softmax":
        t = ts[0]
        return out * (t - np.sum(t * out, axis=-1, keepdims=True))
    if op.name in ("sum_axis", "mean_axis"):  # linear: the same reduction of the tangent
        axis = int(args[1])
        reduce = np.sum if op.name == "sum_axis" else np.mean
        return reduce(ts[0], axis=axis + 1 if axis >= 0 else axis)
    if op.name == "log_softmax":
        t = ts[0]
        return t - np.sum(t * softmax(args[0]), axis=-1, keepdims=True)
    for k, t in enumerate(ts):
        if t is None:
            continue
        if op.elementwise:
            # The local Jacobian is diagonal, so its VJP and its JVP are the same product.
            total = total + op.vjp(_spread(t, np.shape(args[k]), shape), args, out)[k]
        else:
            total = total + _jvp_by_rows(op, args, out, k, t)
    return total


def _jvp_by_rows(op, args: list, out: np.ndarray, k: int, t: np.ndarray) -> np.ndarray:
    """The JVP of any other op from its VJP, one row of its Jacobian per result element:
    the ops left are those whose result is one number (sum, mean, dot, mse, bce,
    cross_entropy), so this is one VJP."""
    shape = np.shape(out)
    rows = []
    for e in range(max(int(np.prod(shape, dtype=int)), 1)):
        g = np.zeros(int(np.prod(shape, dtype=int)))
        g[e] = 1.0
        row = unbroadcast(np.asarray(op.vjp(g.reshape(shape), args, out)[k], dtype=float), np.shape(args[k]))
        rows.append(_contract(t, row))
    return np.stack(rows, axis=1).reshape((t.shape[0],) + shape)
