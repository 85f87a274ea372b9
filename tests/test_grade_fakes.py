"""Small hand-made solutions implementing the Solution protocol, for the grading tests.

Every expected value here was worked out by hand from the contract's examples:

residual_relu.yaml (x0 = 1, w0 = 0.3, w1 = -0.2, b0 = 0.1, b1 = -0.3):
  xw0 = 0.3, xwb0 = 0.4, x1 = relu(0.4) = 0.4, xw1 = -0.08, y1 = -0.38, yx = 0.62, z = 0.62
  dz/dw0 = w1·x0 = -0.2, dz/dw1 = x1 = 0.4, dz/db0 = w1 = -0.2, dz/db1 = 1,
  dz/dx0 = 1 (skip path) + w1·w0 (main path) = 1 - 0.06 = 0.94.
  Leaving out the skip path gives -0.06; leaving out the main path gives 1.

mlp_params.yaml (30 → 1024 → 512 → 1): shapes [1024], [512], [1];
  params = 30·1024 + 1024 + 1024·512 + 512 + 512·1 + 1 = 557,057; without biases 555,520.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from hwcheck.problem import Problem, Question, Tolerance
from hwcheck.solution import Alternative, Expected, Mistake

RESIDUAL_QUESTIONS = [
    Question("T1.z", "z", 1.0),
    Question("T1.w0", "dz/dw0", 2.0),
    Question("T1.w1", "dz/dw1", 2.0),
    Question("T1.b0", "dz/db0", 2.0),
    Question("T1.b1", "dz/db1", 2.0),
    Question("T1.x0", "dz/dx0", 2.0),
]
RESIDUAL_EXPECTED = {"z": 0.62, "dz/dw0": -0.2, "dz/dw1": 0.4, "dz/db0": -0.2, "dz/db1": 1.0, "dz/dx0": 0.94}

MLP_QUESTIONS = [Question("T2.A", "A"), Question("T2.B", "B"), Question("T2.C", "C"), Question("T3", "params", 3.0)]
MLP_EXPECTED = {"A": [1024], "B": [512], "C": [1], "params": 557057}


class FakeSolution:
    """Implements Solution with fixed tables; ``mistakes`` may also be a function of the answers."""

    def __init__(
        self,
        problem: Problem,
        expected: dict[str, Expected],
        mistakes: dict[str, list[Mistake] | Callable[[Mapping[str, Any]], list[Mistake]]] | None = None,
        hints: dict[str, str] | None = None,
    ):
        self.problem = problem
        self._expected = expected
        self._mistakes = mistakes or {}
        self._hints = hints or {}
        self.mistake_calls: list[tuple[str, dict]] = []

    def expected(self, ask: str) -> Expected:
        return self._expected[ask]

    def mistakes(self, ask: str, answers: Mapping[str, Any] | None = None) -> list[Mistake]:
        self.mistake_calls.append((ask, dict(answers or {})))
        found = self._mistakes.get(ask, [])
        return found(answers or {}) if callable(found) else list(found)

    def hint(self, ask: str) -> str:
        return self._hints.get(ask, f"work out {ask} with the chain rule")

    def to_json(self) -> dict:
        return {"id": self.problem.id}


def residual_solution(file: str = "residual_relu.yaml", questions: list[Question] | None = None) -> FakeSolution:
    problem = Problem(file, "residual-relu", "graph", "Residual ReLU", Tolerance(), list(questions or RESIDUAL_QUESTIONS))
    expected = {ask: Expected(ask, value, False) for ask, value in RESIDUAL_EXPECTED.items()}
    mistakes = {
        "dz/dx0": [
            Mistake("missing-path", "you left out the skip connection x0 → yx", -0.06),
            Mistake("missing-path", "you left out the path through x1 (x0 → xw0 → ... → yx)", 1.0),
        ],
        "dz/dw0": [Mistake("sign-error", "the sign is flipped", 0.2), Mistake("wrong-factor", "you multiplied by w0 instead of w1", 0.3)],
        "dz/dw1": [Mistake("pre-activation", "you used the pre-activation xwb0 for x1", 0.4 + 0.0)],
        "z": [Mistake("pre-activation", "you gave the pre-activation yx (the same number here, since yx > 0)", 0.62)],
    }
    hints = {"dz/dx0": "dz/dx0 sums over every path from x0 to z: dz/dyx·dyx/dx0 + dz/dyx·dyx/dy1·dy1/dxw1·dxw1/dx1·dx1/dxwb0·dxwb0/dxw0·dxw0/dx0"}
    return FakeSolution(problem, expected, mistakes, hints)


def mlp_solution(file: str = "mlp_params.yaml") -> FakeSolution:
    problem = Problem(file, "mlp-params", "architecture", "MLP", Tolerance(), list(MLP_QUESTIONS))
    expected = {ask: Expected(ask, value, True) for ask, value in MLP_EXPECTED.items()}
    mistakes = {
        "params": [
            Mistake("forgot-bias", "you left out the biases (1024 + 512 + 1)", 555520),
            Mistake("forgot-plus-one", "you forgot the +1 for each unit's bias", 555520),
            Mistake("one-layer", "something else", 31744),
        ],
        "A": [Mistake("forgot-input-channels", "not a real one", [30])],
    }
    return FakeSolution(problem, expected, mistakes)


def kink_solution() -> FakeSolution:
    """relu at exactly 0: PyTorch's subgradient 0, with 1 accepted as another valid one."""
    problem = Problem("kink.yaml", "kink", "graph", None, Tolerance(), [Question("K", "dz/dx"), Question("V", "dz/dw")])
    expected = {
        "dz/dx": Expected("dz/dx", 0.0, False, (Alternative(1.0, "at the kink relu'(0) = 1 is also a valid subgradient"),)),
        "dz/dw": Expected("dz/dw", np.array([[0.5, -0.25], [0.125, 2.0]]), False),
    }
    return FakeSolution(problem, expected)


def test_fakes_match_the_hand_worked_numbers():
    # 1 + w1·w0 with w0 = 0.3, w1 = -0.2
    assert RESIDUAL_EXPECTED["dz/dx0"] == 1 + (-0.2) * 0.3 + 0.0 or abs(RESIDUAL_EXPECTED["dz/dx0"] - 0.94) < 1e-12
    assert MLP_EXPECTED["params"] == 30 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 1 + 1
    assert 30 * 1024 + 1024 * 512 + 512 == 555520
