"""Loading `kind: code` problems (contract §9): the module, the tasks, their inputs and
the training recipe. Every fault is collected with its line and column.

The expected values are computed here too (by :mod:`.reference`), once: an expression
that does not fit its inputs' shapes, or a ``grad`` of something that is not a scalar, is
a fault of the file, and ``hwcheck validate`` must find it without a submission.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import replace
from typing import Any

from ..common import MistakeCodes, Question, Tolerance, check_keys, read_id, read_points, read_tolerance
from ..errors import FaultList, Pos, did_you_mean
from ..graph import expr as E
from ..graph.load import read_value
from ..graph.ops import FUNCTIONS
from ..numbers import NotANumber, parse_number
from ..yamldoc import YList, YMap
from .model import CodeProblem, InputSpec, Line, Returned, Task, Training
from .reference import build_reference

KIND_KEYS = ("module", "seed", "trials", "tasks")
TASK_KEYS = ("id", "points", "function", "inputs", "call", "returns", "cases", "mutates", "train", "tolerance")
TRAIN_KEYS = ("data", "params", "init", "forward", "backward", "update", "steps", "lr", "reach", "predict", "loss")
DRAWS = ("normal", "uniform", "positive", "softmax", "onehot")
CODE_TOLERANCE = Tolerance(rel=1e-6, abs=1e-9)  # contract §9's default for code
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CALL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*((?:[A-Za-z_][A-Za-z0-9_]*\s*(?:,\s*[A-Za-z_][A-Za-z0-9_]*\s*)*)?)\)\s*")
LINE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*=\s*(.*)")
# Sizes a file controls are capped, so a hostile problem cannot ask for unbounded work.
MAX_TRIALS = 20
MAX_CASES = 20
MAX_ELEMENTS = 100_000  # per input
MAX_RANK = 4
MAX_STEPS = 100_000
MAX_DATA_POINTS = 100_000
RETURN_FUNCTIONS = {**FUNCTIONS, "grad": 2}


def load_code(data: YMap, common: dict, faults: FaultList, codes: MistakeCodes) -> CodeProblem:
    """Build the problem from its YAML mapping; faults go to ``faults``, nothing is raised.
    ``codes`` goes unused: a code problem's credit rules are its ``grading:`` (read with the
    common keys), since a task has no credit keys of its own."""
    tolerance = CODE_TOLERANCE
    if "tolerance" in data:
        tolerance = read_tolerance(data["tolerance"], data.where("tolerance"), CODE_TOLERANCE, faults)
    common = {**common, "tolerance": tolerance}
    if "questions" in data:
        faults.add(data.key_pos["questions"], "a code problem has 'tasks', not 'questions'")
    module = data.get("module")
    if not isinstance(module, str) or not MODULE.fullmatch(module) or keyword.iskeyword(module):
        faults.add(data.where("module") if "module" in data else data.pos, "module is the student's module name, e.g. module: hw4 for hw4.py")
        module = "submission"
    seed = _whole(data, "seed", 0, faults, low=0)
    trials = _whole(data, "trials", 3, faults, low=1, high=MAX_TRIALS)
    tasks = _read_tasks(data, tolerance, faults)
    questions = [Question(t.id, t.ask, t.points, t.tolerance, t.pos) for t in tasks]
    problem = CodeProblem(**common, module=module, seed=seed, trials=trials, tasks=tasks, questions=questions)
    if not faults:
        _check_training(problem, faults)
    if not faults:
        problem = replace(problem, reference=build_reference(problem, faults))
    return problem


def _whole(data: YMap, key: str, default: int, faults: FaultList, low: int = 0, high: int | None = None) -> int:
    if key not in data:
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limit = f" and at most {high:,}" if high is not None else ""
        faults.add(data.where(key), f"{key} must be a whole number ≥ {low}{limit}, not {value!r}")
        return default
    return value


def _read_tasks(data: YMap, tolerance: Tolerance, faults: FaultList) -> list[Task]:
    raw = data.get("tasks")
    if not isinstance(raw, YList) or not raw:
        faults.add(data.where("tasks") if "tasks" in data else data.pos, "tasks is a non-empty list of {id, function, inputs, returns, points}")
        return []
    tasks: list[Task] = []
    seen: dict[str, Pos] = {}
    for index, item in enumerate(raw):
        pos = raw.where(index)
        if not isinstance(item, YMap):
            faults.add(pos, "each task is a mapping such as {id: C1, function: f, inputs: {x: [4, 3]}, returns: relu(x)}")
            continue
        check_keys(item, "task", TASK_KEYS, faults)
        if "id" not in item:
            faults.add(pos, "each task needs an id, e.g. id: C1")
            continue
        task_id = read_id(item, "task", "C1", faults)
        if task_id is None:
            continue
        if task_id in seen:
            faults.add(item.where("id"), f"task id '{task_id}' is used twice (first at line {seen[task_id].line}); ids are unique")
            continue
        seen[task_id] = pos
        points = read_points(item, faults)
        task_tolerance = read_tolerance(item["tolerance"], item.where("tolerance"), tolerance, faults) if "tolerance" in item else tolerance
        task = Task(task_id, points, task_tolerance, pos)
        if "train" in item:
            for key in ("function", "inputs", "returns", "call", "cases", "mutates"):
                if key in item:
                    faults.add(item.key_pos[key], f"task {task_id}: a training task has 'train' instead of '{key}'")
            task.train = _read_training(item["train"], item.where("train"), task_id, faults)
        else:
            _read_function_task(item, task, pos, faults)
        tasks.append(task)
    return tasks


def _read_function_task(item: YMap, task: Task, pos: Pos, faults: FaultList) -> None:
    where = f"task {task.id}"
    function = item.get("function")
    if not isinstance(function, str) or not NAME.fullmatch(function) or keyword.iskeyword(function):
        faults.add(item.where("function") if "function" in item else pos, f"{where}: 'function' names the function the student writes, e.g. function: relu_forward (or give 'train')")
        return
    task.function = function
    task.inputs = _read_inputs(item, where, faults)
    names = list(task.inputs)
    # every name written under inputs, faulty ones too: their fault is said once, where they are defined
    declared = set(names) | ({n for n in item["inputs"] if isinstance(n, str)} if isinstance(item.get("inputs"), YMap) else set())
    task.call = tuple(names)
    if "call" in item:
        call = item["call"]
        match = CALL.fullmatch(call) if isinstance(call, str) else None
        if not match:
            faults.add(item.where("call"), f"{where}: call is written like {function}({', '.join(names)}): the function and input names")
        elif match.group(1) != function:
            faults.add(item.where("call"), f"{where}: call names '{match.group(1)}' but the function is '{function}'")
        else:
            args = tuple(a.strip() for a in match.group(2).split(",") if a.strip())
            for arg in args:
                if arg not in declared:
                    faults.add(item.where("call"), f"{where}: call uses '{arg}', which is not an input{did_you_mean(arg, names)}")
            task.call = args
    task.returns, task.tuple_return = _read_returns(item, where, declared, faults, pos)
    task.cases = _read_cases(item, task, where, faults)
    if "mutates" in item:
        raw = item["mutates"]
        listed = [raw] if isinstance(raw, str) else raw
        if not isinstance(listed, list) or not all(isinstance(n, str) and n in task.inputs for n in listed):
            faults.add(item.where("mutates"), f"{where}: mutates lists inputs the function may change in place, e.g. mutates: [param]")
        else:
            task.mutates = tuple(listed)


def _read_inputs(item: YMap, where: str, faults: FaultList) -> dict[str, InputSpec]:
    raw = item.get("inputs")
    if not isinstance(raw, YMap) or not raw:
        faults.add(item.where("inputs") if "inputs" in item else item.pos, f"{where}: inputs is a mapping name → shape, e.g. inputs: {{x: [4, 3]}}")
        return {}
    specs = {}
    for name, value in raw.items():
        pos = raw.where(name)
        if not isinstance(name, str) or not NAME.fullmatch(name) or name in RETURN_FUNCTIONS or keyword.iskeyword(name):
            faults.add(raw.key_pos[name], f"{where}: bad input name {name!r}: letters, digits and '_', not a function's name")
            continue
        spec = _read_spec(name, value, pos, f"{where}: input '{name}'", faults)
        if spec is not None:
            specs[name] = spec
    return specs


def _is_shape(value) -> bool:
    """A flat list of YAML integers is a shape; floats or nested lists are a literal array."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def _check_shape(shape: list, pos: Pos, what: str, faults: FaultList) -> tuple[int, ...] | None:
    if not _is_shape(shape) or any(n < 1 for n in shape) or len(shape) > MAX_RANK:
        faults.add(pos, f"{what}: a shape is a list of 1 to {MAX_RANK} whole numbers ≥ 1, e.g. [4, 3]")
        return None
    if math.prod(shape) > MAX_ELEMENTS:
        faults.add(pos, f"{what}: shape {list(shape)} has {math.prod(shape):,} elements (limit {MAX_ELEMENTS:,})")
        return None
    return tuple(shape)


