"""Loading `kind: graph` problems (contract §1a): values, steps, output, wrt, questions.

Every step is parsed and built even after an earlier one failed, so a teacher sees all
faults at once; a step that refers to a step that already failed is not blamed again.
The forward pass runs here too, because a non-scalar output or a log of a negative number
is a fault of the file, and `hwcheck validate` must find it without solving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..common import MistakeCodes, Problem, Question, read_questions, refuse_partial_entries
from ..errors import FaultList, Pos
from ..numbers import NotANumber, fmt_value, parse_number
from ..yamldoc import YList, YMap
from . import expr as E
from .ask import parse_ask
from .build import BuildError, Graph, Node, add_step
from .engine import NumericFault, backward, forward
from .ops import FUNCTIONS

KIND_KEYS = ("inputs", "params", "steps", "output", "wrt", "vary", "require")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names may not be function names; `step` (hwcheck's addition, for formula answers) is not
# reserved, so that a file valid under the contract's list with a leaf named `step` still loads
# (a call `step(...)` and a name `step` are told apart by the parenthesis).
RESERVED = set(FUNCTIONS) - {"step"}
MAX_BACKWARD_WORK = 500_000  # nodes + values visited by the extra backward passes questions need


@dataclass(frozen=True, eq=False)
class GraphProblem(Problem):
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)  # name -> expression as written
    output: str = ""
    wrt: list[str] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)
    values: list = field(default_factory=list)  # forward value of every node
    grads: list = field(default_factory=list)  # d(output)/d(node) for every node
    edge_values: dict = field(default_factory=dict)  # (consumer, k) -> g · ∂consumer/∂operand
    other_grads: dict = field(default_factory=dict)  # step -> d(step)/d(node), for questions about other steps
    vary: tuple = ()  # graph.vary.Vary per varied leaf: each student's own numbers (§11)
    require: tuple = ()  # graph.vary.Requirement: mistakes every variant must detect
    variant: str | None = None  # the short id of the variant these values are (None: the file's own)

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
        if 0 in widths:
            faults.add(pos, f"{what}: a matrix row is empty; give at least one number per row")
            return None
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


def _read_leaves(data: YMap, key: str, taken: dict[str, Pos], failed: set[str], faults: FaultList) -> dict[str, np.ndarray]:
    leaves: dict[str, np.ndarray] = {}
    if key not in data or data[key] is None:
        return leaves
    section = data[key]
    if not isinstance(section, YMap):
        faults.add(data.where(key), f"{key} is a mapping name → value, e.g. x0: 1.0")
        return leaves
    for name, raw in section.items():
        value = None
        if _check_name(name, section.key_pos[name], taken, faults):
            value = read_value(raw, section.where(name), f"{key[:-1]} '{name}'", faults)
        if value is None:
            failed.add(str(name))
        else:
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


def load_graph(data: YMap, common: dict, faults: FaultList, codes: MistakeCodes) -> GraphProblem:
    taken: dict[str, Pos] = {}
    failed: set[str] = set()  # names whose definition was faulty: not blamed again where used
    inputs = _read_leaves(data, "inputs", taken, failed, faults)
    params = _read_leaves(data, "params", taken, failed, faults)
    graph = Graph()
    leaves = {**inputs, **params}
    for name in leaves:
        graph.add(Node(0, name, "input" if name in inputs else "param", pos=taken[name], shape=np.shape(leaves[name])))
    steps = _read_steps(data, graph, taken, failed, faults)
    output = _read_output(data, section_names(data, "steps"), failed, faults)
    wrt = _read_wrt(data, graph, params, failed, faults)
    problem = GraphProblem(**common, inputs=inputs, params=params, steps=steps, graph=graph, output=output, wrt=wrt)
    graph_ok = not faults  # a fault among the questions does not stop the graph's own checks
    questions = read_questions(data, problem.tolerance, faults, codes)
    if graph_ok:
        found = len(faults.faults)
        problem = _run_passes(problem, data, faults)
        graph_ok = len(faults.faults) == found
    if questions is None:
        questions = default_questions(problem)
    elif graph_ok:
        problem = replace(problem, other_grads=_check_asks(questions, problem, faults))
    if not faults:
        check_gradients_defined(questions, problem, data.where("wrt") if "wrt" in data else data.pos, faults)
    problem = replace(problem, questions=questions)
    if "vary" in data or "require" in data:
        from .vary import read_require, read_vary  # deliberate: only files with variants pay for it (start-up time)

        vary = read_vary(data, leaves, section_names(data, "steps"), failed, faults)
        problem = replace(problem, vary=vary, require=read_require(data, vary, faults, codes))
    return problem


def section_names(data: YMap, key: str) -> list:
    section = data.get(key)
    return list(section) if isinstance(section, dict) else []


def _run_passes(problem: GraphProblem, data: YMap, faults: FaultList) -> GraphProblem:
    """Forward and backward once, so that `validate` finds every numeric fault; the
    problem with its values and gradients (as far as they could be computed)."""
    graph = problem.graph
    try:
        values = forward(graph, problem.leaves())
        problem = replace(problem, values=values)
        output = graph.index[problem.output]
        if np.ndim(values[output]) != 0:
            shape = list(np.shape(values[output]))
            faults.add(data.where("output") if "output" in data else graph.nodes[output].pos,
                       f"output '{problem.output}' has shape {shape}; gradients are taken of a scalar, so reduce it (e.g. sum(...) or mean(...))")
            return problem
        edge_values: dict = {}
        grads = backward(graph, values, output, record=edge_values)
        return replace(problem, grads=grads, edge_values=edge_values)
    except NumericFault as fault:
        faults.add(fault.node.pos, f"step '{fault.node.step}': {fault.message}")
        return problem


def _read_steps(data: YMap, graph: Graph, taken: dict[str, Pos], failed: set[str], faults: FaultList) -> dict[str, str]:
    if "steps" not in data:
        faults.add(data.pos, "missing 'steps': the ordered mapping name → expression, e.g. z: relu(x * w + b)")
        return {}
    section = data["steps"]
    if not isinstance(section, YMap) or not section:
        faults.add(data.where("steps"), "steps is a non-empty mapping name → expression, e.g. z: relu(x * w + b)")
        return {}
    steps: dict[str, str] = {}
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
            _check_names_in(tree, name, graph, failed, later, faults)
            add_step(graph, name, tree, pos)
            steps[name] = text
        except (E.ExprError, BuildError) as exc:
            failed.add(name)
            if exc.message:  # empty when the fault was already reported elsewhere
                column = pos.column + exc.column + (1 if name in section.quoted else 0)
                faults.add(Pos(pos.line, column), f"step '{name}': {exc.message}")
    return steps


def _check_names_in(tree: E.Expr, step: str, graph: Graph, failed: set[str], later: set[str], faults: FaultList) -> None:
    """Explain unknown names: a later step, the step itself, a typo, or an earlier fault."""
    for node in E.walk(tree):
        if isinstance(node, E.Name) and node.name not in graph.index:
            if node.name in failed:
                raise BuildError("", node.column)
            if node.name == step:
                raise BuildError(f"uses itself ('{step}'); a step may use leaves and earlier steps only", node.column)
            if node.name in later:
                raise BuildError(f"uses '{node.name}', which is defined later; move step '{node.name}' above this one", node.column)
            hint = "" if faults.full else faults.suggest(node.name, _names(graph))
            raise BuildError(f"unknown name '{node.name}'{hint}", node.column)


def _read_output(data: YMap, step_names: list, failed: set[str], faults: FaultList) -> str:
    if not step_names:
        return ""
    output = data.get("output", step_names[-1])
    if not isinstance(output, str):
        faults.add(data.where("output"), "output must be one step's name, e.g. output: z")
        return str(step_names[-1])
    if output in failed:
        return output
    if not isinstance(output, str) or output not in step_names:
        faults.add(data.where("output"), f"output {output!r} is not a step{faults.suggest(str(output), map(str, step_names))}; name one of the steps")
        return str(step_names[-1])
    return output


def _read_wrt(data: YMap, graph: Graph, params: dict, failed: set[str], faults: FaultList) -> list[str]:
    if "wrt" not in data:
        return list(params)
    raw = data["wrt"]
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list):
        faults.add(data.where("wrt"), "wrt is a list of names, e.g. wrt: [w0, b0]")
        return []
    result = []
    known = _names(graph)
    for i, name in enumerate(names):
        pos = raw.where(i) if isinstance(raw, YList) else data.where("wrt")
        if isinstance(name, str) and name in failed:
            continue
        if not isinstance(name, str) or name not in graph.index or not NAME.fullmatch(name):
            faults.add(pos, f"wrt: unknown name {name!r}{faults.suggest(str(name), known)}")
        else:
            result.append(name)
    return result


def _names(graph: Graph) -> list[str]:
    """The names a user gave (leaves and steps), not the texts of inner operations."""
    return [n for n in graph.index if NAME.fullmatch(n)]


def default_questions(problem: GraphProblem) -> list[Question]:
    """Contract default: the value of every step, and d(output)/d(name) for each wrt."""
    tol = problem.tolerance
    questions = [Question(name, name, 1.0, tol) for name in problem.steps]
    for name in problem.wrt:
        ask = f"d{problem.output}/d{name}"
        questions.append(Question(ask, ask, 1.0, tol))
    return questions


def check_gradients_defined(questions: list[Question], problem: GraphProblem, wrt_pos: Pos, faults: FaultList) -> None:
    """A gradient into data (labels, an input exponent) may be undefined and is then not
    needed — unless a question asks for it."""
    graph = problem.graph
    for question in questions:
        ask = parse_ask(question.ask)
        if ask is None or not ask.is_gradient:
            continue
        grads = problem.grads if ask.output == problem.output else problem.other_grads.get(ask.output)
        if grads is None:
            continue
        value = grads[graph.index[ask.name]]
        if ask.index is not None:
            value = value[ask.index]
        if not np.all(np.isfinite(value)):
            faults.add(question.pos or wrt_pos, f"question '{question.id}': {question.ask} is not defined at these values "
                       "(a derivative on its paths is infinite or NaN, as d(a ** n)/dn at a < 0); ask another gradient or change the values")


def _check_asks(questions: list[Question], problem: GraphProblem, faults: FaultList) -> dict:
    """Checks every question's ask; returns the gradients of the other steps asked about
    (step → d(step)/d(node)), one backward pass each."""
    graph, values = problem.graph, problem.values
    other_grads: dict = {}
    known = _names(graph)
    # Each step other than the output whose gradients are asked costs a backward pass (time and
    # memory like the graph's): bounded in all, so 2,000 questions ds_i/dx are not 2,000 passes.
    passes = max(1, MAX_BACKWARD_WORK // (len(graph) + graph.elements))
    for question in questions:
        ask = parse_ask(question.ask)
        if ask is None:
            faults.add(question.pos, f"question '{question.id}': cannot read ask '{question.ask}'; write NAME, dOUT/dNAME or NAME[i]")
            continue
        for name in (ask.name, ask.output):
            if name is not None and (name not in graph.index or not NAME.fullmatch(name)):
                faults.add(question.pos, f"question '{question.id}': unknown name '{name}'{faults.suggest(name, known)}")
                break
        else:
            if ask.output is not None and np.ndim(values[graph.index[ask.output]]) != 0:
                faults.add(question.pos, f"question '{question.id}': d{ask.output}/d... needs a scalar '{ask.output}'")
            elif ask.output not in (None, problem.output) and ask.output not in other_grads:
                if len(other_grads) >= passes:
                    faults.add(question.pos, f"question '{question.id}': gradients of '{ask.output}' would make more than {passes:,} steps "
                               "other than the output whose gradients are asked, each needing its own backward pass over a graph "
                               "of this size; ask gradients of the output")
                    continue
                try:  # a gradient of another step: one more backward pass, checked here
                    other_grads[ask.output] = backward(graph, values, graph.index[ask.output])
                except NumericFault as fault:
                    faults.add(question.pos, f"question '{question.id}': step '{fault.node.step}': {fault.message}")
            if question.answer == "formula":  # judged as a function, never entry by entry
                refuse_partial_entries(question, "a formula", faults)
            elif ask.index is not None or np.ndim(values[graph.index[ask.name]]) == 0:  # a gradient has its node's shape
                refuse_partial_entries(question, "a number", faults)
            if ask.index is not None and question.answer == "formula":
                faults.add(question.pos, f"question '{question.id}': a formula answer is for a whole value or gradient; "
                                         f"ask for {question.ask.split('[')[0].strip()} (formulas cannot index)")
            elif ask.index is not None:
                shape = np.shape(values[graph.index[ask.name]])
                if len(ask.index) != len(shape) or any(i >= n for i, n in zip(ask.index, shape)):
                    faults.add(question.pos, f"question '{question.id}': index {list(ask.index)} does not fit '{ask.name}' of shape {list(shape)} (indices are 0-based)")
    return other_grads


__all__ = ["GraphProblem", "KIND_KEYS", "load_graph", "read_value", "fmt_value"]
