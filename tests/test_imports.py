"""Imports go one way (issue 9 §5): no cycle among hwcheck's modules, and every import
inside a function is a deliberate lazy one, there for start-up time, that says so.

The import graph is read from the source with ``ast``: an edge A → B is an import of the
hwcheck module B written in A. Module-level imports (also those inside a top-level ``if``
or ``try``, not those under ``if TYPE_CHECKING:``) run when A is imported; lazy ones run
inside a function. The graph of module-level imports must have no cycle, and neither may
the graph with the lazy imports added: a lazy import is never there to hide a cycle, so
any of them could move to the top of its module the day start-up time no longer matters.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from pathlib import Path

from support import PROBLEMS, ROOT

PACKAGE = ROOT / "src" / "hwcheck"
MARK = "# deliberate:"  # the house form of the comment a lazy import carries

# Lazy imports owned by another branch of issue 9, which changes them: (module, imported).
# An entry that no longer matches any import fails the test below, so it goes with its import.
ELSEWHERE = {
    ("hwcheck.graph.solve", "hwcheck.render.hints"),  # graphterms: the hints leave the solver
}


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool, modules: set[str]) -> list[str]:
    """The modules an import statement names: hwcheck's own only, as dotted names."""
    if isinstance(node, ast.Import):
        found = [alias.name for alias in node.names]
    else:
        if node.level:
            parts = name.split(".") if is_package else name.split(".")[:-1]
            parts = parts[:len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        # `from P import x`: the submodule P.x when there is one, else P itself
        found = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    return [t for t in found if t in modules]


def _module_level(body: list[ast.stmt]):
    """The import statements that run when the module is imported."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue  # for the type checker only: never runs
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in (node.body, getattr(node, "orelse", []), getattr(node, "finalbody", [])):
                yield from _module_level(block)
            for handler in getattr(node, "handlers", []):
                yield from _module_level(handler.body)


def read_imports(package: Path = PACKAGE) -> list[tuple[str, ast.stmt, list[str], bool, Path]]:
    """Every import statement of the package: (module, node, hwcheck modules it names, lazy?, file)."""
    paths = {_module_name(p, package): p for p in sorted(package.rglob("*.py"))}
    found = []
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        eager = set(map(id, _module_level(tree.body)))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = _targets(node, name, path.name == "__init__.py", set(paths))
                found.append((name, node, targets, id(node) not in eager, path))
    return found


def graph(imports, lazy: bool) -> dict[str, set[str]]:
    """Module → the hwcheck modules it imports (at module level; with ``lazy``, inside functions too)."""
    edges: dict[str, set[str]] = {name: set() for name, *_ in imports}
    for name, _, targets, is_lazy, _ in imports:
        if lazy or not is_lazy:
            edges[name].update(t for t in targets if t != name)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(edges[start]))]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(edges.get(child, ()))))
    return None


def test_find_cycle_finds_one_and_only_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None  # a diamond is no cycle
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_the_graph_reader_resolves_relative_imports():
    imports = read_imports()
    edges = graph(imports, lazy=False)
    assert "hwcheck.common" in edges["hwcheck.solution"]  # from .common import Problem
    assert "hwcheck.graph.expr" in edges["hwcheck.code.load"]  # from ..graph import expr as E: a submodule
    assert "hwcheck.render" in edges["hwcheck.render.assignment"]  # from . import FORMATS: the package
    assert "hwcheck.code.reference" in edges["hwcheck.code.load"]
    assert "hwcheck.graph.load" not in edges["hwcheck.problem"]  # the kind's loader is a lazy import
    assert "hwcheck.graph.load" in graph(imports, lazy=True)["hwcheck.problem"]


def test_no_import_cycle_at_module_level():
    cycle = find_cycle(graph(read_imports(), lazy=False))
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_no_lazy_import_hides_a_cycle():
    cycle = find_cycle(graph(read_imports(), lazy=True))
    assert cycle is None, "import cycle through a lazy import (move the shared piece down, or pass it in): " + " → ".join(cycle)


def _comments(path: Path) -> dict[int, str]:
    """Line number → the comment on that line."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return {t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT}


def test_every_lazy_import_says_why():
    """An import inside a function carries ``# deliberate: why`` on its line (or on the line
    just above it, for a long one): start-up time, most often."""
    unexplained, elsewhere = [], set()
    comments: dict[Path, dict[int, str]] = {}
    for name, node, targets, lazy, path in read_imports():
        if not lazy:
            continue
        if any((name, t) in ELSEWHERE for t in targets):
            elsewhere.update((name, t) for t in targets)
            continue
        notes = comments.setdefault(path, _comments(path))
        lines = range(node.lineno - 1, node.end_lineno + 1)
        if not any(notes.get(line, "").startswith(MARK) for line in lines):
            unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not unexplained, f"lazy imports without a '{MARK} why' comment:\n" + "\n".join(unexplained)
    assert elsewhere == ELSEWHERE, f"no longer found, remove from ELSEWHERE: {ELSEWHERE - elsewhere}"


def _loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def _under(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


# What only some commands need: each is imported inside the function that needs it.
SUB_COMMANDS = ("hwcheck.grade", "hwcheck.code", "hwcheck.variants", "hwcheck.schema", "hwcheck.draw", "hwcheck.handout",
                "hwcheck.handout_command", "hwcheck.assignment", "hwcheck.graph", "hwcheck.architecture")
RENDERERS = ("hwcheck.render.graph_terminal", "hwcheck.render.graph_markdown", "hwcheck.render.latex", "hwcheck.render.dot",
             "hwcheck.render.hints", "hwcheck.render.assignment", "hwcheck.render.typeset")
HEAVY = ("rich", "json", "multiprocessing", "concurrent.futures")


def test_importing_the_cli_loads_no_command():
    loaded = _loaded_by("import hwcheck.cli")
    assert "hwcheck.cli" in loaded and "typer" in loaded
    assert _under(loaded, SUB_COMMANDS + RENDERERS + HEAVY) == []


def test_solving_a_graph_loads_only_the_graph_solver():
    """The API's solve loads the solver of the problem's kind, not the others, nor grading,
    nor a renderer (the view is given the solution class, never imported by the core)."""
    loaded = _loaded_by(f"import hwcheck\nhwcheck.solve({str(PROBLEMS / 'residual_relu.yaml')!r})")
    assert {"hwcheck.graph.solve", "hwcheck.graph.load", "hwcheck.graph.mistakes"} <= loaded
    others = ("hwcheck.grade", "hwcheck.code", "hwcheck.architecture", "hwcheck.variants", "hwcheck.graph.vary",
              "hwcheck.graph.formula", "hwcheck.graph.check", "hwcheck.assignment")
    assert _under(loaded, others + RENDERERS + HEAVY) == []