def _read_spec(name: str, value, pos: Pos, what: str, faults: FaultList) -> InputSpec | None:
    if _is_shape(value):
        shape = _check_shape(value, pos, what, faults)
        return InputSpec(name, shape) if shape else None
    if isinstance(value, YMap):
        for key in value:
            if key not in ("shape", "draw", "scale"):
                faults.add(value.key_pos[key], f"{what}: unknown key '{key}'{did_you_mean(str(key), ('shape', 'draw', 'scale'))}; use shape, draw, scale")
        shape = _check_shape(value.get("shape"), value.where("shape"), what, faults)
        draw = value.get("draw", "normal")
        if draw not in DRAWS:
            faults.add(value.where("draw"), f"{what}: unknown draw {draw!r}{did_you_mean(str(draw), DRAWS)}; one of {', '.join(DRAWS)}")
            return None
        scale = 1.0
        if "scale" in value:
            try:
                scale = parse_number(value["scale"])
            except NotANumber as exc:
                faults.add(value.where("scale"), f"{what}: scale: {exc}")
        return InputSpec(name, shape, draw, scale) if shape else None
    literal = read_literal(value, pos, what, faults)
    return None if literal is None else InputSpec(name, value=literal)


def read_literal(value, pos: Pos, what: str, faults: FaultList):
    """A number (kept a Python float) or a list of numbers / rows (a float64 array)."""
    array = read_value(value, pos, what, faults)
    if array is None:
        return None
    if array.ndim == 0:
        return float(array)
    if array.size > MAX_ELEMENTS:
        faults.add(pos, f"{what}: {array.size:,} elements (limit {MAX_ELEMENTS:,})")
        return None
    return array


