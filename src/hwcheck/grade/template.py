"""Blank answer sheets, and sheets written from answers (the interactive checker's --save).

Keys are written plain when YAML reads them back as the same text, quoted otherwise
(a question id such as ``true`` or ``[1]`` would not come back as written). Text from the
problem that goes into a comment (title, ask) is escaped to one line: a newline in it
would end the comment and put the rest into the sheet as YAML.
"""

from __future__ import annotations

import re
from typing import Mapping

from ..common import Problem
from ..errors import InputError
from ..escape import visible, yaml_quoted
from ..numbers import fmt
from ..words import plural
from ..yamldoc import YMap, parse_yaml

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./()\[\],+-]*")


def yaml_key(text: str) -> str:
    """``text`` as a YAML mapping key that reads back as exactly ``text``."""
    if _PLAIN.fullmatch(text):
        try:
            data = parse_yaml(f"{text}: x", "<key>")
            if isinstance(data, YMap) and list(data) == [text]:
                return text
        except InputError:
            pass
    return yaml_quoted(text)


def _points(points: float) -> str:
    return f"{fmt(points)} point{'s' if points != 1 else ''}"


def template_text(problem: Problem, problem_path: str | None = None) -> str:
    """A blank sheet: every question's id as a key, its ask and points as a comment."""
    total = sum(q.points for q in problem.questions)
    lines = [f"# Answer sheet for {problem.id}" + (f": {visible(problem.title)}" if problem.title else "")]
    lines.append(f"# {plural(len(problem.questions), 'question')}, {_points(total)}. Write each answer after its colon:")
    lines.append("# a number (0.4, -3/4, 1e-6), a vector or matrix ([0.1, -0.2], [[1, 0], [0, 1]]), or a shape ([16, 32, 32]).")
    names = formula_names(problem)
    if any(q.answer == "formula" for q in problem.questions):
        lines.append(f"# Where a formula is asked, write an expression over the names {', '.join(names)} (as in the problem's steps).")
    if problem_path:
        lines.append(f"# Check it with: hwcheck grade {visible(problem_path)} THIS_FILE.yaml")
    if getattr(problem, "vary", ()):  # §11: the name chooses whose numbers the answers are graded against
        lines.append("# Each student has their own numbers: write your name after student:, spelt as on your handout.")
    lines.append("student:")
    lines.append("answers:")
    lines += _question_lines(problem.questions, names)
    return "\n".join(lines) + "\n"


def _question_lines(questions, names: list[str]) -> list[str]:
    """One ``  id:  # ask (points)`` line per question, the comments aligned."""
    keys = [yaml_key(q.id) + ":" for q in questions]
    width = max((len(k) for k in keys), default=0) + 2
    lines = []
    for key, q in zip(keys, questions):
        formula = f"; a formula over {', '.join(names)}" if q.answer == "formula" else ""
        lines.append(f"  {key:<{width}}# {visible(q.ask)}  ({_points(q.points)}){formula}")
    return lines


def assignment_template_text(assignment, assignment_path: str | None = None) -> str:
    """One blank sheet for every question of an assignment (§8), grouped by problem under
    a comment with its title; a code problem's tasks are not on the sheet: its module is
    handed in beside it (its starter is written by ``hwcheck template ... -o``)."""
    sheet_problems = [p for p in assignment.problems if p.kind != "code"]
    questions = [q for p in sheet_problems for q in p.questions]
    total = sum(q.points for q in assignment.questions)
    lines = [f"# Answer sheet for {assignment.id}" + (f": {visible(assignment.title)}" if assignment.title else "")]
    lines.append(f"# {plural(len(questions), 'question')} on this sheet; {_points(total)} in all. Write each answer after its colon:")
    lines.append("# a number (0.4, -3/4, 1e-6), a vector or matrix ([0.1, -0.2], [[1, 0], [0, 1]]), a shape ([16, 32, 32]),")
    lines.append("# or, where a formula is asked, an expression over the names of that problem's steps.")
    for code in (p for p in assignment.problems if p.kind == "code"):
        lines.append(f"# {visible(code.title or code.id)}: hand in {code.module}.py beside this sheet ({_points(sum(q.points for q in code.questions))});")
        lines.append(f"# its starter is written beside the sheet by: hwcheck template {visible(assignment_path or assignment.file)} -o FOLDER/answers.yaml")
    if assignment_path:
        lines.append(f"# Check it with: hwcheck grade {visible(assignment_path)} FOLDER (this sheet as answers.yaml, with the code beside it)")
    lines.append("student:")
    lines.append("answers:")
    for problem in sheet_problems:
        points = sum(q.points for q in problem.questions)
        lines.append(f"  # {visible(problem.title or problem.id)} ({problem.id}, {_points(points)})")
        lines += _question_lines(problem.questions, formula_names(problem))
    return "\n".join(lines) + "\n"


def formula_names(problem: Problem) -> list[str]:
    """The names a formula answer may use (graph problems); empty for other kinds."""
    graph = getattr(problem, "graph", None)
    if graph is None:
        return []
    from ..graph.formula import user_names  # deliberate: only graph problems load formula.py

    return user_names(graph)


def sheet_text(problem: Problem, student: str | None, answers: Mapping[str, str]) -> str:
    """A filled-in sheet: ``answers`` maps question id → the answer text as typed.

    Answers are written as YAML values that read back to what was typed: numbers and
    fractions plain, lists as flow lists; anything else quoted.
    """
    lines = [f"# Answers for {problem.id}, written by hwcheck grade --save"]
    lines.append(f"student: {yaml_key(student)}" if student else "student:")
    lines.append("answers:")
    for q in problem.questions:
        text = answers.get(q.id)
        value = "" if text is None else " " + _yaml_value(text)
        lines.append(f"  {yaml_key(q.id)}:{value}  # {visible(q.ask)}  ({_points(q.points)})")
    return "\n".join(lines) + "\n"


def _yaml_value(text: str) -> str:
    text = text.strip()
    try:
        parse_yaml(f"a: {text}", "<answer>")
        if text.isprintable() and "#" not in text and not text.startswith(("'", '"', "{", "&", "*", "!", "|", ">", "%", "@", "`")):
            return text
    except InputError:
        pass
    return yaml_quoted(text)
