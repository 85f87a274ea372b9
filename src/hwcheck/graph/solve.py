"""Solving a graph problem: the whole derivation a student writes by hand, as plain data.

:func:`solve_graph` returns a :class:`GraphSolution`: the forward pass (each step, its
expression, the numbers substituted and its value), the local derivatives of every
operation (formula and number), the backward pass (each node's upstream gradient as the
sum of its consumers' contributions), and for every name in ``wrt`` the chain-rule paths
from the output, each as a product of local derivatives, summed. Renderers only format
this data; they never compute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from ..errors import UnknownAsk
from ..solution import Alternative, Expected, Mistake, pick
from . import expr as E
from . import terms as T
from .ask import GraphAsk, parse_ask
from .build import Graph, Node
from .engine import Kink, NumericFault, args_of, backward, fused_vjp, kinks, name_term, operand_name_term, path_value
from .export import graph_json
from .hint import GivenHint, GradientHint, StepHint, graph_hint
from .load import GraphProblem
from .ops import class_targets, unbroadcast
from .mistakes import graph_mistakes
from .paths import count_paths, list_paths

MAX_LISTED_PATHS = 8  # list paths one by one up to this many; above it, show the sum
MAX_LISTED_PATH_LENGTH = 64  # a product of more factors than this helps nobody: show the sum
MAX_JACOBIAN_ENTRIES = 144  # show a full local Jacobian up to 12 × 12

# How the factors of a chain-rule product multiply, decided here once for every output:
# numbers (written 1 · (-0.2) · 3), or tensors (a VJP, a Jacobian or an element-wise
# derivative: the product is the backward pass's, its numbers are not written factor by factor).
SCALAR, TENSOR = "scalar", "tensor"


@dataclass
class LocalDerivative:
    """∂node/∂operand: its hand-written formula and its value.

    ``kind`` says what ``value`` holds: "scalar" (a number), "gradient" (a scalar node
    of a tensor operand: shaped like the operand), "diagonal" (element-wise:
    the derivative of each element with respect to the same element), "jacobian" (the
    full matrix, rows = output elements, columns = operand elements, both in row-major
    order) or "vjp" (too large or written as a vector–Jacobian product: only the formula
    is shown).

    ``vjp`` says the formula is a vector–Jacobian product ``G ↦ formula`` (G the upstream
    gradient, the result shaped like the operand), not the derivative itself: Xᵀ·G is
    3×2 for a 3×2 operand, while the Jacobian of a 4×2 node by it is 8×6.
    """

    node: str
    operand: str
    formula: T.Term
    value: np.ndarray | None
    kind: str
    vjp: bool = False
    node_shape: tuple[int, ...] = ()
    operand_shape: tuple[int, ...] = ()
    node_term: T.Term | None = None  # the node and the operand as written in ∂node/∂operand
    operand_term: T.Term | None = None


@dataclass
class StepRow:
    """One line of the forward pass."""

    name: str
    role: str  # input, param, step, sub
    expression: T.Term | None  # with operand names; None for leaves
    substituted: T.Term | None  # with the operands' numbers
    value: np.ndarray
    step: str | None
    locals: list[LocalDerivative] = field(default_factory=list)
    # SCALAR when the step and all its local derivatives are numbers (written as
    # differentials d(node) = f·d(operand)), else TENSOR.
    product: str = SCALAR
    term: T.Term | None = None  # the node as the derivation names it: x1, or relu(xwb0) for an operation
    differential: T.Term | None = None  # the node as written after ∂ or d: x1, (x0 * w0)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))


@dataclass
class Contribution:
    """One consumer's share of a node's gradient: d(out)/d(consumer) · ∂consumer/∂node."""

    consumer: str
    upstream: np.ndarray
    local: LocalDerivative
    value: np.ndarray
    product: str = SCALAR  # SCALAR: upstream and local derivative are numbers, upstream · local


@dataclass
class BackwardRow:
    name: str
    gradient: np.ndarray
    contributions: list[Contribution]
    product: str = SCALAR  # SCALAR when every contribution is a product of numbers


@dataclass
class ChainPath:
    """One path from the output down to a node: the chain-rule product along it."""

    nodes: list[str]  # from the output down
    factors: list[LocalDerivative]
    value: np.ndarray  # this path's contribution to the gradient
    product: str = SCALAR  # SCALAR when every factor is a number


@dataclass
class GradientDerivation:
    name: str
    output: str
    value: np.ndarray
    path_count: int
    paths: list[ChainPath]  # empty when there are more than MAX_LISTED_PATHS
    contributions: list[Contribution]  # the accumulated sum, always shown
    name_term: T.Term | None = None  # name and output as written after d: w0, (x0 * w0)
    output_term: T.Term | None = None
    product: str = SCALAR  # of the contributions: SCALAR when each is a product of numbers


@dataclass
class SoftmaxShortcut:
    """The seed's T4: dL/dh through the softmax Jacobian, and the shortcut p − y."""

    loss: str
    logits: str
    probabilities: str
    loss_term: T.Term  # the three as the derivation names them: L, or cross_entropy(x4, y) written inline
    logits_term: T.Term
    probabilities_term: T.Term
    p: np.ndarray
    y: np.ndarray
    through_jacobian: np.ndarray  # Jᵀ·(−y/p) with J = diag(p) − p pᵀ (nan where p underflowed)
    shortcut: np.ndarray  # p·Σy − y, = p − y for a one-hot y
    agree: bool
    sums_to_one: bool = True  # each row of y sums to 1 (one-hot or a distribution): the shortcut p·Σy − y is p − y


