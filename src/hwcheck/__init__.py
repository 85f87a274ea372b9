"""hwcheck: solve and grade first-course backpropagation homework, showing the working.

The Python API, for notebooks and other tools::

    import hwcheck
    problem = hwcheck.load_problem("problems/residual_relu.yaml")
    solution = hwcheck.solve(problem)
    solution.expected("dz/dw0").value      # -0.2
    solution.to_json()                     # the contract's JSON object, as plain data
    solution                               # in Jupyter: the worked solution, rendered by rich

This module is the API's one layer above the core: like the CLI, it wires the solvers to
the view (:mod:`hwcheck.render.display`), which the core never imports.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import HwcheckError, InputError, UnknownAsk
from .problem import Problem, load_problem
from .render.display import install


def solve(problem: "Problem | str"):
    """Solve a problem (or the problem file at a path) and return its Solution."""
    from .gcpause import paused_gc  # deliberate: importing hwcheck stays light until something is solved

    with paused_gc():  # keeps a 30,000-step graph linear: see gcpause.py
        if isinstance(problem, str) or hasattr(problem, "__fspath__"):
            problem = load_problem(problem)
        solution = _solver(problem.kind)(problem)
    install(type(solution))  # rich's and Jupyter's display: the view's, given at this layer
    return solution


def _solver(kind: str):
    if kind == "graph":
        from .graph.solve import solve_graph  # deliberate: only the solver of the problem's kind is loaded

        return solve_graph
    if kind == "code":
        from .code.solve import solve_code  # deliberate: as above

        return solve_code
    from .architecture.solve import solve_architecture  # deliberate: as above

    return solve_architecture


__all__ = ["HwcheckError", "InputError", "UnknownAsk", "Problem", "load_problem", "solve", "__version__"]
