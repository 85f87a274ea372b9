"""`hwcheck handout`: a problem's questions without any answer, as plain data.

:func:`handout` reads a loaded problem and keeps only what a student is given: the given
values and the steps as written (graph), the layers and their settings as written
(architecture), the functions to write with their argument shapes (code), and every
question's id, ask (also in words) and points. Nothing here solves the problem, so nothing
solved can leak into a handout; the one computed thing shown, a code task's return shapes,
is part of the function's specification (``hwcheck template`` gives it too). The
renderers (:mod:`.render.handout_markdown`, :mod:`.render.latex_handout`) typeset it.

Per-student variants and assignments build on this: a variant is a problem with other
numbers, an assignment a list of problems, each handed to :func:`handout` in turn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .architecture.keys import LAYERS
from .architecture.layers import LAYER_TYPES
from .architecture.model import flatten_layers, parse_ask as parse_layer_ask
from .code.template import shape_words
from .common import Problem
from .graph import expr as E
from .graph.ask import parse_ask
from .numbers import fmt
from .record import Record


class Asked(Record):
    """One question as a student reads it: ``words`` says what ``ask`` asks for."""

    id: str
    ask: str
    words: str
    points: float


class Given(Record):
    name: str
    role: str  # "input" or "param"
    value: Any  # float64 array, as in the problem file


class Step(Record):
    name: str
    expression: str  # as written in the problem file


class GraphHandout(Record):
    id: str
    title: str
    output: str
    given: tuple[Given, ...]
    steps: tuple[Step, ...]
    questions: tuple[Asked, ...]
    kind: str = "graph"


class Layer(Record):
    """A layer as written: its settings are the keys the file gives (defaults left out)."""

    name: str | None
    type: str
    settings: tuple[tuple[str, str], ...]
    within: str | None = None  # "block B, main branch" for a layer inside a residual block


class ArchitectureHandout(Record):
    id: str
    title: str
    input: tuple[int, ...]
    convention: str
    layers: tuple[Layer, ...]
    questions: tuple[Asked, ...]
    kind: str = "architecture"


class Argument(Record):
    name: str
    shape: str  # "a number", "an array of shape (4, 3)"
    mutable: bool = False


class Returned(Record):
    expression: str  # "x @ w + b"; for a gradient, the scalar: "sum(dout * relu(x))"
    wrt: str | None  # the gradient of ``expression`` with respect to this argument
    shape: str


class Case(Record):
    """A fixed input set the function is also called on (its inputs are given values)."""

    values: tuple[tuple[str, Any], ...]


class Function(Record):
    id: str
    points: float
    function: str
    arguments: tuple[Argument, ...]
    returns: tuple[Returned, ...]
    tuple_return: bool
    cases: tuple[Case, ...]


class TrainingTask(Record):
    id: str
    points: float
    lines: tuple[str, ...]  # the recipe's forward and backward lines, as written
    update: str
    steps: int
    lr: float
    data: str
    reach: tuple[tuple[str, float], ...]


class CodeHandout(Record):
    id: str
    title: str
    module: str
    functions: tuple[Function, ...]
    trainings: tuple[TrainingTask, ...]
    kind: str = "code"

    @property
    def points(self) -> float:
        return sum(task.points for task in (*self.functions, *self.trainings))


def handout(problem: Problem) -> GraphHandout | ArchitectureHandout | CodeHandout:
    """The questions of ``problem`` without any answer."""
    return {"graph": _graph, "architecture": _architecture, "code": _code}[problem.kind](problem)


# -- graph problems ---------------------------------------------------------------------


def _graph(problem) -> GraphHandout:
    given = [Given(name, "input", value) for name, value in problem.inputs.items()]
    given += [Given(name, "param", value) for name, value in problem.params.items()]
    steps = tuple(Step(name, " ".join(text.split())) for name, text in problem.steps.items())
    return GraphHandout(problem.id, problem.title or problem.id, problem.output, tuple(given), steps,
                        tuple(Asked(q.id, q.ask, _graph_words(q), q.points) for q in problem.questions))


def _graph_words(question) -> str:
    ask = parse_ask(question.ask)
    if ask is None:  # the loader refuses such asks; kept readable all the same
        return question.ask
    if ask.is_gradient:
        words = f"the gradient of {ask.output} with respect to {ask.name}"
    else:
        words = f"the value of {ask.name}"
    if ask.index is not None:
        words = f"element [{', '.join(map(str, ask.index))}] of {words}"
    if question.answer == "formula":
        words += ", as a formula over the problem's names"
    return words


# -- architectures ----------------------------------------------------------------------


def _architecture(problem) -> ArchitectureHandout:
    specs = flatten_layers(problem.layers)
    within = {layer.index: f"{spec.type} {spec.label}, {branch} branch"
              for spec in specs for branch, inner in branches(spec) for layer in inner}
    layers = tuple(Layer(spec.name, spec.type, layer_settings(spec), within.get(spec.index)) for spec in specs)
    names = [spec.name for spec in specs if spec.name is not None]
    return ArchitectureHandout(problem.id, problem.title or problem.id, tuple(problem.input), problem.convention, layers,
                               tuple(Asked(q.id, q.ask, _architecture_words(q.ask, names), q.points) for q in problem.questions))


def branches(spec) -> list[tuple[str, tuple]]:
    """A block's branches as (main or shortcut, its layers); none for a plain layer."""
    keys = LAYER_TYPES[spec.type].keys
    return [("main" if key == "layers" else key, value) for key, value in spec.options.items() if keys[key].kind == LAYERS]


