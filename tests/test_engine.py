"""The engine: forward and reverse mode on random graphs, very long chains, exact path
counts, listed paths, the fused softmax + cross-entropy, and the finite-difference check.

Expected values come from finite differences of a forward pass computed here with plain
Python/NumPy, from closed forms derived in the comments, or from the seed's numbers by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import hwcheck
from hwcheck.graph.check import finite_difference_check
from hwcheck.graph.paths import count_paths
from hwcheck.render.hints import hint_text
from support import CONTRACT, run_cli

EXAMPLES = CONTRACT
H = 1e-6


def write(tmp_path, text: str, name="p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def solve_text(tmp_path, text: str, name="p.yaml"):
    return hwcheck.solve(hwcheck.load_problem(write(tmp_path, text, name)))


# -- random scalar graphs against finite differences -------------------------------


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


TEMPLATES = [
    "{a} + {b}",
    "{a} - {b}",
    "{a} * {b}",
    "{a} / (1.5 + tanh({b}))",
    "tanh({a})",
    "sigmoid({a} - {b})",
    "exp(tanh({a}))",
    "relu({a} - {b})",
    "{a} + {b} * {a}",  # a residual block: the operand used twice
    "tanh({a} * {b}) + {a}",
    "-{a} * {b} + 0.5",
]


def random_graph(seed: int):
    """(YAML text, leaves, step expressions) of a random DAG, relu inputs away from 0."""
    rng = np.random.default_rng(seed)
    while True:
        leaves = {"x0": float(rng.uniform(-1, 1))}
        leaves.update({f"p{i}": float(rng.uniform(-1, 1)) for i in range(3)})
        names = list(leaves)
        steps = {}
        for i in range(int(rng.integers(4, 12))):
            template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
            # favour the latest node (chains), but reuse any earlier one (shared nodes)
            a = names[-1] if rng.random() < 0.5 else names[int(rng.integers(len(names)))]
            b = names[int(rng.integers(len(names)))]
            steps[f"s{i}"] = template.format(a=a, b=b)
            names.append(f"s{i}")
        last = list(steps)
        steps["L"] = f"{last[-1]} + {last[-2]} * {names[int(rng.integers(len(names) - 1))]}"
        smallest = _forward(leaves, steps)[1]
        if smallest > 1e-3:
            break
    text = "id: r\nkind: graph\ninputs:\n  x0: %r\nparams:\n" % leaves["x0"]
    text += "".join(f"  {k}: {v!r}\n" for k, v in leaves.items() if k != "x0")
    text += "steps:\n" + "".join(f"  {k}: {v}\n" for k, v in steps.items())
    return text, leaves, steps


def _forward(leaves, steps):
    """L by Python's own evaluation of the steps (the language is Python's), and the
    smallest |relu input| met on the way."""
    smallest = [math.inf]

    def relu(v):
        smallest[0] = min(smallest[0], abs(v))
        return max(v, 0.0)

    env = dict(leaves)
    funcs = {"tanh": math.tanh, "sigmoid": _sigmoid, "exp": math.exp, "relu": relu}
    for name, expression in steps.items():
        env[name] = eval(expression, {"__builtins__": {}}, {**funcs, **env})  # test-side reference only
    return env["L"], smallest[0]


@pytest.mark.parametrize("seed", range(40))
def test_random_graph_gradients_match_finite_differences(tmp_path, seed):
    text, leaves, steps = random_graph(seed)
    solution = solve_text(tmp_path, text)
    loss, _ = _forward(leaves, steps)
    assert float(solution.expected("L").value) == pytest.approx(loss, rel=1e-12, abs=1e-12)
    for name, value in leaves.items():
        plus = _forward({**leaves, name: value + H}, steps)[0]
        minus = _forward({**leaves, name: value - H}, steps)[0]
        numeric = (plus - minus) / (2 * H)
        got = float(solution.expected(f"dL/d{name}").value)
        assert got == pytest.approx(numeric, rel=1e-5, abs=1e-7), (name, text)
    # every intermediate step's gradient is reported too, and the output's is 1
    assert float(solution.expected("dL/dL").value) == 1.0


def test_random_vector_network_matches_finite_differences(tmp_path):
    rng = np.random.default_rng(7)
    W1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4)
    W2, b2 = rng.normal(size=(2, 4)), rng.normal(size=2)
    x = rng.normal(size=3)
    y = np.array([0.0, 1.0])

    def f(W1, b1, W2, b2):
        h = np.tanh(W1 @ x + b1)
        r = h + W1 @ x  # a residual connection re-using W1 @ x
        z = W2 @ r + b2
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        return -np.sum(y * np.log(p)) + np.mean(h * h)

    def dump(a):
        return repr(np.asarray(a).tolist())

    text = f"""id: v
