"""Grading code submissions: one sandboxed child per submission, every verdict here.

A submission is a ``.py`` file (graded as the problem's module, whatever its name) or a
folder holding ``MODULE.py`` (its other top-level ``.py`` files come along as helpers).
Each task's function is called on every input set (the trials, then the fixed cases);
the first set it gets wrong decides the feedback. A crash, a timeout or a memory blow-up
costs only the task that caused it: the next task starts a fresh child.

The results are the grader's :class:`~hwcheck.grade.model.SheetResult`, so the JSON, CSV
and Gradescope writers, the terminal tables and the exit code are those of answer sheets.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..common import Tolerance
from ..graph import expr as E
from ..graph.export import plain
from ..grade import model
from ..grade.credit import award
from ..grade.model import QuestionResult, SheetResult, Skipped
from ..numbers import fmt, fmt_value
from .model import CodeProblem, Task
from .mistakes import CATALOGUE, Found, diagnose
from .protocol import Other, Output, Reply
from .reference import InputSet, TaskReference
from .sandbox import Child, ChildFailed, Limits
from .train import CallFailed, reference_shapes, train

NUMERIC_CHECK = Tolerance(rel=1e-4, abs=1e-6)  # central differences of the student's forward
MAX_CHECKED = 64  # elements per gradient in the numerical check (two calls each)
SHOWN_ELEMENTS = 4


def collect_submissions(paths: list[str], module: str, exclude: list[str] = ()) -> tuple[list[str], list[Skipped]]:
    """Submissions, in order: a .py file; a folder holding MODULE.py; or a class folder,
    whose direct subfolders and loose .py files are one submission each (hidden ones
    skipped); and every other file of a class folder, with the reason it is not graded."""
    skip = {os.path.realpath(p) for p in exclude}
    found: list[str] = []
    others: list[Skipped] = []
    for path in paths:
        if os.path.isdir(path) and not os.path.isfile(os.path.join(path, f"{module}.py")):
            for entry in sorted(os.listdir(path)):
                full = os.path.join(path, entry)
                if entry.startswith((".", "__")):
                    continue
                if os.path.realpath(full) in skip:
                    others.append(Skipped(full, "the problem file itself, not a submission"))
                elif os.path.isdir(full) or entry.endswith(".py"):
                    found.append(full)
                else:
                    others.append(Skipped(full, f"not a submission: a submission is a .py file or a folder holding {module}.py"))
        else:
            found.append(path)
    return found, others


def student_of(path: str) -> str:
    name = os.path.basename(os.path.normpath(path))
    return name[:-3] if name.endswith(".py") else name


class CodeGrader:
    """Grades submissions of one code problem; solved (expected values) once per run."""

    def __init__(self, problem: CodeProblem, limits: Limits, bwrap: str | None, show_answers: bool = False):
        self.problem = problem
        self.limits = limits
        self.bwrap = bwrap
        self.show_answers = show_answers
        self.reference = problem.reference
        self.max_score = sum(t.points for t in problem.tasks)
        self.shapes = {t.id: reference_shapes(t.train, self.reference.call) for t in problem.tasks if t.train}
        self.student_seconds = 0.0  # inside students' functions, over the run (bench/bench_code.py)
        self._lock = threading.Lock()

    # -- a class -------------------------------------------------------------------------
    def grade_all(self, paths: list[str], jobs: int = 1, on_progress: Callable[[int, SheetResult], None] | None = None) -> list[SheetResult]:
        """Every submission graded, in the given order; ``jobs`` at a time."""
        results: list[SheetResult | None] = [None] * len(paths)
        done = 0
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(self.grade, path): i for i, path in enumerate(paths)}

            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done += 1
                if on_progress is not None:
                    on_progress(done, results[futures[future]])
        return results  # type: ignore[return-value]

    # -- one submission ------------------------------------------------------------------
    def grade(self, path: str) -> SheetResult:
        sheet = SheetResult(path, student_of(path), self.max_score)
        problem_text = _submission_problem(path, self.problem.module)
        if problem_text:
            sheet.error = problem_text
            return sheet
        session = _Session(self, path)
        try:
            failed: set[str] = set()
            for task in self.problem.tasks:
                result = session.grade_task(task, failed)
                if not result.correct:
                    failed.add(task.function or task.id)
                sheet.results.append(result)
        finally:
            session.close()
            with self._lock:
                self.student_seconds += session.seconds
        sheet.score = sum(r.earned for r in sheet.results)
        output = session.output
        if output.warnings:
            sheet.warnings.append("your code wrote warnings to stderr: " + "; ".join(map(str, output.warnings)))
        if output.printed:
            sheet.warnings.append(f"your code printed {output.printed:,} characters to stdout; printed output is not graded or shown")
        if output.stderr:
            sheet.warnings.append(f"your code wrote {output.stderr:,} characters to stderr (warnings aside); they are not graded or shown")
        return sheet


def _submission_problem(path: str, module: str) -> str | None:
    if os.path.islink(path) or os.path.islink(os.path.join(path, f"{module}.py")):
        return f"{path}: a symbolic link; hwcheck does not follow links in submissions (hand in the file itself)"
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, f"{module}.py")):
            others = sorted(p.name for p in Path(path).glob("*.py"))
            hint = f" (it has {', '.join(others[:5])}; rename the file to {module}.py)" if others else ""
            return f"{path}: no {module}.py in this folder{hint}"
        return None
    if not os.path.isfile(path):
        return f"{path}: no such file or folder"
    if not path.endswith(".py"):
        return f"{path}: a submission is a .py file or a folder holding {module}.py"
    return None


@dataclass
class _Outcome:
    """What one call gave: a value, or why there is none (code + message)."""

    value: Any = None
    reply: Reply | None = None
    code: str | None = None
    message: str = ""


class _Session:
    """One submission's child, restarted after a crash; the task-by-task grading."""

    def __init__(self, grader: CodeGrader, path: str):
        self.grader = grader
        self.path = path
        self.child: Child | None = None
        self.import_error: _Outcome | None = None
        self.output = Output()  # what the student's code wrote, over every child of the submission
        self.seconds = 0.0

    def close(self) -> None:
        if self.child is not None:
            self.output = self.output.merged(self.child.output)
            self.child.close()
            self.child = None

    def _ready(self) -> _Outcome | None:
        """A started child, or the reason there is none (the import failed)."""
        if self.import_error is not None:
            return self.import_error
        if self.child is not None and self.child.alive:
            return None
        self.close()
        problem = self.grader.problem
        self.child = Child(self.path, problem.module, self.grader.limits, self.grader.bwrap)
        try:
            reply = self.child.start()
        except ChildFailed as failed:
            self.close()
            self.import_error = _Outcome(code="import-failed", message=f"{problem.module}.py could not be imported: {failed.message}")
            return self.import_error
        if reply.error:
            self.close()
            self.import_error = _Outcome(code="import-failed", message=f"{problem.module}.py could not be imported: {_exception(reply)}")
            return self.import_error
        return None

    def call(self, function: str, args: list, timeout: float | None = None, check_inputs: bool = True) -> _Outcome:
        not_ready = self._ready()
        if not_ready is not None:
            return not_ready
        try:
            reply = self.child.call(function, args, timeout, check_inputs)
        except ChildFailed as failed:
            self.close()
            return _Outcome(code=failed.code, message=f"{function}: {failed.message}")
        return self._outcome(function, reply)

    def run(self, calls: list, store: dict | None = None, repeat: int = 1) -> list:
        """A training's list of calls, ``repeat`` times over (a train.Runner): each call's
        values, or CallFailed.
        The values stay in the child between lists (``store`` puts the data and initial
        parameters there first) and each function gets its arguments by value (read-only,
        or copies: child.run_list), so a change in place cannot reach the training: none
        is looked for. Only a list with
        ``store`` may start a child: a fresh child would not hold the training's values."""
        if store is not None:
            not_ready = self._ready()
            if not_ready is not None:
                return [_failed(calls[0].function, not_ready)]
        elif self.child is None or not self.child.alive:
            lost = CallFailed("the process had ended between two steps, and the training's values with it", "crashed")
            lost.call = 0
            return [lost]
        try:
            replies = self.child.run(calls, store, repeat)
        except ChildFailed as failed:
            self.close()
            lost = CallFailed(failed.message, failed.code)
            lost.call = failed.call if failed.call is not None else 0
            return [lost]
        results: list = []
        for k, reply in enumerate(replies):  # 1,014 a list: the plainest loop
            if reply.error:
                function = calls[k % len(calls)].function
                results.append(_failed(function, self._outcome(function, reply)))
                break
            self.seconds += reply.seconds
            values = reply.value if type(reply.value) is tuple else (reply.value,)
            for value in values:
                if value is None or type(value) is Other:
                    function = calls[k % len(calls)].function
                    results.append(CallFailed(f"{function} returned {'None' if value is None else 'a ' + value.type_name}, not an array", "wrong-type"))
                    return results
            results.append(values)
        return results

    def _outcome(self, function: str, reply: Reply) -> _Outcome:
        self.seconds += reply.seconds
        if reply.error:
            code = {"NotImplementedError": "not-implemented", "missing": "missing-function", "MemoryError": "memory"}.get(reply.error, "raised")
            return _Outcome(reply=reply, code=code, message=_exception(reply) if code != "missing-function" else reply.message)
        return _Outcome(reply.value, reply)

    # -- a function task -----------------------------------------------------------------
    def grade_task(self, task: Task, failed: set[str]) -> QuestionResult:
        if task.train is not None:
            return self._grade_training(task, failed)
        reference = self.grader.reference.tasks[task.id]
        notes: list[str] = []
        first_answer = None
        for input_set in reference.sets:
            outcome = self.call(task.function, input_set.args(task.call))
            answer = _summary(outcome)
            first_answer = first_answer or answer
            if outcome.code is not None:
                return self._failed(task, outcome, input_set, answer)
            verdict = self._judge(task, reference, input_set, outcome)
            if verdict is not None:
                codes, text = verdict
                return self._result(task, model.WRONG, f"wrong on {_label(input_set)}: {text}", answer, input_set, codes, text)
            notes += [n for n in self._notes(task, input_set, outcome) if n not in notes]
        if notes:
            note = "; ".join(notes)
            return self._result(task, model.ALTERNATIVE, f"correct ({note})", first_answer, reference.sets[0], (), None, task.points, note)
        return self._result(task, model.CORRECT, "correct", first_answer, reference.sets[0], (), None, task.points)

    def _failed(self, task: Task, outcome: _Outcome, input_set: InputSet, answer: str) -> QuestionResult:
        if outcome.code in ("not-implemented", "missing-function"):
            text = f"missing: {task.function} still raises NotImplementedError" if outcome.code == "not-implemented" else f"missing: {outcome.message}"
            return self._result(task, model.MISSING, text, answer, input_set, (outcome.code,), CATALOGUE[outcome.code])
        text = outcome.message if outcome.code == "import-failed" else f"on {_label(input_set)}: {outcome.message}"
        return self._result(task, model.WRONG, f"wrong: {text}" if outcome.code == "import-failed" else f"wrong {text}", answer, input_set, (outcome.code,), text)

    def _judge(self, task: Task, reference: TaskReference, input_set: InputSet, outcome: _Outcome) -> tuple[tuple[str, ...], str] | None:
        """None when right; else (mistake codes, what to tell the student)."""
        changed = [task.call[i] for i in outcome.reply.mutated if i < len(task.call) and task.call[i] not in task.mutates]
        items = self._items(task, outcome.value)
        if isinstance(items, str):
            code = "wrong-count" if "values" in items else "wrong-type"
            return (code,), items
        problems, codes = [], []
        for k, (item, expected) in enumerate(zip(items, input_set.expected)):
            name = f"{reference.compiled[k].returned.label}: " if len(items) > 1 else ""
            found = self._item_problem(item, expected, k, reference, input_set, task)
            if found:
                problems.append(name + "; ".join(f.description for f in found))
                codes += [f.code for f in found]
        if changed:
            problems.append(f"{', '.join(changed)} changed in place: {task.function} must not modify its inputs (work on a copy, or build a new array)")
            codes.append("input-modified")
        if not problems:
            return None
        if any(c for c in codes if c not in ("input-modified",)) and any(r.returned.wrt for r in reference.compiled):
            check = self._numeric_check(task, reference, input_set, items)
            if check is not None:
                codes.append(check.code)
                problems.append(check.description)
        return tuple(dict.fromkeys(codes)), "; ".join(problems)

    def _items(self, task: Task, value) -> list[np.ndarray] | str:
        count = len(task.returns)
        values = list(value) if isinstance(value, tuple) else [value]
        if isinstance(value, tuple) and not task.tuple_return:
            return f"returned {len(values)} values; return one array"
        if task.tuple_return and len(values) != count:
            return f"returned {len(values)} value{'s' if len(values) != 1 else ''}; return {count} values ({', '.join(r.label for r in task.returns)})"
        items = []
        for item in values:
            if item is None:
                return "returned None: is the return statement missing?"
            if isinstance(item, Other):
                return f"returned a {item.type_name}, not a numpy array or a number"
            items.append(np.asarray(item))
        return items

    def _item_problem(self, item: np.ndarray, expected: np.ndarray, k: int, reference: TaskReference, input_set: InputSet, task: Task) -> list[Found]:
        tolerance = task.tolerance
        if item.shape == expected.shape:
            answer = item.astype(float)
            if tolerance.allows(answer, expected):
                return [] if item.dtype.kind == "f" else [Found("wrong-dtype", f"returned dtype {item.dtype.name}; return floating-point numbers")]
            if any(i == k and tolerance.allows(answer, value) for _, i, value in input_set.alternatives):
                return []
        found = diagnose(item.astype(float), expected, reference.compiled[k], input_set, tolerance)
        if item.dtype.kind in "biu":
            found.append(Found("wrong-dtype", f"returned dtype {item.dtype.name} (integers or booleans); the result is real numbers"))
        if not found:
            found = [Found("wrong-value", "the values are not the expected ones" + _first_difference(item, expected))]
        return found

    def _notes(self, task: Task, input_set: InputSet, outcome: _Outcome) -> list[str]:
        items = self._items(task, outcome.value)
        notes = []
        for note, k, value in input_set.alternatives:
            answer, expected = np.asarray(items[k], dtype=float), input_set.expected[k]
            if not task.tolerance.allows(answer, expected) and task.tolerance.allows(answer, value):
                notes.append(f"also a valid subgradient at a kink ({note}) on {_label(input_set)}; PyTorch uses relu'(0) = 0")
        return notes

    def _numeric_check(self, task: Task, reference: TaskReference, input_set: InputSet, items: list[np.ndarray]) -> Found | None:
        """For grad(sum(G * F), NAME): the student's backward against central differences of
        the student's *own* forward function F (the task whose returns is F)."""
        forward_task = _forward_task(self.grader.problem, task)
        if forward_task is None:
            return None
        upstream, forward = forward_task
        values = input_set.values
        if any(name not in values for name in forward.call):
            return None
        mismatched, own_wrong = [], False
        base = self.call(forward.function, [values[n] for n in forward.call])
        if base.code is not None or isinstance(base.value, (tuple, Other)) or base.value is None:
            return None
        own = np.asarray(base.value, dtype=float)
        right = self.grader.reference.tasks[forward.id].call([values[n] for n in forward.call])[0]
        own_wrong = own.shape != right.shape or not forward.tolerance.allows(own, right)
        for k, compiled in enumerate(reference.compiled):
            name = compiled.returned.wrt
            if name is None or name not in forward.call or k >= len(items):
                continue
            numeric = self._differences(forward, values, name, np.asarray(values[upstream], dtype=float))
            if numeric is None:
                return None
            answer = np.asarray(items[k], dtype=float)
            if answer.shape != numeric.shape or not NUMERIC_CHECK.allows(answer.reshape(-1)[: numeric.size], numeric.reshape(-1)):
                mismatched.append(name)
        if mismatched:
            return Found("backward-mismatch", f"your backward does not match your own {forward.function}: a numerical gradient check of {forward.function} gives other values for d/d{', d/d'.join(mismatched)}")
        if own_wrong:
            return Found("forward-wrong", f"your backward matches your own {forward.function} ({forward.id}), which is wrong: fix the forward function first")
        return None

    def _differences(self, forward: Task, values: dict, name: str, upstream: np.ndarray) -> np.ndarray | None:
        base = np.array(values[name], dtype=float)
        numeric = np.zeros_like(base)
        for count, position in enumerate(np.ndindex(base.shape)):
            if count >= MAX_CHECKED:
                break
            h = 1e-6 * max(1.0, abs(float(base[position])))
            sides = []
            for step in (h, -h):
                shifted = base.copy()
                shifted[position] += step
                outcome = self.call(forward.function, [shifted if n == name else values[n] for n in forward.call])
                if outcome.code is not None or isinstance(outcome.value, (tuple, Other)) or outcome.value is None:
                    return None
                result = np.asarray(outcome.value, dtype=float)
                if result.shape != upstream.shape:
                    return None
                sides.append(float(np.sum(upstream * result)))
            numeric[position] = (sides[0] - sides[1]) / (2 * h)
        return numeric

    # -- a training task -----------------------------------------------------------------
    def _grade_training(self, task: Task, failed: set[str]) -> QuestionResult:
        recipe = task.train
        problem = self.grader.problem
        deadline = time.monotonic() + self.grader.limits.train_timeout
        result = train(recipe, self.run, self.grader.shapes[task.id], deadline)
        if result.failure is None:
            text = f"correct: training accuracy {result.accuracy:.3f} after {recipe.steps} steps (final loss {result.final_loss:.4g})"
            return self._result(task, model.CORRECT, text, _training_summary(result, recipe), None, (), None, task.points)
        failure = result.failure
        if failure.code in ("not-implemented", "missing-function"):
            return self._result(task, model.MISSING, f"missing: {failure.message}", _training_summary(result, recipe), None, (failure.code,), failure.message)
        codes = [failure.code]
        text = failure.message
        culprit = _culprit(problem, recipe, failure.message, failed)
        if culprit:
            text += f" (this uses your {culprit[0]}, which is wrong in {culprit[1]})"
            codes.append("carried-forward")
        return self._result(task, model.WRONG, f"wrong: {text}", _training_summary(result, recipe), None, tuple(codes), text)

    # -- results -------------------------------------------------------------------------
    def _result(self, task: Task, status: str, feedback: str, answer: str | None, input_set: InputSet | None, codes, diagnosis,
                earned: float = 0.0, note: str | None = None) -> QuestionResult:
        expected = None
        if self.grader.show_answers and input_set is not None:
            expected = [plain(v) for v in input_set.expected] if task.tuple_return else plain(input_set.expected[0])
        # The problem's grading: (§12) for a wrong task: deduct: by the codes named, and
        # follow_through: when the fault is carried forward from another of the student's
        # functions. partial: entries does not apply: a task is judged on several input sets.
        credit = award(self.grader.problem.grading, None, tuple(codes)) if status == model.WRONG else None
        if credit:
            earned = task.points * credit.share
            feedback = f"{feedback}; {credit.text(task.points)}"
        return QuestionResult(task.id, task.ask, task.points, status, earned, feedback, expected, answer, answer,
                              diagnosis, tuple(codes), note, credit)


