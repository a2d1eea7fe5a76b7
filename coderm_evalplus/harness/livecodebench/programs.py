"""What the tests run for a sampled LiveCodeBench code, and the problems built from them.

Each code becomes a :class:`Candidate` whose ``source`` is the *execution program* the
generated tests run against, while ``meta["code"]`` keeps the code exactly as sampled
(that is what the prompt shows, what the pick file holds and what LCB grades):

* call-based (LeetCode) problems run the ``class Solution`` code after LCB's own import
  header, plus a top-level alias ``fn_name(...)`` -> ``Solution().fn_name(...)``: the
  CodeRM prompt shows the method as a plain function, so its tests call it that way;
* stdin problems run through ``solve(input_str) -> str``, which runs the program the
  way LCB's grader does (its function wrapping, its patched stdin, captured stdout;
  streams restored in ``finally``), so our tests judge a program as the grader will; the
  returned text compares equal to another string the way LCB compares stdout
  (line-wise, stripped, numbers as decimals).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence

from ...model import Candidate, Problem
from .data import STDIN_FUNCTION, LCBProblem

# LiveCodeBench's grader runs every program after this header (testing_util.import_string):
# samples lean on it (``List`` without an import, ``gcd`` from ``math``...), so our
# execution must provide it too or correct samples would fail our tests.
LCB_IMPORT_HEADER = "".join(
    [f"from {m} import *\n" for m in (
        "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math",
        "random", "statistics", "itertools", "functools", "operator", "io", "sys", "json",
        "builtins", "typing")]
    + [f"import {m}\n" for m in (
        "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math",
        "random", "statistics", "itertools", "functools", "operator", "io", "sys", "json")]
    + ["sys.setrecursionlimit(50000)\n"])


_STDIN_RUNNER = """\
# coderm-evalplus: a LiveCodeBench stdin program, run the way LiveCodeBench's grader runs
# it, callable as {name}(input_str) -> what it printed.
import io as _cr_io
import sys as _cr_sys
from decimal import Decimal as _CrDecimal

_CR_PROGRAM = compile({program!r}, "<program>", "exec")


def _cr_lines(text):
    return [line.strip() for line in text.strip().split("\\n")]


def _cr_same_output(got, expected):
    \"\"\"LiveCodeBench's stdout comparison: stripped lines, equal or equal as decimals.\"\"\"
    a, b = _cr_lines(got), _cr_lines(expected)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        try:
            if [_CrDecimal(t) for t in x.split()] != [_CrDecimal(t) for t in y.split()]:
                return False
        except Exception:
            return False
    return True


class ProgramOutput(str):
    \"\"\"What the program printed; == another string compares like LiveCodeBench.\"\"\"

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, str):
            return _cr_same_output(str(self), str(other))
        return NotImplemented

    def __ne__(self, other):
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    __hash__ = str.__hash__


def {name}(input_str=""):
    \"\"\"Run the program with input_str as stdin; return its stdout.\"\"\"
    if isinstance(input_str, bytes):
        input_str = input_str.decode("utf-8")
    elif isinstance(input_str, (list, tuple)):
        input_str = "\\n".join(str(x) for x in input_str)
    elif not isinstance(input_str, str):
        input_str = str(input_str)
    data = input_str
    lines = iter(data.split("\\n"))
    # The grader's process stdin (/dev/null) with read methods patched, as LCB patches
    # them: names bound by `from sys import stdin` (and its header) see this object.
    process_stdin = _cr_io.StringIO("")
    process_stdin.readline = lambda *args: next(lines)
    process_stdin.readlines = lambda *args: data.split("\\n")
    process_stdin.read = lambda *args: data
    saved_in, saved_out = _cr_sys.stdin, _cr_sys.stdout
    saved_limit = _cr_sys.getrecursionlimit()
    out = _cr_io.StringIO()
    ns = {{"__name__": "tmp_sol", "__builtins__": __builtins__}}
    _cr_sys.stdin = process_stdin
    try:
        exec(_CR_PROGRAM, ns)
        wrapped = ns["wrapped_function"]
        _cr_sys.stdin, _cr_sys.stdout = _cr_io.StringIO(data), out
        try:
            wrapped()
        except SystemExit:
            pass
    finally:
        _cr_sys.stdin, _cr_sys.stdout = saved_in, saved_out
        _cr_sys.setrecursionlimit(saved_limit)
    return ProgramOutput(out.getvalue())