@dataclass
class GraphSolution:
    problem: GraphProblem
    rows: list[StepRow]
    backward: list[BackwardRow]  # nodes below the output, from the output down
    gradients: list[GradientDerivation]  # one per wrt name
    kinks: list[Kink]
    softmax: list[SoftmaxShortcut]
    grads: list[np.ndarray]  # d(output)/d(node) for every node, by index
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- the Solution protocol ---------------------------------------------------------
    def expected(self, ask: str) -> Expected:
        parsed = self._parse(ask)
        graph = self.problem.graph
        if not parsed.is_gradient:
            return Expected(ask, pick(self.problem.values[graph.index[parsed.name]], parsed.index), exact=False)
        grads = self.gradients_of(parsed.output)
        value = pick(grads[graph.index[parsed.name]], parsed.index)
        alternatives = []
        for note, alt in self.alternative_gradients(parsed.output):
            other = pick(alt[graph.index[parsed.name]], parsed.index)
            if not np.allclose(other, value, rtol=0, atol=0):
                alternatives.append(Alternative(other, f"also a valid subgradient at a kink ({note})"))
        return Expected(ask, value, exact=False, alternatives=tuple(alternatives))

    def mistakes(self, ask: str, answers: Mapping[str, Any] | None = None) -> list[Mistake]:
        return graph_mistakes(self, self._parse(ask), answers or {})

    def hint(self, ask: str) -> GivenHint | StepHint | GradientHint:
        """The formulas `ask` needs, as data (render.hints.hint_text typesets it)."""
        return graph_hint(self, self._parse(ask))

    def to_json(self) -> dict:
        return graph_json(self)

    def memo(self, key, compute):
        """compute(), once per key: the solution's own cache of work derived from it
        (other outputs' gradients, other subgradients, mistakes). The problem is never
        written to."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- helpers used by mistakes, hints and renderers ---------------------------------
    def _parse(self, ask: str) -> GraphAsk:
        parsed = parse_ask(ask)
        graph = self.problem.graph
        if parsed is None or parsed.name not in graph.index or (parsed.output and parsed.output not in graph.index):
            raise UnknownAsk(f"'{ask}' is not a question about this problem (write NAME or dOUT/dNAME)")
        return parsed

    def gradients_of(self, output: str) -> list[np.ndarray]:
        if output == self.problem.output:
            return self.grads
        if output in self.problem.other_grads:  # computed and checked at load for every question asking
            return self.problem.other_grads[output]
        return self.memo(("gradients", output), lambda: self._backward_from(output))

    def _backward_from(self, output: str) -> list[np.ndarray]:
        try:
            return backward(self.problem.graph, self.problem.values, self.problem.graph.index[output])
        except NumericFault as fault:
            raise UnknownAsk(f"d{output}/d...: {fault.message}") from None

    def alternative_gradients(self, output: str) -> list[tuple[str, list[np.ndarray]]]:
        """The gradients under every other valid subgradient choice at each kink."""
        return self.memo(("alternatives", output), lambda: self._alternatives(output))

    def _alternatives(self, output: str) -> list[tuple[str, list[np.ndarray]]]:
        graph, values = self.problem.graph, self.problem.values
        start = graph.index[output]
        found = []
        for kink in self.kinks:
            node = graph.nodes[graph.index[kink.node]]
            for note, rule in node.op.alternatives:
                try:
                    found.append((f"{kink.node}: {note}", backward(graph, values, start, {node.index: rule})))
                except NumericFault:
                    pass  # this other subgradient leads to an infinite derivative further down
        return found

    def row(self, name: str) -> StepRow:
        return self.rows[self.problem.graph.index[name]]

    @cached_property
    def local_of(self) -> dict[tuple[int, int], LocalDerivative]:
        """The local derivative on each edge (consumer index, operand position k)."""
        return {(index, k): local for index, row in enumerate(self.rows) for k, local in _edges(self.problem.graph, row)}

    def chain_path(self, edges: list[tuple[int, int]], start: int) -> ChainPath:
        """One path from node `start` down along `edges`, with its chain-rule product."""
        return _chain_path(self.problem.graph, self.problem.values, edges, self.local_of, start)

    @cached_property
    def path_counts(self) -> list[int]:
        return count_paths(self.problem.graph, self.problem.graph.index[self.problem.output])


# -- building the derivation ------------------------------------------------------------


def solve_graph(problem: GraphProblem) -> GraphSolution:
    graph, values, grads = problem.graph, problem.values, problem.grads  # both passes ran at load
    output = graph.index[problem.output]
    rows = [_step_row(graph, values, node) for node in graph.nodes]
    solution = GraphSolution(problem, rows, [], [], kinks(graph, values), _softmax_shortcuts(graph, values), grads)
    counts = solution.path_counts
    solution.backward = [
        _backward_row(node.name, grads[node.index], _contributions(graph, grads, node.index, counts, solution.local_of, problem.edge_values))
        for node in reversed(graph.nodes[: output + 1])
        if counts[node.index] > 0
    ]
    by_name = {row.name: row for row in solution.backward}
    for name in _derivation_names(problem):
        index = graph.index[name]
        listed = []
        if 0 < counts[index] <= MAX_LISTED_PATHS:
            paths = list_paths(graph, output, index, counts)
            if max(map(len, paths)) <= MAX_LISTED_PATH_LENGTH:
                listed = [solution.chain_path(edges, output) for edges in paths]
        contributions = by_name[name].contributions if name in by_name else []
        solution.gradients.append(GradientDerivation(name, problem.output, grads[index], counts[index], listed, contributions,
                                                     solution.rows[index].differential, solution.rows[output].differential,
                                                     _product(c.product for c in contributions)))
    return solution


def _derivation_names(problem: GraphProblem) -> list[str]:
    """The wrt names, then any other name whose d(output)/d(name) a question asks."""
    names = list(problem.wrt)
    for question in problem.questions:
        ask = parse_ask(question.ask)
        if ask and ask.is_gradient and ask.output == problem.output and ask.name not in names:
            names.append(ask.name)
    return names


def _edges(graph: Graph, row: StepRow):
    """(k, local) for each operand of a row that is a node (constants have no edge)."""
    node = graph.nodes[graph.index[row.name]]
    locals_iter = iter(row.locals)
    for k, operand in enumerate(node.operands):
        if isinstance(operand, int):
            yield k, next(locals_iter)


def operand_term(graph: Graph, operand) -> T.Term:
    """An operand inside a formula: a step's name, a number, or an operation's expression,
    parenthesised unless it is a name, a non-negative number or one call."""
    if not isinstance(operand, int):
        return T.Num(operand.value) if operand.value >= 0 else T.Paren(T.Num(operand.value))
    node = graph.nodes[operand]
    if node.role != "sub":
        return T.Symbol(node.name)
    return T.from_tree(node.expr) if T.is_atomic(node.expr) else T.Paren(T.from_tree(node.expr))


def _step_row(graph: Graph, values: list, node: Node) -> StepRow:
    value = values[node.index]
    if node.is_leaf:
        return StepRow(node.name, node.role, None, None, value, None, term=T.Symbol(node.name), differential=T.Symbol(node.name))
    # The node's expression with its direct operands replaced by names, then by numbers.
    children = _direct_children(node.expr)
    by_name = {id(child): operand_name_term(graph, o) for child, o in zip(children, node.operands)}
    by_value = {id(child): _substitute(o, values) for child, o in zip(children, node.operands)}
    if isinstance(node.expr, E.BinOp) and node.expr.op != "**" and isinstance(node.operands[0], int):
        by_value[id(children[0])] = _number(values[node.operands[0]])  # -0.08 + (-0.3): no parentheses first
    expression = T.from_tree(node.expr, by_name)
    substituted = T.from_tree(node.expr, by_value) if children else T.Num(float(value))
    row = StepRow(node.name, node.role, expression, substituted, value, node.step, term=name_term(node), differential=differential_term(node))
    row.product = SCALAR if np.ndim(value) == 0 else TENSOR
    args = args_of(node, values)
    operands = tuple(operand_term(graph, o) for o in node.operands)
    for k, operand in enumerate(node.operands):
        if isinstance(operand, int):
            formula = T.instantiate(node.op.derivatives[k], operands, operand_term(graph, node.index))
            row.locals.append(_local(node, k, args, value, formula, graph.nodes[operand].name,
                                     differential_term(node), differential_term(graph.nodes[operand])))
    row.product = _product([row.product] + [local_product(local) for local in row.locals])
    return row


def local_product(local: LocalDerivative) -> str:
    return SCALAR if local.kind == "scalar" and local.value is not None else TENSOR


def _product(kinds) -> str:
    """SCALAR when every factor (or every term of a sum) is a product of numbers."""
    return SCALAR if all(kind == SCALAR for kind in kinds) else TENSOR


def _backward_row(name: str, gradient, contributions: list[Contribution]) -> BackwardRow:
    return BackwardRow(name, gradient, contributions, _product(c.product for c in contributions))


def _direct_children(tree) -> tuple:
    return (tree,) if isinstance(tree, E.Name) else E.children(tree)  # a copy step `a: b` copies its name


def _substitute(operand, values) -> T.Term:
    """An operand's number as a factor: a negative in parentheses, as in 1 · (-0.2)."""
    value = values[operand] if isinstance(operand, int) else np.asarray(operand.value)
    if np.ndim(value) == 0 and float(value) < 0:
        return T.Paren(T.Num(float(value)))
    return _number(value)


