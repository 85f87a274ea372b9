"""Architecture problems: output shapes, learnable parameters and mult-adds, worked out.

    from hwcheck.problem import load_problem
    from hwcheck.architecture import solve_architecture

    problem = load_problem("problems/mlp_params.yaml")   # an ArchitectureProblem
    solution = solve_architecture(problem)
    solution.expected("params").value                    # 557057
    solution.network.formula_total                       # a term: 30×1024 + 1024 + ... = 557,057

    from hwcheck.render.typeset import unicode, tex
    unicode(solution.network.formula_total)              # '30×1024 + 1024 + ... = 557,057'
"""

from .layers import LAYER_TYPES, MISTAKES
from .load import KIND_KEYS, load_architecture
from .model import ArchitectureProblem, Branch, LayerFault, LayerRow, LayerSpec, Network, ShapeStep, Term
from .solve import ArchitectureSolution, solve_architecture

__all__ = [
    "KIND_KEYS", "LAYER_TYPES", "MISTAKES", "ArchitectureProblem", "ArchitectureSolution", "Branch", "LayerFault", "LayerRow",
    "LayerSpec", "Network", "ShapeStep", "Term", "load_architecture", "solve_architecture",
]
