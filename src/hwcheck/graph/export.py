"""The contract's JSON for a graph solution (§6), as plain Python data."""

from __future__ import annotations

import numpy as np

from ..numbers import fmt_count, plain_float


def plain(value):
    """A float64 scalar or array as JSON-ready floats; a non-finite number becomes None."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return plain_float(array)
    return [plain(item) for item in array]


def graph_json(solution) -> dict:
    from ..render.typeset import kink_rule, kink_where  # deliberate: only the JSON and the renderers typeset (start-up time)

    problem = solution.problem
    graph = problem.graph
    named = [node for node in graph.nodes if node.role != "sub"]
    operations = [node for node in graph.nodes if node.role == "sub"]
    return {
        "id": problem.id,
        "kind": "graph",
        "output": problem.output,
        "values": {node.name: plain(problem.values[node.index]) for node in named},
        "gradients": {node.name: plain(solution.grads[node.index]) for node in named},
        "kinks": [{"node": k.node, "step": k.step, "where": kink_where(k), "rule": kink_rule(k)} for k in solution.kinks],
        # Extensions (allowed by the contract): the operations inside nested steps.
        "operations": {
            node.name: {"step": node.step, "value": plain(problem.values[node.index]), "gradient": plain(solution.grads[node.index])}
            for node in operations
        },
        # Exact when a JSON number holds it exactly, else written out ("about 7.94 × 10^9030").
        "paths": {d.name: d.path_count if d.path_count < 2**53 else fmt_count(d.path_count) for d in solution.gradients},
        **({"variant": problem.variant} if problem.variant else {}),  # a student's own numbers (§11): the short id
    }
