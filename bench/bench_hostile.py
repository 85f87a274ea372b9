"""Hostile input must cost time linear in its size (issue 8 §3). For each family of
file-controlled text, times the work at size N and 4N in the same run and prints the
ratio: about 4 is linear, about 16 quadratic. Before the fixes, an ask with 40,000 spaces
took 6 s (ratio ≈ 16), 3,000 unknown names in `wrt` took 17 s (ratio ≈ 16), and an
architecture ask `params(` + 5,000 spaces took 150 s (cubic).

Run: .venv/bin/python bench/bench_hostile.py [--n N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hwcheck import InputError, load_problem  # noqa: E402
from hwcheck.architecture.model import parse_ask as arch_ask  # noqa: E402
from hwcheck.graph.ask import parse_ask  # noqa: E402
from hwcheck.graph.expr import ExprError, parse_expression  # noqa: E402
from hwcheck.graph.ops import FUNCTIONS  # noqa: E402
from hwcheck.numbers import NotANumber, parse_number  # noqa: E402
from hwcheck.yamldoc import parse_yaml  # noqa: E402


def seconds(work, *args) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        try:
            work(*args)
        except (InputError, ExprError, NotANumber):
            pass
        best = min(best, time.perf_counter() - start)
    return best


def unknown_names_file(n: int) -> str:
    steps = "\n".join(f"  s{i}: x + {i}" for i in range(n))
    wrt = ", ".join(f"s{i}x" for i in range(n))
    return f"id: p\nkind: graph\ninputs: {{x: 1}}\nsteps:\n{steps}\nwrt: [{wrt}]\n"


def load_text(text: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(text)
    try:
        load_problem(handle.name)
    finally:
        os.unlink(handle.name)


FAMILIES = {
    "ask: name, N spaces, junk": lambda n: (parse_ask, "x" + " " * n + "!"),
    "ask: dOUT, N spaces, /dNAME junk": lambda n: (parse_ask, "dz" + " " * n + "/dx!"),
    "architecture ask: params( N spaces junk": lambda n: (arch_ask, "params(" + " " * n + "!", ["A"]),
    "number: N digits then junk": lambda n: (parse_number, "1" * n + "x"),
    "fraction: N spaces around /": lambda n: (parse_number, "1" + " " * n + "/" + " " * n + "x"),
    "expression: 1,990 spaces (the length cap)": lambda n: (parse_expression, "x" + " " * 1990 + "!", FUNCTIONS),
    "YAML: N/10 keys of 1.10-like numbers": lambda n: (parse_yaml, "".join(f"1.{i}0: 1\n" for i in range(n // 10)), "f"),
    "problem: N/20 unknown names in wrt": lambda n: (load_text, unknown_names_file(n // 20)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40_000)
    n = parser.parse_args().n
    print(f"{'family':44} {'N':>9} {'t(N)':>9} {'t(4N)':>9} {'ratio':>6}  (linear ≈ 4, quadratic ≈ 16)")
    for name, make in FAMILIES.items():
        small, large = make(n), make(4 * n)
        t1, t4 = seconds(*small), seconds(*large)
        print(f"{name:44} {n:>9,} {t1:>8.4f}s {t4:>8.4f}s {t4 / max(t1, 1e-9):>6.1f}")


if __name__ == "__main__":
    main()