def _number(value) -> T.Term:
    return T.Num(float(value)) if np.ndim(value) == 0 else T.tensor(value)


def differential_term(node: Node) -> T.Term:
    """A node as written after ∂ or d: its name, or its expression in parentheses."""
    term = name_term(node)
    return term if isinstance(term, T.Symbol) else T.Paren(term)


def _local(node: Node, k: int, args: list, out: np.ndarray, formula: T.Term, operand_name: str,
           node_term: T.Term, operand_term: T.Term) -> LocalDerivative:
    """The value of ∂node/∂operand k, in the most readable form its shapes allow."""
    op = node.op
    operand_shape = np.shape(args[k])
    out_shape = np.shape(out)

    def pull(g):  # g · ∂node/∂operand
        with np.errstate(all="ignore"):
            return unbroadcast(np.asarray(op.vjp(g, args, out)[k], dtype=float), operand_shape)

    out_size, operand_size = math.prod(out_shape), math.prod(operand_shape)
    if op.vjp_form and (out_size * operand_size > MAX_JACOBIAN_ENTRIES or out_shape == ()):
        kind, value = "vjp", None
    elif out_shape == () and operand_shape == ():
        kind, value = "scalar", pull(np.ones(()))
    elif out_shape == ():  # a scalar of a tensor: its Jacobian is a gradient, shaped like the operand
        kind, value = "gradient", pull(np.ones(()))
    elif op.elementwise and out_shape == operand_shape:
        kind, value = "diagonal", pull(np.ones(out_shape))
    elif out_size * operand_size <= MAX_JACOBIAN_ENTRIES:
        # Row i of the Jacobian is the vector–Jacobian product with the unit vector eᵢ.
        rows = []
        for i in range(out_size):
            unit = np.zeros(out_size)
            unit[i] = 1.0
            rows.append(pull(unit.reshape(out_shape)).reshape(-1))
        kind, value = "jacobian", np.array(rows)
    else:
        kind, value = "vjp", None
    return LocalDerivative(node.name, operand_name, formula, value, kind, op.vjp_form, out_shape, operand_shape, node_term, operand_term)


