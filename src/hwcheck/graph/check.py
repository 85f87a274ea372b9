"""`hwcheck solve --check`: every leaf's gradient against central finite differences.

For each element x of a leaf, (f(x + h) − f(x − h)) / 2h approximates ∂f/∂x with an
error of order h² (h = 1e-6·max(1, |x|), float64). Where the two evaluations fall on
different sides of a kink (a ReLU input changing sign, a max changing its winner) the
difference quotient measures an average of two slopes, not the derivative; that is
reported as a warning rather than a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass

import itertools

import numpy as np

from ..numbers import plain_float
from .engine import NumericFault, args_of, forward
from .export import plain

RELATIVE_TOLERANCE = 1e-5
ABSOLUTE_TOLERANCE = 1e-8
MAX_CHECKED_ELEMENTS = 64  # per leaf: each costs two forward passes of the whole graph


@dataclass
class Finding:
    name: str
    backprop: np.ndarray
    numeric: np.ndarray
    relative_error: float
    ok: bool
    note: str | None = None

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "backprop": plain(self.backprop),
            "finite_difference": plain(self.numeric),
            "relative_error": plain_float(self.relative_error),
            "ok": self.ok,
            "note": self.note,
        }


def _branches(graph, values) -> list[np.ndarray]:
    """Which side of its kink every kinked operation is on (the sign that decides it)."""
    signs = []
    for node in graph.nodes:
        if node.op is not None and node.op.kink_at is not None:
            signs.append(np.sign(node.op.kink_at(args_of(node, values))))
    return signs


def finite_difference_check(solution) -> list[Finding]:
    problem = solution.problem
    graph = problem.graph
    output = graph.index[problem.output]
    leaves = problem.leaves()
    findings = []
    for name, value in leaves.items():
        numeric = np.zeros_like(value, dtype=float)
        crossed = False
        positions = list(itertools.islice(np.ndindex(value.shape), MAX_CHECKED_ELEMENTS))
        for position in positions:
            x = float(value[position])
            h = 1e-6 * max(1.0, abs(x))
            results = []
            for step in (h, -h):
                shifted = value.copy()
                shifted[position] = x + step
                try:
                    values = forward(graph, {**leaves, name: shifted})
                except NumericFault:
                    values = None
                results.append(values)
            if any(v is None for v in results):
                numeric[position] = np.nan
                continue
            plus, minus = results
            numeric[position] = (float(plus[output]) - float(minus[output])) / (2 * h)
            crossed |= any(np.any(a != b) for a, b in zip(_branches(graph, plus), _branches(graph, minus)))
        backprop = solution.grads[graph.index[name]]
        if len(positions) < value.size:  # compare only the elements checked
            index = tuple(np.array(positions).T)
            backprop, numeric = backprop[index], numeric[index]
        difference = float(np.max(np.abs(backprop - numeric))) if numeric.size else 0.0
        scale = max(float(np.max(np.abs(backprop))) if numeric.size else 0.0, float(np.max(np.abs(numeric))) if numeric.size else 0.0, 1e-12)
        relative = difference / scale if np.all(np.isfinite(numeric)) else float("nan")
        ok = bool(np.isfinite(relative) and (relative <= RELATIVE_TOLERANCE or difference <= ABSOLUTE_TOLERANCE))
        note = None
        if len(positions) < value.size:
            note = f"checked the first {len(positions)} of {value.size:,} elements"
        if crossed:
            note = "the difference crosses a kink: it averages two slopes, so a mismatch here is expected"
        elif graph.nodes[graph.index[name]].untrained and not np.all(np.isfinite(backprop)):
            ok, note = True, "undefined here, and not needed: an input, not trained (as in PyTorch)"
        elif not np.all(np.isfinite(numeric)):
            note = "f is undefined at x ± h"
        findings.append(Finding(name, backprop, numeric, relative, ok, note))
    return findings
