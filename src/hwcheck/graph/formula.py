"""Formula answers (contract §10): a student's expression judged as a function.

A question with ``answer: formula`` takes an expression in the graph language over the
problem's names — ``x4 - y`` or ``softmax(x3) - y`` for T4's dL/dx3. No symbolic algebra
is needed: two functions of the leaves that agree at the problem's values and at many
random redraws of the leaves are taken to be equal (the Schwartz–Zippel idea, used by
PrairieLearn's symbolic questions too). At every redraw the engine recomputes the truth —
the same graph, forward and backward, with new leaf values — and the student's formula is
evaluated by the same engine, on a small graph whose leaves are the problem's names.

Redraws are seeded from the problem id and the question id, so a formula gets the same
verdict on every run and every machine. Each leaf is redrawn by what it is:

- a one-hot label (0/1 rows summing to 1) stays one-hot, with a random class per row;
- a probability vector (non-negative rows summing to 1) stays one: positive where it was;
- anything else is perturbed normally at its own scale, ``v + |v|·z`` (an element that is
  0 uses the leaf's root-mean-square, or 1).

A redraw whose truth is undefined (a log of a negative number, a division by zero) is
drawn again keeping every leaf's sign pattern (``v·e^(z/2)``), so values that must stay
positive do; a redraw that lands exactly on a kink (a ReLU input of 0) is drawn again too.
Draws are bounded (:data:`ATTEMPTS` per redraw); whatever was found is used, and the
problem's own values always count.

Typical wrong formulas are named generically, as the numeric mistakes are, by evaluating
candidates at the same points: the sign flipped, the value of a node instead of the
gradient, the gradient with respect to a node further up (stopped early), one operation's
local derivative alone, a ReLU gate ignored; and, as for numbers, one local derivative done
wrong as its operation invites it (mistakes.local_rules: y − p at the logits among them,
under a batch mean too) and the 1/N of a batch mean left out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from ..common import Question, Tolerance
from ..errors import HwcheckError, did_you_mean
from ..numbers import fmt_value
from ..solution import Mistake
from . import expr as E
from .ask import GraphAsk, parse_ask
from .build import BuildError, Graph, Node, add_step
from .engine import NumericFault, args_of, backward, forward, kinks
from .mistakes import _pass_through, local_rules, wrong_gradient
from .ops import FUNCTIONS, unbroadcast
from .paths import nodes_between
from .tensor_mistakes import TENSOR_MISTAKES, batch_means, batch_size

REDRAWS = 16  # random points besides the problem's own values
ATTEMPTS = 8  # draws tried per point before giving it up
MAX_DIAGONAL = 144  # a non-element-wise local Jacobian's diagonal is worked out up to this size
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Spellings a student may use for relu's derivative, replaced by a text of the same length
# so that columns in messages stay those of what was written.
_SPELLINGS = re.compile(r"\brelu'")
_ANSWER = "(formula)"  # the formula graph's root: not a name a problem can use


class FormulaUnreadable(HwcheckError):
    """A formula that cannot be read: the reason, at a 0-based column of the text."""

    def __init__(self, text: str, message: str, column: int | None):
        super().__init__(message)
        self.text = text
        self.column = column  # of the formula's text, not of a file: the grader says where the answer is


@dataclass(frozen=True)
class Formula:
    """A student's formula as written, and the graph that evaluates it."""

    text: str
    graph: Graph = field(compare=False, repr=False)


@dataclass(frozen=True)
class Point:
    """One set of leaf values: every node's value there, and the right answer."""

    values: list
    truth: np.ndarray
    accepted: tuple  # the truth, and at the problem's own kinks the other valid subgradients


@dataclass(frozen=True)
class FormulaVerdict:
    correct: bool
    note: str | None = None  # another subgradient accepted at a kink
    problem: str | None = None  # why it is wrong when no mistake explains it
    mistakes: tuple[Mistake, ...] = ()


@dataclass(frozen=True)
class _Candidate:
    code: str
    description: str
    values: tuple  # one array per point


