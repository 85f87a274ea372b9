"""Loading `kind: graph` problems (contract §1a): values, steps, output, wrt, questions.

Every step is parsed and built even after an earlier one failed, so a teacher sees all
faults at once; a step that refers to a step that already failed is not blamed again.
The forward pass runs here too, because a non-scalar output or a log of a negative number
is a fault of the file, and `hwcheck validate` must find it without solving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import FaultList, Pos, did_you_mean
from ..numbers import NotANumber, fmt_value, parse_number
from ..problem import Problem, Question, read_questions
from ..yamldoc import YList, YMap
from . import expr as E
from .ask import parse_ask
from .build import BuildError, Graph, Node, add_step
from .engine import NumericFault, forward
from .ops import FUNCTIONS

KIND_KEYS = ("inputs", "params", "steps", "output", "wrt")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESERVED = set(FUNCTIONS)


@dataclass
class GraphProblem(Problem):
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)  # name -> expression as written
    output: str = ""
    wrt: list[str] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)
    values: list = field(default_factory=list)  # forward value of every node

    def leaves(self) -> dict[str, np.ndarray]:
        return {**self.inputs, **self.params}


def read_value(raw, pos: Pos, what: str, faults: FaultList) -> np.ndarray | None:
    """A number, vector (list) or matrix (list of equal-length lists) as float64."""
    rows = raw if isinstance(raw, list) else None
    try:
        if rows is None:
            return np.asarray(parse_number(raw))
        if not rows:
            faults.add(pos, f"{what}: an empty list is not a value; give at least one number")
            return None
        if all(not isinstance(r, list) for r in rows):
            return np.array([parse_number(r) for r in rows])
        if not all(isinstance(r, list) for r in rows):
            faults.add(pos, f"{what}: mixes numbers and lists; a matrix is a list of rows of numbers")
            return None
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            faults.add(pos, f"{what}: ragged matrix (rows of lengths {sorted(widths)}); every row needs the same length")
            return None
        if any(isinstance(x, list) for r in rows for x in r):
            faults.add(pos, f"{what}: nested deeper than a matrix; values are numbers, vectors or matrices")
            return None
        return np.array([[parse_number(x) for x in r] for r in rows])
    except NotANumber as exc:
        faults.add(pos, f"{what}: {exc}")
        return None


def _read_leaves(data: YMap, key: str, taken: dict[str, Pos], faults: FaultList) -> dict[str, np.ndarray]:
    leaves: dict[str, np.ndarray] = {}
    if key not in data or data[key] is None:
        return leaves
    section = data[key]
    if not isinstance(section, YMap):
        faults.add(data.where(key), f"{key} is a mapping name → value, e.g. x0: 1.0")
        return leaves
    for name, raw in section.items():
        if _check_name(name, section.key_pos[name], taken, faults):
            value = read_value(raw, section.where(name), f"{key[:-1]} '{name}'", faults)
            if value is not None:
                leaves[name] = value
    return leaves


def _check_name(name, pos: Pos, taken: dict[str, Pos], faults: FaultList) -> bool:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        faults.add(pos, f"bad name {name!r}: names are letters, digits and '_', not starting with a digit")
        return False
    if name in RESERVED:
        faults.add(pos, f"'{name}' is a function name; choose another name")
        return False
    if name in taken:
        faults.add(pos, f"name '{name}' is already used (line {taken[name].line}); names are unique across inputs, params and steps")
        return False
    taken[name] = pos
    return True


def load_graph(data: YMap, common: dict, faults: FaultList) -> GraphProblem:
    taken: dict[str, Pos] = {}
    inputs = _read_leaves(data, "inputs", taken, faults)
    params = _read_leaves(data, "params", taken, faults)
    graph = Graph()
    for name, value in {**inputs, **params}.items():
        graph.add(Node(0, name, "input" if name in inputs else "param", pos=taken[name]))
    steps = _read_steps(data, graph, taken, faults)
    problem = GraphProblem(**common, inputs=inputs, params=params, steps=steps, graph=graph)
    if faults or not steps:
        return problem
    problem.values = _run_forward(graph, problem.leaves(), faults)
    if faults:
        return problem
    problem.output = _read_output(data, graph, problem.values, steps, faults)
    problem.wrt = _read_wrt(data, graph, params, faults)
    questions = read_questions(data, problem.tolerance, faults)
    if questions is None:
        questions = default_questions(problem)
    else:
        _check_asks(questions, problem, faults)
    problem.questions = questions
    return problem


def _read_steps(data: YMap, graph: Graph, taken: dict[str, Pos], faults: FaultList) -> dict[str, str]:
    if "steps" not in data:
        faults.add(data.pos, "missing 'steps': the ordered mapping name → expression, e.g. z: relu(x * w + b)")
        return {}
    section = data["steps"]
    if not isinstance(section, YMap) or not section:
        faults.add(data.where("steps"), "steps is a non-empty mapping name → expression, e.g. z: relu(x * w + b)")
        return {}
    steps: dict[str, str] = {}
    failed: set[str] = set()
    later = set(section)
    for name, raw in section.items():
        pos = section.where(name)
        later.discard(name)
        if not _check_name(name, section.key_pos[name], taken, faults):
            failed.add(str(name))
            continue
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            faults.add(pos, f"step '{name}': an expression is text such as x0 * w0 + b0")
            failed.add(name)
            continue
        text = str(raw)
        try:
            tree = E.parse_expression(text, FUNCTIONS)
            _check_names_in(tree, name, graph, failed, later)
            add_step(graph, name, tree, pos)
            steps[name] = text
        except (E.ExprError, BuildError) as exc:
            failed.add(name)
            if exc.message:  # empty when the fault was already reported elsewhere
                faults.add(Pos(pos.line, pos.column + exc.column), f"step '{name}': {exc.message}")
    return steps


def _check_names_in(tree: E.Expr, step: str, graph: Graph, failed: set[str], later: set[str]) -> None:
    """Explain unknown names: a later step, the step itself, a typo, or an earlier fault."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, E.Name) and node.name not in graph.index:
            if node.name in failed:
                raise BuildError("", node.column)
            if node.name == step:
                raise BuildError(f"uses itself ('{step}'); a step may use leaves and earlier steps only", node.column)
            if node.name in later:
                raise BuildError(f"uses '{node.name}', which is defined later; move step '{node.name}' above this one", node.column)
            known = [n for n in graph.index if NAME.fullmatch(n)]
            raise BuildError(f"unknown name '{node.name}'{did_you_mean(node.name, known)}", node.column)
        if isinstance(node, E.BinOp):
            stack += [node.left, node.right]
        elif isinstance(node, E.Neg):
            stack.append(node.operand)
        elif isinstance(node, E.Call):
            stack += list(node.args)


