"""Report files: the contract's JSON (§6), a CSV gradebook, and Gradescope's results.json.

Expected values appear only when the grader was built with ``show_answers`` (they are
None in the results otherwise), so a report made for students cannot leak them.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..common import Problem
from ..files import write_atomic
from .model import QuestionResult, SheetResult, Skipped

REPORT_SUFFIXES = (".json", ".csv")


def number(x: float) -> int | float:
    """2.0 → 2 and 1.5 → 1.5, so scores read as people write them."""
    return int(x) if float(x).is_integer() else round(float(x), 6)


def result_json(r: QuestionResult) -> dict[str, Any]:
    return {
        "id": r.id,
        "ask": r.ask,
        "expected": r.expected,
        "answer": r.answer,
        "correct": r.correct,
        "points": number(r.points),
        "earned": number(r.earned),
        "feedback": r.feedback,
        "diagnosis": r.diagnosis,
        "status": r.status,
        "mistakes": list(r.mistakes),
        "credit": r.credit.plain() if r.credit else None,
        **({"problem": r.problem} if r.problem is not None else {}),  # in an assignment (§8)
    }


def _varies(problem) -> bool:
    """A problem with per-student variants, or an assignment holding one (then a sheet's
    variant reads 'problem-id: short id', one per varied problem)."""
    return any(getattr(p, "vary", ()) for p in getattr(problem, "problems", [problem]))


def _sheet_head(sheet: SheetResult, varies: bool = False) -> dict[str, Any]:
    variant = {"variant": sheet.variant} if varies else {}  # the short id, never the secret (§11)
    return {
        "file": sheet.file,
        "student": sheet.student,
        **variant,
        "score": number(sheet.score),
        "max_score": number(sheet.max_score),
        "error": sheet.error,
        "warnings": list(sheet.warnings),
        **({"parts": [_part_json(p) for p in sheet.parts]} if sheet.parts else {}),
        **({"sis_id": sheet.sis_id} if sheet.sis_id else {}),
        **({"login": sheet.login} if sheet.login else {}),
    }


def _part_json(part) -> dict[str, Any]:
    return {"problem": part.problem, "title": part.title, "score": number(part.score), "max_score": number(part.max_score)}


def _is_assignment(target) -> bool:
    return getattr(target, "kind", None) == "assignment"


def report_json(problem: Problem, sheets: list[SheetResult], skipped: list[Skipped] = ()) -> str:
    """The contract's JSON, one sheet per line; then ``skipped``, the files that are not
    answer sheets, each with the reason.

    Indented JSON goes through the json module's pure-Python encoder (several times
    slower on a class of thousands); one compact line per sheet keeps the C encoder and
    still diffs and greps well. A result shared by many sheets (the same right answer)
    is encoded once.
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode
    varies = _varies(problem)
    encoded: dict[int, str] = {}  # id(result) → JSON; the results outlive this call, so ids are stable
    lines = []
    for sheet in sheets:
        parts = []
        for r in sheet.results:
            text = encoded.get(id(r))
            if text is None:
                text = encoded[id(r)] = encode(result_json(r))
            parts.append(text)
        head = encode(_sheet_head(sheet, varies))  # '{...}': the results go in before its closing brace
        lines.append(f'{head[:-1]}, "results": [{", ".join(parts)}]}}')
    body = "\n" + ",\n".join(lines) + "\n" if lines else ""
    others = ",\n".join(encode({"file": s.file, "reason": s.reason}) for s in skipped)
    others = f"\n{others}\n" if others else ""
    head = f'"problem": {encode(problem.id)}'
    if _is_assignment(problem):  # §8: "assignment" at the top; "problem" kept as §6 has it, and the problems listed
        listed = [{"id": p.id, "title": p.title, "kind": p.kind, "max_score": number(sum(q.points for q in p.questions))} for p in problem.problems]
        head = f'"assignment": {encode(problem.id)}, "title": {encode(problem.title)}, {head}, "problems": {encode(listed)}'
    return f'{{{head}, "sheets": [{body}], "skipped": [{others}]}}\n'


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """A text cell a spreadsheet never runs as a formula: '=HYPERLINK(...)' gets a leading
    quote (OWASP's advice for CSV injection). Every text cell goes through here; numbers
    (points, totals) are written as numbers."""
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def report_csv(problem: Problem, sheets: list[SheetResult]) -> str:
    """One row per sheet: Student, File, one column per question id (for an assignment,
    then a '<problem id> subtotal' column per problem), Total, Max, Error,
    Warnings (joined with '; ': unknown keys, a name on two sheets, ...), Partial credit
    (how each partly credited question's points were reached: 'T4.w2: 3 of 6 entries
    right: 1 of 2 points'). A problem with per-student variants has a Variant column after
    File: the short id of the variant each sheet was graded against.

    An unreadable sheet has blank points and total (not 0), so an import into a
    gradebook does not post a zero over a submission nobody could read.
    """
    ids = [q.id for q in problem.questions]
    varies = _varies(problem)
    parts = [p.id for p in problem.problems] if _is_assignment(problem) else []  # a subtotal column per problem
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([text_cell(c) for c in ("Student", "File", *(("Variant",) if varies else ()), *ids, *(f"{p} subtotal" for p in parts), "Total", "Max", "Error", "Warnings", "Partial credit")])
    for sheet in sheets:
        if sheet.error:
            points = [""] * (len(ids) + len(parts))
            total: Any = ""
        else:
            earned = {r.id: number(r.earned) for r in sheet.results}
            subtotals = {p.problem: number(p.score) for p in sheet.parts}
            points = [earned.get(i, "") for i in ids] + [subtotals.get(p, "") for p in parts]
            total = number(sheet.score)
        credit = "; ".join(f"{r.id}: {r.credit.text(r.points)}" for r in sheet.results if r.credit)
        variant = (text_cell(sheet.variant or ""),) if varies else ()
        writer.writerow([text_cell(sheet.student), text_cell(sheet.file), *variant, *points, total, number(sheet.max_score), text_cell(sheet.error or ""),
                         text_cell("; ".join(sheet.warnings)), text_cell(credit)])
    return out.getvalue()


