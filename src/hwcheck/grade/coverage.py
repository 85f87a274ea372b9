"""What a problem can detect: each typical mistake that applies, question by question.

A mistake *applies* to a question when the problem holds what invites it (a ReLU on the
chain-rule paths, a product, two paths, a layer with biases...). It is *detected* when it
gives a value outside the question's tolerance of the right answer, so that a student
who makes it is marked wrong and the diagnosis can name it. A mistake that applies to the
problem but gives the right value on every question cannot be caught by this problem's
numbers — the seed's residual network cannot tell a forgotten ReLU derivative, because
both its ReLUs are open — and ``hwcheck validate`` says so (contract §11); variants keep
every mistake detectable that the problem's own numbers detect.

Errors carried forward are left out: they come from a student's own answers, not from
the problem. Code problems have no questions with a single right value, so no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..numbers import fmt_value
from .answers import Target
from .judge import same

TRANSPOSED = "transposed"
# Every mistake of every question re-runs backward passes over the graph, so the work grows
# faster than the graph; it is done for graphs up to this many nodes (homework is a few
# dozen), and refused above rather than left to run for minutes.
MAX_GRAPH_NODES = 256


class TooLarge(InputError):
    """The problem is too large for its coverage to be worked out (the message says why)."""


def too_large(problem) -> str | None:
    """Why the coverage of ``problem`` is not worked out, or None when it is."""
    if problem.kind == "graph" and len(problem.graph.nodes) > MAX_GRAPH_NODES:
        return (f"what a problem detects is worked out for graphs of at most {MAX_GRAPH_NODES} nodes, "
                f"and this one has {len(problem.graph.nodes):,}")
    return None


@dataclass(frozen=True, slots=True)
class Row:
    question: str  # the question's id
    ask: str
    code: str  # the mistake's code (hwcheck mistakes lists them)
    sentence: str  # what the student did, as the diagnosis would say it
    value: Any  # the answer the mistake gives: a number, a shape, a count, or nested lists
    detected: bool  # outside the question's tolerance of the right answer

    @property
    def value_text(self) -> str:
        if isinstance(self.value, (list, float)):
            return fmt_value(np.asarray(self.value, dtype=float))
        return str(self.value)

    def to_json(self) -> dict:
        return {"question": self.question, "ask": self.ask, "code": self.code, "sentence": self.sentence,
                "value": self.value, "detected": self.detected}


def mistake_table(solution) -> list[Row]:
    """For each question and each typical mistake that applies to it: the value it gives
    and whether that value is outside the question's tolerance of the right answer.
    Raises :class:`TooLarge` for a graph of more than MAX_GRAPH_NODES nodes."""
    reason = too_large(solution.problem)
    if reason is not None:
        raise TooLarge.at(solution.problem.file, None, reason)
    return [row for q in solution.problem.questions for row in _question_rows(solution, q)]


def detected_among(solution, codes, first=()) -> dict[str, int]:
    """Which of ``codes`` some question detects — the same codes as the :func:`mistake_table`'s
    detected ones kept to ``codes`` — each with the index of the question found to catch it.
    Worked out question by question and only until every code is found, judging only the
    rows of codes not yet found: what the check of each student's variant needs
    (variants.py), where an accepted draw costs the questions up to the one that catches
    the last code, not the whole table.

    ``first``: the indices of the questions to try first (the rest follow in file order).
    The order changes the work, never which codes are found: a code left unfound is one
    that every question was tried for. Raises :class:`TooLarge` as mistake_table does."""
    reason = too_large(solution.problem)
    if reason is not None:
        raise TooLarge.at(solution.problem.file, None, reason)
    questions = solution.problem.questions
    wanted, caught = frozenset(codes), {}
    for index in dict.fromkeys([*first, *range(len(questions))]):
        left = wanted - caught.keys()
        if not left:
            break
        for row in _question_rows(solution, questions[index], left):
            if row.detected:
                caught.setdefault(row.code, index)
    return caught


def uncatchable(problem) -> set[str]:
    """The codes no question answered with a number can catch at the problem's values,
    known without solving it. Only one so far: where every ReLU gate is open (each input
    > 0, so its derivative is already 1 and the ReLU passes its input on unchanged),
    ignoring the gates — relu-gate-ignored — gives the right value on every such
    question. (A formula question judges its formula at other points too, where a gate
    may be closed: it can still catch the mistake.) A cheap first look for a variant's
    check: a draw whose every gate is open cannot catch a required relu-gate-ignored."""
    from ..graph.engine import args_of  # deliberate: only the problem's kind's modules load (start-up time)
    from ..graph.mistakes import INVITING_OPS  # deliberate: as above

    graph, values = problem.graph, problem.values
    gates = INVITING_OPS["relu-gate-ignored"]
    with np.errstate(invalid="ignore"):  # a NaN input is not open: the question is left to the full check
        if all(np.all(args_of(node, values)[0] > 0) for node in graph.nodes if node.op is not None and node.op.name in gates):
            return {"relu-gate-ignored"}
    return set()


def _question_rows(solution, question, codes: frozenset[str] | None = None) -> list[Row]:
    """The rows of one question; with ``codes``, only the rows of those mistakes (the others
    are not judged at all)."""
    kind = solution.problem.kind
    if kind == "graph":
        return _graph_rows(solution, question, codes)
    if kind == "architecture":
        return [row for row in _architecture_rows(solution, question) if codes is None or row.code in codes]
    return []


def undetected(solution, table: list[Row] | None = None) -> list[str]:
    """The codes of mistakes that apply to the problem but are caught on no question, in
    the order they first appear (``table``: a :func:`mistake_table` already worked out)."""
    rows = mistake_table(solution) if table is None else table
    caught = {r.code for r in rows if r.detected}
    return list(dict.fromkeys(r.code for r in rows if r.code not in caught))


# -- graph problems -----------------------------------------------------------------


def _graph_rows(solution, question, codes: frozenset[str] | None = None) -> list[Row]:
    if question.answer == "formula":
        return _formula_rows(solution, question, codes)
    from ..graph.ask import parse_ask  # deliberate: only the problem's kind's modules load (start-up time)
    from ..graph.mistakes import applicable_mistakes  # deliberate: only the problem's kind's modules load (start-up time)

    right = solution.expected(question.ask)
    target = Target.of(right.value, right.exact)
    rows = []
    for m in applicable_mistakes(solution, parse_ask(question.ask), codes):  # with codes, the others are not worked out
        value = np.asarray(m.value, dtype=float)
        if not np.all(np.isfinite(value)):
            continue  # a mistake that cannot be worked out here says nothing
        rows.append(_row(question, m.code, m.description, value, not _right(value, target, right, question)))
    if np.ndim(target.value) == 2 and (codes is None or TRANSPOSED in codes):  # the grader checks a transposed matrix on any answer
        value = np.asarray(target.value).T
        rows.append(_row(question, TRANSPOSED, "your matrix is the transpose of the right one", value,
                         not _right(value, target, right, question)))
    return rows


def _right(value: np.ndarray, target: Target, expected, question) -> bool:
    """Judged as the grader judges an answer: the right value, or an accepted alternative
    (another subgradient at a kink)."""
    answer = float(value) if value.ndim == 0 else value
    with np.errstate(over="ignore", invalid="ignore"):  # a huge wrong value is simply not close
        return any(same(answer, Target.of(v, target.exact), question.tolerance)
                   for v in (expected.value, *(a.value for a in expected.alternatives)))


def _formula_rows(solution, question, codes: frozenset[str] | None = None) -> list[Row]:
    """A wrong formula is caught when it differs from the right one, beyond the tolerance,
    at one of the points the formula is judged at; its value is shown at the problem's own."""
    from ..graph.formula import FormulaCheck  # deliberate: only formula questions pay for it

    expected = solution.expected(question.ask)
    check = FormulaCheck(solution, question, tuple(a.value for a in expected.alternatives))
    rows = []
    for c in check.candidates():
        if codes is not None and c.code not in codes:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            caught = any(not any(question.tolerance.allows(np.asarray(v, dtype=float), a) for a in p.accepted)
                         for v, p in zip(c.values, check.points))
        rows.append(_row(question, c.code, c.description, np.asarray(c.values[0], dtype=float), caught))
    return rows