kind: graph
inputs:
  x: {dump(x)}
  y: {dump(y)}
params:
  W1: {dump(W1)}
  b1: {dump(b1)}
  W2: {dump(W2)}
  b2: {dump(b2)}
steps:
  h: tanh(W1 @ x + b1)
  r: h + W1 @ x
  z: W2 @ r + b2
  p: softmax(z)
  L: cross_entropy(p, y) + mean(h * h)
"""
    solution = solve_text(tmp_path, text)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    assert float(solution.expected("L").value) == pytest.approx(f(**params), rel=1e-12)
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[idx] += H
            down[idx] -= H
            numeric[idx] = (f(**{**params, name: up}) - f(**{**params, name: down})) / (2 * H)
        np.testing.assert_allclose(solution.expected(f"dL/d{name}").value, numeric, rtol=1e-5, atol=1e-7, err_msg=name)


# -- very long chains (deeper than Python's recursion limit) -----------------------


def test_3000_step_product_chain(tmp_path):
    # h1 = x·a, h_{i+1} = h_i·a  ⇒  h_n = x·aⁿ, dh_n/dx = aⁿ, dh_n/da = n·x·aⁿ⁻¹
    n, x, a = 3000, 1.5, 1.0002
    text = "id: c\nkind: graph\ninputs: {x: 1.5}\nparams: {a: 1.0002}\nsteps:\n  h1: x * a\n"
    text += "".join(f"  h{i + 1}: h{i} * a\n" for i in range(1, n))
    solution = solve_text(tmp_path, text)
    assert float(solution.expected(f"h{n}").value) == pytest.approx(x * a**n, rel=1e-10)
    assert float(solution.expected(f"dh{n}/dx").value) == pytest.approx(a**n, rel=1e-10)
    assert float(solution.expected(f"dh{n}/da").value) == pytest.approx(n * x * a ** (n - 1), rel=1e-10)
    # a is used by all 3000 multiplications: 3000 paths, too many to list
    (derivation,) = solution.gradients
    assert derivation.name == "a" and derivation.path_count == n and derivation.paths == []


def test_3000_step_residual_chain(tmp_path):
    # r1 = x + w·x, r_{i+1} = r_i + w·r_i  ⇒  r_n = x(1 + w)ⁿ,
    # dr_n/dx = (1 + w)ⁿ, dr_n/dw = n·x·(1 + w)ⁿ⁻¹, and 2ⁿ paths from r_n down to x
    n, x, w = 3000, 1.5, 0.0001
    text = "id: c\nkind: graph\ninputs: {x: 1.5}\nparams: {w: 0.0001}\nsteps:\n  r1: x + w * x\n"
    text += "".join(f"  r{i + 1}: r{i} + w * r{i}\n" for i in range(1, n))
    solution = solve_text(tmp_path, text)
    assert float(solution.expected(f"dr{n}/dx").value) == pytest.approx((1 + w) ** n, rel=1e-10)
    assert float(solution.expected(f"dr{n}/dw").value) == pytest.approx(n * x * (1 + w) ** (n - 1), rel=1e-10)
    graph = solution.problem.graph
    assert count_paths(graph, graph.index[f"r{n}"])[graph.index["x"]] == 2**n


# -- path counting without enumeration ---------------------------------------------


def residual_chain_text(n: int, w: float = 0.5, x: float = 1.0) -> str:
    text = f"id: res\nkind: graph\ninputs: {{x: {x}}}\nparams: {{w: {w}}}\nsteps:\n  r1: x + w * x\n"
    text += "".join(f"  r{i + 1}: r{i} + w * r{i}\n" for i in range(1, n))
    return text + "wrt: [x, w]\n"


def test_residual_chain_of_60_blocks_has_2_to_the_60_paths(tmp_path):
    n, w = 60, 0.01
    solution = solve_text(tmp_path, residual_chain_text(n, w))  # finishing at all means no enumeration of 2⁶⁰ paths
    by_name = {g.name: g for g in solution.gradients}
    # each block doubles the paths to x: 2⁶⁰ = 1,152,921,504,606,846,976, exactly
    assert by_name["x"].path_count == 2**60 == 1152921504606846976
    # w appears once per block; block k+1 = r_k + w·r_k is reached by 2^(n−k−1) paths,
    # so Σ_{k=0}^{n−1} 2^(n−k−1) = 2ⁿ − 1 paths to w
    assert by_name["w"].path_count == 2**60 - 1
    graph = solution.problem.graph
    assert count_paths(graph, graph.index["r60"])[graph.index["x"]] == 2**60
    # too many to list, but the accumulated sum is still shown and adds up
    for name in ("x", "w"):
        derivation = by_name[name]
        assert derivation.paths == []
        assert derivation.contributions
        total = sum(np.asarray(c.value, dtype=float) for c in derivation.contributions)
        assert float(total) == pytest.approx(float(derivation.value), rel=1e-12)
    # x feeds r1 = x + w·x twice: through the + directly and through w·x
    assert sorted(c.consumer for c in by_name["x"].contributions) == ["r1", "w * x"]
    # closed forms: dr/dx = (1 + w)ⁿ, dr/dw = n·x·(1 + w)ⁿ⁻¹ with x = 1
    assert float(by_name["x"].value) == pytest.approx((1 + w) ** n, rel=1e-12)
    assert float(by_name["w"].value) == pytest.approx(n * (1 + w) ** (n - 1), rel=1e-12)


def test_paths_are_listed_when_few_and_sum_to_the_gradient(tmp_path):
    # 3 blocks: 2³ = 8 paths to x; each chooses, per block, the skip (factor 1) or the
    # branch (factor w = 0.5): values w^k with multiplicity C(3, k):
    # 1, 0.5 ×3, 0.25 ×3, 0.125 — summing to (1 + w)³ = 3.375
    solution = solve_text(tmp_path, residual_chain_text(3, 0.5))
    derivation = {g.name: g for g in solution.gradients}["x"]
    assert derivation.path_count == 8
    assert len(derivation.paths) == 8
    values = sorted(float(p.value) for p in derivation.paths)
    assert values == pytest.approx([0.125, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 1.0])
    assert sum(values) == pytest.approx(3.375)
    assert float(derivation.value) == pytest.approx(3.375)
    for path in derivation.paths:
        assert path.nodes[0] == "r3" and path.nodes[-1] == "x"
        assert len(path.factors) == len(path.nodes) - 1
    # the shortest path is the all-skip one: r3 → r2 → r1 → x
    assert ["r3", "r2", "r1", "x"] in [p.nodes for p in derivation.paths]


def test_nine_paths_or_more_are_not_listed(tmp_path):
    # 4 blocks: 16 paths to x, more than the 8 that are listed one by one
    solution = solve_text(tmp_path, residual_chain_text(4, 0.5))
    derivation = {g.name: g for g in solution.gradients}["x"]
    assert derivation.path_count == 16 and derivation.paths == []
    assert float(derivation.value) == pytest.approx(1.5**4)


def test_seed_residual_paths(tmp_path):
    # Seed T1: z = relu(relu(x0·w0 + b0)·w1 + b1 + x0); dz/dx0 = 1 (skip) + w1·1·w0 = 1 − 0.06
    solution = hwcheck.solve(hwcheck.load_problem(EXAMPLES / "residual_relu.yaml"))
    derivation = {g.name: g for g in solution.gradients}
    assert set(derivation) >= {"w0", "w1", "b0", "b1", "x0"}
    x0 = derivation["x0"]
    assert x0.path_count == 2
    paths = {tuple(p.nodes): float(p.value) for p in x0.paths}
    assert paths == pytest.approx({
        ("z", "yx", "x0"): 1.0,
        ("z", "yx", "y1", "xw1", "x1", "xwb0", "xw0", "x0"): -0.06,
    })
    assert float(x0.value) == pytest.approx(0.94)
    # the forward values, by hand: 0.3, 0.4, 0.4, -0.08, -0.38, 0.62, 0.62
    for name, value in {"xw0": 0.3, "xwb0": 0.4, "x1": 0.4, "xw1": -0.08, "y1": -0.38, "yx": 0.62, "z": 0.62}.items():
        assert float(solution.expected(name).value) == pytest.approx(value)
    # gradients: dz/dw0 = w1·x0 = −0.2, dz/dw1 = x1 = 0.4, dz/db0 = w1 = −0.2, dz/db1 = 1
    for ask, value in {"dz/dw0": -0.2, "dz/dw1": 0.4, "dz/db0": -0.2, "dz/db1": 1.0}.items():
        assert float(solution.expected(ask).value) == pytest.approx(value)
    assert solution.kinks == []


def test_a_node_used_twice_counts_two_paths(tmp_path):
    # y = x·x: two edges from y to x; dy/dx = 2x = 6
    solution = solve_text(tmp_path, "id: t\nkind: graph\nparams: {x: 3}\nsteps:\n  y: x * x\n")
    (derivation,) = solution.gradients
    assert derivation.path_count == 2
    assert sorted(float(p.value) for p in derivation.paths) == [3.0, 3.0]
    assert float(derivation.value) == 6.0


# -- softmax + cross-entropy, fused ---------------------------------------------------


def test_softmax_cross_entropy_soft_labels(tmp_path):
    # with a distribution y (Σy = 1): dL/dh = p·Σy − y = p − y
    h = np.array([0.5, -0.2, 1.0])
    y = np.array([0.2, 0.5, 0.3])
    p = np.exp(h) / np.exp(h).sum()
    solution = solve_text(tmp_path, f"id: ce\nkind: graph\ninputs:\n  y: {y.tolist()}\nparams:\n  h: {h.tolist()}\nsteps:\n  p: softmax(h)\n  L: cross_entropy(p, y)\n")
    assert float(solution.expected("L").value) == pytest.approx(-np.sum(y * np.log(p)), rel=1e-12)
    np.testing.assert_allclose(solution.expected("dL/dh").value, p - y, rtol=1e-12, atol=1e-15)


LABELS = """id: ce
kind: graph
inputs:
  y: [1, 0]
