"""What a hint says for a graph question, as data: the formulas a question needs, never its
answer. :mod:`hwcheck.render.hints` typesets it (the interactive checker's ``h``)."""

from __future__ import annotations

from ..record import Record
from .ask import GraphAsk
from .paths import count_paths, nodes_between


class GivenHint(Record):
    """A leaf: its value is given in the problem."""

    name: str
    role: str  # input or param


class StepHint(Record):
    """A step's value: its expression, and the operands whose values to put in."""

    name: str
    expression: object  # a terms.Term
    operands: tuple  # the operands as written after ∂ (terms)


class GradientHint(Record):
    """d(output)/d(name): how many paths, and the local derivatives on them."""

    name: str
    output: str
    path_count: int
    locals: tuple  # the LocalDerivatives on the paths from output down to name; () if none


def graph_hint(solution, ask: GraphAsk) -> GivenHint | StepHint | GradientHint:
    problem = solution.problem
    graph = problem.graph
    node = graph.nodes[graph.index[ask.name]]
    if not ask.is_gradient:
        if node.is_leaf:
            return GivenHint(ask.name, node.role)
        row = solution.rows[node.index]
        return StepHint(ask.name, row.expression, tuple(local.operand_term for local in row.locals))
    start = graph.index[ask.output]
    between = nodes_between(graph, start, node.index)
    count = (solution.path_counts if ask.output == problem.output else count_paths(graph, start))[node.index]
    on_path = set(between)
    needed = tuple(local for i in between for local in solution.rows[i].locals if graph.index.get(local.operand) in on_path)
    return GradientHint(ask.name, ask.output, count if between else 0, needed)
