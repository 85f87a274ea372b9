"""hwcheck: solve and grade first-course backpropagation homework, showing the working.

The Python API, for notebooks and other tools::

    import hwcheck
    problem = hwcheck.load_problem("problems/residual_relu.yaml")
    solution = hwcheck.solve(problem)
    solution.expected("dz/dw0").value      # -0.2
    solution.to_json()                     # the contract's JSON object, as plain data
    solution                               # in Jupyter: the worked solution, rendered by rich
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import HwcheckError, InputError, UnknownAsk
from .problem import Problem, load_problem


def solve(problem: "Problem | str"):
    """Solve a problem (or the problem file at a path) and return its Solution."""
    from .gcpause import paused_gc

    with paused_gc():  # keeps a 30,000-step graph linear: see gcpause.py
        if isinstance(problem, str) or hasattr(problem, "__fspath__"):
            problem = load_problem(problem)
        if problem.kind == "graph":
            from .graph.solve import solve_graph

            return solve_graph(problem)
        if problem.kind == "code":
            from .code.solve import solve_code

            return solve_code(problem)
        from .architecture.solve import solve_architecture

        return solve_architecture(problem)


__all__ = ["HwcheckError", "InputError", "UnknownAsk", "Problem", "load_problem", "solve", "__version__"]
