"""Problem files: :func:`load_problem` reads one and hands it to the loader of its kind.

It checks the keys every kind shares (their records and readers are in
:mod:`hwcheck.common`) and hands the rest to the loader of the file's kind
(:mod:`hwcheck.graph.load`, :mod:`hwcheck.architecture.load` or :mod:`hwcheck.code.load`).
Every fault found is collected, so a teacher sees all of them at once.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Mapping

from .common import CREDIT_KEYS, ID_PATTERN, Credit, MistakeCodes, Problem, Question, Tolerance, _unprintable, read_credit, read_tolerance
from .errors import FaultList, InputError, did_you_mean
from .yamldoc import YMap, load_yaml_file, position_of

COMMON_KEYS = ("id", "title", "kind", "questions", "tolerance", "grading")
KINDS = ("graph", "architecture", "code")
VARIANT_KEYS = ("vary", "require")  # per-student variants: graph problems only (graph/vary.py)


def load_problem(path: str | Path, data: Any = None) -> Problem:
    """Read, check and return a problem file; raises InputError naming every fault.
    ``data``: the file's YAML when the caller has parsed it already (an assignment's loader)."""
    from .gcpause import paused_gc  # deliberate: importing hwcheck.problem stays light

    with paused_gc():
        return _load_problem(path, data)


def _load_problem(path: str | Path, data: Any = None) -> Problem:
    file = str(path)
    if data is None:
        data = load_yaml_file(path, "problem file")
    faults = FaultList(file)
    if not isinstance(data, YMap):
        raise InputError.at(file, position_of(data, 0), "a problem file is a YAML mapping with keys id, kind, ...")
    kind = data.get("kind")
    if kind not in KINDS:
        where = data.where("kind") if "kind" in data else data.pos
        if kind == "assignment":
            faults.add(where, "an assignment, not a problem: hwcheck.assignment.load_target reads either (every command takes both)")
        elif kind is None:
            faults.add(where, "missing 'kind'; write kind: graph, kind: architecture or kind: code")
        else:
            faults.add(where, f"unknown kind '{kind}'{did_you_mean(str(kind), KINDS)}; write graph, architecture or code")
        faults.raise_if_any()
    # The one place the kind loaders are named, each imported only for a file of its kind.
    if kind == "graph":
        from .graph.load import KIND_KEYS, load_graph as load_kind  # deliberate: only the file's kind's loader is loaded (start-up time)
    elif kind == "code":
        from .code.load import KIND_KEYS, load_code as load_kind  # deliberate: as above
    else:
        from .architecture.load import KIND_KEYS, load_architecture as load_kind  # deliberate: as above
    allowed = COMMON_KEYS + KIND_KEYS
    for key in data:
        if key in VARIANT_KEYS and key not in allowed:
            faults.add(data.key_pos[key], f"'{key}' (per-student numbers, §11) is for graph problems only, not kind {kind}; remove it")
        elif key not in allowed:
            faults.add(data.key_pos[key], f"unknown key '{key}'{faults.suggest(str(key), allowed)} for kind {kind}; allowed: {', '.join(allowed)}")
    codes = partial(_mistake_codes, kind)  # called only when a deduct: table is read
    common = _common(data, file, kind, faults, codes)
    problem = load_kind(data, common, faults, codes)  # collects its own faults
    if kind == "graph" and problem.require and not faults:
        # Whether each mistake a graph file requires its variants to detect can apply at all
        # takes solving the graph: a check above the loader (the solver imports the loader).
        from .variants import check_requirements_apply  # deliberate: only files that require detections load the solver here

        check_requirements_apply(problem, faults)
    for question in problem.questions:
        if question.answer == "formula" and kind != "graph":
            faults.add(question.pos, f"question '{question.id}': answer: formula is for graph problems (a formula over the graph's names); "
                                     f"write answer: number or leave the key out")
    faults.raise_if_any()
    return problem


def _mistake_codes(kind: str) -> Mapping[str, str]:
    """The mistake codes a ``deduct:`` table of a problem of this kind may name (§12)."""
    from .grade.diagnose import catalogue  # deliberate: only a file that deducts loads grading's catalogues (start-up time)

    return catalogue(kind)


def _common(data: YMap, file: str, kind: str, faults: FaultList, codes: MistakeCodes) -> dict[str, Any]:
    problem_id = data.text("id") if isinstance(data.get("id"), (int, float)) else data.get("id")  # as written: 1.10, 007
    if problem_id is None:
        faults.add(data.pos, "missing 'id'; add e.g. id: hw1-residual")
    elif not isinstance(problem_id, str) or not ID_PATTERN.fullmatch(problem_id):
        faults.add(data.where("id"), f"id {problem_id!r} must be letters, digits, '_', '.' or '-'")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        faults.add(data.where("title"), "title must be one line of text")
    elif title is not None:
        title = title.strip()  # a folded `>` title ends with a newline
        if problem := _unprintable(title):
            faults.add(data.where("title"), f"title must be one line of printable text; {problem}")
    tolerance = Tolerance()
    if "tolerance" in data:
        tolerance = read_tolerance(data["tolerance"], data.where("tolerance"), Tolerance(), faults)
    grading = Credit()
    if "grading" in data:
        raw = data["grading"]
        if isinstance(raw, YMap):
            for key in raw:
                if key not in CREDIT_KEYS:
                    faults.add(raw.key_pos[key], f"unknown grading key '{key}'{did_you_mean(str(key), CREDIT_KEYS)}; allowed: {', '.join(CREDIT_KEYS)}")
            grading = read_credit(raw, kind, faults, codes)
        else:
            faults.add(data.where("grading"), "grading is a mapping such as {partial: entries, follow_through: 0.5, deduct: {sign-error: 0.25}}")
    return {"file": file, "id": str(problem_id), "kind": kind, "title": title, "tolerance": tolerance, "grading": grading}


# The records, for the API (``from hwcheck.problem import Problem``): defined in common.py.
__all__ = ["Credit", "Problem", "Question", "Tolerance", "load_problem"]