def read_formula(raw, names: list[str], shapes: dict[str, tuple] | None = None) -> Formula:
    """Parse a formula over ``names`` (of ``shapes``, scalars where not given: the builder
    checks the shapes as it goes); raises FormulaUnreadable with the column of the fault."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        what = "a list" if isinstance(raw, (list, tuple)) else "that"
        raise FormulaUnreadable(str(raw), f"a formula is one expression in the problem's language, such as 2 * x - y, not {what}", None)
    text = raw.strip() if isinstance(raw, str) else repr(raw)
    try:
        tree = E.parse_expression(_SPELLINGS.sub("step ", text), FUNCTIONS)
        known = set(names)
        for node in E.walk(tree):  # the names first, for a message that says which names there are
            if isinstance(node, E.Name) and node.name not in known:
                raise BuildError(f"unknown name '{node.name}'{did_you_mean(node.name, names)}; use the problem's names: {', '.join(names)}", node.column)
        graph = Graph()
        for name in names:
            graph.add(Node(0, name, "input", shape=(shapes or {}).get(name, ())))
        root = E.to_text(tree)  # faults then name the formula, not a made-up node
        add_step(graph, _ANSWER if root in graph.index else root, tree, None)
    except (E.ExprError, BuildError) as exc:
        raise FormulaUnreadable(text, exc.message, exc.column) from None
    return Formula(text, graph)



def user_names(graph: Graph) -> list[str]:
    """The names a formula may use: leaves and steps, in the order of the graph."""
    return [node.name for node in graph.nodes if node.role != "sub" and _NAME.fullmatch(node.name)]


class FormulaCheck:
    """Everything needed to judge formulas for one question, worked out once per run."""

    def __init__(self, solution, question: Question, alternatives=()):
        self.solution = solution
        self.problem = solution.problem
        self.question = question
        self.ask: GraphAsk = parse_ask(question.ask)
        self.names = user_names(self.problem.graph)
        graph = self.problem.graph
        self.target = graph.index[self.ask.name]
        self.start = graph.index[self.ask.output] if self.ask.is_gradient else None
        own = self._point(self.problem.values)
        if own is None:  # the load checked the problem's values: this cannot fail
            raise ValueError(f"question {question.id}: the right answer is not defined at the problem's values")
        self.points = [Point(own.values, own.truth, (own.truth, *alternatives))] + self._redraws()
        self._verdicts: dict[str, FormulaVerdict] = {}
        self._candidates: list[_Candidate] | None = None

    @property
    def what(self) -> str:
        """The asked quantity as a student writes it: dL/dx3, or x4."""
        return f"d{self.ask.output}/d{self.ask.name}" if self.ask.is_gradient else self.ask.name

    def read(self, raw) -> Formula:
        return read_formula(raw, self.names, {node.name: node.shape for node in self.problem.graph.nodes})

    # -- the points -------------------------------------------------------------------
    def _point(self, values: list) -> Point | None:
        try:
            if self.start is None:
                truth = values[self.target]
            else:
                truth = backward(self.problem.graph, values, self.start)[self.target]
        except NumericFault:
            return None
        truth = np.asarray(truth, dtype=float)
        if not np.all(np.isfinite(truth)):
            return None
        return Point(values, truth, (truth,))

    def _redraws(self) -> list[Point]:
        problem = self.problem
        graph = problem.graph
        leaves = problem.leaves()
        kinds = {name: _leaf_kind(value) for name, value in leaves.items()}
        rng = np.random.default_rng(_seed(problem.id, self.question.id))
        points = []
        for _ in range(REDRAWS):
            for attempt in range(ATTEMPTS):
                keep_signs = attempt % 2 == 1  # a free draw first; then one that keeps each sign
                drawn = {name: _redraw(value, kinds[name], rng, keep_signs) for name, value in leaves.items()}
                try:
                    values = forward(graph, drawn)
                except NumericFault:
                    continue
                if kinks(graph, values):
                    continue
                point = self._point(values)
                if point is not None:
                    points.append(point)
                    break
        return points

    # -- evaluating formulas ----------------------------------------------------------
    def evaluate(self, formula: Formula, point: Point) -> np.ndarray:
        """The formula's value at one point; raises NumericFault where it is undefined."""
        graph = self.problem.graph
        leaves = {name: point.values[graph.index[name]] for name in self.names}
        return forward(formula.graph, leaves)[-1]

    def judge(self, formula: Formula) -> FormulaVerdict:
        verdict = self._verdicts.get(formula.text)
        if verdict is None:
            verdict = self._judge(formula)
            if len(self._verdicts) < 10_000:
                self._verdicts[formula.text] = verdict
        return verdict

    def _judge(self, formula: Formula) -> FormulaVerdict:
        tolerance = self.question.tolerance
        got = []
        for number, point in enumerate(self.points):
            try:
                value = np.asarray(self.evaluate(formula, point), dtype=float)
            except NumericFault as fault:
                where = "at the problem's values" if number == 0 else f"at another draw of the leaves ({self._leaves_text(point)})"
                return FormulaVerdict(False, problem=f"your formula is not defined {where}: {fault.message}")
            if not _fits(value, point.truth):
                return FormulaVerdict(False, problem=f"your formula gives {_shape_text(value)}, and {self.what} is {_shape_text(point.truth)}")
            got.append(value)
        own = self.points[0]
        right_here = [k for k, accepted in enumerate(own.accepted) if _close(got[0], accepted, tolerance)]
        everywhere = all(_close(v, p.truth, tolerance) for v, p in zip(got[1:], self.points[1:]))
        if right_here and everywhere:
            note = None if right_here[0] == 0 else "another valid subgradient at a kink of the problem's values"
            return FormulaVerdict(True, note=note)
        # One per code: two candidates of one code are one slip told two ways (dL/da and
        # dL/de for e = a − y); the one nearer the formula is named, in the first one's place.
        best: dict[str, tuple[float, _Candidate]] = {}
        for c in self.candidates():
            if all(_close(v, cv, tolerance) for v, cv in zip(got, c.values)):
                misfit = max(tolerance.misfit(v, cv) for v, cv in zip(got, c.values))
                if c.code not in best or misfit < best[c.code][0]:
                    best[c.code] = (misfit, c)
        found = tuple(Mistake(c.code, c.description, c.values[0]) for _, c in best.values())
        if found:
            return FormulaVerdict(False, mistakes=found)
        if right_here:
            k = next(k for k, (v, p) in enumerate(zip(got, self.points)) if k > 0 and not _close(v, p.truth, tolerance))
            point = self.points[k]
            return FormulaVerdict(False, mistakes=(Mistake(
                "formula-only-at-values",
                f"right at the problem's values, but not as a function: at another draw of the leaves "
                f"({self._leaves_text(point)}) it gives {fmt_value(got[k])} where {self.what} is {fmt_value(point.truth)}",
                got[0],
            ),))
        return FormulaVerdict(False)

    def _leaves_text(self, point: Point, shown: int = 4) -> str:
        graph = self.problem.graph
        names = list(self.problem.leaves())
        parts = [f"{name} = {fmt_value(point.values[graph.index[name]], 3)}" for name in names[:shown]]
        return ", ".join(parts) + (", ..." if len(names) > shown else "")

    # -- the typical wrong formulas ---------------------------------------------------
    def candidates(self) -> list[_Candidate]:
        """Typical wrong formulas, each as its values at every point; worked out once."""
        if self._candidates is None:
            found = _gradient_candidates(self) if self.start is not None else [_negated(self)]
            tolerance = Tolerance(0.0, 1e-12)
            self._candidates = [
                c for c in found
                if len(c.values) == len(self.points)
                and not all(_close(v, p.truth, tolerance) for v, p in zip(c.values, self.points))
            ]
        return self._candidates


