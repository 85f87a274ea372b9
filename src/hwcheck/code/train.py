"""Training tasks (contract §9 ``train``): the loop, run in hwcheck's own process.

:func:`train` composes functions as the recipe's ``forward``, ``backward`` and ``update``
lines say; *which* functions is the caller's business: the reference's (the engine's
expressions, in-process) or a student's (sandboxed). A :data:`Runner` keeps the values
by name (for a student: in the sandboxed child, so parameters and activations do not
cross between steps): the data and initial parameters are stored once, then each step
is one list of calls whose arguments are names (:class:`Held`) and whose results are kept
under the lines' targets. Only what the verdicts need crosses back: the loss of every
step whole, every other value's shape (a :class:`Described`), and the predictions after
the last step (docs/code.md, Speed). Every value's shape is checked, in the lines' order,
against the shape the reference gives it, so a bias gradient with the batch's shape is
caught at the step and line where it appears, not 1000 steps later as a broadcast mess.

The data is CS231n's spiral (``cs231n.github.io/neural-networks-case-study``), drawn with
``numpy.random.default_rng(seed)``; weights start as N(0, scale²) from their own seed,
biases (one-dimensional parameters) at 0.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .model import Line, Training
from .protocol import MAX_CALLS, Call, Described, Held

DIVERGED = 3.0  # a loss above 3 × the first step's loss is reported as growing


class CallFailed(Exception):
    """A function gave no usable result (it raised, timed out, crashed); ``code`` names why.

    Internal, not a HwcheckError: the training loop and the reference turn it into a
    verdict, so it never reaches the user as an exit."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
        self.call: int | None = None  # set when the process ended in call ``call`` of a list: the earlier calls' values are lost too


Caller = Callable[[str, list], tuple]  # (function, args) -> the returned values, as a tuple
# (a list of calls, the values to store first or None, how many times to make the list)
# -> for each call evaluated, in order, its values as a tuple (a value kept and not fetched may be a Described); the last
# item may be a CallFailed, which ends the list (alone, with its ``call`` set, when the
# process ended and took the earlier values with it). A runner may stop after a call
# whose values are not the expected count and shapes (the loop stops there anyway).
Runner = Callable[[list[Call], "dict | None", int], list]


def in_process(call: Caller) -> Runner:
    """A runner that makes each call with ``call`` (in-process functions) and keeps the
    values in a table of its own. It passes kept values themselves, not copies: the
    functions it runs (the reference's) do not change their arguments."""
    table: dict[str, Any] = {}

    def run(calls: list[Call], store: dict | None = None, repeat: int = 1) -> list:
        if store is not None:
            table.clear()
            table.update(store)
        results: list = []
        for c in calls * repeat:
            try:
                args = [table[a.name] if isinstance(a, Held) else a for a in c.args]
            except KeyError:  # an earlier call returned too few values: the loop stops there
                break
            try:
                values = call(c.function, args)
            except CallFailed as failed:
                results.append(failed)
                break
            for j, target in enumerate(c.keep):
                if j < len(values):
                    table[target] = values[j]
                else:
                    table.pop(target, None)
            results.append(values)
        return results

    return run


@dataclass
class TrainFailure:
    code: str
    message: str
    step: int  # 1-based; steps + 1 for the evaluation after the last step


@dataclass
class TrainResult:
    steps: int  # the steps completed
    losses: list[float] = field(default_factory=list)  # the loss at each step's forward pass
    accuracy: float | None = None  # after the last step
    final_loss: float | None = None
    failure: TrainFailure | None = None
    reached: bool = False


def spiral(recipe: Training) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral: x of shape (N·K, 2), y one-hot (N·K, K)."""
    rng = np.random.default_rng(recipe.data_seed)
    n, k = recipe.points_per_class, recipe.classes
    x = np.zeros((n * k, 2))
    labels = np.zeros(n * k, dtype=int)
    for j in range(k):
        rows = slice(n * j, n * (j + 1))
        radius = np.linspace(0.0, 1.0, n)
        theta = np.linspace(j * 4, (j + 1) * 4, n) + rng.standard_normal(n) * 0.2
        x[rows] = np.c_[radius * np.sin(theta), radius * np.cos(theta)]
        labels[rows] = j
    return x, np.eye(k)[labels]


def initial_params(recipe: Training) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(recipe.init_seed)
    return {
        name: np.zeros(shape) if len(shape) == 1 else recipe.init_scale * rng.standard_normal(shape)
        for name, shape in recipe.params.items()
    }


def reference_shapes(recipe: Training, call: Caller) -> dict[str, tuple[int, ...]]:
    """The shape of every value of one step of the reference's training (raises CallFailed)."""
    values = _start(recipe)
    for line in (*recipe.forward, *recipe.backward):
        returned = call(line.function, [values[a] for a in line.args])
        if len(returned) != len(line.targets):
            raise CallFailed(f"'{line.text}': {line.function} returns {len(returned)} value(s)", "reference")
        for target, value in zip(line.targets, returned):
            values[target] = value
    return {name: tuple(np.shape(value)) for name, value in values.items()}


