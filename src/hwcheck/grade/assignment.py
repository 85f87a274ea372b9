"""Grading submissions against an assignment (contract §8): one score per student.

A **submission** is an answer sheet, or a folder holding one (``answers.yaml``, or the
only ``*.yaml`` in it) and the module files its code problems name (``hw4.py``). A folder
is one submission when it holds ``answers.yaml`` or a code module, or has no subfolder
and at most one YAML file; any other folder is a **class folder**: each direct subfolder
is a submission and each loose ``*.yaml`` a submission of a sheet alone.

Nothing is skipped silently: a file in a submission folder that is neither its sheet nor
a code module is a warning on that submission; a file in a class folder that is neither
a submission folder nor a sheet is listed among the files not graded. (Hidden files, such
as ``.git`` or ``.DS_Store``, are left out, as everywhere in hwcheck.)

The grading itself is the one of each problem's kind: a sheet's answers are split by
problem and graded by that problem's :class:`~hwcheck.grade.grader.Grader`, and the code
by :class:`~hwcheck.code.grade.CodeGrader` (sandboxed, ``-j`` submissions at once); the
results are put together into one :class:`SheetResult` with a :class:`Part` per problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from .. import solve
from ..assignment import Assignment
from ..errors import did_you_mean
from . import model
from .grader import Grader
from .model import Part, QuestionResult, SheetResult, Skipped
from .batch import SHEET_SUFFIXES as _SUFFIXES
from .sheets import KeyIndex, Sheet, normalize_ask, read_sheet

SHEET_NAMES = ("answers.yaml", "answers.yml")


@dataclass
class Submission:
    path: str  # the folder, or the sheet handed in alone
    name: str  # the student's name when the sheet gives none: the folder's (or the file's) name
    sheet: str | None = None  # the answer sheet's file
    modules: set[str] = field(default_factory=set)  # the code modules found (hw4 for hw4.py)
    error: str | None = None  # why it cannot be graded at all (several sheets, none named answers.yaml)
    notes: list[str] = field(default_factory=list)  # files that are neither the sheet nor code


def collect_submissions(paths: list[str], assignment: Assignment, outputs: list[str] = ()) -> tuple[list[Submission], list[Skipped]]:
    """The submissions under ``paths``, in order, and every other file of a class folder.
    ``outputs``: this run's own reports, left out wherever they are."""
    ours = {os.path.abspath(p) for p in outputs}
    modules = {p.module for p in assignment.problems if p.kind == "code"}
    own = {os.path.realpath(f) for f in [assignment.file, *(p.file for p in assignment.problems)]}
    submissions: list[Submission] = []
    skipped: list[Skipped] = []
    for path in paths:
        if not os.path.isdir(path):
            submissions.append(Submission(path, _stem(path), sheet=path))  # a missing file is reported when read
        elif _is_submission(path, modules):
            submissions.append(_folder(path, modules, own, ours))
        else:
            for entry in _listing(path, ours):
                full = os.path.join(path, entry.name)
                if os.path.realpath(full) in own:
                    skipped.append(Skipped(full, "a file of the assignment itself, not a submission"))
                elif entry.is_dir(follow_symlinks=False):
                    submissions.append(_folder(full, modules, own, ours))
                elif entry.name.lower().endswith(_SUFFIXES) and not entry.is_symlink():
                    submissions.append(Submission(full, _stem(full), sheet=full))
                else:
                    skipped.append(Skipped(full, _not_a_submission(entry, modules)))
    return submissions, skipped


def _listing(folder: str, ours: set[str] = frozenset()) -> list[os.DirEntry]:
    """A folder's entries by name, without hidden ones and this run's own reports."""
    with os.scandir(folder) as entries:
        return sorted((e for e in entries if not e.name.startswith(".") and os.path.abspath(e.path) not in ours), key=lambda e: e.name)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(os.path.normpath(path)))[0]


def _is_submission(folder: str, modules: set[str]) -> bool:
    try:
        entries = _listing(folder)
    except OSError:
        return True  # reported as that submission's error
    names = {e.name for e in entries}
    if names & {*SHEET_NAMES, *(f"{m}.py" for m in modules)}:
        return True
    sheets = [e for e in entries if e.name.lower().endswith(_SUFFIXES)]
    return not any(e.is_dir(follow_symlinks=False) for e in entries) and len(sheets) <= 1


def _not_a_submission(entry: os.DirEntry, modules: set[str]) -> str:
    if entry.is_symlink():
        return "a symbolic link, not followed; hand in the file or folder itself"
    code = " and " + ", ".join(sorted(f"{m}.py" for m in modules)) if modules else ""
    return f"neither a submission folder (holding answers.yaml{code}) nor an answer sheet (.yaml)"


