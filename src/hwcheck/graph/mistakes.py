"""The typical mistakes of a hand-worked backward pass, generated from the problem itself.

Nothing here is listed per problem: each mistake is the real computation re-run with one
thing done the way students get it wrong — a path left out, a ReLU gate ignored, the
wrong factor of a product, a sign flipped, the pre-activation used for the activation,
one path taken instead of their sum, y − p instead of p − y — or with the student's own
earlier answers put in, to recognise an error carried forward. The grader compares a
wrong answer with each mistake's value and names every one that matches.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..numbers import NotANumber, fmt_value, parse_number
from ..solution import Mistake, pick
from .ask import GraphAsk, parse_ask
from .build import evaluate
from .engine import NumericFault, args_of, backward, forward, fused_logits, softmax_ce_gradient
from .ops import OPS, DomainError
from .paths import count_paths, list_paths, nodes_between
from .tensor_mistakes import TENSOR_MISTAKES, tensor_mistakes

MAX_PATHS_FOR_MISTAKES = 16  # "left out one path" is tried path by path up to this many
# Mistakes in one local derivative re-run the backward pass once per operation on the paths,
# so they are tried when the paths hold at most this many operations (homework sizes).
MAX_NODES_FOR_EDGE_MISTAKES = 200
# From the registry: the operations that invite each mistake (Op.mistakes).
_ACTIVATIONS = tuple(op.name for op in OPS.values() if "derivative-confused" in op.mistakes)
_GATES = tuple(op.name for op in OPS.values() if "derivative-forgotten" in op.mistakes and op.kink_at is not None)  # relu, leaky_relu

# The operations that invite a code, for the catalogue (`hwcheck mistakes`), from the registry.
INVITING_OPS = {"relu-gate-ignored": _GATES, "pre-activation": _ACTIVATIONS}

# The catalogue of a graph's mistake codes, code → what the student did (for `deduct:` in
# a problem file and for the docs); a test checks every code produced here is listed.
MISTAKES = {
    "sign-error": "the sign is flipped",
    "missing-path": "left out one chain-rule path",
    "one-path-only": "took one path instead of the sum over all paths",
    "relu-gate-ignored": "ignored a ReLU gate (derivative 1 where it is 0)",
    "wrong-factor": "took the wrong factor in the local derivative of a product",
    "pre-activation": "used the pre-activation where the activation belongs",
    "y-minus-p": "wrote y − p for the gradient at the logits, not p − y",
    "carried-forward": "an error carried forward from the student's own earlier answers",
    **TENSOR_MISTAKES,
}


def graph_mistakes(solution, ask: GraphAsk, answers: Mapping[str, Any]) -> list[Mistake]:
    found = applicable_mistakes(solution, ask)
    carried = _carried_forward(solution, ask, answers)
    if carried is not None:
        found.append(carried)
    right = pick(solution.expected(_ask_text(ask)).value, None)
    return _distinct(found, right)


def applicable_mistakes(solution, ask: GraphAsk) -> list[Mistake]:
    """Every typical mistake that applies to ``ask``, with the value it gives — also those
    that give the right value anyway (a ReLU gate ignored where every gate is open), which
    grading drops and coverage (grade/coverage.py) reports as undetectable. Errors carried
    forward are not here: they need a student's own answers."""
    # Memoised by the solution itself (one grading asks the same question of many sheets).
    whole = solution.memo(("mistakes", ask.name, ask.output),
                          lambda: (_gradient_mistakes(solution, ask) if ask.is_gradient else _value_mistakes(solution, ask)) + tensor_mistakes(solution, ask))
    silent = solution.memo(("silent mistakes", ask.name, ask.output), lambda: _open_gates(solution, ask))
    return [Mistake(m.code, m.description, pick(m.value, ask.index)) for m in whole + silent]


def _open_gates(solution, ask: GraphAsk) -> list[Mistake]:
    """relu-gate-ignored where it applies but changes nothing: the gradient passes through
    ReLUs that are all open (input > 0), so ignoring their gate gives the right value.
    (Where a gate is closed, _gradient_mistakes has the mistake with its wrong value.)"""
    if not ask.is_gradient:
        return []  # the forward pass's gate left out is always tried (_value_mistakes)
    graph, values = solution.problem.graph, solution.problem.values
    gates = [i for i in nodes_between(graph, graph.index[ask.output], graph.index[ask.name])
             if graph.nodes[i].op is not None and graph.nodes[i].op.name in _GATES]
    if not gates or any(np.any(args_of(graph.nodes[i], values)[0] <= 0) for i in gates):
        return []
    names = ", ".join(graph.nodes[i].name for i in gates)
    right = solution.gradients_of(ask.output)[graph.index[ask.name]]
    return [Mistake("relu-gate-ignored", f"the ReLU gate of {names} was ignored: its derivative is 0 where its input is ≤ 0, not 1", right)]