# Every code a formula answer can be diagnosed with → what the student did (the catalogue,
# `hwcheck mistakes`; a test checks each code produced here is listed).
FORMULA_MISTAKES = {
    "sign-error": "the sign is flipped",
    "y-minus-p": "wrote y − p for the gradient at the logits, not p − y",
    "missing-batch-mean": TENSOR_MISTAKES["missing-batch-mean"],
    "formula-value-not-gradient": "wrote the value of a node of the graph where its gradient belongs",
    "formula-stopped-early": "stopped the chain rule at a node between the output and the asked one",
    "formula-local-derivative": "wrote one operation's local derivative without the upstream gradient",
    "relu-gate-ignored": "ignored a ReLU gate (derivative 1 where it is 0)",
    "derivative-forgotten": "left out an activation's derivative (took it as 1)",
    "derivative-confused": "used the activation itself where its derivative belongs (σ′ taken as σ)",
    "tanh-one-minus": "took tanh′ as 1 − tanh instead of 1 − tanh²",
    "square-factor": "dropped the 2 of a square's derivative, or left out the ½ of ½·(…)²",
    "missing-transpose": "wrote A @ G where Aᵀ @ G belongs (or G @ B for G @ Bᵀ) in a matrix product's gradient",
    "formula-only-at-values": "a formula right at the problem's values but not as a function of the leaves",
}


