"""Naming what is wrong with a function's result (issue 11, part 4).

The typical wrong results are generated from the task's own expression, with the same
engine that computes the right one: the sign flipped, the result transposed, a factor N
(the batch mean missing or taken twice), a softmax over the wrong axis (the forward pass
with each softmax node's value replaced), a ReLU's gate ignored in a backward pass (the
reverse pass with the ReLU's rule replaced by the identity). A student's result that
matches one of them, within the task's tolerance, is diagnosed as that mistake. Shapes
are diagnosed from the result itself (a missing batch sum, a transpose, a kept axis), and
a result that is inf or NaN where the right one is finite at inputs of ±1000 is an
overflow ("subtract the maximum before exp").

``CATALOGUE`` lists every code this module and the grader can give, with what it means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..common import Tolerance
from ..graph.engine import NumericFault, backward, forward
from ..graph.ops import DomainError, softmax
from .reference import Compiled, InputSet

CATALOGUE = {
    "sign-error": "the sign is flipped",
    "transposed": "the result is transposed",
    "missing-mean": "the mean over the batch is missing (a factor N too large)",
    "extra-mean": "divided by the batch size once too often (a factor N too small)",
    "missing-batch-sum": "a gradient with the batch's shape: it must be summed over the batch (axis 0)",
    "kept-axis": "the right numbers in the wrong shape (an axis kept or added)",
    "softmax-axis": "the softmax is taken over the wrong axis (columns instead of rows)",
    "softmax-overflow": "exp overflows at large logits: subtract each row's maximum before exp",
    "overflow": "the result is inf or NaN at large inputs",
    "relu-gate-ignored": "the ReLU's gate was ignored in the backward pass (relu'(x) is 0 where x ≤ 0)",
    "input-modified": "an input array was changed in place",
    "wrong-shape": "the result has the wrong shape",
    "wrong-dtype": "the result is not an array of floating-point numbers",
    "wrong-type": "the function returned something that is not an array or a number",
    "wrong-count": "the function returned the wrong number of values",
    "not-implemented": "the function still raises NotImplementedError",
    "missing-function": "the module has no function of that name",
    "raised": "the function raised an exception",
    "wrong-value": "the values are wrong, and no typical mistake explains them",
    "import-failed": "the module could not be imported",
    "timeout": "the function did not finish in time (an endless loop?)",
    "cpu-limit": "the function used up its CPU time",
    "memory": "the function ran out of memory",
    "crashed": "the process running the function ended (os._exit, a crash, a limit)",
    "backward-mismatch": "the backward function does not match the student's own forward function (numerical gradient check)",
    "forward-wrong": "the backward function matches the student's own forward function, which is wrong",
    "shape-changed": "training: a value's shape differs from the reference's",
    "loss-nan": "training: the loss became NaN or infinite",
    "loss-grew": "training: the loss grew (the training diverges)",
    "not-reached": "training: the target accuracy or loss was not reached",
    "carried-forward": "training: fails because a function it uses is wrong",
}


@dataclass(frozen=True)
class Found:
    code: str
    description: str


def batch_size(input_set: InputSet) -> int | None:
    """N: the leading size of the first input with two or more axes."""
    for value in input_set.values.values():
        if np.ndim(value) >= 2:
            return int(np.shape(value)[0])
    return None


def diagnose(answer: np.ndarray, expected: np.ndarray, compiled: Compiled, input_set: InputSet, tolerance: Tolerance) -> list[Found]:
    """The mistakes that explain ``answer`` (a float array) where ``expected`` was right."""
    if answer.shape != expected.shape:
        return _shape_mistakes(answer, expected, tolerance)
    if not np.all(np.isfinite(answer)) and np.all(np.isfinite(expected)):
        large = max((float(np.max(np.abs(v))) for v in input_set.values.values() if np.size(v)), default=0.0)
        if large >= 100:
            code = "softmax-overflow" if compiled.nodes_of("softmax") else "overflow"
            return [Found(code, f"{CATALOGUE[code]} (the inputs reach ±{large:g})")]
        return [Found("overflow", "the result has inf or NaN where the right one is finite")]
    found = []
    for code, value in _candidates(expected, compiled, input_set):
        if value.shape == answer.shape and tolerance.allows(answer, value):
            found.append(Found(code, CATALOGUE[code]))
    return found


def _candidates(expected: np.ndarray, compiled: Compiled, input_set: InputSet):
    yield "sign-error", -expected
    if expected.ndim == 2 and expected.shape[0] != expected.shape[1]:
        yield "transposed", expected.T
    n = batch_size(input_set)
    if n and n > 1:
        yield "missing-mean", expected * n
        yield "extra-mean", expected / n
    leaves = compiled.leaves(input_set.values)
    try:
        with np.errstate(all="ignore"):
            if compiled.returned.wrt is None:
                for node in compiled.nodes_of("softmax"):
                    values = forward(compiled.graph, leaves)
                    logits = values[node.operands[0]] if isinstance(node.operands[0], int) else None
                    if logits is not None and np.ndim(logits) == 2:
                        wrong = softmax(logits.T).T  # over axis 0
                        yield "softmax-axis", forward(compiled.graph, leaves, {node.index: wrong})[compiled.root]
            else:
                relus = compiled.nodes_of("relu")
                if relus:
                    values = forward(compiled.graph, leaves)
                    identity = {node.index: (lambda g, a, o: (g,)) for node in relus}
                    grads = backward(compiled.graph, values, compiled.root, identity)
                    yield "relu-gate-ignored", grads[compiled.graph.index[compiled.returned.wrt]]
    except (NumericFault, DomainError, ValueError):
        return


def _shape_mistakes(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> list[Found]:
    found = []
    shown = f"shape {_shape(answer.shape)} instead of {_shape(expected.shape)}"
    if answer.ndim == expected.ndim + 1 and answer.shape[1:] == expected.shape:
        if tolerance.allows(answer.sum(axis=0), expected):
            return [Found("missing-batch-sum", f"{CATALOGUE['missing-batch-sum']}: {shown}")]
        return [Found("missing-batch-sum", f"{shown}: a result with the batch's shape; it must be summed over the batch (axis 0)")]
    if answer.ndim == 2 and answer.T.shape == expected.shape and tolerance.allows(answer.T, expected):
        return [Found("transposed", f"{CATALOGUE['transposed']}: {shown}")]
    if answer.size == expected.size and tolerance.allows(answer.reshape(expected.shape), expected):
        return [Found("kept-axis", f"{CATALOGUE['kept-axis']}: {shown}")]
    found.append(Found("wrong-shape", f"{CATALOGUE['wrong-shape']}: {shown}"))
    return found


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