# -- architecture problems ----------------------------------------------------------


def _architecture_rows(solution, question) -> list[Row]:
    """A counting mistake applies to a question when a layer it can change invites it (its
    type's ``mistakes``): a shape mistake in the asked layer or one before it, a mistake
    in a count in the asked layer (or any, for ``params``). The solver returns only the mistakes
    that change the asked value, so one that applies and is not returned gives the right
    value there."""
    from ..architecture.layers import LAYER_TYPES, LAYOUT_MISTAKES, MISTAKES  # deliberate: only the problem's kind's modules load (start-up time)
    from ..architecture.model import parse_ask  # deliberate: only the problem's kind's modules load (start-up time)
    from ..architecture.solve import SHAPE_MISTAKES  # deliberate: only the problem's kind's modules load (start-up time)

    problem = solution.problem
    what, name = parse_ask(question.ask, problem.layer_names)
    layers = problem.all_layers
    if name is not None:
        layers = layers[:next(i for i, layer in enumerate(layers) if layer.name == name) + 1]
    # A layout mistake (channels-last) is how the asked layer's own shape is written.
    invited = {code for spec in layers for code in LAYER_TYPES[spec.type].mistakes
               if (code in LAYOUT_MISTAKES and what == "shape" and spec.name == name)
               or (code not in LAYOUT_MISTAKES and (code in SHAPE_MISTAKES or (what == "params" and (name is None or spec.name == name))))}
    # A mistake after which the shapes no longer fit (a residual sum of two sizes) gives
    # no answer to compare: it is left out rather than called undetectable.
    invited = {code for code in invited if solution.mistake_runs(code)}
    right = solution.expected(question.ask).value
    found: dict[str, list] = {}
    for m in solution.mistakes(question.ask):
        if m.code in invited:
            found.setdefault(m.code, []).append(m)
    rows = []
    for code in MISTAKES:  # the catalogue's order
        if code in invited:
            for m in found.get(code) or [None]:
                value = right if m is None else m.value
                sentence = MISTAKES[code] if m is None else m.description
                rows.append(_row(question, code, sentence, value, value != right))
    return rows


def _row(question, code: str, sentence: str, value: Any, detected: bool) -> Row:
    plain = value.tolist() if isinstance(value, np.ndarray) else value
    return Row(question.id, question.ask, code, sentence, plain, bool(detected))