def _start(recipe: Training) -> dict[str, Any]:
    x, y = spiral(recipe)
    return {"x": x, "y": y, "lr": float(recipe.lr), **initial_params(recipe)}


def train(recipe: Training, run: Runner, shapes: dict[str, tuple[int, ...]] | None = None, deadline: float | None = None) -> TrainResult:
    """Run the recipe with ``run``; stops at the first fault and says which step and line."""
    values = _start(recipe)
    result = TrainResult(0)
    updates = [Line((name,), recipe.update, (name, f"d{name}", "lr"), f"{name} = {recipe.update}({name}, d{name}, lr)") for name in recipe.params]
    step_lines = [*recipe.forward, *recipe.backward, *updates]

    def check_loss(step: int) -> None:  # before the step's first backward line is taken
        loss = _loss(values[recipe.loss], step)
        result.losses.append(loss)
        if loss > DIVERGED * result.losses[0] + 1e-12:
            raise _Stop("loss-grew", f"the loss grew from {result.losses[0]:.4g} (step 1) to {loss:.4g} at step {step}: the training diverges", step)

    store: dict | None = dict(values)  # the data and initial parameters, stored with the first list
    # Whole steps per list, as many as MAX_CALLS allows: one round trip for many steps (the
    # step's calls are written once and made n times over). Each step's loss and shapes
    # still come back and are checked in order, so a fault is reported at its own step; a
    # shape the reference does not give stops the list at once.
    per_list = max(1, MAX_CALLS // len(step_lines))
    step_calls = _calls(step_lines, shapes, {recipe.loss})
    loss_check = {len(recipe.forward): check_loss}
    try:
        for first in range(1, recipe.steps + 1, per_list):
            if deadline is not None and time.monotonic() > deadline:
                raise _Stop("timeout", f"training stopped at step {first}: it took longer than the time allowed", first)
            steps = range(first, min(first + per_list, recipe.steps + 1))
            _run(steps, step_lines, step_calls, values, run, shapes, loss_check, store)
            store = None
            result.steps = steps[-1]
        # the evaluation after the last step, its predictions fetched for the accuracy
        final = range(recipe.steps + 1, recipe.steps + 2)
        _run(final, list(recipe.forward), _calls(recipe.forward, shapes, {recipe.loss, recipe.predict}), values, run, shapes, {}, store)
        result.final_loss = _loss(values[recipe.loss], recipe.steps + 1)
        predicted = values[recipe.predict]
        if _shape_of(predicted) != values["y"].shape:
            raise _Stop("wrong-shape", f"{recipe.predict} has shape {_shape(_shape_of(predicted))}, not {_shape(values['y'])}", recipe.steps + 1)
        result.accuracy = float(np.mean(np.argmax(np.asarray(predicted), axis=1) == np.argmax(values["y"], axis=1)))
    except _Stop as stop:
        result.steps = min(stop.step - 1, recipe.steps)
        result.failure = TrainFailure(stop.code, stop.message, stop.step)
        return result
    result.reached = _reached(recipe, result)
    if not result.reached:
        result.failure = TrainFailure("not-reached", _shortfall(recipe, result), recipe.steps + 1)
    return result


class _Stop(Exception):
    """Internal: ends a training run early inside :func:`train`; never leaves this module."""

    def __init__(self, code: str, message: str, step: int):
        super().__init__(message)
        self.code, self.message, self.step = code, message, step


def _calls(lines: list[Line], shapes, fetch: set[str]) -> list[Call]:
    """One call per line: its arguments and results by name, those in ``fetch`` fetched;
    an argument read for the last time before a line assigns its name again is passed
    as ``last`` (the child hands over the value itself instead of a copy)."""
    last = _last_reads(lines)
    return [Call(line.function, tuple(Held(a, (i, j) in last) for j, a in enumerate(line.args)), line.targets,
                 frozenset(fetch & set(line.targets)), None if shapes is None else tuple(shapes.get(t) for t in line.targets))
            for i, line in enumerate(lines)]


def _last_reads(lines: list[Line]) -> set[tuple[int, int]]:
    """The (line, argument) positions that read a name for the last time before a line
    assigns it again. The lines are read as a cycle: they run step after step, and what
    follows the last step (the evaluation's forward lines) begins as a step does. A name
    no line assigns (x, y, lr) is read again at the next step: never last."""
    last = set()
    for i, line in enumerate(lines):
        for j, name in enumerate(line.args):
            if name in line.args[j + 1:]:
                continue  # read again by the same call
            for k in [i, *range(i + 1, len(lines)), *range(i)]:
                if k != i and name in lines[k].args:
                    break  # another line reads it first
                if name in lines[k].targets:
                    last.add((i, j))  # assigned again (by this very line, at the earliest) before any other read
                    break
    return last


def _run(steps: range, lines: list[Line], calls: list[Call], values: dict, run: Runner, shapes,
         checks: dict[int, Callable[[int], None]], store: dict | None) -> None:
    """The lines (and their ``calls``) once for each step, as lists of at most MAX_CALLS
    calls (the first with ``store``): all the steps in one list when a step fits, else one
    step in several lists. Then each line's values are checked and taken in order, with
    ``checks[i](step)`` run before line i of a step is taken (the loss, after the forward
    lines: a NaN loss is reported before anything the backward pass did with it)."""
    width = min(len(lines), MAX_CALLS)
    for start in range(0, len(lines), width):
        chunk, repeat = lines[start:start + width], len(steps) if width == len(lines) else 1
        outcomes = run(calls[start:start + width], store if start == 0 else None, repeat)
        pairs = [(step, start + i, line) for step in steps[:repeat] for i, line in enumerate(chunk)]
        lost = outcomes[-1] if outcomes and isinstance(outcomes[-1], CallFailed) and outcomes[-1].call is not None else None
        if lost is not None:
            step, _, line = pairs[min(lost.call, len(pairs) - 1)]
            raise _Stop(lost.code, f"at step {step}, '{line.text}': {lost.message}", step)
        for k, (step, index, line) in enumerate(pairs):
            if index in checks:
                checks[index](step)
            _take(line, outcomes[k] if k < len(outcomes) else None, values, shapes, step)
    if len(lines) in checks:
        for step in steps:
            checks[len(lines)](step)


def _take(line: Line, returned, values: dict, shapes, step: int) -> None:
    if returned is None:  # the runner stopped the list without a reason: a misbehaving child
        raise _Stop("crashed", f"at step {step}, '{line.text}': {line.function} was not called", step)
    if isinstance(returned, CallFailed):
        raise _Stop(returned.code, f"at step {step}, '{line.text}': {returned.message}", step)
    if len(returned) != len(line.targets):
        raise _Stop("wrong-count", f"at step {step}, '{line.text}': {line.function} returned {len(returned)} value(s), not {len(line.targets)}", step)
    for target, value in zip(line.targets, returned):
        shape = _shape_of(value)
        if shapes is not None and target in shapes and shape != shapes[target]:
            wanted = shapes[target]
            why = ""
            code = "shape-changed"
            if len(shape) == len(wanted) + 1 and shape[1:] == wanted:
                why = ": a gradient with the batch's shape; sum it over the batch (axis 0)"
                code = "missing-batch-sum"
            raise _Stop(code, f"at step {step}, '{line.text}': {target} has shape {_shape(shape)}, but the reference's {target} has shape {_shape(wanted)}{why}", step)
        values[target] = value


def _shape_of(value) -> tuple[int, ...]:
    """The shape of a value hwcheck holds, or of one the runner kept (its description)."""
    return value.shape if isinstance(value, Described) else tuple(np.shape(value))


def _loss(value, step: int) -> float:
    if _shape_of(value) != ():
        raise _Stop("wrong-shape", f"at step {step} the loss has shape {_shape(_shape_of(value))}; it must be a single number", step)
    loss = float(value)
    if not math.isfinite(loss):
        raise _Stop("loss-nan", f"the loss became {loss} at step {step}", step)
    return loss


def _reached(recipe: Training, result: TrainResult) -> bool:
    ok = True
    if "accuracy" in recipe.reach:
        ok &= result.accuracy is not None and result.accuracy >= recipe.reach["accuracy"]
    if "loss" in recipe.reach:
        ok &= result.final_loss is not None and result.final_loss <= recipe.reach["loss"]
    return ok


def _shortfall(recipe: Training, result: TrainResult) -> str:
    parts = []
    if "accuracy" in recipe.reach:
        parts.append(f"training accuracy {result.accuracy:.3f} after {recipe.steps} steps; needs {recipe.reach['accuracy']:g}")
    if "loss" in recipe.reach:
        parts.append(f"final loss {result.final_loss:.4g}; needs at most {recipe.reach['loss']:g}")
    return "; ".join(parts)


def _shape(value) -> str:
    shape = value if isinstance(value, tuple) else tuple(np.shape(value))
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
