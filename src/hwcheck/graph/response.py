"""The gradient at one node when one step of the backward pass is done differently.

A typical mistake changes one local derivative (or the adjoint handed to one node). The
backward pass is linear in what flows down it, so the wrong gradient at the target is the
right one plus the change made there, carried down to the target: for a changed rule at
node i, the extra adjoint δₖ = (wrong − right local contribution)ₖ that operand oₖ receives,
times how oₖ moves with the target (∂oₖ/∂target, one forward-mode pass from the target up,
engine.tangents). So every candidate costs a local VJP and a dot product, not a backward
pass of its own: diagnosis stays linear in the graph however many steps a problem has.
"""

from __future__ import annotations

import numpy as np

from .engine import NumericFault, args_of, backward, sensitivity, tangents
from .ops import unbroadcast

# The tangents hold (elements of the target) × (elements of the graph) numbers. Above this
# many (a large weight matrix asked in a large graph) each change is instead found by a
# backward pass re-run, which the callers then try on at most MAX_RERUNS steps: the cost
# stays at the smaller of the two, and memory stays bounded.
TANGENT_BUDGET = 4_000_000
MAX_RERUNS = 200


class Response:
    """For one gradient d(output)/d(target): the wrong gradients of one-node changes."""

    def __init__(self, solution, output: str, target: int):
        problem = solution.problem
        self.graph, self.values = problem.graph, problem.values
        self.grads = solution.gradients_of(output)
        self.target = target
        self.right = np.asarray(self.grads[target], dtype=float)
        self.start = start = self.graph.index[output]
        self.cheap = self.right.size * max(self.graph.elements, len(self.graph)) <= TANGENT_BUDGET
        # One forward-mode pass per (target, output), shared by every question and sheet.
        self.tangent = solution.memo(("tangents", target, start), lambda: tangents(self.graph, self.values, target, start)) if self.cheap else None

    def with_rule(self, index: int, rule) -> np.ndarray | None:
        """The gradient at the target when node `index` uses `rule` for its local VJP (what
        backward(rules={index: rule}) gives); None where the wrong rule is not finite."""
        if not self.cheap:
            return self._rerun({index: rule})
        node = self.graph.nodes[index]
        g = self.grads[index]
        args = args_of(node, self.values)
        with np.errstate(all="ignore"):
            wrong = rule(g, args, self.values[index])
            right = node.op.vjp(g, args, self.values[index])
        result = self.right.copy()
        for k, operand in enumerate(node.operands):
            if not isinstance(operand, int):
                continue
            shape = np.shape(self.values[operand])
            new = unbroadcast(np.asarray(wrong[k], dtype=float), shape)
            if k not in node.op.data_args and not np.all(np.isfinite(new)):
                return None  # the backward pass refuses a non-finite local derivative
            with np.errstate(all="ignore"):
                result = result + sensitivity(self.tangent[operand], new - unbroadcast(np.asarray(right[k], dtype=float), shape), self.right.shape)
        return result if np.all(np.isfinite(result)) else None

    def seeded(self, at: int, seed) -> np.ndarray | None:
        """The gradient at the target of a backward pass started at node `at` with `seed`
        (what backward(seed_at=at, seed=seed) gives there)."""
        if not self.cheap:
            return self._rerun(None, at, seed)
        with np.errstate(all="ignore"):
            result = sensitivity(self.tangent[at], seed, self.right.shape)
        return result if np.all(np.isfinite(result)) else None

    def _rerun(self, rules, at=None, seed=None) -> np.ndarray | None:
        try:
            return backward(self.graph, self.values, self.start if at is None else at, rules, seed=seed)[self.target]
        except NumericFault:
            return None
