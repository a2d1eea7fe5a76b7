"""Completion text -> runnable :class:`UnitTest` s, or a :class:`Rejection` saying why not.

Two formats are read, both with :mod:`ast` (regexes only find fences and split CodeT's
continuations; every kept test is parsed):

* **unittest** (CodeRM-8B): the model answers in prose with a fenced ```python block
  holding one ``unittest.TestCase`` subclass.  The block is cleaned so that it runs
  *after* a candidate program in the same namespace: imports of the function under test
  from a made-up module (``from solution import f``, ``from your_module import *``,
  ``import solution``) are removed or rebound to the candidate's globals, and any
  ``if __name__ == "__main__":`` block or bare ``unittest.main()`` is dropped (it would
  run the tests at import time and exit the interpreter), and so is a top-level
  ``def ENTRY_POINT`` (a pasted copy of the solution would shadow the candidate).
  Other imports and helpers stay.
* **assert** (CodeT): one test per top-level ``assert`` statement that mentions the
  entry point and compiles.  CodeT's test files continue a prompt that ends with
  ``assert ``, so their text starts mid-statement; such text does not parse as a whole
  and is split on ``assert `` as CodeT did, each piece re-prefixed with ``assert``.

Rejection reasons are stable short codes (reports count them): ``empty``,
``no_code_block``, ``syntax_error``, ``no_test_class``, ``multiple_test_classes``,
``no_test_methods`` (unittest) and ``no_valid_assert`` (assert).

The built-in ``parse_tests`` hook implementation runs with ``trylast=True`` so that a
plugin's implementation of the same hook is asked first and can replace the format.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .hookspecs import hookimpl
from .model import Problem, Rejection, UnitTest
from .plugins import load_plugins

FORMATS = ("auto", "unittest", "assert")

#: Module names a test generator invents for "the code under test".  Imports from these
#: (or from a module named after the entry point, or relative imports) cannot resolve in
#: the sandbox; the names they would bring in are already in the candidate's namespace.
PLACEHOLDER_MODULES = frozenset({
    "solution", "solutions", "your_module", "your_solution", "my_module", "mymodule",
    "yourmodule", "module", "module_name", "your_module_name", "main", "__main__", "code",
    "your_code", "my_code", "program", "answer", "source", "submission", "candidate",
    "function", "functions", "my_solution", "solution_module", "your_file", "my_file",
    "your_script", "script", "implementation", "src", "app",
})

_PYTHON_LANGS = frozenset({"", "python", "py", "python3", "py3", "pycon", "python3.10"})
_TESTCASE_BASES = frozenset({"TestCase", "IsolatedAsyncioTestCase"})
_SOLUTION_NS = "__import__('types').SimpleNamespace(**globals())"


# --------------------------------------------------------------------------- fences


@dataclass
class _Block:
    lang: str
    code: str


def fenced_blocks(text: str) -> list[_Block]:
    """Every ``` fenced block in order; an unclosed last fence runs to the end of text
    (a completion cut by ``max_tokens``), so the caller sees it and reports its syntax
    error instead of "no code block"."""
    blocks: list[_Block] = []
    lang: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if lang is None:
            if stripped.startswith("```"):
                lang = stripped[3:].strip().lower()
                body = []
        elif stripped.startswith("```"):
            blocks.append(_Block(lang, "\n".join(body) + "\n"))
            lang = None
        else:
            body.append(line)
    if lang is not None:
        blocks.append(_Block(lang, "\n".join(body) + "\n"))
    return blocks


def _python_blocks(text: str) -> list[_Block]:
    """Fenced blocks tagged as Python, or untagged (models often omit the tag)."""
    return [b for b in fenced_blocks(text) if (b.lang.split() or [""])[0] in _PYTHON_LANGS]


# --------------------------------------------------------------------------- helpers


def _parse(code: str) -> ast.Module | SyntaxError:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in source
        if isinstance(exc, SyntaxError):
            return exc
        return SyntaxError(str(exc))


def _is_testcase_class(node: ast.stmt) -> bool:
    if not isinstance(node, ast.ClassDef):
        return False
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in _TESTCASE_BASES:
            return True
        if isinstance(base, ast.Attribute) and base.attr in _TESTCASE_BASES:
            return True
    return False