def _negated(check: FormulaCheck) -> _Candidate:
    return _Candidate("sign-error", f"the sign is flipped: your formula is −({check.what})", tuple(-p.truth for p in check.points))


def _gradient_candidates(check: FormulaCheck) -> list[_Candidate]:
    problem, graph = check.problem, check.problem.graph
    start, target, what = check.start, check.target, check.what
    out = graph.nodes[start].name
    found = [_negated(check)]
    shape = np.shape(check.points[0].truth)
    # The value of a node where its gradient belongs.
    for name in check.names:
        index = graph.index[name]
        if np.shape(problem.values[index]) == shape:
            found.append(_Candidate(
                "formula-value-not-gradient",
                f"that is {name}{_defined(problem, name)} (a value of the graph), not the gradient {what}",
                tuple(p.values[index] for p in check.points),
            ))
    between = [i for i in nodes_between(graph, start, target) if i not in (start, target)]
    grads = [_backward(graph, p.values, start) for p in check.points]
    # The gradient with respect to a node further up: the chain rule stopped early.
    for i in between:
        if all(g is not None for g in grads) and np.shape(grads[0][i]) == shape:
            name = graph.nodes[i].name
            found.append(_Candidate(
                "formula-stopped-early",
                f"that is d{out}/d{name}, the gradient with respect to {name}: you stopped at {name}; carry the chain rule on to {graph.nodes[target].name}",
                tuple(g[i] for g in grads),
            ))
    # One operation's local derivative alone, without the upstream gradient.
    for consumer, k in graph.consumers[target]:
        if consumer in between:
            values = [_diagonal(graph, p.values, consumer, k) for p in check.points]
            if all(v is not None and np.shape(v) == shape for v in values):
                node = graph.nodes[consumer]
                jacobian = "" if node.op.elementwise else " (the diagonal of its Jacobian)"
                found.append(_Candidate(
                    "formula-local-derivative",
                    f"that is only the local derivative ∂{node.name}/∂{graph.nodes[target].name} of {node.name}{_defined(problem, node.name)}{jacobian}; "
                    f"multiply it by the upstream gradient d{out}/d{node.name} (chain rule)",
                    tuple(values),
                ))
    # One local derivative done wrong as its operation invites (graph/mistakes.py: a
    # derivative left out or confused with the activation, tanh′ as 1 − tanh, a square's 2,
    # y − p at the logits of a softmax cross-entropy, wherever it is in the loss).
    on_paths = nodes_between(graph, start, target)
    for i in on_paths:
        if graph.nodes[i].op is None:
            continue
        for code, text, rule in local_rules(graph, problem.values, i):
            wrong = [wrong_gradient(graph, p.values, start, target, i, rule, g) for p, g in zip(check.points, grads)]
            if all(g is not None for g in wrong):
                found.append(_Candidate(code, text, tuple(wrong)))
    # The 1/N of a mean over the batch left out (tensor_mistakes.py): that step's local
    # derivative N times too large, so a loss that is the batch mean gives N times the gradient.
    n = batch_size(problem)
    for i in batch_means(problem, n) if n is not None else ():
        if i in on_paths:
            node = graph.nodes[i]
            rule = lambda g, a, o, vjp=node.op.vjp: tuple(n * np.asarray(d) for d in vjp(g, a, o))  # noqa: E731
            wrong = [wrong_gradient(graph, p.values, start, target, i, rule) for p in check.points]
            if all(g is not None for g in wrong):
                found.append(_Candidate("missing-batch-mean", f"you left out the 1/{n} of the mean over the batch of {n} examples in {node.step or node.name}", tuple(wrong)))
    # A ReLU gate ignored: its derivative taken as 1 where its input is ≤ 0.
    gates = {i: _pass_through for i in on_paths if graph.nodes[i].op is not None and graph.nodes[i].op.name in ("relu", "leaky_relu")}
    if gates:
        passed = [_backward(graph, p.values, start, gates) for p in check.points]
        if all(g is not None for g in passed):
            names = ", ".join(graph.nodes[i].name for i in gates)
            found.append(_Candidate(
                "relu-gate-ignored",
                f"the ReLU gate of {names} was ignored: its derivative is 0 where its input is ≤ 0, not 1 (write step(...) for it)",
                tuple(g[target] for g in passed),
            ))
    return found