params:
  h: [[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]]
steps:
  p: softmax(h)
  L: cross_entropy(p, y)
"""


def test_cross_entropy_takes_integer_class_labels_and_sums_the_batch(tmp_path):
    # Row 1: logsumexp(2, 1, 0.1) − h₁ = ln(e² + e + e^0.1) − 1 = ln 11.21208… − 1 = 1.417030…
    # Row 2: logsumexp(0.5, 0.5, 3) − h₀ = ln(2e^0.5 + e³) − 0.5 = ln 23.38288… − 0.5 = 2.652008…
    # The batch is summed (torch's reduction="sum"; its default "mean" would halve this).
    row1 = math.log(math.exp(2) + math.exp(1) + math.exp(0.1)) - 1
    row2 = math.log(2 * math.exp(0.5) + math.exp(3)) - 0.5
    assert (round(row1, 6), round(row2, 6)) == (1.41703, 2.652008)
    solution = solve_text(tmp_path, LABELS)
    assert float(solution.expected("L").value) == pytest.approx(row1 + row2, rel=1e-13)
    p = np.asarray(solution.expected("p").value)
    np.testing.assert_allclose(solution.expected("dL/dh").value, p - [[0, 1, 0], [1, 0, 0]], rtol=1e-13, atol=1e-16)
    np.testing.assert_array_equal(solution.expected("dL/dy").value, [0.0, 0.0])  # labels are not trained
    shortcut = solution.softmax[0]
    assert shortcut.agree and shortcut.y.tolist() == [[0, 1, 0], [1, 0, 0]]
    # The same labels against given probabilities (no softmax before it): −ln p[0,1] − ln p[1,0].
    given = solve_text(tmp_path, "id: ce\nkind: graph\ninputs:\n  y: 2\n  p: [0.25, 0.25, 0.5]\nsteps:\n  L: cross_entropy(p, y)\n")
    assert float(given.expected("L").value) == pytest.approx(math.log(2), rel=1e-15)
    np.testing.assert_array_equal(given.expected("dL/dp").value, [0.0, 0.0, -2.0])


def test_cross_entropy_labels_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    solution = solve_text(tmp_path, LABELS)
    h = torch.tensor([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor([1, 0]), reduction="sum")
    loss.backward()
    assert float(solution.expected("L").value) == pytest.approx(loss.item(), rel=1e-14)
    np.testing.assert_allclose(solution.expected("dL/dh").value, h.grad.numpy(), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("labels, message", [
    ("[1, 3]", "class labels in y must be whole numbers from 0 to 2 (p has 3 classes)"),
    ("[0.5, 1]", "class labels in y must be whole numbers from 0 to 2"),
    ("[1, 0, 1]", "needs y of shape [2, 3] (one-hot rows or distributions, like p) or [2] (integer class labels), got [3]"),
])
def test_cross_entropy_refuses_labels_it_cannot_read_with_a_hint(tmp_path, labels, message):
    path = write(tmp_path, LABELS.replace("y: [1, 0]", f"y: {labels}"))
    run = run_cli("validate", path)
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_t4_shortcut_agrees_with_the_full_jacobian_on_the_contract_example():
    solution = hwcheck.solve(hwcheck.load_problem(EXAMPLES / "softmax_ce.yaml"))
    # Forward by hand: x1 = w1·x + b1 = (0.6, −0.1); x2 = relu(x1) = (0.6, 0);
    # x3 = w2 @ x2 + b2 = (0.12, 0.42, −0.18) + (0, 0.1, −0.2) = (0.12, 0.52, −0.38)
    x2 = np.array([0.6, 0.0])
    x3 = np.array([0.12, 0.52, -0.38])
    np.testing.assert_allclose(solution.expected("x3").value, x3, atol=1e-12)
    p = np.exp(x3) / np.exp(x3).sum()  # ≈ (0.3228, 0.4815, 0.1958)
    y = np.array([0.0, 1.0, 0.0])
    # full chain: dL/dp = −y/p, then through J = diag(p) − p pᵀ (symmetric)
    jacobian = np.diag(p) - np.outer(p, p)
    through = jacobian.T @ np.array([0.0, -1.0 / p[1], 0.0])
    np.testing.assert_allclose(through, p - y, atol=1e-12)
    (record,) = solution.softmax
    assert (record.loss, record.logits, record.probabilities) == ("L", "x3", "x4")
    np.testing.assert_allclose(record.p, p, atol=1e-12)
    np.testing.assert_allclose(record.y, y)
    np.testing.assert_allclose(record.through_jacobian, through, atol=1e-12)
    np.testing.assert_allclose(record.shortcut, p - y, atol=1e-12)
    assert record.agree is True
    # and the gradients down the network: dL/db2 = p − y, dL/dw2 = (p − y) x2ᵀ,
    # dL/dx2 = w2ᵀ(p − y), dL/dx1 = dL/dx2 ⊙ [x1 > 0], dL/dw1 = dL/dx1 · x, dL/db1 = dL/dx1
    w2 = np.array([[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]])
    d = p - y
    dx1 = (w2.T @ d) * np.array([1.0, 0.0])
    np.testing.assert_allclose(solution.expected("dL/db2").value, d, atol=1e-12)
    np.testing.assert_allclose(solution.expected("dL/dw2").value, np.outer(d, x2), atol=1e-12)
    np.testing.assert_allclose(solution.expected("dL/dw1").value, dx1 * 1.0, atol=1e-12)
    np.testing.assert_allclose(solution.expected("dL/db1").value, dx1, atol=1e-12)
    assert float(solution.expected("L").value) == pytest.approx(-np.log(p[1]), rel=1e-12)


# -- the finite-difference check (--check) ----------------------------------------


def test_check_is_ok_on_smooth_problems(tmp_path):
    solution = solve_text(tmp_path, """\
