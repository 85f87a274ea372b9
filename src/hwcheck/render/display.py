"""How a solution shows itself: ``rich.print(solution)`` and, in Jupyter, the same tables
as the terminal (rendered to HTML by rich).

The core's solution classes know nothing of this (the core never imports the view): the
Python API, :func:`hwcheck.solve`, gives the class of each solution it returns the two
display methods with :func:`install`, as the CLI wires the renderers to the solvers. This
module imports nothing heavy at load time; rich and the terminal renderers are imported
when a solution is shown.
"""

from __future__ import annotations

import io


def rich_renderable(solution):
    """What rich prints for a solution: the terminal format's tables."""
    from . import FORMATS  # deliberate: the renderers load only when a solution is shown

    return FORMATS["terminal"](solution)


def html(solution) -> str:
    """The terminal format's tables as HTML (for Jupyter)."""
    from rich.console import Console  # deliberate: rich loads only when a solution is shown

    console = Console(record=True, width=120, file=io.StringIO(), force_jupyter=False, force_terminal=True)
    console.print(rich_renderable(solution))
    return console.export_html(inline_styles=True)


def install(cls: type) -> type:
    """Give a solution class the display protocols of rich (``__rich__``) and Jupyter
    (``_repr_html_``); doing it again changes nothing."""
    cls.__rich__ = rich_renderable
    cls._repr_html_ = html
    return cls
