"""Per-student variants (contract §11): a course secret and a student's name give that
student their own numbers, the same every time, on every machine.

How a name becomes numbers, exactly (so that anyone holding the secret can redo it):

1. The name is normalised as a person reads it: Unicode NFC, runs of white space made one
   space, ends stripped, case folded (``"  Ada   LOVELACE "`` is ``"ada lovelace"``).
2. ``seed = HMAC-SHA256(key = secret, message = problem id + "\\n" + name)``, both UTF-8.
   The variant's short id is the seed's first 8 hex digits; the secret is never shown.
3. Candidate ``k`` (0, 1, 2, ... up to :func:`draws_for`) gives the ``j``-th varied entry
   (the ``vary`` leaves in file order, a vector's or matrix's entries in row-major order)
   the value ``values[u mod len(values)]``, where ``u`` is the first 8 bytes, big-endian,
   of ``SHA-256(seed + k + j)`` (``k`` and ``j`` as 4 bytes big-endian each). Only hashlib
   and hmac are used, no random generator whose stream could change between versions.
4. The first candidate that is accepted is the student's variant.

A candidate is accepted when (:meth:`Variants.verdict`): every operation is defined at its
values and every gradient asked is finite; no kink (``Op.kink_at``: a ReLU's input, the
two sides of a max) lies within the tolerance of its value, where a student's rounding
could put it on the other side; every typical mistake that the file's own numbers detect
is still detected; and every mistake of ``require: {detect: [...]}`` is detected.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections import Counter
from dataclasses import replace

import numpy as np

from .common import Problem, Tolerance
from .errors import FaultList, InputError
from .grade.coverage import detected_among, mistake_table, uncatchable, undetected
from .graph.engine import NumericFault, args_of, backward, forward
from .graph.load import check_gradients_defined
from .graph.solve import solve_graph

SECRET_VARIABLE = "HWCHECK_SECRET"
MAX_DRAWS = 1_000  # candidates tried per student before giving up (each costs a solve)
# ... fewer for a big graph, so that giving up costs about as much as on a small one:
# each draw is a solve and the mistakes' backward passes, in time like the graph's size.
DRAW_WORK = 200_000  # draws × (nodes + values)
MIN_DRAWS = 20
ID_DIGITS = 8
VALIDATE_SECRET = "hwcheck validate"  # public: validate only checks that variants exist
VALIDATE_STUDENTS = tuple(f"student {i}" for i in range(1, 6))


def normalise_name(name: str) -> str:
    """The name as compared: NFC, white space collapsed and stripped, case folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def course_secret(option: str | None) -> str | None:
    """The secret given with --secret, else in the environment variable, else None."""
    secret = option if option is not None else os.environ.get(SECRET_VARIABLE)
    if secret is not None and not secret.strip():
        where = "--secret" if option is not None else SECRET_VARIABLE
        raise InputError.at(where, None, "the course secret is empty; give the secret the variants were made with")
    return secret


def varies(problem: Problem) -> bool:
    return bool(getattr(problem, "vary", ()))


def variant_seed(problem_id: str, student: str, secret: str) -> bytes:
    name = normalise_name(student)
    return hmac.new(secret.encode("utf-8"), f"{problem_id}\n{name}".encode("utf-8"), hashlib.sha256).digest()


def variant_id(seed: bytes) -> str:
    return seed.hex()[:ID_DIGITS]


def draw(problem, seed: bytes, k: int) -> dict[str, np.ndarray]:
    """Candidate ``k``'s value of every varied leaf (step 3 of the module docstring)."""
    leaves = problem.leaves()
    drawn, j = {}, 0
    for vary in problem.vary:
        shape = np.shape(leaves[vary.name])
        entries = []
        for _ in range(int(np.prod(shape, dtype=int))):
            digest = hashlib.sha256(seed + k.to_bytes(4, "big") + j.to_bytes(4, "big")).digest()
            entries.append(vary.values[int.from_bytes(digest[:8], "big") % len(vary.values)])
            j += 1
        drawn[vary.name] = np.array(entries, dtype=float).reshape(shape)
    return drawn