"""


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test).strip() == "__name__ == '__main__'"


def lcb_stdin_program(code: str) -> str:
    """The program LiveCodeBench's grader actually runs for a stdin sample.

    Its rules (``testing_util.grade_stdio``), reproduced so our tests judge a program the
    way the official grader will: a final ``if __name__ == '__main__':`` block is
    unwrapped; top-level imports stay at module level after LCB's import header; every
    other statement moves into ``def wrapped_function():``, called once per input.  So,
    as in LCB, ``global`` names of the original module level are not found and unparsable
    code fails.  Code that does not parse is returned unchanged (LCB does the same).
    """
    try:
        tree = ast.parse(code)
        body = list(tree.body)
        if body and _is_main_guard(body[-1]):
            body = body[:-1] + list(body[-1].body)  # type: ignore[attr-defined]
        imports: list[ast.stmt] = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
        others = [n for n in body if not isinstance(n, (ast.Import, ast.ImportFrom))]
        func = ast.FunctionDef(name="wrapped_function", args=ast.arguments(
            posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[]), body=others, decorator_list=[], returns=None, type_comment=None,
            lineno=1)
        return (LCB_IMPORT_HEADER + "\n" + ast.unparse(ast.Module(imports, [])) + "\n"
                + ast.unparse(func))
    except Exception:  # noqa: BLE001 - LCB falls back to the code as is, on any failure
        return code


def stdin_execution_program(code: str, name: str = STDIN_FUNCTION) -> str:
    """An importable program defining ``name(input_str) -> output`` for a stdin program.

    Each call reproduces one test case of LiveCodeBench's grader: the transformed
    program (:func:`lcb_stdin_program`) is loaded in a fresh namespace while the
    "process stdin" is an empty stream whose ``readline`` / ``readlines`` / ``read`` serve
    the input the way LCB patches them (so ``from sys import stdin`` idioms behave as
    there), then ``wrapped_function()`` runs with ``sys.stdin`` a ``StringIO`` of the
    input (no ``.buffer``, as in LCB) and ``sys.stdout`` captured; ``exit()`` ends the run
    normally.  The returned string compares equal to another string line-wise stripped
    (numbers as decimals), like LCB, so ``assertEqual(solve(x), "6")`` matches ``"6\\n"``.
    Streams and the recursion limit are restored in ``finally``, so the executor keeps
    its runner.  A syntax error surfaces when the program is loaded: every test fails.
    """
    return _STDIN_RUNNER.format(name=name, program=lcb_stdin_program(code))


def _defines_top_level(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def call_based_execution_program(code: str, fn_name: str) -> str:
    """LCB's import header + the code + ``fn_name(...)`` -> ``Solution().fn_name(...)``.

    Tests may call either form; the alias turns tuples into lists as LCB's grader does
    ("don't penalize tuples").  No alias when the code does not parse (it fails every
    test anyway), has no ``class Solution``, or already defines ``fn_name``.
    """
    program = f"{LCB_IMPORT_HEADER}\n{code}"
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return program
    if not fn_name.isidentifier() or _defines_top_level(tree, fn_name) or \
            not _defines_top_level(tree, "Solution"):
        return program
    return (f"{program.rstrip()}\n\n\n"
            f"def {fn_name}(*args, **kwargs):\n"
            f"    result = Solution().{fn_name}(*args, **kwargs)\n"
            f"    return list(result) if isinstance(result, tuple) else result\n")


def execution_program(problem: LCBProblem, code: str) -> str:
    """What the tests run against for one sampled code of ``problem``."""
    if problem.fn_name:
        return call_based_execution_program(code, problem.fn_name)
    return stdin_execution_program(code)


def build_problems(lcb: Mapping[str, LCBProblem], samples: Mapping[str, Sequence[str]]
                   ) -> list[Problem]:
    """Problems (sorted by question id) with one candidate per sampled code."""
    problems = []
    for qid in sorted(samples, key=str):
        p = lcb[qid].to_problem()
        p.candidates = [Candidate(i, execution_program(lcb[qid], code), meta={"code": code})
                        for i, code in enumerate(samples[qid])]
        problems.append(p)
    return problems


def original_code(candidate: Candidate) -> str:
    return str(candidate.meta.get("code", candidate.source))