def _ask_text(ask: GraphAsk) -> str:
    base = f"d{ask.output}/d{ask.name}" if ask.is_gradient else ask.name
    return base + (f"[{','.join(map(str, ask.index))}]" if ask.index is not None else "")


def _distinct(mistakes: list[Mistake], right) -> list[Mistake]:
    """Drop mistakes that give the right answer anyway, and exact repeats."""
    kept, seen = [], set()
    for m in mistakes:
        value = np.asarray(m.value, dtype=float)
        if value.shape != np.shape(right) or not np.all(np.isfinite(value)):
            continue
        if np.allclose(value, right, rtol=1e-12, atol=1e-15):
            continue
        if (m.code, m.description) in seen:
            continue
        seen.add((m.code, m.description))
        kept.append(m)
    return kept


# -- forward values -----------------------------------------------------------------


def _value_mistakes(solution, ask: GraphAsk) -> list[Mistake]:
    problem = solution.problem
    graph, values = problem.graph, problem.values
    index = graph.index[ask.name]
    found = [Mistake("sign-error", "the sign is flipped", -values[index])]
    # The gate left out: relu(a) taken as a.
    if any(n.op is not None and n.op.name in _GATES for n in graph.nodes[: index + 1]):
        try:
            found.append(Mistake("relu-gate-ignored", "a ReLU was left out in the forward pass (its input was passed on unchanged)", _without_gates(graph, problem.leaves(), index)))
        except DomainError:
            pass
    return found


def _without_gates(graph, leaves, stop: int) -> np.ndarray:
    """The value of node `stop` when every ReLU is replaced by the identity."""
    values: list = [None] * (stop + 1)
    for node in graph.nodes[: stop + 1]:
        if node.is_leaf:
            values[node.index] = leaves[node.name]
        elif node.op.name in _GATES:
            values[node.index] = args_of(node, values)[0]
        else:
            values[node.index] = evaluate(node, values)
    return values[stop]


# -- gradients ----------------------------------------------------------------------


def _gradient_mistakes(solution, ask: GraphAsk) -> list[Mistake]:
    problem = solution.problem
    graph, values = problem.graph, problem.values
    start, target = graph.index[ask.output], graph.index[ask.name]
    right = solution.gradients_of(ask.output)[target]
    found = [Mistake("sign-error", "the sign is flipped", -right)]
    found += _path_mistakes(solution, start, target, right)
    on_paths = nodes_between(graph, start, target)

    def rerun(rules=None, seed_at=None, seed=None):
        """The gradient at the target with one thing done wrong (None if it blows up)."""
        try:
            return backward(graph, values, start if seed_at is None else seed_at, rules, seed=seed)[target]
        except NumericFault:
            return None

    # A ReLU gate ignored: its local derivative taken as 1 even where its input is ≤ 0.
    gates = {i: _pass_through for i in on_paths if graph.nodes[i].op is not None and graph.nodes[i].op.name in _GATES}
    closed = [graph.nodes[i].name for i in gates if np.any(args_of(graph.nodes[i], values)[0] <= 0)]
    if closed:
        value = rerun(gates)
        if value is not None:
            found.append(Mistake("relu-gate-ignored", f"the ReLU gate of {', '.join(closed)} was ignored: its derivative is 0 where its input is ≤ 0, not 1", value))

    for i in on_paths if len(on_paths) <= MAX_NODES_FOR_EDGE_MISTAKES else ():
        node = graph.nodes[i]
        if node.op is None:
            continue
        names = [graph.operand_name(o) for o in node.operands]
        if node.op.name == "mul" and all(isinstance(o, int) for o in node.operands):
            value = rerun({i: _wrong_factor})
            if value is not None:
                found.append(Mistake(
                    "wrong-factor",
                    f"in the local derivative of {node.name} you took the wrong factor (∂/∂{names[0]} is {names[1]}, and ∂/∂{names[1]} is {names[0]})",
                    value,
                ))
        for k, operand in enumerate(node.operands):
            if isinstance(operand, int) and _is_activation(graph.nodes[operand]) and node.op.name in ("mul", "matmul", "dot"):
                activation = graph.nodes[operand]
                pre = activation.operands[0]
                if not isinstance(pre, int):
                    continue
                swapped = list(values)
                swapped[operand] = values[pre]
                value = rerun({i: _with_values(node, swapped)})
                if value is not None:
                    found.append(Mistake(
                        "pre-activation",
                        # Names only: the values are other questions' answers (a step's value
                        # is asked by default), which feedback never shows.
                        f"in the local derivative of {node.name} you used the pre-activation {graph.nodes[pre].name} where the activation {activation.name} belongs",
                        value,
                    ))
        logits = fused_logits(graph, node)
        if logits is not None:
            p, y = values[node.operands[0]], args_of(node, values)[1]
            upstream = solution.gradients_of(ask.output)[i]
            value = rerun(seed_at=logits, seed=-upstream * softmax_ce_gradient(p, y))
            if value is not None:
                found.append(Mistake("y-minus-p", f"the gradient of the loss with respect to the logits {graph.nodes[logits].name} is p - y, not y - p", value))
    return found


