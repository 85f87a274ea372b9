"""The worked reference of a code problem, as plain data (``hwcheck solve``).

For each task: its formula, the first trial's inputs and expected outputs, and, for every
``grad(SCALAR, NAME)`` it asks, the derivation a graph problem shows — the same
:class:`~hwcheck.graph.solve.GraphSolution`, built from the scalar as the graph's only
step at the first trial's values. For each training task: the recipe and the shape of every
value; with ``solve --check``, also the reference's own run of the recipe (the tasks'
expressions composed, in-process), with its loss and accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from ..errors import UnknownAsk
from ..graph import expr as E
from ..graph.engine import backward, forward
from ..graph.export import plain
from ..graph.load import GraphProblem
from ..graph.solve import solve_graph
from ..numbers import fmt
from ..solution import Alternative, Expected, Mistake
from .model import CodeProblem, Task
from .reference import InputSet, compile_returned, input_shapes
from .train import TrainResult, in_process, reference_shapes, train


@dataclass
class TaskSolution:
    task: Task
    first: InputSet  # the first trial: its inputs and expected outputs
    derivations: list[Any] = field(default_factory=list)  # GraphSolutions, one per distinct scalar of grad(...)


@dataclass(frozen=True)
class TrainingSolution:
    task: Task
    shapes: dict[str, tuple[int, ...]]  # of every value, one step of the reference's training
    result: TrainResult | None = None  # the reference's whole run, with `solve --check` only


@dataclass
class CodeSolution:
    problem: CodeProblem
    tasks: list[TaskSolution]
    trainings: list[TrainingSolution]

    def _task(self, ask: str) -> TaskSolution:
        for solved in self.tasks:
            if ask in (solved.task.id, solved.task.ask, solved.task.function):
                return solved
        raise UnknownAsk(f"'{ask}' is not a task of this problem (give a task id such as {self.problem.tasks[0].id})")

    def expected(self, ask: str) -> Expected:
        """The first trial's expected result (a tuple for tuple returns)."""
        solved = self._task(ask)
        value = solved.first.expected if solved.task.tuple_return else solved.first.expected[0]
        alternatives = tuple(Alternative(v, f"also a valid subgradient at a kink ({note})") for note, _, v in solved.first.alternatives)
        return Expected(ask, value, exact=False, alternatives=alternatives)

    def mistakes(self, ask: str, answers: Mapping[str, Any] | None = None) -> list[Mistake]:
        return []  # code mistakes are diagnosed from what the function returned (code.mistakes)

    def hint(self, ask: str) -> str:
        task = self._task(ask).task
        return f"{task.function} returns " + ", ".join(r.text for r in task.returns)

    def to_json(self) -> dict:
        return {
            "id": self.problem.id,
            "kind": "code",
            "module": self.problem.module,
            "tasks": [
                {
                    "id": s.task.id,
                    "function": s.task.function,
                    "call": f"{s.task.function}({', '.join(s.task.call)})",
                    "returns": [r.text for r in s.task.returns],
                    "points": s.task.points,
                    "inputs": {name: plain(value) for name, value in s.first.values.items()},
                    "expected": [plain(value) for value in s.first.expected],
                    "input_sets": len(self.problem.reference.tasks[s.task.id].sets),
                }
                for s in self.tasks
            ],
            "training": [
                {
                    "id": t.task.id,
                    "points": t.task.points,
                    "steps": t.task.train.steps,
                    "reach": t.task.train.reach,
                    "reference": None if t.result is None else {
                        "accuracy": t.result.accuracy, "final_loss": t.result.final_loss, "reached": t.result.reached,
                        "failure": t.result.failure.message if t.result.failure else None},
                    "shapes": {name: list(shape) for name, shape in t.shapes.items()},
                }
                for t in self.trainings
            ],
        }


def solve_code(problem: CodeProblem) -> CodeSolution:
    reference = problem.reference
    tasks, trainings = [], []
    for task in problem.tasks:
        if task.train is None:
            first = reference.tasks[task.id].sets[0]
            tasks.append(TaskSolution(task, first, _derivations(problem, task, first)))
    for task in problem.tasks:
        if task.train is not None:
            trainings.append(TrainingSolution(task, reference_shapes(task.train, reference.call)))
    return CodeSolution(problem, tasks, trainings)


def with_reference_runs(solution: CodeSolution) -> CodeSolution:
    """``solve --check``: the solution with each training run by the reference's own
    functions (the tasks' expressions, in-process), to check that the recipe reaches its
    target with right functions. Seconds per thousand steps, so only when asked."""
    call = solution.problem.reference.call
    runs = [replace(t, result=train(t.task.train, in_process(call), t.shapes)) for t in solution.trainings]
    return replace(solution, trainings=runs)


def _derivations(problem: CodeProblem, task: Task, first: InputSet) -> list:
    """One graph derivation per distinct scalar of the task's grad(...) items."""
    by_scalar: dict[str, list[str]] = {}
    for returned in task.returns:
        if returned.wrt:
            by_scalar.setdefault(E.to_text(returned.tree), []).append(returned.wrt)
    derivations = []
    for text, names in by_scalar.items():
        returned = next(r for r in task.returns if r.wrt and E.to_text(r.tree) == text)
        compiled = compile_returned(returned, input_shapes(task))
        leaves = compiled.leaves(first.values)
        values = forward(compiled.graph, leaves)
        edges: dict = {}
        grads = backward(compiled.graph, values, compiled.root, record=edges)
        root = compiled.graph.nodes[compiled.root].name
        graph_problem = GraphProblem(
            file=problem.file, id=f"{problem.id}-{task.id}", kind="graph", title=f"{task.id}: d/d{', d/d'.join(names)} of {text}",
            tolerance=task.tolerance, questions=[], inputs=dict(leaves), params={}, steps={root: text}, output=root,
            wrt=list(names), graph=compiled.graph, values=values, grads=grads, edge_values=edges,
        )
        derivations.append(solve_graph(graph_problem))
    return derivations


def first_values(value, limit: int = 6) -> str:
    """A value for a table: a number, or its shape and first elements."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return fmt(float(array))
    shown = ", ".join(fmt(float(x), 6) for x in array.reshape(-1)[:limit])
    return f"{'×'.join(map(str, array.shape))}: [{shown}{', …' if array.size > limit else ''}]"