def _read_returns(item: YMap, where: str, names: set[str], faults: FaultList, pos: Pos) -> tuple[tuple[Returned, ...], bool]:
    raw = item.get("returns")
    items = raw if isinstance(raw, list) else [raw]
    if raw is None or not items or not all(isinstance(r, (str, int, float)) and not isinstance(r, bool) for r in items):
        faults.add(item.where("returns") if "returns" in item else pos, f"{where}: returns is an expression over the inputs (or a list of them for a tuple), e.g. returns: x @ w + b")
        return (), False
    found = []
    for index, text in enumerate(items):
        text = str(text)
        at = raw.where(index) if isinstance(raw, YList) else item.where("returns")
        try:
            tree = E.parse_expression(text, RETURN_FUNCTIONS)
            found.append(_returned(text, tree, names))
        except E.ExprError as exc:
            column = at.column + exc.column + (1 if not isinstance(raw, YList) and "returns" in item.quoted else 0)
            faults.add(Pos(at.line, column), f"{where}: returns: {exc.message}")
    return tuple(found), isinstance(raw, list)


def _returned(text: str, tree: E.Expr, names: set[str]) -> Returned:
    """Check names and where grad() stands; grad is allowed only as the whole item."""
    wrt = None
    if isinstance(tree, E.Call) and tree.func == "grad":
        scalar, target = tree.args
        if not isinstance(target, E.Name) or target.name not in names:
            raise E.ExprError("grad(SCALAR, NAME): NAME must be one of the inputs", target.column)
        tree, wrt = scalar, target.name
    for node in E.walk(tree):
        if isinstance(node, E.Call) and node.func == "grad":
            raise E.ExprError("grad(...) must be the whole returns item, e.g. returns: grad(sum(dout * relu(x)), x)", node.column)
        if isinstance(node, E.Name) and node.name not in names:
            raise E.ExprError(f"unknown name '{node.name}'{did_you_mean(node.name, names)}; returns uses the task's inputs", node.column)
    return Returned(text, tree, wrt)