def layer_settings(spec) -> tuple[tuple[str, str], ...]:
    """The keys the file writes for this layer: not the defaults, nor a block's branches."""
    keys = LAYER_TYPES[spec.type].keys
    return tuple((key, _setting(value)) for key, value in spec.options.items()
                 if key in spec.key_pos and keys[key].kind != LAYERS)


def _setting(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):  # a size per axis: one number when they are all equal, as usually written
        return _setting(value[0]) if len(set(value)) == 1 else "[" + ", ".join(map(_setting, value)) + "]"
    if isinstance(value, float):
        return fmt(value)
    return str(value)


def _architecture_words(ask: str, names: list[str]) -> str:
    what = parse_layer_ask(ask, names)
    if what is None:
        return ask
    kind, name = what
    if kind == "shape":
        return f"the output shape of layer {name}"
    return f"the number of learnable parameters of layer {name}" if name else "the number of learnable parameters of the whole network"


# -- code problems ----------------------------------------------------------------------


def _code(problem) -> CodeHandout:
    functions, trainings = [], []
    for task in problem.tasks:
        if task.train:
            recipe = task.train
            trainings.append(TrainingTask(
                task.id, task.points, tuple(line.text for line in (*recipe.forward, *recipe.backward)), recipe.update,
                recipe.steps, recipe.lr,
                f"CS231n's spiral, {recipe.classes} classes of {recipe.points_per_class} points each "
                "(x: a row of 2 coordinates per point; y: a one-hot row per point)",
                tuple(recipe.reach.items())))
            continue
        first = problem.reference.tasks[task.id].sets[0]
        arguments = tuple(Argument(name, shape_words(first.values[name]), name in task.mutates) for name in task.call)
        returns = tuple(Returned(E.to_text(r.tree) if r.wrt else r.text, r.wrt, shape_words(v)) for r, v in zip(task.returns, first.expected))
        cases = tuple(Case(tuple((name, np.asarray(value, dtype=float)) for name, value in case.items())) for case in task.cases)
        functions.append(Function(task.id, task.points, task.function, arguments, returns, task.tuple_return, cases))
    return CodeHandout(problem.id, problem.title or problem.id, problem.module, tuple(functions), tuple(trainings))


__all__ = ["handout", "GraphHandout", "ArchitectureHandout", "CodeHandout"]
