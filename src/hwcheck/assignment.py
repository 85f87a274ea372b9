"""Assignments (contract §8): several problem files handed out and graded as one homework.

An assignment file names its problems by paths relative to itself::

    id: hw4
    kind: assignment
    title: Homework 4 — backpropagation
    problems: [residual_relu.yaml, mlp_params.yaml, softmax_ce_t4.yaml, numpy_net.yaml]

:func:`load_assignment` reads one; :func:`load_target` reads a problem or an assignment,
whichever the file is; :func:`problems_of` is what a command that works problem by
problem calls: the problems of an assignment, or the one problem of a problem file.

A problem path stays inside the assignment's folder: relative, with no ``..`` part, and
not a link that leads out. An assignment handed on by a colleague cannot make hwcheck
read (and quote in its errors) a file elsewhere on the machine. Assignments do not nest,
so there is no loop to follow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from .common import ID_PATTERN, MAX_POINTS, Problem, Question, _unprintable
from .errors import FaultList, InputError
from .problem import load_problem
from .yamldoc import YList, YMap, load_yaml_file, position_of

ASSIGNMENT_KEYS = ("id", "kind", "title", "problems")
MAX_PROBLEMS = 100  # a homework has a handful; a list of thousands is a mistake or an attack


@dataclass(frozen=True)
class Assignment:
    file: str
    id: str
    title: str | None
    problems: tuple[Problem, ...]
    kind: str = "assignment"

    @property
    def questions(self) -> list[Question]:
        """Every question and code task of every problem, in order (ids are unique across them)."""
        return [q for p in self.problems for q in p.questions]

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    def problem_of(self, question_id: str) -> Problem:
        return next(p for p in self.problems if any(q.id == question_id for q in p.questions))


def is_assignment(data) -> bool:
    return isinstance(data, YMap) and data.get("kind") == "assignment"


def load_target(path: str | Path) -> Problem | Assignment:
    """The problem or the assignment in ``path``, whichever it is."""
    data = load_yaml_file(path, "problem file")
    if is_assignment(data):
        return _assignment(data, str(path))
    return load_problem(path, data)  # parsed once


def load_assignment(path: str | Path) -> Assignment:
    """Read and check an assignment file and every problem it names."""
    data = load_yaml_file(path, "assignment file")
    if not is_assignment(data):
        raise InputError.at(str(path), position_of(data, "kind"), "not an assignment; an assignment file has kind: assignment and problems: [...]")
    return _assignment(data, str(path))


def problems_of(path: str | Path) -> list[Problem]:
    """The problems to work through: an assignment's, in order, or the file's one problem."""
    target = load_target(path)
    return list(target.problems) if isinstance(target, Assignment) else [target]


def _assignment(data: YMap, file: str) -> Assignment:
    faults = FaultList(file)
    for key in data:
        if key not in ASSIGNMENT_KEYS:
            faults.add(data.key_pos[key], f"unknown key '{key}'{faults.suggest(str(key), ASSIGNMENT_KEYS)} for kind assignment; allowed: {', '.join(ASSIGNMENT_KEYS)}")
    ident = data.text("id") if isinstance(data.get("id"), (int, float)) else data.get("id")
    if ident is None:
        faults.add(data.pos, "missing 'id'; add e.g. id: hw4")
    elif not isinstance(ident, str) or not ID_PATTERN.fullmatch(ident):
        faults.add(data.where("id"), f"id {ident!r} must be letters, digits, '_', '.' or '-'")
    title = data.get("title")
    if title is not None:
        if not isinstance(title, str) or _unprintable(title.strip()):
            faults.add(data.where("title"), "title must be one line of printable text")
        title = str(title).strip()
    raw = data.get("problems")
    if not isinstance(raw, YList) or not raw:
        faults.add(data.where("problems"), "problems is a list of problem files relative to this file, e.g. problems: [residual_relu.yaml, numpy_net.yaml]")
        faults.raise_if_any()
    if len(raw) > MAX_PROBLEMS:
        faults.add(data.where("problems"), f"{len(raw):,} problems; an assignment holds at most {MAX_PROBLEMS}")
        faults.raise_if_any()
    folder = Path(file).parent
    problems: list[Problem] = []
    listed_at = []  # where each problem is listed: a clash of ids is placed there
    seen_files: dict[str, int] = {}
    for index, entry in enumerate(raw):
        pos = raw.where(index)
        path = _problem_path(entry, folder, faults, pos)
        if path is None:
            continue
        real = os.path.realpath(path)
        if real in seen_files:
            faults.add(pos, f"'{entry}' is listed twice (first as problem {seen_files[real] + 1}); list each problem once")
            continue
        seen_files[real] = index
        try:
            inner = load_yaml_file(path, "problem file")
        except InputError as error:
            faults.add(pos, f"problem '{entry}': {error.faults[0]}")
            continue
        if is_assignment(inner):
            faults.add(pos, f"'{entry}' is an assignment; assignments do not nest: list its problems here instead")
            continue
        try:
            problems.append(load_problem(path, inner))
            listed_at.append(pos)
        except InputError as error:
            faults.extend(error)  # the problem's own faults name its file and line
    faults.raise_if_any()
    _check_unique(problems, listed_at, faults)
    total = sum(q.points for p in problems for q in p.questions)
    if total > MAX_POINTS:
        faults.add(data.where("problems"), f"the problems are worth {total:,g} points in all, more than {MAX_POINTS:,}")
    faults.raise_if_any()
    return Assignment(file, str(ident), title, tuple(problems))


def _problem_path(entry, folder: Path, faults: FaultList, pos) -> Path | None:
    """The file an entry of ``problems`` names, when it is safe to read; else a fault."""
    if not isinstance(entry, str) or not entry.strip() or _unprintable(entry):
        faults.add(pos, "each problem is a file name relative to the assignment, e.g. residual_relu.yaml")
        return None
    if PurePosixPath(entry).is_absolute() or PureWindowsPath(entry).is_absolute() or PureWindowsPath(entry).drive:
        faults.add(pos, f"'{entry}' is an absolute path; name the problem relative to the assignment file (e.g. {Path(entry).name})")
        return None
    if ".." in PurePosixPath(entry.replace("\\", "/")).parts:
        faults.add(pos, f"'{entry}' leads out of the assignment's folder ('..'); keep the problems beside the assignment or below it")
        return None
    path = folder / entry
    if not path.exists() and not path.is_symlink():
        faults.add(pos, f"no problem file '{entry}' beside the assignment (looked for {path}); check the name")
        return None
    base = os.path.realpath(folder)
    if os.path.commonpath([base, os.path.realpath(path)]) != base:
        faults.add(pos, f"'{entry}' is a link that leads out of the assignment's folder; copy the problem beside the assignment")
        return None
    return path


def _check_unique(problems: list[Problem], listed_at: list, faults: FaultList) -> None:
    """Problem ids, and question and task ids, are unique across the assignment (§8); a
    clash is placed where the second problem is listed."""
    owner: dict[str, Problem] = {}
    by_id: dict[str, Problem] = {}
    for problem, pos in zip(problems, listed_at):
        if problem.id in by_id:
            faults.add(pos, f"problem id '{problem.id}' is used by both {by_id[problem.id].file} and {problem.file}; give each problem its own id")
        by_id.setdefault(problem.id, problem)
        for question in problem.questions:
            first = owner.get(question.id)
            if first is not None and first is not problem:
                where = f"{problem.file}:{question.pos.line}:{question.pos.column}" if question.pos else problem.file
                faults.add(pos, f"question id '{question.id}' is in both {first.file} and {where}; ids must be unique across the assignment (rename one)")
            owner.setdefault(question.id, problem)


__all__ = ["Assignment", "load_assignment", "load_target", "problems_of", "is_assignment"]