def _failed(function: str, outcome: _Outcome) -> CallFailed:
    return CallFailed(outcome.message if outcome.code != "not-implemented" else f"{function} still raises NotImplementedError", outcome.code)


def _forward_task(problem: CodeProblem, task: Task) -> tuple[str, Task] | None:
    """For returns grad(sum(G * F), ...): (G, the task whose returns is F), if any."""
    scalar = task.returns[0].tree if task.returns and task.returns[0].wrt else None
    if not (isinstance(scalar, E.Call) and scalar.func == "sum" and isinstance(scalar.args[0], E.BinOp) and scalar.args[0].op == "*"):
        return None
    product = scalar.args[0]
    for upstream, inner in ((product.left, product.right), (product.right, product.left)):
        if isinstance(upstream, E.Name) and upstream.name in task.inputs:
            text = E.to_text(inner)
            for other in problem.tasks:
                if other is not task and other.function and len(other.returns) == 1 and not other.returns[0].wrt and E.to_text(other.returns[0].tree) == text:
                    return upstream.name, other
    return None


def _culprit(problem: CodeProblem, recipe, message: str, failed: set[str]) -> tuple[str, str] | None:
    """The first wrong function named in the failing training line."""
    for task in problem.tasks:
        if task.function and task.function in failed and f"{task.function}(" in message:
            return task.function, task.id
    return None


