"""The package's layout targets (issue 22), checked on the source with ``ast``.

- no import cycle among the package's own modules, imports inside functions included
  (an in-function import hides a cycle from Python, not from the design);
- at most 15 in-function imports of the package's own modules (lazy imports of optional
  heavy third-party dependencies are not counted: they are not own modules);
- no module over 600 lines except the worker (one stdlib-only file on purpose: it runs
  with ``python -I`` in Docker and on Ray) and the demo's embedded data;
- library modules never import CLI code (the ``cli`` package, a harness's ``cli.py``);
- each stage lives in a module or package named after it.

Imports under ``if TYPE_CHECKING:`` never run and are not counted.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PKG = "coderm_evalplus"
ROOT = Path(__file__).resolve().parents[2] / PKG
MAX_IN_FUNCTION = 15
MAX_LINES = 600
LONG_ALLOWED = {f"{PKG}.execute.worker", f"{PKG}.demo._spec"}
STAGES = ("inputs", "generate", "extract", "execute", "select", "scaling", "harness",
          "pipeline", "report")


@dataclass
class Graph:
    files: dict[str, Path] = field(default_factory=dict)
    edges: dict[str, set[str]] = field(default_factory=dict)
    in_function: list[tuple[str, int, str]] = field(default_factory=list)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(name: str, files: dict[str, Path]) -> str | None:
    """The deepest own module ``name`` refers to (``pkg.mod.attr`` -> ``pkg.mod``)."""
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             files: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        mod = ".".join(base + ([node.module] if node.module else []))
    else:
        mod = node.module or ""
    # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one
    return [f"{mod}.{a.name}" if f"{mod}.{a.name}" in files else mod for a in node.names]


def build_graph() -> Graph:
    g = Graph()
    for path in sorted(ROOT.rglob("*.py")):
        g.files[_module_name(path)] = path
    for module, path in g.files.items():
        g.edges[module] = set()
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool, module: str = module,
                  is_package: bool = is_package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    for sub in child.orelse:
                        visit(sub, in_function)
                    continue
                fn = in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    own = set()
                    for target in _targets(child, module, is_package, g.files):
                        if target == PKG or target.startswith(PKG + "."):
                            resolved = _resolve(target, g.files)
                            if resolved and resolved != module:
                                own.add(resolved)
                    g.edges[module] |= own
                    if own and fn:
                        g.in_function.append((module, child.lineno, ", ".join(sorted(own))))
                visit(child, fn)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return g


def import_cycles(g: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in g.edges:
        if root in index:
            continue
        work = [(root, iter(sorted(g.edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(g.edges.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def is_cli_module(module: str) -> bool:
    """The ``cli`` package (``commands`` was its name before issue 22) or a harness's
    ``cli`` module or package (the EvalPlus flag's argv handling lives in the latter)."""
    parts = module.split(".")
    return parts[1:2] in (["cli"], ["commands"]) or (
        parts[1:2] == ["harness"] and "cli" in parts[3:])


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


def test_the_analysis_sees_imports_of_every_kind():
    """The checker itself: relative, absolute, ``from . import sub``, in-function."""
    g = build_graph()
    assert f"{PKG}.model" in g.edges[f"{PKG}.pipeline"]  # from .model import ...
    assert f"{PKG}.select.coderm" in g.edges[f"{PKG}.scaling.contenders"]  # from ..x.y
    assert f"{PKG}.execute.docker" in g.edges[f"{PKG}.docker_image"]
    cyclic = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(Graph(edges=cyclic)) == [["a", "b", "c"]]


def test_no_import_cycle_among_own_modules(graph: Graph):
    assert import_cycles(graph) == []


def test_few_in_function_imports_of_own_modules(graph: Graph):
    found = [f"{m}:{line} ({what})" for m, line, what in graph.in_function]
    assert len(found) <= MAX_IN_FUNCTION, "\n".join(found)


def test_no_module_over_600_lines(graph: Graph):
    long = {m: len(p.read_text(encoding="utf-8").splitlines())
            for m, p in graph.files.items() if m not in LONG_ALLOWED}
    assert {m: n for m, n in long.items() if n > MAX_LINES} == {}


def test_library_modules_never_import_cli_code(graph: Graph):
    bad = {m: sorted(t for t in targets if is_cli_module(t))
           for m, targets in graph.edges.items() if not is_cli_module(m)}
    assert {m: t for m, t in bad.items() if t} == {}


def test_each_stage_has_a_module_named_after_it(graph: Graph):
    missing = [s for s in STAGES if f"{PKG}.{s}" not in graph.files]
    assert missing == []
