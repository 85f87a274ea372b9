"""Shared paths and helpers for the test suite (importable as `support`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
# The contract's examples live beside the repository in ../shared; CI copies them there too.
CONTRACT = ROOT.parent / "shared" / "spec" / "examples"


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
        pytest.fail(f"contract example {path} is missing: the tests expect ../shared/spec/examples beside the repo")
    return path
