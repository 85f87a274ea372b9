"""Problem files: the keys every kind shares, questions and tolerance (contract §1–§4).

:func:`load_problem` reads a YAML file, checks the common keys, and hands the rest to the
loader of its kind (:mod:`hwcheck.graph.load` or :mod:`hwcheck.architecture.load`).
Every fault found is collected, so a teacher sees all of them at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FaultList, InputError, Pos, did_you_mean
from .numbers import NotANumber, parse_number
from .yamldoc import YList, YMap, load_yaml_file, position_of

ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
COMMON_KEYS = ("id", "title", "kind", "questions", "tolerance")
KINDS = ("graph", "architecture", "code")


@dataclass(frozen=True)
class Tolerance:
    """|answer − expected| ≤ abs + rel·|expected| (contract §4)."""

    rel: float = 0.01
    abs: float = 1e-6

    def allows(self, answer, expected) -> bool:
        """Scalars or arrays (element-wise); a non-finite expected value needs equality."""
        if isinstance(answer, float) and isinstance(expected, float):  # the common case, fast
            if not math.isfinite(expected):
                return answer == expected
            return abs(answer - expected) <= self.abs + self.rel * abs(expected)
        answer, expected = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
        finite = np.isfinite(expected)
        close = np.abs(answer - np.where(finite, expected, 0.0)) <= self.abs + self.rel * np.abs(np.where(finite, expected, 0.0))
        return bool(np.all(np.where(finite, close, answer == expected)))


@dataclass(frozen=True)
class Question:
    id: str
    ask: str
    points: float = 1.0
    tolerance: Tolerance = Tolerance()
    pos: Pos | None = None


@dataclass
class Problem:
    """What every kind of problem has; the kinds subclass it."""

    file: str
    id: str
    kind: str
    title: str | None = None
    tolerance: Tolerance = Tolerance()
    questions: list[Question] = field(default_factory=list)


def load_problem(path: str | Path) -> Problem:
    """Read, check and return a problem file; raises InputError naming every fault."""
    from .gcpause import paused_gc

    with paused_gc():
        return _load_problem(path)


def _load_problem(path: str | Path) -> Problem:
    file = str(path)
    data = load_yaml_file(path, "problem file")
    faults = FaultList(file)
    if not isinstance(data, YMap):
        raise InputError.at(file, position_of(data, 0), "a problem file is a YAML mapping with keys id, kind, ...")
    kind = data.get("kind")
    if kind not in KINDS:
        where = data.where("kind") if "kind" in data else data.pos
        if kind is None:
            faults.add(where, "missing 'kind'; write kind: graph, kind: architecture or kind: code")
        else:
            faults.add(where, f"unknown kind '{kind}'{did_you_mean(str(kind), KINDS)}; write graph, architecture or code")
        faults.raise_if_any()
    if kind == "graph":
        from .graph.load import KIND_KEYS, load_graph as load_kind
    elif kind == "code":
        from .code.load import KIND_KEYS, load_code as load_kind
    else:
        from .architecture.load import KIND_KEYS, load_architecture as load_kind
    allowed = COMMON_KEYS + KIND_KEYS
    for key in data:
        if key not in allowed:
            faults.add(data.key_pos[key], f"unknown key '{key}'{did_you_mean(str(key), allowed)} for kind {kind}; allowed: {', '.join(allowed)}")
    common = _common(data, file, kind, faults)
    problem = load_kind(data, common, faults)  # collects its own faults
    faults.raise_if_any()
    return problem


def _common(data: YMap, file: str, kind: str, faults: FaultList) -> dict[str, Any]:
    problem_id = data.get("id")
    if problem_id is None:
        faults.add(data.pos, "missing 'id'; add e.g. id: hw1-residual")
    elif not isinstance(problem_id, (str, int)) or not ID_PATTERN.fullmatch(str(problem_id)):
        faults.add(data.where("id"), f"id {problem_id!r} must be letters, digits, '_', '.' or '-'")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        faults.add(data.where("title"), "title must be one line of text")
    tolerance = Tolerance()
    if "tolerance" in data:
        tolerance = read_tolerance(data["tolerance"], data.where("tolerance"), Tolerance(), faults)
    return {"file": file, "id": str(problem_id), "kind": kind, "title": title, "tolerance": tolerance}


def read_tolerance(value: Any, pos: Pos, default: Tolerance, faults: FaultList) -> Tolerance:
    if not isinstance(value, YMap):
        faults.add(pos, "tolerance is a mapping such as {rel: 0.01, abs: 1e-6}")
        return default
    result = {"rel": default.rel, "abs": default.abs}
    for key, raw in value.items():
        if key not in result:
            faults.add(value.key_pos[key], f"unknown tolerance key '{key}'; use rel and/or abs")
            continue
        try:
            number = parse_number(raw)
        except NotANumber as exc:
            faults.add(value.where(key), f"tolerance {key}: {exc}")
            continue
        if number < 0:
            faults.add(value.where(key), f"tolerance {key} must be ≥ 0, not {raw}")
            continue
        result[key] = number
    return Tolerance(**result)


def read_questions(data: YMap, problem_tolerance: Tolerance, faults: FaultList) -> list[Question] | None:
    """The `questions` list, or None when the file gives none (each kind has defaults)."""
    if "questions" not in data:
        return None
    raw = data["questions"]
    if not isinstance(raw, YList):
        faults.add(data.where("questions"), "questions is a list of {id: ..., ask: ..., points: ...}")
        return []
    questions: list[Question] = []
    seen: dict[str, Pos] = {}
    for index, item in enumerate(raw):
        pos = raw.where(index)
        if not isinstance(item, YMap):
            faults.add(pos, "each question is a mapping such as {id: T1.a, ask: dz/dw0, points: 2}")
            continue
        for key in item:
            if key not in ("id", "ask", "points", "tolerance"):
                faults.add(item.key_pos[key], f"unknown question key '{key}'{did_you_mean(str(key), ('id', 'ask', 'points', 'tolerance'))}; allowed: id, ask, points, tolerance")
        ask = item.get("ask")
        if not isinstance(ask, str) or not ask.strip():
            faults.add(item.where("ask") if "ask" in item else pos, "question needs 'ask', e.g. ask: dz/dw0 or ask: z")
            continue
        qid = item.get("id", ask)
        if not isinstance(qid, (str, int, float)) or isinstance(qid, bool):
            faults.add(item.where("id"), "question id must be text such as T1.a")
            continue
        qid = str(qid)
        if qid in seen:
            faults.add(item.where("id") if "id" in item else pos, f"question id '{qid}' is used twice (first at line {seen[qid].line}); ids are unique")
            continue
        seen[qid] = pos
        points = 1.0
        if "points" in item:
            try:
                points = parse_number(item["points"])
                if points < 0:
                    raise NotANumber("points must be ≥ 0")
            except NotANumber as exc:
                faults.add(item.where("points"), f"points: {exc}")
        tolerance = problem_tolerance
        if "tolerance" in item:
            tolerance = read_tolerance(item["tolerance"], item.where("tolerance"), problem_tolerance, faults)
        questions.append(Question(qid, ask.strip(), points, tolerance, pos))
    return questions