def _read_cases(item: YMap, task: Task, where: str, faults: FaultList) -> list[dict[str, Any]]:
    raw = item.get("cases")
    if raw is None:
        return []
    if not isinstance(raw, YList) or len(raw) > MAX_CASES:
        faults.add(item.where("cases"), f"{where}: cases is a list (at most {MAX_CASES}) of input sets, e.g. - {{x: [[-1.0, 0.0, 2.0]]}}")
        return []
    cases = []
    for index, case in enumerate(raw):
        pos = raw.where(index)
        if not isinstance(case, YMap) or not case:
            faults.add(pos, f"{where}: each case maps input names to fixed values")
            continue
        values = {}
        for name, value in case.items():
            if name not in task.inputs:
                faults.add(case.key_pos[name], f"{where}: case input '{name}' is not an input{did_you_mean(str(name), task.inputs)}")
                continue
            literal = read_literal(value, case.where(name), f"{where}: case input '{name}'", faults)
            if literal is not None:
                values[name] = literal
        cases.append(values)
    return cases


# -- training ------------------------------------------------------------------------


def _read_training(raw, pos: Pos, task_id: str, faults: FaultList) -> Training | None:
    where = f"task {task_id}: train"
    if not isinstance(raw, YMap):
        faults.add(pos, f"{where} is a mapping with data, params, init, forward, backward, update, steps, lr, reach")
        return None
    before = len(faults.faults)
    for key in raw:
        if key not in TRAIN_KEYS:
            faults.add(raw.key_pos[key], f"{where}: unknown key '{key}'{did_you_mean(str(key), TRAIN_KEYS)}; allowed: {', '.join(TRAIN_KEYS)}")
    for key in ("data", "params", "forward", "backward", "update", "steps", "lr", "reach"):
        if key not in raw:
            faults.add(raw.pos, f"{where}: missing '{key}'")
    if len(faults.faults) > before:
        return None
    spiral = raw["data"].get("spiral") if isinstance(raw["data"], YMap) else None
    if not isinstance(spiral, YMap) or len(raw["data"]) != 1:
        faults.add(raw.where("data"), f"{where}: data is {{spiral: {{classes: 3, points_per_class: 100, seed: 0}}}} (CS231n's spiral)")
        return None
    classes = _whole(spiral, "classes", 3, faults, low=2, high=100)
    per_class = _whole(spiral, "points_per_class", 100, faults, low=1, high=MAX_DATA_POINTS // 100)
    data_seed = _whole(spiral, "seed", 0, faults)
    params = {}
    if not isinstance(raw["params"], YMap) or not raw["params"]:
        faults.add(raw.where("params"), f"{where}: params maps each parameter to its shape, e.g. {{w1: [2, 100], b1: [100]}}")
    else:
        for name, shape in raw["params"].items():
            checked = _check_shape(shape, raw["params"].where(name), f"{where}: param '{name}'", faults)
            if checked and isinstance(name, str) and NAME.fullmatch(name):
                params[name] = checked
    init = raw.get("init", YMap(raw.pos))
    scale, init_seed = 0.01, 0
    if not isinstance(init, YMap):
        faults.add(raw.where("init"), f"{where}: init is {{scale: 0.01, seed: 0}}")
    else:
        if "scale" in init:
            try:
                scale = parse_number(init["scale"])
            except NotANumber as exc:
                faults.add(init.where("scale"), f"{where}: init scale: {exc}")
        init_seed = _whole(init, "seed", 0, faults)
    forward = _read_lines(raw, "forward", where, faults)
    backward = _read_lines(raw, "backward", where, faults)
    update = raw["update"]
    if not isinstance(update, str) or not NAME.fullmatch(update):
        faults.add(raw.where("update"), f"{where}: update names the function applied as param = update(param, dparam, lr), e.g. update: sgd_step")
    steps = _whole(raw, "steps", 1, faults, low=1, high=MAX_STEPS)
    lr = 0.0
    try:
        lr = parse_number(raw["lr"])
    except NotANumber as exc:
        faults.add(raw.where("lr"), f"{where}: lr: {exc}")
    reach = {}
    if not isinstance(raw["reach"], YMap) or not raw["reach"] or any(k not in ("accuracy", "loss") for k in raw["reach"]):
        faults.add(raw.where("reach"), f"{where}: reach is {{accuracy: 0.9}} (training accuracy at least) and/or {{loss: 0.5}} (at most)")
    else:
        for key, value in raw["reach"].items():
            try:
                reach[key] = parse_number(value)
            except NotANumber as exc:
                faults.add(raw["reach"].where(key), f"{where}: reach {key}: {exc}")
                continue
            # a goal no network can reach fails every student: refused
            if key == "accuracy" and not 0 <= reach[key] <= 1:
                faults.add(raw["reach"].where(key), f"{where}: reach accuracy is a fraction from 0 to 1 (the share of training points classified right), not {value}")
            if key == "loss" and reach[key] < 0:
                faults.add(raw["reach"].where(key), f"{where}: reach loss is at least 0 (a cross-entropy is never negative), not {value}")
    assigned = [t for line in forward for t in line.targets]
    predict = raw.get("predict", "p" if "p" in assigned else (assigned[-1] if assigned else ""))
    loss = raw.get("loss", "loss" if "loss" in assigned else (assigned[-1] if assigned else ""))
    for key, value in (("predict", predict), ("loss", loss)):
        if value not in assigned:
            faults.add(raw.where(key) if key in raw else raw.where("forward"), f"{where}: {key}: '{value}' is not assigned by a forward line")
    if len(faults.faults) > before:
        return None
    return Training(classes, per_class, data_seed, params, scale, init_seed, forward, backward, update, steps, lr, reach, predict, loss)


def _read_lines(raw: YMap, key: str, where: str, faults: FaultList) -> tuple[Line, ...]:
    lines = raw[key]
    if not isinstance(lines, YList) or not lines:
        faults.add(raw.where(key), f"{where}: {key} is a list of lines such as - x1 = linear_forward(x, w1, b1)")
        return ()
    found = []
    for index, text in enumerate(lines):
        pos = lines.where(index)
        match = LINE.fullmatch(text) if isinstance(text, str) else None
        call = CALL.fullmatch(match.group(2)) if match else None
        if not call:
            faults.add(pos, f"{where}: {key} lines are 'names = function(args)', e.g. dx, dw, db = linear_backward(d1, x, w)")
            continue
        targets = tuple(t.strip() for t in match.group(1).split(","))
        args = tuple(a.strip() for a in call.group(2).split(",") if a.strip())
        found.append(Line(targets, call.group(1), args, text.strip(), pos))
    return tuple(found)


def _check_training(problem: CodeProblem, faults: FaultList) -> None:
    """Every name used is defined before, every function is a task, every param has its dparam."""
    for task in problem.tasks:
        recipe = task.train
        if recipe is None:
            continue
        where = f"task {task.id}: train"
        defined = {"x", "y", "lr", *recipe.params}
        for line in (*recipe.forward, *recipe.backward):
            function_task = problem.task(line.function)
            if function_task is None:
                known = [t.function for t in problem.tasks if t.function]
                faults.add(line.pos, f"{where}: '{line.function}' is not the function of a task{did_you_mean(line.function, known)}; training composes the tasks' functions")
            elif len(line.args) != len(function_task.call):
                faults.add(line.pos, f"{where}: {line.function} takes {len(function_task.call)} arguments ({', '.join(function_task.call)}), not {len(line.args)}")
            elif len(line.targets) != len(function_task.returns):
                faults.add(line.pos, f"{where}: {line.function} returns {len(function_task.returns)} value(s), not {len(line.targets)}")
            for arg in line.args:
                if arg not in defined:
                    faults.add(line.pos, f"{where}: '{arg}' is used before it is defined (known: x, y, lr, the params and earlier lines)")
            for target in line.targets:
                if target in defined:
                    faults.add(line.pos, f"{where}: '{target}' is assigned twice; give every value its own name")
                defined.add(target)
        update = problem.task(recipe.update)
        if update is None or len(update.call) != 3:
            faults.add(task.pos, f"{where}: update '{recipe.update}' must be the function of a task taking (param, dparam, lr)")
        for name in recipe.params:
            if f"d{name}" not in defined:
                faults.add(task.pos, f"{where}: no backward line assigns d{name}, the gradient of param {name}")