def _folder(folder: str, modules: set[str], own: set[str], ours: set[str]) -> Submission:
    """One submission folder: its sheet, its code modules, and a note for every other file."""
    submission = Submission(folder, _stem(folder))
    try:
        entries = _listing(folder, ours)
    except OSError as error:
        submission.error = f"{folder}: cannot list this folder: {error.strerror or error}"
        return submission
    sheets = [e for e in entries if e.is_file(follow_symlinks=False) and e.name.lower().endswith(_SUFFIXES)
              and os.path.realpath(e.path) not in own]
    named = [e for e in sheets if e.name in SHEET_NAMES]
    chosen = named[0] if named else sheets[0] if len(sheets) == 1 else None
    if chosen is not None:
        submission.sheet = chosen.path
    elif len(sheets) > 1:
        submission.error = (f"{folder}: holds {len(sheets)} YAML files ({', '.join(e.name for e in sheets[:5])}) and none is "
                            f"answers.yaml; name the answer sheet answers.yaml (or keep one)")
    for entry in entries:
        name = entry.name
        if entry is chosen:
            continue
        if os.path.realpath(entry.path) in own:
            submission.notes.append(f"{name}: a file of the assignment itself; not graded")
        elif entry.is_symlink():
            submission.notes.append(f"{name}: a symbolic link; hwcheck does not follow links in submissions")
        elif name.endswith(".py") and name[:-3] in modules and entry.is_file(follow_symlinks=False):
            submission.modules.add(name[:-3])
        elif name.endswith(".py") and modules:
            submission.notes.append(f"{name}: not graded itself; the code may import it as a helper module")
        elif entry.is_dir(follow_symlinks=False):
            submission.notes.append(f"{name}/: a folder inside the submission; not graded (the sheet and code are read from the top)")
        elif entry in sheets and submission.sheet is not None:
            submission.notes.append(f"{name}: not graded; {os.path.basename(submission.sheet)} is the answer sheet")
        elif entry not in sheets:
            code = ", ".join(sorted(f"{m}.py" for m in modules))
            submission.notes.append(f"{name}: not graded; a submission is its answer sheet (answers.yaml)" + (f" and {code}" if code else ""))
    return submission