def gradescope_json(problem: Problem, sheet: SheetResult | None, skipped: list[Skipped] = (), several: list[str] = ()) -> str:
    """Gradescope's results.json for one submission: one test per question.

    Schema: https://gradescope-autograders.readthedocs.io/en/latest/specs/ — top-level
    ``score`` and ``tests`` with ``name``, ``number``, ``score``, ``max_score``,
    ``status`` and ``output``. ``sheet`` is None when the submission holds no answer
    sheet: the student then gets score 0 and is told what was found and what to hand in,
    instead of Gradescope's "autograder failed". ``several`` names the sheets of a submission
    that holds more than one: it is not graded either, and the student is told to keep one.
    """
    if sheet is None:
        return _gradescope_without_sheet(problem, skipped, several)
    tests = [
        {
            **_test_head(problem, r.id, r.ask),
            "score": number(r.earned),
            "max_score": number(r.points),
            "status": "passed" if r.correct else "failed",
            "output": _gradescope_output(r.feedback, r.answer_text),
        }
        for r in sheet.results
    ]
    data: dict[str, Any] = {"score": number(sheet.score), "tests": tests}
    lines = [f"{problem.title or problem.id}: {number(sheet.score)} / {number(sheet.max_score)}"]
    lines += [f"  {p.title or p.problem}: {number(p.score)} / {number(p.max_score)}" for p in sheet.parts]
    if sheet.error:
        # Every question fails visibly, so the student sees what the sheet was worth.
        data["tests"] = _failed_tests(problem, "not graded: the answer sheet could not be read")
        lines.append(f"Your answer sheet could not be read: {sheet.error}")
    lines.extend(sheet.warnings)
    lines.extend(f"Not graded: {s.file}: {s.reason}" for s in skipped)
    data["output"] = "\n".join(lines)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _failed_tests(problem: Problem, why: str) -> list[dict[str, Any]]:
    """Every question failed, so the student sees what the sheet was worth."""
    return [
        {**_test_head(problem, q.id, q.ask), "score": 0, "max_score": number(q.points), "status": "failed", "output": why}
        for q in problem.questions
    ]


def _test_head(target, qid: str, ask: str) -> dict[str, Any]:
    """A test's name and number; in an assignment, grouped by problem as Gradescope's spec
    allows: the name starts with the problem's title, and ``tags`` holds the problem's id."""
    if not _is_assignment(target):
        return {"name": f"{qid}: {ask}", "number": qid}
    problem = target.problem_of(qid)
    return {"name": f"{problem.title or problem.id} — {qid}: {ask}", "number": qid, "tags": [problem.id]}


def _gradescope_without_sheet(problem: Problem, skipped: list[Skipped], several: list[str] = ()) -> str:
    total = number(sum(q.points for q in problem.questions))
    lines = [f"{problem.title or problem.id}: 0 / {total}"]
    if several:
        lines.append(f"Your submission holds {len(several)} answer sheets, and one is graded: {', '.join(several)}.")
        lines.append("Submit again with exactly one YAML answer sheet (delete or rename the others so they do not end in .yaml).")
        data = {"score": 0, "output": "\n".join(lines), "tests": _failed_tests(problem, f"not graded: {len(several)} answer sheets were handed in; keep one")}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    lines.append("No answer sheet was found in your submission.")
    if skipped:
        lines.append("Found:")
        lines.extend(f"  {s.file}: {s.reason}" for s in skipped)
    else:
        lines.append("The submission holds no files.")
    lines.append("Hand in one YAML answer sheet, e.g. answers.yaml, with 'answers:' followed by one 'id: value' line "
                 "per question (a blank one: hwcheck template PROBLEM.yaml -o answers.yaml). "
                 "If a file above is your sheet, rename it to end in .yaml and submit again.")
    data = {"score": 0, "output": "\n".join(lines), "tests": _failed_tests(problem, "not graded: no answer sheet was found in the submission")}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _gradescope_output(feedback: str, answer: str | None) -> str:
    return f"Your answer: {answer}\n{feedback}" if answer is not None else feedback


def write_report(path: str, problem: Problem, sheets: list[SheetResult], skipped: list[Skipped] = ()) -> None:
    """Write a .json or .csv report, completely or not at all. The CSV is a gradebook, one
    row per sheet: the skipped files are in the JSON report (and the terminal) only."""
    if path.lower().endswith(".csv"):
        # UTF-8 with a byte-order mark: Excel then reads accented names right; Canvas and
        # the csv module (encoding='utf-8-sig') read it too.
        write_atomic(path, report_csv(problem, sheets), encoding="utf-8-sig", newline="")
    else:
        write_atomic(path, report_json(problem, sheets, skipped))


def write_gradescope(path: str, problem: Problem, sheet: SheetResult | None, skipped: list[Skipped] = (), several: list[str] = ()) -> None:
    write_atomic(path, gradescope_json(problem, sheet, skipped, several))