def _run_forward(graph: Graph, leaves: dict, faults: FaultList) -> list:
    try:
        return forward(graph, leaves)
    except NumericFault as fault:
        node = fault.node
        faults.add(node.pos, f"step '{node.step}': {fault.message}")
        return []


def _read_output(data: YMap, graph: Graph, values: list, steps: dict, faults: FaultList) -> str:
    last = list(steps)[-1]
    output = data.get("output", last)
    pos = data.where("output")
    if not isinstance(output, str) or output not in steps:
        faults.add(pos, f"output {output!r} is not a step{did_you_mean(str(output), steps)}; name one of the steps")
        return last
    if values and np.ndim(values[graph.index[output]]) != 0:
        shape = list(np.shape(values[graph.index[output]]))
        faults.add(pos, f"output '{output}' has shape {shape}; gradients are taken of a scalar, so reduce it (e.g. sum(...) or mean(...))")
    return output


def _read_wrt(data: YMap, graph: Graph, params: dict, faults: FaultList) -> list[str]:
    if "wrt" not in data:
        return list(params)
    raw = data["wrt"]
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list):
        faults.add(data.where("wrt"), "wrt is a list of names, e.g. wrt: [w0, b0]")
        return []
    result = []
    for i, name in enumerate(names):
        pos = raw.where(i) if isinstance(raw, YList) else data.where("wrt")
        if not isinstance(name, str) or name not in graph.index or not NAME.fullmatch(name):
            known = [n for n in graph.index if NAME.fullmatch(n)]
            faults.add(pos, f"wrt: unknown name {name!r}{did_you_mean(str(name), known)}")
        else:
            result.append(name)
    return result


def default_questions(problem: GraphProblem) -> list[Question]:
    """Contract default: the value of every step, and d(output)/d(name) for each wrt."""
    tol = problem.tolerance
    questions = [Question(name, name, 1.0, tol) for name in problem.steps]
    for name in problem.wrt:
        ask = f"d{problem.output}/d{name}"
        questions.append(Question(ask, ask, 1.0, tol))
    return questions


def _check_asks(questions: list[Question], problem: GraphProblem, faults: FaultList) -> None:
    graph, values = problem.graph, problem.values
    known = [n for n in graph.index if NAME.fullmatch(n)]
    for question in questions:
        ask = parse_ask(question.ask)
        if ask is None:
            faults.add(question.pos, f"question '{question.id}': cannot read ask '{question.ask}'; write NAME, dOUT/dNAME or NAME[i]")
            continue
        for name in (ask.name, ask.output):
            if name is not None and (name not in graph.index or not NAME.fullmatch(name)):
                faults.add(question.pos, f"question '{question.id}': unknown name '{name}'{did_you_mean(name, known)}")
                break
        else:
            if ask.output is not None and np.ndim(values[graph.index[ask.output]]) != 0:
                faults.add(question.pos, f"question '{question.id}': d{ask.output}/d... needs a scalar '{ask.output}'")
            elif ask.index is not None:
                shape = np.shape(values[graph.index[ask.name]])
                if len(ask.index) != len(shape) or any(i >= n for i, n in zip(ask.index, shape)):
                    faults.add(question.pos, f"question '{question.id}': index {list(ask.index)} does not fit '{ask.name}' of shape {list(shape)} (indices are 0-based)")


__all__ = ["GraphProblem", "KIND_KEYS", "load_graph", "read_value", "fmt_value"]