def with_leaves(problem, leaves: dict[str, np.ndarray], variant: str | None = None):
    """The problem with these leaf values, its forward and backward passes run again
    (a new object: the problem loaded from the file is left as it was). Raises NumericFault."""
    inputs = {n: leaves.get(n, v) for n, v in problem.inputs.items()}
    params = {n: leaves.get(n, v) for n, v in problem.params.items()}
    new = replace(problem, inputs=inputs, params=params, variant=variant)
    graph = new.graph
    values = forward(graph, new.leaves())
    edge_values: dict = {}
    grads = backward(graph, values, graph.index[new.output], record=edge_values)
    # the other steps whose gradients questions ask
    other = {step: backward(graph, values, graph.index[step]) for step in problem.other_grads}
    new = replace(new, values=values, grads=grads, edge_values=edge_values, other_grads=other)
    return new


def draws_for(problem) -> int:
    """How many draws a student is given: MAX_DRAWS, fewer for a big graph (at least MIN_DRAWS)."""
    graph = problem.graph
    return max(MIN_DRAWS, min(MAX_DRAWS, DRAW_WORK // (len(graph) + graph.elements)))


def loosest(problem) -> Tolerance:
    """The widest tolerance any question allows: a kink must be clear of it."""
    tolerances = [problem.tolerance, *(q.tolerance for q in problem.questions)]
    return Tolerance(max(t.rel for t in tolerances), max(t.abs for t in tolerances))


def kinks_too_close(problem, tolerance: Tolerance) -> list[str]:
    """Steps with a kink within the tolerance of its value: |kink_at| ≤ abs + rel·|operand|
    (for a tie of a and b, the larger of |a| and |b|)."""
    close = []
    for node in problem.graph.nodes:
        op = node.op
        if op is None or op.kink_at is None:
            continue
        args = args_of(node, problem.values)
        used = args[:2] if op.kink_is_tie else args[:1]
        scale = np.maximum.reduce([np.abs(a) for a in np.broadcast_arrays(*used)])
        if np.any(np.abs(op.kink_at(args)) <= tolerance.abs + tolerance.rel * scale):
            close.append(node.step or node.name)
    return close


def detected_codes(solution) -> tuple[set[str], set[str]]:
    """(the mistakes that apply to the problem, those that some question detects)."""
    table = mistake_table(solution)
    applies = {row.code for row in table}
    return applies, applies - set(undetected(solution, table))


def check_requirements_apply(problem, faults: FaultList) -> None:
    """A load fault for each ``require.detect`` code that cannot apply to this problem."""
    applies, _ = detected_codes(solve_graph(problem))
    for requirement in problem.require:
        if requirement.code not in applies:
            shown = ", ".join(sorted(applies)) or "none"
            faults.add(requirement.pos, f"require detect: '{requirement.code}' cannot apply to this problem (its operations do not "
                                        f"invite it); the mistakes that apply: {shown}")


class Variants:
    """Draws and accepts the variants of one problem under one secret. What does not depend
    on the draw is worked out once for the whole class: the baseline (what the file's own
    numbers detect), the codes each draw must detect, and which questions to try first."""

    def __init__(self, problem, secret: str):
        if not varies(problem):
            raise InputError.at(problem.file, None, "has no vary: section; every student has the file's own numbers")
        self.problem = problem
        self._secret = secret
        self.tolerance = loosest(problem)
        table = mistake_table(solve_graph(problem))
        self.baseline = {row.code for row in table if row.detected}
        self.required = [r.code for r in problem.require]
        self.needed = frozenset(self.baseline | set(self.required))
        self.formulas = any(q.answer == "formula" for q in problem.questions)
        # Which questions a draw's check tries first: at the start those where most of the
        # needed codes apply on the file's numbers, then those that have caught the most
        # codes first in the draws checked so far (so an accepted draw has them all caught
        # after a question or two). Only the work depends on this order, never the verdict.
        index = {q.id: i for i, q in enumerate(problem.questions)}
        applies = Counter(index[question] for question, _ in {(row.question, row.code) for row in table if row.code in self.needed})
        self._start = tuple(sorted(range(len(problem.questions)), key=lambda i: (-applies[i], i)))
        self._caught: Counter = Counter()  # question index → codes it was the first to catch
        # Why each rejected draw was rejected, by its values, on each pass: a small vary space
        # repeats its candidates, so an impossible `require` costs a verdict per distinct
        # variant and pass at most, for the whole class.
        self._rejected: dict[bool, dict[bytes, list[str]]] = {False: {}, True: {}}

    @property
    def first(self) -> tuple[int, ...]:
        return tuple(sorted(self._start, key=lambda i: -self._caught[i]))  # a stable sort: ties keep the start's order

    def verdict(self, candidate, every_reason: bool = True) -> tuple[object | None, list[str]]:
        """(the solution, []) when ``candidate`` (a problem with drawn leaves) is accepted,
        else (None, the reasons it is not). Without ``every_reason``, a draw that a cheap
        look at its values rules out (:func:`~hwcheck.grade.coverage.uncatchable`) is
        refused before it is solved, with that reason only: the same verdict, less said."""
        close = kinks_too_close(candidate, self.tolerance)
        if close:
            return None, [f"a kink within the tolerance at step '{step}'" for step in close]
        faults = FaultList(None)
        check_gradients_defined(candidate.questions, candidate, None, faults)
        if faults:
            return None, ["a gradient asked is undefined"]
        if not every_reason and not self.formulas:
            lost = self.needed & uncatchable(candidate)
            if lost:
                return None, self._reasons(lost)
        solution = solve_graph(candidate)
        detected = detected_among(solution, self.needed, self.first)
        self._caught.update(detected.values())
        if self.needed - detected.keys():
            return None, self._reasons(self.needed - detected.keys())
        return solution, []

    def _reasons(self, undetected) -> list[str]:
        missing = [f"'{code}' not detected (required)" for code in self.required if code in undetected]
        return missing + [f"'{code}' no longer detected" for code in sorted(self.baseline & undetected)]

    def solution_for(self, student: str):
        """The solution of ``student``'s variant; InputError when no draw is accepted."""
        if not normalise_name(student):
            raise InputError.at(self.problem.file, None, "a student's name is needed to choose their variant, and it is empty")
        seed = variant_seed(self.problem.id, student, self._secret)
        draws = draws_for(self.problem)
        # The draws are tried with the cheap look first; only when none is accepted are
        # they tried again in full, to say why each failed.
        for every_reason in (False, True):
            failures: Counter = Counter()
            rejected = self._rejected[every_reason]
            for k in range(draws):
                drawn = draw(self.problem, seed, k)
                key = b"".join(values.tobytes() for values in drawn.values())
                if key not in rejected:
                    try:
                        solution, reasons = self.verdict(with_leaves(self.problem, drawn, variant_id(seed)), every_reason)
                    except NumericFault as fault:
                        solution, reasons = None, [f"step '{fault.node.step}' outside its operation's domain"]
                    if solution is not None:
                        return solution
                    rejected[key] = reasons
                failures.update(rejected[key])
        worst = "; ".join(f"{reason} in {count:,}" for reason, count in failures.most_common(3))
        raise InputError.at(self.problem.file, self.problem.vary[0].pos,
                            f"no variant for student '{student}' in {draws:,} draws meets the requirements (most often failed, of "
                            f"{draws:,} draws: {worst}); widen the vary ranges or drop a requirement")

    def problem_for(self, student: str):
        return self.solution_for(student).problem


def variant_of(problem, student: str, secret: str):
    """``student``'s own problem (their numbers, no answers changed in the file): a new
    GraphProblem whose ``variant`` is the short id. For handouts and keys."""
    return Variants(problem, secret).problem_for(student)


def check_variants(problem) -> str:
    """For `hwcheck validate`: draw the variants of a few sample students under a public
    secret; one line saying so, or an InputError when one of them gets none."""
    variants = Variants(problem, VALIDATE_SECRET)
    for student in VALIDATE_STUDENTS:
        variants.solution_for(student)  # raises, saying which requirement failed most
    leaves = ", ".join(f"{v.name} ({len(v.values):,} values)" for v in problem.vary)
    required = f"; each detects {', '.join(variants.required)}" if variants.required else ""
    return f"variants: {len(VALIDATE_STUDENTS)} of {len(VALIDATE_STUDENTS)} sample students get one, drawn over {leaves}{required}"


def student_solution(problem, student: str, secret_option: str | None):
    """`hwcheck solve --student`: the solution of that student's variant."""
    if not varies(problem):
        raise InputError.at(problem.file, None, "has no vary: section, so every student has the file's own numbers; leave out --student")
    secret = course_secret(secret_option)
    if secret is None:
        raise InputError.at("--student", None, f"a student's variant is drawn with the course secret: set {SECRET_VARIABLE} or give --secret")
    return Variants(problem, secret).solution_for(student)