def _path_mistakes(solution, start, target, right) -> list[Mistake]:
    graph = solution.problem.graph
    counts = solution.path_counts if start == graph.index[solution.problem.output] else count_paths(graph, start)
    if not 2 <= counts[target] <= MAX_PATHS_FOR_MISTAKES:
        return []
    paths = [solution.chain_path(edges, start) for edges in list_paths(graph, start, target, counts)]
    shortest = min(len(p.nodes) for p in paths)
    found = []
    for path in paths:
        route = " → ".join(path.nodes)
        skip = " (the skip connection)" if len(path.nodes) == shortest and any(len(p.nodes) > shortest for p in paths) else ""
        found.append(Mistake("missing-path", f"you left out the path {route}{skip}; the gradient is the sum over all {len(paths)} paths", right - path.value))
        if len(paths) >= 3:
            found.append(Mistake("one-path-only", f"you took only the path {route} instead of summing all {len(paths)} paths", path.value))
    return found


def _is_activation(node) -> bool:
    return node.op is not None and node.op.name in _ACTIVATIONS


def _pass_through(g, args, out):
    return (g,) + tuple(np.zeros_like(a) for a in args[1:])


def _wrong_factor(g, args, out):
    return g * args[0], g * args[1]


def _with_values(node, values):
    def rule(g, args, out):
        return node.op.vjp(g, args_of(node, values), out)

    return rule


# -- errors carried forward ---------------------------------------------------------


def _carried_forward(solution, ask: GraphAsk, answers: Mapping[str, Any]) -> Mistake | None:
    """The answer this ask would have if the student's own earlier answers were right."""
    problem = solution.problem
    graph = problem.graph
    value_overrides, grad_overrides, used = {}, {}, []
    for text, answer in answers.items():
        other = parse_ask(str(text))
        if other is None or other.index is not None or other.name not in graph.index or _ask_text(other) == _ask_text(ask):
            continue
        index = graph.index[other.name]
        try:
            given = _as_array(answer)
        except (NotANumber, ValueError):
            continue
        truth = solution.gradients_of(other.output)[index] if other.is_gradient else problem.values[index]
        if given.shape != np.shape(truth) or np.array_equal(given, truth):
            continue  # the grader passes the answers it judged wrong; a right value carries nothing
        if other.is_gradient and other.output == ask.output and ask.is_gradient:
            grad_overrides[index] = given
            used.append(f"{text} = {fmt_value(given)}")
        elif not other.is_gradient and index < graph.index[ask.name if not ask.is_gradient else ask.output] + 1:
            value_overrides[index] = given
            used.append(f"{text} = {fmt_value(given)}")
    if not used:
        return None
    try:
        values = forward(graph, problem.leaves(), value_overrides) if value_overrides else problem.values
        if ask.is_gradient:
            result = backward(graph, values, graph.index[ask.output], overrides=grad_overrides)[graph.index[ask.name]]
        else:
            result = values[graph.index[ask.name]]
    except NumericFault:
        return None
    return Mistake("carried-forward", f"consistent with your own earlier answer{'s' if len(used) > 1 else ''} ({'; '.join(used)}): the error is carried forward, the method here is right", pick(result, ask.index))


def _as_array(answer) -> np.ndarray:
    if isinstance(answer, list):
        return np.array([_as_array(a) for a in answer], dtype=float)
    return np.asarray(parse_number(answer), dtype=float)