class AssignmentGrader:
    """Grades submissions of one assignment: each problem solved once, by its own grader."""

    def __init__(self, assignment: Assignment, show_answers: bool = False, limits=None, bwrap: str | None = None,
                 secret: str | None = None):
        self.assignment = assignment
        self.sheet_graders = {p.id: _sheet_grader(p, show_answers, secret) for p in assignment.problems if p.kind != "code"}
        self.indexes = {pid: KeyIndex(g.problem.questions) for pid, g in self.sheet_graders.items()}
        self.code_graders = {}
        if any(p.kind == "code" for p in assignment.problems):
            from ..code.grade import CodeGrader  # deliberate: only assignments with a code problem load the sandbox

            self.code_graders = {p.id: CodeGrader(p, limits, bwrap, show_answers) for p in assignment.problems if p.kind == "code"}
        self.max_score = assignment.max_score

    # -- the sheet -------------------------------------------------------------------------
    def split(self, sheet: Sheet) -> dict[str, Sheet]:
        """The sheet's answers, one sheet per problem: each key goes to the problem with that
        question id, else with that ask, else (one only) that id but for case. A key that
        fits no question, or asks of several problems, is a warning on the whole sheet."""
        parts = {pid: replace(sheet, entries=[], warnings=[]) for pid in self.sheet_graders}
        for entry in sheet.entries:
            owner = self._owner(entry.key)
            if isinstance(owner, str):
                parts[owner].entries.append(entry)
            else:
                where = f"line {entry.pos.line}: " if entry.pos else ""
                if owner:
                    sheet.warnings.append(f"{where}'{entry.key}' is asked by several problems ({', '.join(owner)}); write the question's id; it was not graded")
                else:
                    sheet.warnings.append(_unknown(entry, self.indexes))
        return parts

    def _owner(self, key: str) -> str | list[str]:
        """The id of the problem ``key`` answers; else the ids of all it could (none or several)."""
        for pid, index in self.indexes.items():
            if key in index.by_id:
                return pid

        by_ask = [pid for pid, index in self.indexes.items() if normalize_ask(key) in index.by_ask]
        if len(by_ask) == 1:
            return by_ask[0]
        if by_ask:
            return by_ask
        by_case = [pid for pid, index in self.indexes.items() if index.find_ignoring_case(key) is not None]
        return by_case[0] if len(by_case) == 1 else []

    def grade_sheet(self, sheet: Sheet) -> dict[str, SheetResult]:
        """Each sheet problem's result for this sheet; every warning ends up on ``sheet``."""
        results = {pid: self.sheet_graders[pid].grade(part) for pid, part in self.split(sheet).items()}
        for pid, result in results.items():  # a problem with vary: its student's variant, or why not
            if result.error:
                result.results = _not_run(self.sheet_graders[pid].problem, None, result)
                sheet.warnings.append(f"{pid}: {result.error}")
        for result in results.values():
            sheet.warnings += result.warnings  # e.g. a key taken as an id but for case
        return results

    # -- the whole class -------------------------------------------------------------------
    def grade_all(self, submissions: list[Submission], jobs: int = 1, on_progress=None) -> tuple[list[SheetResult], list[Skipped]]:
        """Every submission's result, in order, and the sheets that turned out to be problem files."""
        sheets = [read_sheet(s.sheet) if s.sheet and not s.error else None for s in submissions]
        skipped = [Skipped(s.path, sheet.skipped) for s, sheet in zip(submissions, sheets) if sheet is not None and sheet.skipped]
        graded = [(s, sheet) for s, sheet in zip(submissions, sheets) if sheet is None or not sheet.skipped]
        code = self._grade_code([s for s, sheet in graded if _gradable(s, sheet)], jobs, on_progress)
        return [self._combine(s, sheet, code) for s, sheet in graded], skipped

    def _grade_code(self, submissions: list[Submission], jobs: int, on_progress) -> dict[tuple[str, str], SheetResult]:
        """(problem id, submission path) → the code grader's result, for each module handed in."""
        results = {}
        for pid, grader in self.code_graders.items():
            paths = [s.path for s in submissions if grader.problem.module in s.modules]
            for path, result in zip(paths, grader.grade_all(paths, jobs, on_progress)):
                results[pid, path] = result
        return results

    def _combine(self, submission: Submission, sheet: Sheet | None, code: dict) -> SheetResult:
        named = sheet is not None and sheet.named
        result = SheetResult(submission.path, sheet.student if named else submission.name, self.max_score, named=named,
                             sis_id=sheet and sheet.sis_id, login=sheet and sheet.login)
        result.warnings = list(submission.notes)
        if submission.error or (sheet is not None and sheet.error):
            result.error = submission.error or sheet.error
            result.warnings += sheet.warnings if sheet is not None else []
            return result
        if sheet is None:
            result.warnings.append("no answer sheet (answers.yaml) in this submission; its questions count as missing")
            sheet = Sheet(submission.path, result.student)
        by_problem = self.grade_sheet(sheet)
        result.warnings += sheet.warnings
        for problem in self.assignment.problems:
            if problem.id in by_problem:
                part = by_problem[problem.id]
                questions = part.results
            else:
                part = code.get((problem.id, submission.path))
                questions = part.results if part is not None and not part.error else _not_run(problem, submission, part)
                if part is not None:
                    result.warnings += part.warnings
            results = [replace(r, problem=problem.id) for r in questions]
            result.results += results
            score = sum(r.earned for r in results)
            result.parts.append(Part(problem.id, problem.title, score, sum(q.points for q in problem.questions)))
        result.score = sum(p.score for p in result.parts)
        variants = [f"{pid}: {r.variant}" for pid, r in by_problem.items() if r.variant]
        result.variant = "; ".join(variants) or None  # the variant each varied problem was graded against
        return result


def _sheet_grader(problem, show_answers: bool, secret: str | None):
    """The grader of one sheet problem: solved once, or per student for a problem with vary."""
    from .by_student import VariantGrader, variants_for  # deliberate: only problems with vary need it

    variants = variants_for(problem, secret)
    if variants is not None:
        return VariantGrader(variants, show_answers)

    return Grader(solve(problem), show_answers)


def _gradable(submission: Submission, sheet: Sheet | None) -> bool:
    return not submission.error and not (sheet is not None and sheet.error)


def _not_run(problem, submission: Submission, part: SheetResult | None) -> list[QuestionResult]:
    """A code problem's tasks when its code could not be graded: missing, or unreadable with
    the reason; or a sheet problem's questions when they could not be (a problem with vary
    on a sheet that names no student, or a student with no variant)."""
    if part is None:
        why, status = f"missing: no {problem.module}.py in the submission", model.MISSING
    else:
        why, status = f"not graded: {part.error}", model.UNREADABLE
    return [QuestionResult(q.id, q.ask, q.points, status, 0.0, why) for q in problem.questions]


def _unknown(entry, indexes) -> str:
    names = [n for index in indexes.values() for n in index.names]
    where = f"line {entry.pos.line}: " if entry.pos else ""
    return f"{where}'{entry.key}' matches no question of the assignment{did_you_mean(entry.key, names)}; it was not graded"