def _contributions(graph, grads, index, counts, locals_by_edge, edge_values) -> list[Contribution]:
    """The terms of node `index`'s gradient, one per consumer edge, as the backward pass summed them."""
    return [
        _contribution(graph.nodes[consumer].name, grads[consumer], locals_by_edge[(consumer, k)], edge_values[(consumer, k)])
        for consumer, k in graph.consumers[index]
        if counts[consumer] > 0  # consumers above the output contribute nothing
    ]


def _chain_path(graph, values, edges, locals_by_edge, output) -> ChainPath:
    g = path_value(graph, values, edges, output)
    names = [graph.nodes[output].name] + [graph.operand_name(graph.nodes[c].operands[k]) for c, k in edges]
    factors = [locals_by_edge[edge] for edge in edges]
    return ChainPath(names, factors, g, _product(local_product(f) for f in factors))


def _contribution(consumer: str, upstream, local: LocalDerivative, value) -> Contribution:
    product = SCALAR if np.ndim(upstream) == 0 and local_product(local) == SCALAR else TENSOR
    return Contribution(consumer, upstream, local, value, product)


def _softmax_shortcuts(graph: Graph, values: list) -> list[SoftmaxShortcut]:
    found = []
    for node in graph.nodes:
        if node.fused is None:
            continue
        p_index, logits = node.operands[0], node.fused.operands[0]
        p = values[p_index]
        y = class_targets(p.shape, args_of(node, values)[1])  # class labels as one-hot rows
        with np.errstate(all="ignore"):
            upstream = np.where(y != 0, -y / p, 0.0)  # dL/dp for L = −Σ y log p
            # ∂p_j/∂h_i = p_j(δ_ij − p_i), one symmetric Jacobian per row of logits.
            jacobian = p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]
            through = np.einsum("...ij,...j->...i", jacobian, upstream)
        shortcut = fused_vjp(node, values, np.ones(()))[0]  # the fused op's p − y
        agree = bool(np.all(np.isfinite(through)) and np.allclose(through, shortcut, rtol=1e-9, atol=1e-12))
        sums_to_one = bool(np.allclose(np.sum(y, axis=-1), 1.0, rtol=0, atol=1e-12))  # row by row
        found.append(SoftmaxShortcut(node.name, graph.nodes[logits].name, graph.nodes[p_index].name,
                                     name_term(node), name_term(graph.nodes[logits]), name_term(graph.nodes[p_index]),
                                     p, y, through, shortcut, agree, sums_to_one))
    return found


__all__ = ["GraphSolution", "solve_graph"]
