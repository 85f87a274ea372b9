"""The layout the code promises: the core (graph/, architecture/, code/, the problem and
solution types) never importing the view (render/) at module level. No import cycles:
tests/test_imports.py."""

from __future__ import annotations

from test_imports import graph, read_imports


def _module_level_imports() -> dict[str, set[str]]:
    """Each module's imports of hwcheck modules, at module level only (lazy ones excluded)."""
    return graph(read_imports(), lazy=False)


CORE = ("hwcheck.graph.", "hwcheck.architecture.", "hwcheck.code.", "hwcheck.common", "hwcheck.problem", "hwcheck.solution")


def test_the_core_does_not_import_the_view():
    edges = _module_level_imports()
    assert any(name.startswith(CORE) for name in edges)
    for name, targets in edges.items():
        if name.startswith(CORE):
            assert not [t for t in targets if t.startswith("hwcheck.render")], f"{name} imports the view"


def test_the_grading_terminal_lives_with_grading():
    edges = _module_level_imports()
    assert "hwcheck.grade.terminal" in edges
    assert not [name for name in edges if name.startswith("hwcheck.render.") and "grade" in name]
    # grading's modules use the view's long table, never the other way round
    assert not [name for name, targets in edges.items() if name.startswith("hwcheck.render") and any(t.startswith("hwcheck.grade") for t in targets)]
