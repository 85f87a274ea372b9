"""The mistakes of a batched, tensor-valued backward pass, found from the graph itself.

Nothing is listed per problem. A problem *has a batch* when its inputs include matrices
and they all have the same number of rows N > 1: as in PyTorch, a batch is laid out one
example per row (``X`` is N×D). From that and the operations present:

- ``missing-batch-mean``: a mean over the N examples (``mean(l)`` of an N-vector,
  ``mse`` of N-vectors, or a division by the literal N) whose 1/N is left out — that one
  step's local derivative N times too large (read off one forward-mode pass, response.py);
- ``one-example``: the gradient of one example's loss instead of the batch's — the
  gradient that reaches the per-example losses (or the logits of a fused softmax
  cross-entropy) kept on row n only, the 1/N of a batch mean taken back out;
- ``softmax-axis``: a softmax of an N×C matrix taken down the columns (axis 0) instead
  of along each row — the forward values re-computed with it and the backward pass run
  on them (p − y at the logits uses the wrong p, as a student's shortcut does).

``transposed`` (a matrix answer whose transpose is right) needs no graph: the grader
checks it on the answer itself (:mod:`hwcheck.grade.diagnose`); it is listed here so that
the graph's catalogue holds every code a graph question's diagnosis can name.
"""

from __future__ import annotations

import numpy as np

from ..solution import Mistake
from .ask import GraphAsk
from .engine import NumericFault, backward, forward
from .ops import softmax
from .response import Response

TENSOR_MISTAKES = {
    "transposed": "gave the transpose of the right matrix",
    "missing-batch-mean": "left out the 1/N of the mean over a batch of N examples",
    "one-example": "used one example's loss instead of the whole batch's",
    "softmax-axis": "took a softmax over the batch axis (axis 0) instead of over each example's classes",
}
MAX_EXAMPLES = 8  # one-example is tried for the first examples of a batch (a dot product each)


def batch_size(problem) -> int | None:
    """N when every matrix among the inputs has N > 1 rows (and there is one); else None."""
    rows = {np.shape(v)[0] for v in problem.inputs.values() if np.ndim(v) == 2}
    return rows.pop() if len(rows) == 1 and next(iter(rows), 0) > 1 else None


def tensor_mistakes(solution, ask: GraphAsk) -> list[Mistake]:
    problem = solution.problem
    n = batch_size(problem)
    if n is None:
        return []
    found = _missing_mean(solution, ask, n) + _softmax_axis(solution, ask)
    if ask.is_gradient:
        found += _one_example(solution, ask, n)
    return found


def _rows(graph, values, node, n: int) -> int | None:
    """For a node that reduces the batch to one number (the loss), the node whose rows are
    still the N examples: the reduced input, or the logits of a fused softmax
    cross-entropy (whose backward goes straight to them). None for any other node."""
    if node.op is None or node.op.name not in ("mean", "sum", "mse", "cross_entropy") or np.ndim(values[node.index]) != 0:
        return None
    rows = (node.fused or node).operands[0]
    if not isinstance(rows, int) or np.ndim(values[rows]) == 0 or np.shape(values[rows])[0] != n:
        return None
    return rows


def batch_means(problem, n: int) -> list[int]:
    """The nodes that take the 1/N of a mean over the N examples: mean(l) and mse(a, b)
    of N-vectors, and loss / N where the loss reduces the batch."""
    graph, values = problem.graph, problem.values
    found = []
    for node in graph.nodes:
        if node.op is None:
            continue
        if node.op.name in ("mean", "mse") and _rows(graph, values, node, n) is not None and np.shape(values[node.operands[0]]) == (n,):
            found.append(node.index)
        elif (node.op.name == "div" and isinstance(node.operands[0], int) and not isinstance(node.operands[1], int)
              and float(np.asarray(node.operands[1].value)) == n and _rows(graph, values, graph.nodes[node.operands[0]], n) is not None):
            found.append(node.index)
    return found


def _where(node) -> str:
    return node.step or node.name


def _missing_mean(solution, ask: GraphAsk, n: int) -> list[Mistake]:
    problem = solution.problem
    graph, values = problem.graph, problem.values
    found = []
    for index in batch_means(problem, n):
        node = graph.nodes[index]
        text = f"you left out the 1/{n} of the mean over the batch of {n} examples in {_where(node)}"
        if ask.is_gradient:
            # That one step's local derivative N times too large (read off response.py).
            vjp = node.op.vjp
            value = Response(solution, ask.output, graph.index[ask.name]).with_rule(index, lambda g, args, out, vjp=vjp: tuple(n * d for d in vjp(g, args, out)))
        else:
            try:
                value = forward(graph, problem.leaves(), {index: values[index] * n})[graph.index[ask.name]]
            except NumericFault:
                value = None
        if value is not None:
            found.append(Mistake("missing-batch-mean", text, value))
    return found


def _one_example(solution, ask: GraphAsk, n: int) -> list[Mistake]:
    """d(loss of example k)/d(asked), for the first examples k, at each per-example loss."""
    problem = solution.problem
    graph, values = problem.graph, problem.values
    grads = solution.gradients_of(ask.output)
    target = graph.index[ask.name]
    means = batch_means(problem, n)
    response = Response(solution, ask.output, target)
    found = []
    for node in graph.nodes:
        rows = _rows(graph, values, node, n)
        if rows is None or target > rows:
            continue
        upstream = grads[rows]
        if not np.any(upstream):
            continue
        # The 1/N of a batch mean after this point is what makes it the batch's loss.
        scale = n if any(m >= node.index for m in means) else 1
        for k in range(min(n, MAX_EXAMPLES)):
            seed = np.zeros_like(upstream)
            seed[k] = upstream[k] * scale
            value = response.seeded(rows, seed)  # backward(rows, seed)[target], without the pass
            if value is None or not np.any(value):
                continue  # an example that does not reach the asked value says nothing about a zero answer
            found.append(Mistake("one-example", f"this is the gradient of example {k}'s loss alone (row {k}); the loss {_where(node)} is over all {n} examples of the batch", value))
    return found


def _softmax_axis(solution, ask: GraphAsk) -> list[Mistake]:
    problem = solution.problem
    graph, values = problem.graph, problem.values
    found = []
    for node in graph.nodes:
        if node.op is None or node.op.name != "softmax" or not isinstance(node.operands[0], int):
            continue
        h = values[node.operands[0]]
        if np.ndim(h) != 2 or min(np.shape(h)) < 2:
            continue
        text = f"you took the softmax in {_where(node)} over the wrong axis (down each column, axis 0); it normalises each row, one example's classes (dim=1)"
        try:
            wrong = forward(graph, problem.leaves(), {node.index: softmax(h.T).T})
            if ask.is_gradient:
                value = backward(graph, wrong, graph.index[ask.output], {node.index: _softmax_axis0_vjp})[graph.index[ask.name]]
            else:
                value = wrong[graph.index[ask.name]]
        except NumericFault:
            continue
        found.append(Mistake("softmax-axis", text, value))
    return found


def _softmax_axis0_vjp(g, args, out):
    return (out * (g - np.sum(g * out, axis=0, keepdims=True)),)