id: s
kind: graph
inputs: {x: [0.5, -1.0, 2.0]}
params: {w: 0.3, b: [0.1, 0.2, -0.1]}
steps:
  h: tanh(w * x + b)
  L: mean(h * h) + sigmoid(w) * sum(exp(b))
""")
    findings = finite_difference_check(solution)
    assert {f.name for f in findings} == {"x", "w", "b"}
    for finding in findings:
        assert finding.ok, finding
        assert finding.note is None
        assert finding.relative_error < 1e-5


def test_check_is_ok_on_the_seed_problem():
    solution = hwcheck.solve(hwcheck.load_problem(EXAMPLES / "residual_relu.yaml"))
    findings = finite_difference_check(solution)
    assert len(findings) == 5
    assert all(f.ok and f.note is None for f in findings)
    by_name = {f.name: f for f in findings}
    assert float(by_name["x0"].numeric) == pytest.approx(0.94, rel=1e-6)


def test_check_notes_a_kink_at_a_relu_input_of_exactly_zero(tmp_path):
    # relu(x·w + b) with 2·0.5 − 1 = 0: backprop gives relu'(0) = 0, while the central
    # difference averages the slopes 0 and x = 2 → 1 for w. A mismatch, noted as a kink.
    solution = solve_text(tmp_path, "id: k\nkind: graph\ninputs: {x: 2.0}\nparams: {w: 0.5, b: -1.0}\nsteps:\n  y: relu(x * w + b)\n")
    by_name = {f.name: f for f in finite_difference_check(solution)}
    w = by_name["w"]
    assert float(w.backprop) == 0.0
    assert float(w.numeric) == pytest.approx(1.0, rel=1e-6)
    assert w.ok is False
    assert w.note is not None and "kink" in w.note
    for name in ("x", "b"):
        assert by_name[name].note is not None and "kink" in by_name[name].note


def test_check_flags_no_kink_when_the_difference_stays_on_one_side(tmp_path):
    solution = solve_text(tmp_path, "id: k\nkind: graph\ninputs: {x: 2.0}\nparams: {w: 0.5, b: -0.5}\nsteps:\n  y: relu(x * w + b)\n")
    by_name = {f.name: f for f in finite_difference_check(solution)}
    assert all(f.ok and f.note is None for f in by_name.values())
    assert float(by_name["w"].numeric) == pytest.approx(2.0, rel=1e-6)  # x


def test_hints_write_derivatives_with_the_parentheses_solve_prints(tmp_path):
    text = "id: h\nkind: graph\ninputs: {x: 2, y: 1}\nparams: {w: 0.5}\nsteps:\n  yhat: w * x\n  L: (yhat - y) ** 2\n"
    solution = solve_text(tmp_path, text)
    hint = hint_text(solution.hint("dL/dw")).splitlines()
    assert hint[2:] == ["  ∂yhat/∂w = x", "  ∂(yhat - y)/∂yhat = 1", "  ∂L/∂(yhat - y) = 2·(yhat - y)^(2 - 1)"]
    assert hint_text(solution.hint("L")) == "L = (yhat - y) ** 2: put in the values of (yhat - y) from the forward pass."
    terminal = run_cli("solve", write(tmp_path, text)).stdout
    assert "∂(yhat - y)/∂yhat" in terminal and "∂L/∂(yhat - y)" in terminal
    markdown = hwcheck.render.FORMATS["markdown"](solution)
    assert r"$\frac{\partial (\mathit{yhat} - y)}{\partial \mathit{yhat}}$" in markdown