def _exception(reply: Reply) -> str:
    where = ""
    if reply.where:
        file, line, function = reply.where
        where = f" ({file} line {line}" + (f", in {function}" if function and function != "<module>" else "") + ")"
    message = f": {reply.message}" if reply.message else ""
    return f"raised {reply.error}{message}{where}"


def _summary(outcome: _Outcome) -> str:
    """What the function returned, for the report: shape and first values, or the exception."""
    if outcome.code is not None:
        return outcome.message
    return _value_text(outcome.value)


def _value_text(value) -> str:
    if isinstance(value, tuple):
        return "(" + "; ".join(_value_text(v) for v in value) + ")"
    if value is None:
        return "None"
    if isinstance(value, Other):
        return f"a {value.type_name}"
    array = np.asarray(value)
    if array.ndim == 0:
        return fmt(float(array))
    first = ", ".join(fmt(float(x), 6) for x in array.reshape(-1)[:SHOWN_ELEMENTS])
    more = ", …" if array.size > SHOWN_ELEMENTS else ""
    kind = "" if array.dtype.kind == "f" else f" {array.dtype.name}"
    return f"shape {_shape(array.shape)}{kind}: [{first}{more}]"


def _training_summary(result, recipe) -> str:
    if result.accuracy is not None:
        return f"accuracy {result.accuracy:.3f} after {recipe.steps} steps, final loss {result.final_loss:.4g}"
    return f"stopped at step {result.failure.step} of {recipe.steps}"


def _label(input_set: InputSet) -> str:
    """'trial 2', or a case with its (small) inputs written out."""
    if not input_set.label.startswith("case"):
        return input_set.label
    shown = []
    for name, value in input_set.values.items():
        if np.size(value) <= 12:
            shown.append(f"{name} = {fmt_value(value)}")
    return f"{input_set.label} ({', '.join(shown)})" if shown else input_set.label


def _first_difference(answer: np.ndarray, expected: np.ndarray) -> str:
    if answer.shape != expected.shape or answer.ndim == 0:
        return ""
    wrong = np.argwhere(~np.isclose(answer.astype(float), expected, rtol=1e-6, atol=1e-9))
    if not len(wrong):
        return ""
    index = [int(i) for i in wrong[0]]
    return f" ({len(wrong)} of {answer.size} elements differ, the first at index {index})"


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
