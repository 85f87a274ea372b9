"""The layout the code promises: no import cycles among hwcheck's modules at module level,
and the core (graph/, architecture/, code/, the problem and solution types) never
importing the view (render/) at module level."""

from __future__ import annotations

import ast

from support import ROOT

PACKAGE = ROOT / "src" / "hwcheck"


def _module(path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports() -> dict[str, set[str]]:
    """Each module's imports of hwcheck modules, at module level only (lazy ones excluded)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    edges[name].add(full if full in modules else target)
    return {name: {t for t in targets if t in modules and t != name} for name, targets in edges.items()}


def test_no_import_cycles_at_module_level():
    edges = _module_level_imports()
    state: dict[str, int] = {}
    for start in edges:  # iterative depth-first search for a back edge
        if start in state:
            continue
        stack = [(start, iter(sorted(edges[start])))]
        state[start], path = 1, [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                raise AssertionError("import cycle: " + " → ".join(path[path.index(child):] + [child]))
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(edges[child]))))


CORE = ("hwcheck.graph.", "hwcheck.architecture.", "hwcheck.code.", "hwcheck.problem", "hwcheck.solution")


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
