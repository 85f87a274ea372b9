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
