"""The typical mistakes of a hand-worked backward pass, generated from the problem itself.

Nothing here is listed per problem: each mistake is the real computation re-run with one
thing done the way students get it wrong — a path left out, a ReLU gate ignored, the
wrong factor of a product, a sign flipped, the pre-activation used for the activation,
one path taken instead of their sum, y − p instead of p − y — or with the student's own
earlier answers put in, to recognise an error carried forward. The grader compares a
wrong answer with each mistake's value and names every one that matches.

A mistake in one local derivative is not re-run: its effect is read off one forward-mode
pass (response.py), so every step is tried at a cost linear in the graph. Every sentence
says only what is true of this graph (docs/grading.md, "What a diagnosis claims").
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..numbers import NotANumber, fmt_value, parse_number
from ..solution import Mistake, pick
from .ask import GraphAsk, parse_ask
from .build import evaluate
from .engine import NumericFault, args_of, backward, forward, fused_vjp, path_value
from .ops import OPS, DomainError, class_targets
from .paths import count_paths, list_paths, nodes_between
from .response import MAX_RERUNS, Response
from .tensor_mistakes import TENSOR_MISTAKES, tensor_mistakes

MAX_PATHS_FOR_MISTAKES = 16  # "left out one path" is tried path by path up to this many
CARRIED_CACHE_LIMIT = 20_000  # remembered carried-forward results per solution
# From the registry: the operations that invite each mistake (Op.mistakes).
_ACTIVATIONS = tuple(op.name for op in OPS.values() if "derivative-confused" in op.mistakes)
_GATES = tuple(op.name for op in OPS.values() if "derivative-forgotten" in op.mistakes and op.kink_at is not None)  # relu, leaky_relu

# The operations that invite a code, for the catalogue (`hwcheck mistakes`), from the registry.
# (A gate's derivative forgotten is relu-gate-ignored; the other codes of Op.mistakes are
# read off the registry by the catalogue itself.)
INVITING_OPS = {"relu-gate-ignored": _GATES, "pre-activation": _ACTIVATIONS, "wrong-factor": ("mul",),
                "square-factor": ("mul",)}

# The codes read off the forward-mode pass (_gradient_mistakes): those of local_rules — from
# the registry, every code an operation invites but rounded-early (a forward value rounded,
# _rounded_early) — and the two worked out beside them.
LOCAL_CODES = frozenset({code for op in OPS.values() for code in op.mistakes} - {"rounded-early"}
                        | {"wrong-factor", "pre-activation"})

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
    "derivative-forgotten": "left out an activation's derivative (took it as 1; for a ReLU this is relu-gate-ignored)",
    "derivative-confused": "used the activation itself where its derivative belongs (σ′ taken as σ)",
    "tanh-one-minus": "took tanh′ as 1 − tanh instead of 1 − tanh²",
    "square-factor": "dropped the 2 of a square's derivative, or left out the ½ of ½·(…)²",
    "rounded-early": "rounded intermediate values (σ, tanh, softmax, ...) before going on",
    "missing-transpose": "wrote A @ G where Aᵀ @ G belongs (or G @ B for G @ Bᵀ) in a matrix product's gradient",
    "carried-forward": "an error carried forward from the student's own earlier answers",
    **TENSOR_MISTAKES,
}


def graph_mistakes(solution, ask: GraphAsk, answers: Mapping[str, Any]) -> list[Mistake]:
    # Memoised by the solution itself (one grading asks the same question of many sheets):
    # the candidates left once those giving the right answer anyway are dropped.
    found = list(solution.memo(("distinct mistakes", _ask_text(ask)),
                               lambda: _distinct(applicable_mistakes(solution, ask), _right(solution, ask))))
    carried = _carried_forward(solution, ask, answers)
    if carried is not None:
        found += _distinct([carried], _right(solution, ask))
    return found


def _right(solution, ask: GraphAsk):
    return pick(solution.expected(_ask_text(ask)).value, None)


def applicable_mistakes(solution, ask: GraphAsk, codes: frozenset[str] | None = None) -> list[Mistake]:
    """Every typical mistake that applies to ``ask``, with the value it gives — also those
    that give the right value anyway (a ReLU gate ignored where every gate is open), which
    grading drops and coverage (grade/coverage.py) reports as undetectable. Errors carried
    forward are not here: they need a student's own answers.

    ``codes``: only the mistakes of these codes, in the same order and with the same values
    as in the full list; the candidates of other codes are skipped before their values are
    worked out (a variant's check needs a few codes only, variants.py)."""
    if codes is not None:
        # Not memoised: a draw's check asks each question once, each time for fewer codes.
        return [Mistake(m.code, m.description, pick(m.value, ask.index)) for m in _all_mistakes(solution, ask, codes.__contains__)]
    # Memoised by the solution itself (one grading asks the same question of many sheets).
    whole = solution.memo(("mistakes", ask.name, ask.output), lambda: _all_mistakes(solution, ask, _every))
    return [Mistake(m.code, m.description, pick(m.value, ask.index)) for m in whole]


def _every(code: str) -> bool:
    return True


def _all_mistakes(solution, ask: GraphAsk, wants) -> list[Mistake]:
    """The candidates of the codes ``wants`` accepts, in the catalogue's fixed order: the
    ask's own, the tensor ones, rounded-early, then relu-gate-ignored where it changes nothing."""
    found = _gradient_mistakes(solution, ask, wants) if ask.is_gradient else _value_mistakes(solution, ask, wants)
    if any(wants(code) for code in TENSOR_MISTAKES):
        found += [m for m in tensor_mistakes(solution, ask) if wants(m.code)]
    if wants("rounded-early"):
        found += _rounded_early(solution, ask)
    if wants("relu-gate-ignored"):
        found += _open_gates(solution, ask)
    return found


def _open_gates(solution, ask: GraphAsk) -> list[Mistake]:
    """relu-gate-ignored where it applies but changes nothing: the gradient passes through
    ReLUs that are all open (input > 0), so ignoring their gate gives the right value.
    (Where a gate is closed, _gradient_mistakes has the mistake with its wrong value.)"""
    if not ask.is_gradient:
        return []  # the forward pass's gate left out is always tried (_value_mistakes)
    graph, values = solution.problem.graph, solution.problem.values
    gates = [i for i in _between(graph, graph.index[ask.output], graph.index[ask.name])
             if graph.nodes[i].op is not None and graph.nodes[i].op.name in _GATES]
    if not gates or any(np.any(args_of(graph.nodes[i], values)[0] <= 0) for i in gates):
        return []
    names = ", ".join(graph.nodes[i].name for i in gates)
    right = solution.gradients_of(ask.output)[graph.index[ask.name]]
    return [Mistake("relu-gate-ignored", f"the gate of {names} was ignored: its derivative taken as 1 even where its input is ≤ 0", right)]


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


def _value_mistakes(solution, ask: GraphAsk, wants) -> list[Mistake]:
    problem = solution.problem
    graph, values = problem.graph, problem.values
    index = graph.index[ask.name]
    found = [Mistake("sign-error", "the sign is flipped", -values[index])] if wants("sign-error") else []
    # The gates left out: relu(a) taken as a. Named are the ones that change something:
    # those the value is computed from whose input (so computed) is negative somewhere.
    if wants("relu-gate-ignored") and any(n.op is not None and n.op.name in _GATES for n in graph.nodes[: index + 1]):
        try:
            value, left_out = _without_gates(graph, problem.leaves(), index)
        except DomainError:
            left_out = []
        if left_out:
            which = f"the ReLU{'s' if len(left_out) > 1 else ''} of {', '.join(left_out)}"
            found.append(Mistake("relu-gate-ignored", f"{which} {'were' if len(left_out) > 1 else 'was'} left out in the forward pass (the input was passed on unchanged)", value))
    return found


def _without_gates(graph, leaves, stop: int) -> tuple[np.ndarray, list[str]]:
    """The value of node `stop` when every ReLU is replaced by the identity, and the names
    of the ReLUs it is computed from whose input is negative somewhere (the ones that act)."""
    values: list = [None] * (stop + 1)
    acting = []
    feeds = _ancestors(graph, [stop])
    for node in graph.nodes[: stop + 1]:
        if node.is_leaf:
            values[node.index] = leaves[node.name]
        elif node.op.name in _GATES:
            values[node.index] = args_of(node, values)[0]
            if node.index in feeds and np.any(values[node.index] < 0):
                acting.append(node.name)
        else:
            values[node.index] = evaluate(node, values)
    return values[stop], acting


# -- gradients ----------------------------------------------------------------------


def _gradient_mistakes(solution, ask: GraphAsk, wants) -> list[Mistake]:
    problem = solution.problem
    graph, values = problem.graph, problem.values
    start, target = graph.index[ask.output], graph.index[ask.name]
    right = solution.gradients_of(ask.output)[target]
    found = [Mistake("sign-error", "the sign is flipped", -right)] if wants("sign-error") else []
    if wants("missing-path") or wants("one-path-only"):
        found += [m for m in _path_mistakes(solution, start, target, right) if wants(m.code)]
    on_paths = _between(graph, start, target)

    # A ReLU gate ignored: its local derivative taken as 1 even where its input is ≤ 0. Every
    # closed gate changes at once, and each changes what reaches the next: one backward pass.
    gates = {i: _pass_through for i in on_paths if graph.nodes[i].op is not None and graph.nodes[i].op.name in _GATES}
    closed = [graph.nodes[i] for i in gates if np.any(args_of(graph.nodes[i], values)[0] <= 0)] if wants("relu-gate-ignored") else []
    if closed:
        try:
            value = backward(graph, values, start, gates)[target]
        except NumericFault:
            value = None
        if value is not None:
            found.append(Mistake("relu-gate-ignored", _gate_text(graph, values, closed), value))

    # Each mistake in one local derivative is read off one forward-mode pass (response.py),
    # so every operation on the paths is tried, whatever the size of the graph.
    if not any(wants(code) for code in LOCAL_CODES):
        return found  # none wanted: not even the forward-mode pass is made
    response = Response(solution, ask.output, target)
    for i in on_paths if response.cheap or len(on_paths) <= MAX_RERUNS else ():
        node = graph.nodes[i]
        if node.op is None:
            continue
        names = [graph.operand_name(o) for o in node.operands]
        if wants("wrong-factor") and node.op.name == "mul" and all(isinstance(o, int) for o in node.operands) and node.operands[0] != node.operands[1]:
            value = response.with_rule(i, _wrong_factor)
            if value is not None:
                found.append(Mistake(
                    "wrong-factor",
                    f"in the local derivative of {node.name} you took the wrong factor (∂/∂{names[0]} is {names[1]}, and ∂/∂{names[1]} is {names[0]})",
                    value,
                ))
        for k, operand in enumerate(node.operands):
            if wants("pre-activation") and isinstance(operand, int) and _is_activation(graph.nodes[operand]) and node.op.name in ("mul", "matmul", "dot"):
                activation = graph.nodes[operand]
                pre = activation.operands[0]
                if not isinstance(pre, int):
                    continue
                swapped = list(values)
                swapped[operand] = values[pre]
                value = response.with_rule(i, _with_values(node, swapped))
                if value is not None:
                    found.append(Mistake(
                        "pre-activation",
                        # Names only: the values are other questions' answers (a step's value
                        # is asked by default), which feedback never shows.
                        f"in the local derivative of {node.name} you used the pre-activation {graph.nodes[pre].name} where the activation {activation.name} belongs",
                        value,
                    ))
        found += _local_rule_mistakes(graph, values, response, node, i, wants)
    return found


def _local_rule_mistakes(graph, values, response, node, i, wants) -> list[Mistake]:
    """The mistakes in one step's local derivative that its operation invites, each read off
    the forward-mode pass (of the codes ``wants`` accepts)."""
    found = []
    for code, text, rule in local_rules(graph, values, i):
        if not wants(code):
            continue
        value = response.with_rule(i, rule) if node.fused is None else _with_fused_rule(response, values, node, rule)
        if value is not None:
            found.append(Mistake(code, text, value))
    return found


def _with_fused_rule(response, values, node, rule):
    """Response.with_rule for a fused node: the change each of its fused op's operands
    receives (the logits), carried down to the target from there."""
    result = response.right
    for operand, delta in fused_deltas(node, values, response.grads[node.index], rule):
        change = response.seeded(operand, delta)
        if change is None:
            return None
        result = result + change
    return result


def fused_deltas(node, values, g, rule) -> list[tuple[int, np.ndarray]]:
    """For a wrong rule of a fused node (a VJP of its fused op F(h, y), whose gradient goes
    straight to h): the extra adjoint (wrong − right) each trained operand receives, as
    (operand, δ). The backward pass is linear in δ, so the wrong gradient below is the right
    one plus δ carried down (response.py)."""
    fused = node.fused
    args, inner = args_of(fused, values), values[node.operands[0]]
    with np.errstate(all="ignore"):
        wrong = rule(g, args, values[node.index], inner=inner)
        right = fused_vjp(node, values, g)
    return [(o, np.asarray(w, dtype=float) - np.asarray(r, dtype=float))
            for k, (o, w, r) in enumerate(zip(fused.operands, wrong, right)) if isinstance(o, int) and k not in fused.op.data_args]


def wrong_gradient(graph, values, start: int, target: int, i: int, rule, grads=None) -> np.ndarray | None:
    """d(start)/d(target) when node i's local VJP is ``rule`` (one of local_rules'), by a
    backward pass at these values (``grads``: the right one's, when the caller has them);
    None where it is undefined. Formula answers use it at every draw of the leaves."""
    node = graph.nodes[i]
    try:
        if node.fused is None:
            return backward(graph, values, start, {i: rule}, stop=target)[target]
        grads = grads if grads is not None else backward(graph, values, start)
        result = grads[target]
        for operand, delta in fused_deltas(node, values, grads[i], rule):
            if not np.all(np.isfinite(delta)):
                return None
            result = result + backward(graph, values, operand, seed=delta, stop=target)[target]
        return result
    except NumericFault:
        return None


def local_rules(graph, values, i) -> list[tuple[str, str, Any]]:
    """(code, sentence, wrong local VJP) for the mistakes in node i's local derivative that
    its operation invites (Op.mistakes): an activation's derivative left out or confused
    with the activation, tanh′ as 1 − tanh, a square's 2 dropped (or a ½ left out), a
    matrix product's transpose left out, y − p at the logits of a fused softmax
    cross-entropy. Numeric and formula answers both use these (a fused node's rule is a VJP
    of its fused op: apply it with wrong_gradient or fused_deltas, not backward's rules)."""
    node = graph.nodes[i]
    if node.fused is not None:  # computed by its fused op: the rules are that op's (fused_deltas)
        return _fused_rules(graph, values, node)
    op, names = node.op, [graph.operand_name(o) for o in node.operands]
    found = []
    if op.name in _ACTIVATIONS:
        call = f"{node.name} = {op.name}({names[0]})"
        if op.name not in _GATES:  # a gate's derivative taken as 1 is relu-gate-ignored
            found.append(("derivative-forgotten", f"in {call} you left out the derivative of {op.name} (took it as 1)", lambda g, a, o: (g,)))
        found.append(("derivative-confused", f"in {call} you used {op.name}({names[0]}) itself where its derivative belongs", lambda g, a, o: (g * o,)))
        if "tanh-one-minus" in op.mistakes:
            found.append(("tanh-one-minus", f"in {call} you took tanh′ as 1 − tanh; it is 1 − tanh²", lambda g, a, o: (g * (1.0 - o),)))
    if "square-factor" in op.mistakes and (op.name == "mse" or _is_square(graph, values, node)):
        def halved(g, args, out):
            return tuple(0.5 * np.asarray(d) for d in op.vjp(g, args, out))

        what = f"the mean of ({names[0]} − {names[1]})²" if op.name == "mse" else f"{names[0]}²"
        found.append(("square-factor", f"in {node.name} = {what} you dropped the factor 2 of the square's derivative", halved))
    if op.name == "mul":
        # ½·q with q a square: the ½ left out (the derivative of q taken for that of ½·q)
        for k, operand in enumerate(node.operands):
            other = node.operands[1 - k]
            if isinstance(operand, int) and not isinstance(other, int) and np.ndim(args_of(node, values)[1 - k]) == 0 \
                    and float(args_of(node, values)[1 - k]) == 0.5 \
                    and graph.nodes[operand].op is not None and "square-factor" in graph.nodes[operand].op.mistakes:
                found.append(("square-factor", f"in {node.name} = 0.5 · {names[k]} you left out the ½ (the derivative of {names[k]} taken for that of {node.name})",
                              lambda g, a, o, k=k: tuple(g if j == k else np.zeros_like(g * a[j]) for j in range(2))))
    if "missing-transpose" in op.mistakes:
        a, b = args_of(node, values)
        out = np.shape(values[i])
        if np.ndim(a) == 2 and np.ndim(b) == 2:
            # G @ B for G @ Bᵀ (the left factor), A @ G for Aᵀ @ G (the right one), where the
            # shapes let the untransposed product be written and give the operand's shape.
            if out[1] == b.shape[0] and (out[0], b.shape[1]) == a.shape:
                found.append(("missing-transpose", f"in {node.name} = {names[0]} @ {names[1]} you wrote G @ {names[1]} where G @ {names[1]}ᵀ belongs (G the gradient at {node.name})",
                              lambda g, a, o: (g @ a[1], a[0].T @ g)))
            if a.shape[1] == out[0] and (a.shape[0], out[1]) == b.shape:
                found.append(("missing-transpose", f"in {node.name} = {names[0]} @ {names[1]} you wrote {names[0]} @ G where {names[0]}ᵀ @ G belongs (G the gradient at {node.name})",
                              lambda g, a, o: (g @ a[1].T, a[0] @ g)))
    return found


def _fused_rules(graph, values, node) -> list[tuple[str, str, Any]]:
    """local_rules for a fused node: the mistakes its fused op invites (Op.mistakes), each a
    wrong VJP of that op, F(h, y), taking ``inner=`` as the op's own VJP does."""
    op = node.fused.op
    found = []
    if "y-minus-p" in op.mistakes:
        logits, p, y = node.fused.operands[0], values[node.operands[0]], args_of(node, values)[1]
        # p − y holds where each row of y sums to 1 (one-hot or soft labels).
        right_form = "p - y, not y - p" if np.allclose(np.sum(class_targets(p.shape, y), axis=-1), 1.0) else "p·Σy - y, not its negative"
        found.append(("y-minus-p", f"the gradient of the loss with respect to the logits {graph.nodes[logits].name} is {right_form}", _flipped_at_logits(op)))
    return found


def _flipped_at_logits(op):
    """The fused op's VJP with the gradient at its first operand (the logits) negated."""
    def rule(g, args, out, inner=None):
        d_logits, *rest = op.vjp(g, args, out, inner=inner)
        return (-np.asarray(d_logits), *rest)

    return rule


def _is_square(graph, values, node) -> bool:
    """a ** 2 with the exponent the number 2."""
    exponent = node.operands[1]
    return node.op.name == "pow" and not isinstance(exponent, int) and np.ndim(args_of(node, values)[1]) == 0 and float(args_of(node, values)[1]) == 2.0


def _gate_text(graph, values, closed) -> str:
    """What ignoring these closed gates means, true for relu (0) and leaky_relu (its slope)."""
    names = ", ".join(n.name for n in closed)
    slopes = sorted({float(np.asarray(args_of(n, values)[1])) for n in closed if n.op.name == "leaky_relu"})
    if not slopes:
        below = "0"
    elif len(slopes) == 1 and all(n.op.name == "leaky_relu" for n in closed):
        below = f"its slope {fmt_value(slopes[0])}"
    else:
        below = "0 (the leaky ones: their slope)"
    kind = "ReLU gate" + ("s" if len(closed) > 1 else "")
    return f"the {kind} of {names} {'were' if len(closed) > 1 else 'was'} ignored: the derivative is {below} where the input is ≤ 0, not 1"


def _path_mistakes(solution, start, target, right) -> list[Mistake]:
    graph = solution.problem.graph
    found = []
    paths = graph.structure(("path mistakes", start, target), lambda: _path_sentences(graph, start, target))
    for (edges, missing, only), value in zip(paths, _path_values(solution, start, target, [p[0] for p in paths])):
        found.append(Mistake("missing-path", missing, right - value))
        if only is not None:
            found.append(Mistake("one-path-only", only, value))
    return found


def _path_values(solution, start, target, edge_lists) -> list[np.ndarray]:
    """Each path's term of the gradient; those the solution's derivation lists already (the
    same paths of the output, in the same order, solve.py) are taken from it."""
    graph = solution.problem.graph
    if edge_lists and start == graph.index[solution.problem.output]:
        listed = next((d.paths for d in solution.gradients if d.name == graph.nodes[target].name), [])
        if len(listed) == len(edge_lists):
            return [path.value for path in listed]
    return [path_value(graph, solution.problem.values, edges, start) for edges in edge_lists]


def _path_sentences(graph, start, target) -> list[tuple[list, str, str | None]]:
    """For each path from start down to target (when there are 2 to MAX_PATHS_FOR_MISTAKES):
    its edges, what leaving it out means and (from 3 paths) what taking it alone means.
    The graph's structure only: worked out once for every student's variant."""
    counts = count_paths(graph, start)
    if not 2 <= counts[target] <= MAX_PATHS_FOR_MISTAKES:
        return []
    edge_lists = list_paths(graph, start, target, counts)
    found = []
    n = len(edge_lists)
    for edges in edge_lists:
        twice = _used_twice(graph, start, edges, edge_lists)
        if twice is None:
            label = _path_label(graph, start, edges, edge_lists)
            found.append((edges, f"you left out the path {label}; the gradient is the sum over all {n} paths",
                          f"you took only the path {label} instead of summing all {n} paths" if n >= 3 else None))
            continue
        # Another path reads the same: the step uses one value twice (r * r), and what was
        # left out is a term of that step's own derivative, not a branch of the graph.
        step, operand, uses = twice
        rule = "the product rule" if step.op.name == "mul" else "its derivative"
        where = f"{step.name}, which uses {operand} {uses} times ({rule} has a term for each use)"
        route = " → ".join(_nodes(graph, start, edges))
        found.append((edges, f"you left out one of the {uses} terms for {where}: the term along {route}; the gradient is the sum of all {n} terms",
                      f"you took only the term along {route}, one of the {uses} terms for {where}, instead of summing all {n} terms" if n >= 3 else None))
    return found


def _between(graph, start: int, target: int) -> list[int]:
    """nodes_between, once per graph (the graph's structure only)."""
    return graph.structure(("between", start, target), lambda: nodes_between(graph, start, target))


def _used_twice(graph, start: int, edges, others):
    """(step, operand name, uses) when another path has the same nodes as this one: they
    part where one step takes the same value as two operands. None otherwise."""
    nodes = _nodes(graph, start, edges)
    for other in others:
        if other != edges and _nodes(graph, start, other) == nodes:
            c, k = next(a for a, b in zip(edges, other) if a != b)
            step = graph.nodes[c]
            operand = step.operands[k]
            return step, graph.nodes[operand].name, sum(1 for o in step.operands if o == operand)
    return None


def _path_label(graph, start: int, edges, others) -> str:
    """The path as its nodes, with what it is where that is true of this graph:

    - the skip connection, when at the node where it leaves another path it takes an
      *addition*'s shorter branch, meeting that path again further down (it bypasses the
      operations between): ``z → yx → x0 (through the skip connection yx → x0)``;
    - the use of the target it ends in, when the target is used by several operations (a
      weight used twice is two paths, not a skip connection);
    - otherwise its nodes only.
    """
    route = " → ".join(_nodes(graph, start, edges))
    for other in others:
        if other == edges:
            continue
        split = next(i for i, (a, b) in enumerate(zip(edges, other)) if a != b)
        consumer = graph.nodes[edges[split][0]]
        mine, theirs = _nodes(graph, start, edges)[split + 1 :], _nodes(graph, start, other)[split + 1 :]
        meet = next((j for j, name in enumerate(mine) if name in theirs), None)
        if consumer.op.name == "add" and meet is not None and meet < theirs.index(mine[meet]):
            return f"{route} (through the skip connection {' → '.join([consumer.name, *mine[: meet + 1]])})"
    last = edges[-1][0]
    if any(other[-1][0] != last for other in others):  # the target is used by several operations
        return f"{route} (the use of {_nodes(graph, start, edges)[-1]} in {graph.nodes[last].name})"
    return route


def _nodes(graph, start: int, edges) -> list[str]:
    return [graph.nodes[start].name] + [graph.operand_name(graph.nodes[c].operands[k]) for c, k in edges]


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


# -- values rounded too early -------------------------------------------------------

ROUNDED_DECIMALS = (1, 2)  # what a student writes down: 0.7, 0.69
MAX_ROUNDED_NODES = 8  # nodes rounded one at a time (each is a forward and a backward pass)


def _rounded_early(solution, ask: GraphAsk) -> list[Mistake]:
    """The right method on values rounded to 1 or 2 decimals before going on.

    Rounded are the values a calculator gives (the operations that invite `rounded-early`
    in the registry: σ, tanh, exp, softmax, ...) that the asked quantity is computed from:
    each alone, and all of them together; everything after them is worked out exactly from
    the rounded values. Named are only the values rounding changes."""
    problem = solution.problem
    graph, values = problem.graph, problem.values
    feeds, _ = solution.memo(("feeding", ask.name, ask.output), lambda: _feeding(graph, ask))
    target = graph.index[ask.name]
    nodes = [i for i in sorted(feeds | ({target} if ask.is_gradient else set()))
             if graph.nodes[i].op is not None and "rounded-early" in graph.nodes[i].op.mistakes]
    found = []
    for decimals in ROUNDED_DECIMALS:
        changed = [i for i in nodes if not np.array_equal(np.round(values[i], decimals), values[i])]
        sets = [[i] for i in changed[:MAX_ROUNDED_NODES]] + ([changed] if len(changed) > 1 else [])
        for rounded in sets:
            value = _follow(problem, ask, {i: np.round(values[i], decimals) for i in rounded}, {})
            if value is None:
                continue
            names = " and ".join(filter(None, [", ".join(graph.nodes[i].name for i in rounded[:-1]), graph.nodes[rounded[-1]].name]))
            places = f"{decimals} decimal{'s' if decimals > 1 else ''}"
            found.append(Mistake("rounded-early", f"your answer is the right method with {names} rounded to {places} before going on: round only the final answer", value))
    return found


# -- errors carried forward ---------------------------------------------------------


def _carried_forward(solution, ask: GraphAsk, answers: Mapping[str, Any]) -> Mistake | None:
    """The answer this ask would have if the student's own earlier answers were right.

    Only answers that feed the asked quantity are used (and named): values it is computed
    from, and for a gradient the values its backward pass reads and the gradients of the
    same output on its paths; never an answer to a later question.
    """
    problem = solution.problem
    graph = problem.graph
    feeds_value, feeds_gradient = solution.memo(("feeding", ask.name, ask.output), lambda: _feeding(graph, ask))
    # Each quantity's place is the first question that asks it: asked again later (a formula
    # for dL/dz after its number, say), it was still worked out by then.
    order = solution.memo(("question order",), lambda: _first_asked(problem.questions))
    parsed = solution.memo(("parsed asks",), dict)  # the few ask texts a class's sheets hold
    value_overrides, grad_overrides, used = {}, {}, []
    for text, answer in answers.items():
        if text not in parsed:
            parsed[text] = parse_ask(str(text)) if len(parsed) < CARRIED_CACHE_LIMIT else None
        other = parsed[text]
        if other is None or other.index is not None or other.name not in graph.index or _ask_text(other) == _ask_text(ask):
            continue
        if order.get(_ask_text(other), -1) > order.get(_ask_text(ask), len(order)):
            continue  # a later question: the student had not worked it out yet
        index = graph.index[other.name]
        if other.is_gradient:
            if not (ask.is_gradient and other.output == ask.output and index in feeds_gradient):
                continue
        elif index not in feeds_value:
            continue
        try:
            given = _as_array(answer)
        except (NotANumber, ValueError):
            continue
        truth = solution.gradients_of(other.output)[index] if other.is_gradient else problem.values[index]
        if given.shape != np.shape(truth) or np.array_equal(given, truth):
            continue  # the grader passes the answers it judged wrong; a right value carries nothing
        (grad_overrides if other.is_gradient else value_overrides)[index] = given
        used.append((index, other.is_gradient, f"{text} = {fmt_value(given)}", given.tobytes()))
    if not used:
        return None
    # Students who share the same wrong earlier answers share the work: a bounded cache,
    # keyed by the answers that feed this question only (not the whole sheet).
    cache = solution.memo(("carried-forward",), dict)
    key = (_ask_text(ask), tuple(used))
    if key not in cache:
        if len(cache) >= CARRIED_CACHE_LIMIT:
            cache.clear()
        cache[key] = _carried(problem, ask, used, value_overrides, grad_overrides, _right(solution, ask))
    return cache[key]


def _first_asked(questions) -> dict[str, int]:
    order: dict[str, int] = {}
    for n, q in enumerate(questions):
        if (parsed := parse_ask(q.ask)) is not None:
            order.setdefault(_ask_text(parsed), n)
    return order


def _carried(problem, ask: GraphAsk, used, value_overrides, grad_overrides, right) -> Mistake | None:
    result = _follow(problem, ask, value_overrides, grad_overrides)
    if result is None or _same(pick(result, ask.index), right):
        return None  # the answers carry nothing into this one: no mistake to name
    if len(used) > 1:
        # Name only the answers the result depends on: one whose removal changes nothing
        # fed the question in the graph but not in these numbers (a closed ReLU, say).
        def without(index, gradient):
            values = {i: v for i, v in value_overrides.items() if gradient or i != index}
            grads = {i: v for i, v in grad_overrides.items() if not gradient or i != index}
            return _follow(problem, ask, values, grads)

        # (If none matters alone, they matter together: all are named.)
        used = [u for u in used if not _same(without(u[0], u[1]), result)] or used
    texts = [u[2] for u in used]
    # Worded to stand as one alternative among others ("either the sign is flipped, or ..."):
    # it says what the answer is consistent with, not that the method was right.
    return Mistake("carried-forward", f"your answer follows from your own earlier answer{'s' if len(texts) > 1 else ''} ({'; '.join(texts)}), worked on correctly: an error carried forward", pick(result, ask.index))


def _follow(problem, ask: GraphAsk, value_overrides, grad_overrides):
    """The asked quantity worked out correctly from these values and gradients put in."""
    graph = problem.graph
    try:
        # Only what depends on the answers put in is recomputed; below the target nothing
        # reaches its gradient, so the backward pass stops there.
        values = forward(graph, problem.leaves(), value_overrides, base=problem.values) if value_overrides else problem.values
        if ask.is_gradient:
            target = graph.index[ask.name]
            return backward(graph, values, graph.index[ask.output], overrides=grad_overrides, stop=target)[target]
        return values[graph.index[ask.name]]
    except NumericFault:
        return None


def _same(a, b) -> bool:
    return a is not None and b is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-12, atol=1e-15)


def _feeding(graph, ask: GraphAsk) -> tuple[set[int], set[int]]:
    """The nodes whose value the asked quantity is computed from, and (for a gradient) the
    nodes on its paths whose gradient of the same output it is built from."""
    target = graph.index[ask.name]
    if not ask.is_gradient:
        return _ancestors(graph, [target]) - {target}, set()
    on_paths = _between(graph, graph.index[ask.output], target)
    # The backward pass along the paths reads each step's operands and its own value.
    read = [o for i in on_paths if graph.nodes[i].op is not None for o in graph.nodes[i].operands if isinstance(o, int)]
    return _ancestors(graph, read + [i for i in on_paths if i != target]), set(on_paths) - {target}


def _ancestors(graph, nodes) -> set[int]:
    """The nodes given and every node they are computed from."""
    seen, stack = set(), list(nodes)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(o for o in graph.nodes[i].operands if isinstance(o, int))
    return seen


def _as_array(answer) -> np.ndarray:
    if isinstance(answer, list):
        return np.array([_as_array(a) for a in answer], dtype=float)
    return np.asarray(parse_number(answer), dtype=float)