def _test_classes(tree: ast.Module) -> list[ast.ClassDef]:
    return [n for n in tree.body if _is_testcase_class(n)]  # type: ignore[misc]


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` in either operand order."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def _is_unittest_main(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    func = node.value.func
    return (isinstance(func, ast.Attribute) and func.attr == "main"
            and isinstance(func.value, ast.Name) and func.value.id == "unittest")


def _redefines_entry_point(node: ast.stmt, entry_point: str) -> bool:
    """A top-level ``def ENTRY_POINT`` in the test block (models often paste the
    solution above the tests) would shadow the candidate, and the test would then
    check its own copy instead of the candidate: drop it."""
    return (bool(entry_point) and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name == entry_point)


def _is_placeholder_module(module: str | None, entry_point: str) -> bool:
    if not module:
        return False
    top = module.split(".")[0]
    return (top in PLACEHOLDER_MODULES or top == entry_point or "solution" in top.lower()
            or top.startswith(("your_", "my_")))


def _solution_import_replacement(node: ast.stmt, entry_point: str) -> str | None:
    """If ``node`` imports the code under test, the statement(s) that replace it
    (``""`` = just drop it); ``None`` when it is an ordinary import to keep."""
    if isinstance(node, ast.ImportFrom):
        names = [a.name for a in node.names]
        if not (node.level > 0 or _is_placeholder_module(node.module, entry_point)
                or (entry_point and entry_point in names)):
            return None
        # The candidate already defined the names; only aliases need rebinding.
        binds = [f"{a.asname} = {a.name}" for a in node.names
                 if a.asname and a.name != "*" and a.asname != a.name]
        return "; ".join(binds)
    if isinstance(node, ast.Import):
        fake = [a for a in node.names if _is_placeholder_module(a.name, entry_point)]
        if not fake:
            return None
        if len(fake) != len(node.names):
            return None  # mixed `import os, solution`: too rare to rewrite; let it error
        # `import solution` then `solution.f(...)`: bind the name to a namespace view of
        # the candidate's globals so attribute access finds the candidate's functions.
        return "; ".join(f"{(a.asname or a.name).split('.')[0]} = {_SOLUTION_NS}"
                         for a in fake)
    return None


@dataclass
class _Edit:
    node: ast.stmt
    replacement: str  # "" = delete
    top_level: bool


def _clean_module(code: str, tree: ast.Module, entry_point: str) -> tuple[str, list[str]]:
    """Drop solution imports, ``__main__`` guards and ``unittest.main()``; keep the rest
    of the text (comments included) untouched.  Returns (source, what was dropped)."""
    edits: list[_Edit] = []
    for node in tree.body:
        if (_is_main_guard(node) or _is_unittest_main(node)
                or _redefines_entry_point(node, entry_point)):
            edits.append(_Edit(node, "", True))
            continue
        rep = _solution_import_replacement(node, entry_point)
        if rep is not None:
            edits.append(_Edit(node, rep, True))
    skip = {id(n) for e in edits for n in ast.walk(e.node)}  # dropped with their parent
    skip.update(id(n) for n in tree.body)
    for sub in ast.walk(tree):
        if id(sub) in skip or not isinstance(sub, ast.stmt):
            continue
        rep = _solution_import_replacement(sub, entry_point)
        if rep is not None:
            edits.append(_Edit(sub, rep or "pass", False))
    if not edits:
        return code, []
    dropped = [ast.get_source_segment(code, e.node) or type(e.node).__name__ for e in edits]
    dropped = [d.splitlines()[0] if d else d for d in dropped]

    lines = code.splitlines()
    if all(_owns_its_lines(lines, e.node) for e in edits):
        for e in sorted(edits, key=lambda e: e.node.lineno, reverse=True):
            start, end = e.node.lineno - 1, (e.node.end_lineno or e.node.lineno)
            indent = " " * e.node.col_offset
            lines[start:end] = [indent + e.replacement] if e.replacement else []
        new = "\n".join(lines) + "\n"
        if not isinstance(_parse(new), SyntaxError):
            return new, dropped
    # Fallback (statements sharing a line with `;`): rewrite the tree, lose comments.
    return _rewrite_tree(tree, edits), dropped


def _owns_its_lines(lines: list[str], node: ast.stmt) -> bool:
    first = lines[node.lineno - 1]
    last = lines[(node.end_lineno or node.lineno) - 1]
    if first[: node.col_offset].strip():
        return False
    tail = last[node.end_col_offset or 0:].strip()
    return not tail or tail.startswith("#")


def _rewrite_tree(tree: ast.Module, edits: list[_Edit]) -> str:
    targets = {id(e.node): e.replacement for e in edits}

    class Rewriter(ast.NodeTransformer):
        def generic_visit(self, node: ast.AST) -> ast.AST:
            for fld, value in ast.iter_fields(node):
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    new_body: list[ast.stmt] = []
                    for stmt in value:
                        if id(stmt) in targets:
                            rep = targets[id(stmt)]
                            new_body.extend(ast.parse(rep).body if rep else [])
                        else:
                            new_body.append(self.visit(stmt))
                    if not new_body and fld in ("body", "orelse", "finalbody"):
                        new_body = [ast.Pass()]
                    setattr(node, fld, new_body)
            return node

    return ast.unparse(ast.fix_missing_locations(Rewriter().visit(tree))) + "\n"


# --------------------------------------------------------------------------- unittest


def extract_unittest(problem: Problem, completion: str, origin: int) -> list[UnitTest] | Rejection:
    """The single ``unittest.TestCase`` class of a CodeRM-style completion."""
    if not completion.strip():
        return Rejection(origin, "empty")
    blocks = _python_blocks(completion)
    chosen: tuple[str, ast.Module] | None = None
    first_error: SyntaxError | None = None
    if blocks:
        for block in blocks:
            tree = _parse(block.code)
            if isinstance(tree, SyntaxError):
                first_error = first_error or tree
                continue
            if _test_classes(tree):
                chosen = (block.code, tree)
                break
        if chosen is None:
            if first_error is not None:
                return Rejection(origin, "syntax_error", _describe(first_error))
            return Rejection(origin, "no_test_class")
    else:
        tree = _parse(completion)
        if isinstance(tree, SyntaxError):
            if re.search(r"^\s*class\s+\w+\s*\([^)]*TestCase", completion, re.M):
                return Rejection(origin, "syntax_error", _describe(tree))
            return Rejection(origin, "no_code_block")
        if not _test_classes(tree):
            # A lone word or expression parses too; only statements or calls look like code.
            is_code = any(not isinstance(n, ast.Expr) or isinstance(n.value, ast.Call)
                          for n in tree.body)
            return Rejection(origin, "no_test_class" if is_code else "no_code_block")
        chosen = (completion, tree)

    code, tree = chosen
    classes = _test_classes(tree)
    if len(classes) > 1:
        return Rejection(origin, "multiple_test_classes",
                         ", ".join(c.name for c in classes))
    cls = classes[0]
    methods = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
               and n.name.startswith("test")]
    if not methods:
        return Rejection(origin, "no_test_methods", cls.name)
    source, dropped = _clean_module(code, tree, problem.entry_point)
    meta: dict[str, Any] = {"test_methods": len(methods)}
    if dropped:
        meta["dropped"] = dropped
    return [UnitTest(index=0, source=source, kind="unittest", class_name=cls.name,
                     origin=origin, meta=meta)]


def _describe(err: SyntaxError) -> str:
    return f"line {err.lineno}: {err.msg}" if err.lineno else str(err.msg or err)


# --------------------------------------------------------------------------- asserts


def _mentions(code: str, name: str) -> bool:
    return not name or re.search(rf"\b{re.escape(name)}\b", code) is not None


def _first_assert(piece: str) -> str | None:
    """``assert <piece>``'s first statement if it is an assert that parses.

    The longest prefix of whole lines that parses is used, so junk after the assert
    (the next def, a half-written line) does not spoil it; anything after the first
    statement is dropped: one test = one assert statement."""
    code = "assert " + piece.strip()
    lines = code.splitlines()
    for n in range(len(lines), 0, -1):
        prefix = "\n".join(lines[:n])
        tree = _parse(prefix)
        if isinstance(tree, SyntaxError):
            continue
        if not tree.body or not isinstance(tree.body[0], ast.Assert):
            return None
        return ast.get_source_segment(prefix, tree.body[0])
    return None


def split_asserts(text: str, entry_point: str) -> tuple[list[str], dict[str, int]]:
    """One source string per valid assert of ``text`` (in order), and counts of what
    was discarded.  Whole-text parse first; CodeT-style continuations fall back to
    splitting on ``assert ``."""
    counts = {"pieces": 0, "invalid": 0, "off_target": 0}
    code = text
    for block in _python_blocks(text):
        if re.search(r"\bassert\b", block.code):
            code = block.code
            break
    tree = _parse(code)
    found: list[str] = []
    if not isinstance(tree, SyntaxError):
        prefix = ""  # the real imports seen so far run before each later assert
        for node in tree.body:
            if (isinstance(node, (ast.Import, ast.ImportFrom))
                    and _solution_import_replacement(node, entry_point) is None):
                prefix += (ast.get_source_segment(code, node) or ast.unparse(node)) + "\n"
            if not isinstance(node, ast.Assert):
                continue
            counts["pieces"] += 1
            seg = ast.get_source_segment(code, node) or ast.unparse(node)
            if _mentions(seg, entry_point):
                found.append(prefix + seg)
            else:
                counts["off_target"] += 1
        return found, counts
    for piece in code.split("assert ")[1:]:
        if not piece.strip():
            continue
        counts["pieces"] += 1
        stmt = _first_assert(piece)
        if stmt is None:
            counts["invalid"] += 1
        elif not _mentions(stmt, entry_point):
            counts["off_target"] += 1
        else:
            found.append(stmt)
    return found, counts


def extract_asserts(problem: Problem, completion: str, origin: int) -> list[UnitTest] | Rejection:
    """One ``kind="assert"`` test per valid assert statement of a completion."""
    if not completion.strip():
        return Rejection(origin, "empty")
    found, counts = split_asserts(completion, problem.entry_point)
    if not found:
        detail = ", ".join(f"{k}={v}" for k, v in counts.items())
        return Rejection(origin, "no_valid_assert", detail)
    return [UnitTest(index=0, source=src + "\n", kind="assert", origin=origin,
                     meta={"position": k}) for k, src in enumerate(found)]


# --------------------------------------------------------------------------- dispatch


def detect_format(completion: str) -> str:
    """``"assert"`` when the text starts with an assert (CodeT continuations, which may
    go on to import unittest), ``"unittest"`` when it talks unittest, else
    ``"assert"`` when it has an assert statement, else ``"unittest"`` (whose rejection
    reasons are more telling)."""
    if re.match(r"\s*assert\b", completion):
        return "assert"
    if re.search(r"\bunittest\b|\bTestCase\b", completion):
        return "unittest"
    if re.search(r"\bassert\b", completion):
        return "assert"
    return "unittest"


def extract_tests(problem: Problem, completion: str, origin: int,
                  fmt: str = "auto") -> list[UnitTest] | Rejection:
    """Tests of one completion in format ``fmt`` (``auto``, ``unittest``, ``assert``).

    Returned tests have ``index=0``; :func:`extract_all` numbers them per problem.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown test format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "auto":
        fmt = detect_format(completion)
    if fmt == "unittest":
        return extract_unittest(problem, completion, origin)
    return extract_asserts(problem, completion, origin)


@hookimpl(trylast=True)
def parse_tests(problem: Problem, completion: str, origin: int) -> list[UnitTest] | Rejection:
    """Built-in parser: format auto-detection.  ``trylast`` so plugins override it."""
    return extract_tests(problem, completion, origin, "auto")


def extract_all(problem: Problem, completions: Sequence[str] | Iterable[str],
                fmt: str = "auto") -> tuple[list[UnitTest], list[Rejection]]:
    """Every test of every completion of one problem, indexed 0..M-1 in completion
    order, plus the rejections.  ``fmt="auto"`` goes through the ``parse_tests`` hook
    (so a plugin's parser applies); an explicit format calls the built-in one.
    Nothing is deduplicated here: the executor dedupes by normalised source."""
    hook = None
    if fmt == "auto":
        hook = load_plugins().hook.parse_tests
    tests: list[UnitTest] = []
    rejections: list[Rejection] = []
    for origin, completion in enumerate(completions):
        if hook is not None:
            result = hook(problem=problem, completion=completion, origin=origin)
        else:
            result = extract_tests(problem, completion, origin, fmt)
        if isinstance(result, Rejection):
            rejections.append(result)
            continue
        for test in result or []:
            test.index = len(tests)
            if test.origin is None:
                test.origin = origin
            tests.append(test)
    return tests, rejections
