"""The reference: every task's input sets and expected results, from hwcheck's own engine.

A ``returns`` item is compiled once into a graph of :mod:`hwcheck.graph` (one node per
operation, exactly as a graph problem's step) and evaluated with its forward pass; a
``grad(SCALAR, NAME)`` item runs the reverse pass from SCALAR and takes NAME's gradient.
Where an input sits on a kink (a ReLU at exactly 0) the other valid subgradients are
computed as well, from each operation's ``alternatives``, so that a student who takes
relu'(0) = 1 is accepted with a note, as on graph problems.

Inputs are drawn from ``numpy.random.default_rng([seed, crc32(task id), trial])``: the
same file gives the same numbers on every machine, and adding a task does not change the
numbers of the others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import FaultList
from ..graph import expr as E
from ..graph.build import BuildError, Graph, Node, add_step
from ..graph.engine import NumericFault, backward, forward, kinks
from ..graph.ops import DomainError, softmax
from .model import CodeProblem, InputSpec, Returned, Task
from .train import CallFailed, reference_shapes


@dataclass
class Compiled:
    """One returns item as a graph over the task's inputs."""

    returned: Returned
    graph: Graph
    root: int
    inputs: tuple[str, ...]

    def leaves(self, values: dict[str, Any]) -> dict[str, np.ndarray]:
        return {name: np.asarray(values[name], dtype=float) for name in self.inputs}

    def evaluate(self, values: dict[str, Any], overrides: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """The expected value; raises NumericFault / DomainError / ValueError on a fault."""
        nodes = forward(self.graph, self.leaves(values), overrides)
        if self.returned.wrt is None:
            return nodes[self.root]
        if np.ndim(nodes[self.root]) != 0:
            raise ValueError(f"grad() needs a scalar, and {E.to_text(self.returned.tree)} has shape {list(np.shape(nodes[self.root]))}; wrap it in sum(...)")
        grads = backward(self.graph, nodes, self.root)
        return grads[self.graph.index[self.returned.wrt]]

    def alternatives(self, values: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
        """The gradient under every other valid subgradient at each kink the inputs hit."""
        if self.returned.wrt is None:
            return []
        nodes = forward(self.graph, self.leaves(values))
        found = []
        for kink in kinks(self.graph, nodes):
            node = self.graph.nodes[self.graph.index[kink.node]]
            for note, rule in node.op.alternatives:
                try:
                    grads = backward(self.graph, nodes, self.root, {node.index: rule})
                except NumericFault:
                    continue
                found.append((note, grads[self.graph.index[self.returned.wrt]]))
        return found

    def nodes_of(self, op_name: str) -> list[Node]:
        return [n for n in self.graph.nodes if n.op is not None and n.op.name == op_name]


def input_shapes(task, sizes: dict[int, int] | None = None) -> dict[str, tuple[int, ...]]:
    """Each input's shape, with each size in ``sizes`` replaced (the training's batch): the
    graph builder checks the shapes of ``returns`` from them."""
    sizes = sizes or {}
    return {name: tuple(sizes.get(n, n) for n in spec.shape) if spec.shape is not None else np.shape(spec.value)
            for name, spec in task.inputs.items()}


def compile_returned(returned: Returned, shapes: dict[str, tuple[int, ...]]) -> Compiled:
    """``returns`` built as a graph over the inputs, of ``shapes`` (name → shape)."""
    inputs = tuple(shapes)
    graph = Graph()
    for name in inputs:
        graph.add(Node(0, name, "input", shape=shapes[name]))
    root_name = "L" if returned.wrt else "result"
    while root_name in inputs:
        root_name += "_"
    node = add_step(graph, root_name, returned.tree, None)
    return Compiled(returned, graph, node.index, inputs)


@dataclass
class InputSet:
    """One set of arguments and what the function must return for it."""

    label: str  # "trial 1", "case 1"
    values: dict[str, Any]  # input name → float or float64 array
    expected: tuple[np.ndarray, ...]  # one per returns item
    alternatives: tuple[tuple[str, int, np.ndarray], ...] = ()  # (note, item, value)

    def args(self, call: tuple[str, ...]) -> list[Any]:
        return [self.values[name] for name in call]


@dataclass
class TaskReference:
    task: Task
    compiled: tuple[Compiled, ...]
    sets: list[InputSet] = field(default_factory=list)
    # The returns recompiled for other sizes, by size map: this reference's own cache.
    resized: dict[tuple, tuple[Compiled, ...]] = field(default_factory=dict, repr=False, compare=False)

    def call(self, args: list[Any]) -> tuple[np.ndarray, ...]:
        """The reference function itself: what the task's function returns for ``args``,
        which may have other sizes than the task's inputs (the training's batch of 300).

        The sizes of the task's inputs are matched with those of ``args`` (dout's [4, 5]
        arriving as [300, 3] maps 4 → 300 and 5 → 3), and two things follow the map: an
        input the call does not pass (``b`` of ``linear_backward(dout, x, w)``, which the
        gradients do not depend on) is taken as zeros of the mapped shape, and a number in
        ``returns`` equal to a mapped size (the 4 of ``(p - y) / 4``, the batch mean) is
        taken as the new size.
        """
        values = dict(zip(self.task.call, args))
        sizes: dict[int, set[int]] = {}
        for name, arg in values.items():
            spec = self.task.inputs[name]
            if spec.shape is not None and len(spec.shape) == np.ndim(arg):
                for old, new in zip(spec.shape, np.shape(arg)):
                    sizes.setdefault(old, set()).add(new)
        mapping = {old: next(iter(new)) for old, new in sizes.items() if len(new) == 1}
        for name in self.task.inputs:
            if name not in values:
                spec = self.task.inputs[name]
                shape = tuple(mapping.get(n, n) for n in spec.shape) if spec.shape is not None else np.shape(spec.value)
                values[name] = np.zeros(shape)
        changed = tuple(sorted((old, new) for old, new in mapping.items() if old != new))
        compiled = self.compiled if not changed else self._resized(changed)
        return tuple(c.evaluate(values) for c in compiled)

    def _resized(self, changed: tuple[tuple[int, int], ...]) -> tuple[Compiled, ...]:
        cache = self.resized
        if changed not in cache:
            sizes = dict(changed)
            cache[changed] = tuple(
                compile_returned(Returned(c.returned.text, _renumber(c.returned.tree, sizes), c.returned.wrt), input_shapes(self.task, sizes)) for c in self.compiled
            )
        return cache[changed]


def _renumber(tree: E.Expr, sizes: dict[int, int]) -> E.Expr:
    """The expression with each number equal to a changed size replaced by the new size."""
    if isinstance(tree, E.Num):
        return E.Num(float(sizes[int(tree.value)]), tree.column) if float(tree.value).is_integer() and int(tree.value) in sizes else tree
    if isinstance(tree, E.BinOp):
        return E.BinOp(tree.op, _renumber(tree.left, sizes), _renumber(tree.right, sizes), tree.column)
    if isinstance(tree, E.Neg):
        return E.Neg(_renumber(tree.operand, sizes), tree.column)
    if isinstance(tree, E.Call):
        return E.Call(tree.func, tuple(_renumber(a, sizes) for a in tree.args), tree.column)
    return tree


@dataclass
class Reference:
    tasks: dict[str, TaskReference]  # by task id (function tasks only)
    by_function: dict[str, TaskReference]

    def call(self, function: str, args: list) -> tuple:
        """The reference's own function, as the training loop calls a student's; a value
        the engine cannot compute stops the training like a student's exception would."""
        try:
            with np.errstate(all="ignore"):  # non-finite results are refused by the engine itself
                return self.by_function[function].call(args)
        except NumericFault as fault:
            raise CallFailed(f"the reference's {function} cannot be computed: {fault.message}", "reference") from None
        except (DomainError, ValueError, BuildError) as exc:  # BuildError: the training's sizes make a value too large
            raise CallFailed(f"the reference's {function} cannot be computed: {exc}", "reference") from None


def rng_for(seed: int, task_id: str, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(task_id.encode()), stream])


def draw(spec: InputSpec, rng: np.random.Generator, shape: tuple[int, ...] | None = None):
    """One input: a fixed value, or a draw of the spec's kind (documented in docs/code.md)."""
    if spec.fixed:
        return spec.value
    shape = shape or spec.shape
    if spec.draw == "normal":
        return rng.standard_normal(shape) * spec.scale
    if spec.draw == "uniform":
        return rng.uniform(-1.0, 1.0, shape) * spec.scale
    if spec.draw == "positive":
        return rng.uniform(0.1, 1.1, shape) * spec.scale
    if spec.draw == "softmax":
        return softmax(rng.standard_normal(shape) * spec.scale)
    classes = rng.integers(shape[-1], size=shape[:-1])  # onehot: one 1 per row
    return np.eye(shape[-1])[classes] * spec.scale


def build_reference(problem: CodeProblem, faults: FaultList) -> Reference | None:
    tasks: dict[str, TaskReference] = {}
    for task in problem.tasks:
        if task.train is not None:
            continue
        try:
            compiled = tuple(compile_returned(r, input_shapes(task)) for r in task.returns)
        except BuildError as exc:
            faults.add(task.pos, f"task {task.id}: returns: {exc.message}")
            continue
        reference = TaskReference(task, compiled)
        for label, values in _input_sets(problem, task):
            bad = [name for name, value in values.items() if not np.all(np.isfinite(value))]
            if bad:
                faults.add(task.pos, f"task {task.id}: input '{bad[0]}' is not finite for {label} (is its scale too large?)")
                break
            try:
                expected = tuple(c.evaluate(values) for c in compiled)
                alternatives = tuple((note, k, value) for k, c in enumerate(compiled) for note, value in c.alternatives(values))
            except (NumericFault, DomainError, ValueError) as exc:
                message = exc.message if isinstance(exc, NumericFault) else str(exc)
                faults.add(task.pos, f"task {task.id}: returns cannot be computed for {label}: {message}")
                break
            reference.sets.append(InputSet(label, values, expected, alternatives))
        tasks[task.id] = reference
    if faults:
        return None
    reference = Reference(tasks, {r.task.function: r for r in tasks.values()})
    for task in problem.tasks:  # one step of each training, so that validate finds its faults
        if task.train is not None:
            try:
                reference_shapes(task.train, reference.call)
            except CallFailed as failed:
                faults.add(task.pos, f"task {task.id}: the training cannot run with the reference functions: {failed.message}")
    return None if faults else reference


def _input_sets(problem: CodeProblem, task: Task) -> list[tuple[str, dict[str, Any]]]:
    with np.errstate(all="ignore"):  # a huge scale overflows: refused by the caller, quietly
        return list(_draw_sets(problem, task))


def _draw_sets(problem: CodeProblem, task: Task):
    for trial in range(problem.trials):
        rng = rng_for(problem.seed, task.id, trial)
        yield f"trial {trial + 1}", {name: draw(spec, rng) for name, spec in task.inputs.items()}
    for index, case in enumerate(task.cases):
        rng = rng_for(problem.seed, task.id, 1000 + index)
        yield f"case {index + 1}", {name: case[name] if name in case else draw(spec, rng) for name, spec in task.inputs.items()}
