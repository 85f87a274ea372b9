"""The operations added on the registry alone (issue 9 part 8), against hand-worked values.

The registry's own tests (test_op_registry.py) check each one's VJP, formulas and
typesetting; here each is worked through a problem file as a student would, with numbers
from tables or worked by hand, and against PyTorch when it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hwcheck
from hwcheck.render.typeset import unicode
from support import run_cli

# Φ(1) and φ(1) from a table of the standard normal distribution (to 15 digits).
PHI_1, DENSITY_1 = 0.841344746068543, 0.241970724519143


def solve(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return hwcheck.solve(str(path))


def test_gelu_is_exact_with_erf(tmp_path):
    # gelu(1) = 1·Φ(1); gelu(−1) = −Φ(−1) = −(1 − Φ(1)); gelu'(x) = Φ(x) + x·φ(x), φ even.
    s = solve(tmp_path, "id: g\nkind: graph\nparams:\n  x: [1.0, -1.0]\nsteps:\n  h: gelu(x)\n  L: sum(h)\n")
    np.testing.assert_allclose(s.expected("h").value, [PHI_1, -(1 - PHI_1)], rtol=1e-14)
    np.testing.assert_allclose(s.expected("dL/dx").value, [PHI_1 + DENSITY_1, (1 - PHI_1) - DENSITY_1], rtol=1e-14)


def test_gelu_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    x = torch.tensor([0.5, -1.2, 2.0, -3.5], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.gelu(x).sum().backward()
    s = solve(tmp_path, f"id: g\nkind: graph\nparams:\n  x: {x.tolist()}\nsteps:\n  L: sum(gelu(x))\n")
    np.testing.assert_allclose(s.expected("dL/dx").value, x.grad.numpy(), rtol=1e-14)


def test_softplus_and_log_sigmoid_by_hand(tmp_path):
    # softplus(0) = ln 2, softplus'(0) = σ(0) = ½; softplus(ln 3) = ln 4, σ(ln 3) = 3/4.
    # log σ(0) = −ln 2, (log σ)'(0) = ½; log σ(−ln 3) = ln(1/4), its slope 1 − σ(−ln 3) = 3/4.
    # Far out: softplus(30) = 30 (PyTorch's threshold), log σ(−800) = −800 without overflow.
    s = solve(tmp_path, f"id: s\nkind: graph\nparams:\n  x: [0.0, {math.log(3)}, 30.0]\n  z: [0.0, {-math.log(3)}, -800.0]\n"
                        "steps:\n  a: softplus(x)\n  b: log_sigmoid(z)\n  L: sum(a) + sum(b)\n")
    np.testing.assert_allclose(s.expected("a").value, [math.log(2), math.log(4), 30.0], rtol=1e-15)
    np.testing.assert_allclose(s.expected("dL/dx").value, [0.5, 0.75, 1.0], rtol=1e-15)
    np.testing.assert_allclose(s.expected("b").value, [-math.log(2), math.log(0.25), -800.0], rtol=1e-15)
    np.testing.assert_allclose(s.expected("dL/dz").value, [0.5, 0.75, 1.0], rtol=1e-15)


def test_softplus_and_log_sigmoid_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    values = [0.5, -1.2, 2.0, 25.0, -40.0]
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (torch.nn.functional.softplus(x).sum() + torch.nn.functional.logsigmoid(x).sum()).backward()
    s = solve(tmp_path, f"id: s\nkind: graph\nparams:\n  x: {values}\nsteps:\n  L: sum(softplus(x)) + sum(log_sigmoid(x))\n")
    np.testing.assert_allclose(s.expected("dL/dx").value, x.grad.numpy(), rtol=1e-14)


def test_bce_is_the_mean_with_torchs_clamps(tmp_path):
    # p = (0.2, 0.5), y = (0, 1): L = −(ln 0.8 + ln 0.5)/2 = ln(2.5)/2.
    # dL/dp = (p − y)/(p(1 − p))/n = (0.2/0.16, −0.5/0.25)/2 = (0.625, −1).
    s = solve(tmp_path, "id: b\nkind: graph\ninputs:\n  y: [0, 1]\nparams:\n  p: [0.2, 0.5]\nsteps:\n  L: bce(p, y)\n")
    assert float(s.expected("L").value) == pytest.approx(math.log(2.5) / 2, rel=1e-15)
    np.testing.assert_allclose(s.expected("dL/dp").value, [0.625, -1.0], rtol=1e-15)
    # A wrong certainty: p = 0 for y = 1 costs 100 (log clamped at −100), not infinity;
    # its gradient is (0 − 1)/10⁻¹² per element, finite as in torch.
    s = solve(tmp_path, "id: b\nkind: graph\ninputs:\n  y: [1, 0]\nparams:\n  p: [0.0, 0.0]\nsteps:\n  L: bce(p, y)\n")
    assert float(s.expected("L").value) == 50.0
    np.testing.assert_allclose(s.expected("dL/dp").value, [-0.5e12, 0.0], rtol=1e-15)


def test_bce_refuses_what_is_not_a_probability(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: b\nkind: graph\ninputs:\n  y: [1, 0]\nparams:\n  p: [1.5, 0.2]\nsteps:\n  L: bce(p, y)\n")
    with pytest.raises(hwcheck.InputError, match=r"bce\(p, y\) needs probabilities p from 0 to 1 \(apply sigmoid first\)"):
        hwcheck.load_problem(path)


def test_bce_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.2, 0.7, 0.9, 0.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 1.0, 0.6, 1.0], dtype=torch.float64)
    loss = torch.nn.BCELoss()(p, y)
    loss.backward()
    s = solve(tmp_path, f"id: b\nkind: graph\ninputs:\n  y: {y.tolist()}\nparams:\n  p: {p.tolist()}\nsteps:\n  L: bce(p, y)\n")
    assert float(s.expected("L").value) == pytest.approx(loss.item(), rel=1e-14)
    np.testing.assert_allclose(s.expected("dL/dp").value, p.grad.numpy(), rtol=1e-14)


AXES = "id: ax\nkind: graph\nparams:\n  X: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]\nsteps:\n  r: sum(X, 1)\n  c: mean(X, -2)\n  L: sum(r * r) + sum(c * c)\n"


def test_sum_and_mean_along_an_axis_by_hand(tmp_path):
    # r = row sums (6, 15); c = column means (2.5, 3.5, 4.5); L = 36 + 225 + 6.25 + 12.25 + 20.25.
    # dL/dX = 2r copied along the rows + 2c/2 copied down the columns.
    s = solve(tmp_path, AXES)
    assert s.expected("r").value.tolist() == [6, 15] and s.expected("c").value.tolist() == [2.5, 3.5, 4.5]
    assert float(s.expected("L").value) == 299.75
    assert s.expected("dL/dX").value.tolist() == [[14.5, 15.5, 16.5], [32.5, 33.5, 34.5]]
    local = s.row("r").locals[0]
    assert unicode(local.formula) == "unsqueeze(G, 1) (copied along the summed axis)" and local.vjp
    assert local.value.tolist() == [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]]  # ∂r_i/∂X_j, X row-major
    assert s.expected("dL/dX").value.tolist() == [[14.5, 15.5, 16.5], [32.5, 33.5, 34.5]]


@pytest.mark.parametrize("step, message", [
    ("sum(X, 2)", "sum(a, axis): the axis must be a whole number from -2 to 1 for a tensor of shape [2, 3], got 2"),
    ("mean(X, 0.5)", "mean(a, axis): the axis must be a whole number from -2 to 1"),
    ("sum(X, k)", "argument 2 of sum() must be a number"),
    ("sum(X, 1, 2)", "sum() takes 1 or 2 arguments, not 3"),
    ("log(-X)", "log of a number ≤ 0: r with"),  # a domain error is not reported as a shape error
])
def test_axis_and_domain_errors_say_what_to_write(tmp_path, step, message):
    path = tmp_path / "p.yaml"
    path.write_text(f"id: ax\nkind: graph\nparams:\n  X: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]\n  k: 1\nsteps:\n  r: {step}\n")
    run = run_cli("validate", path)
    assert run.returncode == 2 and message in run.stderr and "broadcast" not in run.stderr


def test_axis_reductions_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64, requires_grad=True)
    r, c = X.sum(dim=1), X.mean(dim=-2)
    ((r * r).sum() + (c * c).sum()).backward()
    np.testing.assert_allclose(solve(tmp_path, AXES).expected("dL/dX").value, X.grad.numpy(), rtol=1e-15)