def _defined(problem, name: str) -> str:
    return f" = {problem.steps[name]}" if name in problem.steps else ""


def _backward(graph: Graph, values: list, start: int, rules=None) -> list | None:
    try:
        return backward(graph, values, start, rules)
    except NumericFault:
        return None


def _diagonal(graph: Graph, values: list, consumer: int, k: int) -> np.ndarray | None:
    """∂consumer_i/∂operand_i for every i: the local derivative as a student writes it
    alone (for softmax, p ⊙ (1 − p), the diagonal of its Jacobian)."""
    node = graph.nodes[consumer]
    args = args_of(node, values)
    out = values[consumer]
    if np.shape(out) != np.shape(args[k]):
        return None
    with np.errstate(all="ignore"):
        if node.op.elementwise:
            local = node.op.vjp(np.ones_like(out), args, out)[k]
            return unbroadcast(np.asarray(local, dtype=float), np.shape(args[k]))
        size = int(np.size(out))
        if size > MAX_DIAGONAL:
            return None
        diagonal = np.empty(size)
        for i in range(size):  # row i of the Jacobian is the vector–Jacobian product with eᵢ
            unit = np.zeros(size)
            unit[i] = 1.0
            local = node.op.vjp(unit.reshape(np.shape(out)), args, out)[k]
            diagonal[i] = np.ravel(unbroadcast(np.asarray(local, dtype=float), np.shape(args[k])))[i]
    return diagonal.reshape(np.shape(out))


# -- helpers ----------------------------------------------------------------------------


def _seed(problem_id: str, question_id: str) -> int:
    digest = hashlib.sha256(f"{problem_id}\n{question_id}\nformula".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _leaf_kind(value: np.ndarray) -> str:
    value = np.asarray(value, dtype=float)
    if value.ndim >= 1 and value.shape[-1] >= 2 and np.all(value >= 0) and np.allclose(value.sum(axis=-1), 1.0, rtol=0, atol=1e-9):
        return "onehot" if np.all((value == 0) | (value == 1)) else "distribution"
    return "free"


def _redraw(value: np.ndarray, kind: str, rng: np.random.Generator, keep_signs: bool) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    z = rng.standard_normal(value.shape)
    if kind == "onehot":
        rows = value.reshape(-1, value.shape[-1])
        drawn = np.zeros_like(rows)
        drawn[np.arange(len(rows)), rng.integers(0, rows.shape[1], size=len(rows))] = 1.0
        return drawn.reshape(value.shape)
    if kind == "distribution":
        weights = np.where(value > 0, np.exp(z), 0.0)
        return weights / np.sum(weights, axis=-1, keepdims=True)
    rms = float(np.sqrt(np.mean(value**2))) or 1.0
    scale = np.where(value != 0, np.abs(value), rms)
    if keep_signs:
        return np.where(value != 0, value * np.exp(z / 2), scale * z)
    return value + scale * z


def _fits(value: np.ndarray, truth: np.ndarray) -> bool:
    """A formula's value may be a scalar for a tensor answer that is the same everywhere
    (`1` for a gradient of ones), as broadcasting allows; otherwise the shapes match."""
    try:
        return np.broadcast_shapes(np.shape(value), np.shape(truth)) == np.shape(truth)
    except ValueError:
        return False


def _close(value, truth, tolerance: Tolerance) -> bool:
    return tolerance.allows(np.broadcast_to(value, np.shape(truth)), truth)


def _shape_text(value) -> str:
    shape = np.shape(value)
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return "an array of shape " + "×".join(map(str, shape))
