"""Benchmarks for `hwcheck solve` on long chains (issue 2): ratios measured in the same
run, because these machines are noisy. (Start-up against bare imports is measured by
bench_speed.py.)

Scaling: load + solve time of a 3,000-step and a 30,000-step chain, and their ratio (10×
the steps should cost about 10× the time: linear), plus peak memory, and the whole
command on the 30,000-step chain in the JSON and terminal formats.

Run: .venv/bin/python bench/bench_solve.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def chain_problem(steps: int) -> str:
    """A deep chain alternating tanh and relu blocks with a skip, one param shared."""
    lines = ["id: chain", "kind: graph", "inputs: {x: 0.5}", "params: {w: 0.9}", "steps:", "  h0: x * w"]
    for i in range(1, steps):
        lines.append(f"  h{i}: tanh(h{i-1}) + h{i-1} * w" if i % 2 else f"  h{i}: relu(h{i-1}) + 0.1")
    return "\n".join(lines) + "\n"


def solve_time(path: str) -> float:
    """Seconds to load and solve in this process."""
    import hwcheck

    start = time.perf_counter()
    hwcheck.solve(hwcheck.load_problem(path))
    return time.perf_counter() - start


def peak_memory_mib(path: str) -> float:
    """Peak resident memory of a fresh process that loads and solves the file."""
    code = (
        "import resource, sys, hwcheck; hwcheck.solve(hwcheck.load_problem(sys.argv[1])); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True).stdout
    return int(out) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    hwcheck = str(Path(sys.executable).with_name("hwcheck"))
    problem = str(ROOT / "problems" / "residual_relu.yaml")

    solve_time(problem)  # warm up (imports, first calls) so the 3k run is not charged for it
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for steps in (3000, 30000):
            path = os.path.join(tmp, f"chain{steps}.yaml")
            Path(path).write_text(chain_problem(steps))
            results[steps] = seconds = solve_time(path)
            peak = peak_memory_mib(path)
            print(f"chain of {steps:>6,} steps: load + solve {seconds:.2f} s, {seconds / steps * 1e6:.0f} µs/step, peak RSS {peak:.0f} MiB")
        ratio = results[30000] / results[3000]
        print(f"scaling: 30k / 3k time ratio {ratio:.1f} (linear = 10)")
        for fmt in ("json", "terminal"):
            start = time.perf_counter()
            subprocess.run([hwcheck, "solve", path, "--format", fmt], stdout=subprocess.DEVNULL, check=True)
            print(f"hwcheck solve --format {fmt} on the 30k chain, whole command: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
