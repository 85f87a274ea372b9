"""Hints for the interactive checker: the formulas a question needs, never its answer."""

from __future__ import annotations

from ..graph.ask import GraphAsk
from ..graph.paths import count_paths, nodes_between
from .formulas import local_formula, partial, wrap  # the same notation as the key


def graph_hint(solution, ask: GraphAsk) -> str:
    problem = solution.problem
    graph = problem.graph
    node = graph.nodes[graph.index[ask.name]]
    if not ask.is_gradient:
        if node.is_leaf:
            return f"{ask.name} is given in the problem ({node.role})."
        row = solution.rows[node.index]
        operands = ", ".join(wrap(local.operand) for local in row.locals)
        return f"{ask.name} = {row.expression}: put in the values of {operands or 'its operands'} from the forward pass."
    start = graph.index[ask.output]
    between = nodes_between(graph, start, node.index)
    count = (solution.path_counts if ask.output == problem.output else count_paths(graph, start))[node.index]
    if not between:
        return f"Does {ask.output} depend on {ask.name} at all? Follow the steps from {ask.name} forward."
    lines = [
        f"Follow every path from {ask.output} down to {ask.name}"
        + f" ({count} path{'s' if count != 1 else ''})"
        + "; multiply the local derivatives along each path, then add the paths.",
        "Local derivatives you will need:",
    ]
    on_path = set(between)
    for i in between:
        for local in solution.rows[i].locals:
            if graph.index.get(local.operand) in on_path:
                lines.append(f"  {partial(local.node, local.operand)} = {local_formula(local)}")
    return "\n".join(lines)
