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
