"""Shared paths and helpers for the test suite (importable as `support`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
# A copy of the contract's examples (../shared/spec/examples), kept in the repository so that
# a clone anywhere passes; test_contract_copy.py checks it has not drifted when ../shared exists.
CONTRACT = ROOT / "tests" / "contract"
SHARED_CONTRACT = ROOT.parent / "shared" / "spec" / "examples"
# The installed console script, found beside the interpreter that runs the tests (a venv's bin/).
HWCHECK = str(Path(sys.executable).with_name("hwcheck"))


def run_cli(*args: str, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real entry point (`python -m hwcheck`) as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "hwcheck", *map(str, args)],
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})},
    )


def contract_example(name: str) -> Path:
    path = CONTRACT / name
    if not path.exists():
        pytest.fail(f"contract example {path} is missing from tests/contract/")
    return path


# Contract examples that use features of issues still open. Tests over every example expect
# them to fail (strict xfail), so a mark fails as soon as its feature lands and must go.
PENDING = {
}


def is_problem_file(path: Path) -> bool:
    """A problem, not an answer sheet (sheets have `answers:` at the top level)."""
    return not any(line.startswith("answers:") for line in path.read_text(encoding="utf-8").splitlines())


def is_assignment(path: Path) -> bool:
    """An assignment (kind: assignment) lists problem files; it is not one problem."""
    return any(line.split("#")[0].strip() == "kind: assignment" for line in path.read_text(encoding="utf-8").splitlines())


def contract_problems() -> list:
    """Every problem among the contract's examples, as pytest params; pending ones xfail."""
    return [
        pytest.param(path, id=path.name, marks=[pytest.mark.xfail(strict=True, reason=PENDING[path.name])] if path.name in PENDING else [])
        for path in sorted(CONTRACT.glob("*.yaml")) if is_problem_file(path)
    ]


def needs_bwrap() -> None:
    """Skip a sandbox test where bubblewrap cannot run (a developer's machine), with the
    install command; in CI (the CI variable set) fail instead, so the tests really run there."""
    from hwcheck.code.sandbox import find_bwrap

    if find_bwrap() is None:
        message = "bubblewrap is not installed or cannot create namespaces here: apt-get install bubblewrap"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)


def solve_layers(tmp_path: Path, input_shape: str, *layers: str, convention: str | None = None):
    """The solution of an architecture problem with these layers (one YAML flow mapping each)."""
    from hwcheck.architecture import solve_architecture
    from hwcheck.problem import load_problem

    text = f"id: t\nkind: architecture\ninput: {input_shape}\n"
    if convention:
        text += f"convention: {convention}\n"
    text += "layers:\n" + "".join(f"  - {layer}\n" for layer in layers)
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return solve_architecture(load_problem(path))
