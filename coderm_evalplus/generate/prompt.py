"""The CodeRM-8B test-generation prompt, reproduced as the model was trained on it.

CodeRM-8B was fine-tuned on one user message (no system message) of a fixed shape; a
different wording is a distribution shift for the reward model, so :data:`TEMPLATE` is
kept byte for byte, including the typo "it's corresponding".

The ``### question`` section is the benchmark statement rewritten the way the paper's
own inputs (RUCKBReasoning/CodeRM ``data/benchmark/input_*_ut.jsonl``) were built; the
rules below were recovered by comparing those files with the EvalPlus / LiveCodeBench
sources (see tests/unit/test_generate_prompt.py for the measured agreement):

* HumanEval+: ``Write a function named `NAME`. `` + the docstring text before the first
  ``>>>`` line with all whitespace collapsed to single spaces, then ``\\n`` + the doctest
  lines (dedented, kept verbatim, raw escapes such as ``\\n`` left unevaluated); without
  doctests the question ends in ``\\n `` (sic).  Agrees exactly on 147/164 tasks; the
  other 17 use ``'''`` docstrings, which the paper's script cut at the wrong offset
  (``"arch(lst): ''' You are..."``): we do not reproduce that bug.
* MBPP+: the prompt's docstring as is (it already says "Write a function to ..." and
  shows an ``assert`` naming the function).  Exact on 373/378; the other five lose a
  closing quote in the paper's files (``.strip('"')`` ate it): not reproduced.
* LiveCodeBench: ``question_content`` + ``\\n\\nFormat: You will use the following
  starter code to write the solution to the problem:\\n`` + the starter method's ``def``
  line without ``self``.  Exact on all 168 problems of the paper.  (No "Write a function
  named" prefix: the paper's LCB inputs do not have one.)

The ``### code solution`` is the candidate in "function format": only its imports,
definitions and assignments (the paper's inputs drop test calls, prints and
``__main__`` blocks), LeetCode ``class Solution`` methods become top-level functions
without ``self``, and stdin programs are wrapped as ``solve(input_str) -> str``.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..model import Candidate, Problem
from .request import build_requests  # noqa: F401  (its historical home)

TEMPLATE = (
    "Below is a question and it's corresponding code answer. Please write test cases to "
    "check the correctness of the code answer. You need to use the unittest library in "
    "Python and create a test class for testing.\n\n"
    "### question\n{question}\n\n"
    "### code solution\n{code}\n\n"
    "Please add detailed comments to the test cases you write. You do not need to test the "
    "function's ability to throw exceptions.\n"
)

LCB_FORMAT_LINE = (
    "Format: You will use the following starter code to write the solution to the problem:"
)

#: Name and signature of the function a stdin program is wrapped in.
STDIN_FUNCTION = "solve"
STDIN_FORMAT = (
    "Format: The code solution is a function `solve(input_str: str) -> str`: it runs the "
    "program with `input_str` as standard input and returns what the program prints.\n"
    "def solve(input_str: str) -> str:"
)


def render(question: str, code: str) -> str:
    """The user message for one (question, code) pair."""
    return TEMPLATE.format(question=question, code=code)


def messages_for(question: str, code: str) -> list[dict[str, str]]:
    """Chat messages: one user turn, as in training (the backend applies the template)."""
    return [{"role": "user", "content": render(question, code)}]


# --------------------------------------------------------------------------- question


def _raw_docstring(src: str, node: ast.AST) -> str | None:
    """The docstring of ``node`` as written in the source (escapes not evaluated).

    The paper's inputs keep ``\\n`` inside doctest strings as two characters
    (HumanEval/51), so the evaluated ``ast.get_docstring`` value is not what they used.
    """
    body = getattr(node, "body", None)
    if not body or not isinstance(body[0], ast.Expr):
        return None
    value = body[0].value
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return None
    seg = ast.get_source_segment(src, value)
    if seg is None:
        return value.value
    m = re.match(r"^[rRuUbB]*(\"\"\"|'''|\"|')", seg)
    if not m:
        return value.value
    quote = m.group(1)
    return seg[m.end():len(seg) - len(quote)]


def humaneval_question(prompt: str, entry_point: str) -> str | None:
    """HumanEval-style rewrite of a function-with-docstring prompt; None if not one."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return None
    fn = next((n for n in ast.walk(tree)
               if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == entry_point),
              None)
    if fn is None:
        return None
    raw = _raw_docstring(prompt, fn)
    if raw is None:
        return None
    lines = inspect.cleandoc(raw).split("\n")
    first_example = next((i for i, ln in enumerate(lines) if ln.strip().startswith(">>>")), None)
    described = lines if first_example is None else lines[:first_example]
    description = " ".join(" ".join(described).split())
    head = f"Write a function named `{entry_point}`. {description}\n"
    if first_example is None:
        return head + " "
    return head + "\n".join(lines[first_example:]).strip()


def mbpp_question(prompt: str) -> str | None:
    """MBPP+-style question: the docstring-only prompt's text; None if not that shape."""
    text = prompt.strip()
    for quote in ('"""', "'''"):
        if text.startswith(quote) and text.endswith(quote) and len(text) >= 6:
            return text[3:-3].strip()
    return None


def starter_signature(starter_code: str) -> str | None:
    """``def name(args) -> ret:`` from a LeetCode starter (``self`` removed), or None."""
    m = re.search(r"^\s*def\s+(\w+)\s*\(\s*self\s*,?\s*(.*)$", starter_code, re.M)
    if m:
        return f"def {m.group(1)}({m.group(2).rstrip()}"
    m = re.search(r"^\s*(def\s+\w+\s*\(.*)$", starter_code, re.M)
    return m.group(1).strip() if m else None


def livecodebench_question(content: str, starter_code: str | None) -> str:
    """LiveCodeBench question: statement + the format line (+ stdin wrapper signature)."""
    sig = starter_signature(starter_code) if starter_code else None
    if sig is None:
        return f"{content.rstrip()}\n\n{STDIN_FORMAT}"
    return f"{content.rstrip()}\n\n{LCB_FORMAT_LINE}\n{sig}"


def _lcb_fields(problem: Problem) -> dict[str, Any]:
    """LiveCodeBench row fields from ``meta`` or the raw row kept in ``meta["row"]``."""
    row = problem.meta.get("row")
    fields = dict(row) if isinstance(row, dict) else {}
    fields.update(problem.meta)
    return fields


def is_livecodebench(problem: Problem) -> bool:
    meta = _lcb_fields(problem)
    return (problem.kind == "stdin" or "starter_code" in meta or "question_content" in meta
            or "platform" in meta)


def rewrite_question(problem: Problem) -> str:
    """The ``### question`` text for ``problem`` (see the module docstring for the rules).

    ``problem.meta["question"]``, when present, is used verbatim (e.g. the paper's own
    rewritten question).  LiveCodeBench fields (``question_content``, ``starter_code``,
    ``platform``) are read from ``meta`` or from the raw row in ``meta["row"]``.  Unknown shapes fall back to ``Write a function named `NAME`.``
    + the prompt with whitespace collapsed.
    """
    meta = problem.meta
    if isinstance(meta.get("question"), str):
        return meta["question"]
    if is_livecodebench(problem):
        lcb = _lcb_fields(problem)
        content = lcb.get("question_content") or problem.prompt
        return livecodebench_question(content, lcb.get("starter_code"))
    q = humaneval_question(problem.prompt, problem.entry_point)
    if q is not None:
        return q
    q = mbpp_question(problem.prompt)
    if q is not None:
        return q
    name = problem.entry_point or STDIN_FUNCTION
    return f"Write a function named `{name}`. {' '.join(problem.prompt.split())}"


# ------------------------------------------------------------------------ code format


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    t = node.test
    return (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name)
            and t.left.id == "__name__")


_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
         ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Try, ast.If, ast.With)


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[start - 1:node.end_lineno]).rstrip()


def function_format(source: str) -> str:
    """Keep a program's imports, definitions and assignments; drop everything else.

    Top-level calls, prints, asserts and ``if __name__ == "__main__":`` blocks would run
    (or leak expected answers) when the test module is executed; the paper's inputs show
    only the definitions, one after another (joined by one newline, as there).
    Unparsable source is returned stripped, unchanged.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source.strip()
    lines = source.split("\n")
    kept = [_segment(lines, n) for n in tree.body
            if isinstance(n, _KEPT) and not _is_main_guard(n)]
    return "\n".join(kept).strip() if kept else source.strip()


def leetcode_to_function(source: str, class_name: str = "Solution") -> str:
    """``class Solution`` methods -> top-level functions without ``self``.

    ``self.method(...)`` calls between methods become plain calls (the paper's files keep
    ``self.`` and so show code that cannot run: we fix that).  Code outside the class
    (imports, helpers) is kept in order.  Not a LeetCode class: returned unchanged.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name),
               None)
    if cls is None or not cls.body:
        return source
    lines = source.split("\n")
    methods = [n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    names = {m.name for m in methods}
    parts: list[str] = []
    for node in cls.body:
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant):
            continue  # class docstring
        seg = textwrap.dedent(_segment(lines, node))
        seg = re.sub(r"^\s*@(staticmethod|classmethod)\s*\n", "", seg, flags=re.M)
        seg = re.sub(r"(\bdef\s+\w+\s*\(\s*)(self|cls)\s*(,\s*|(?=\)))", r"\1", seg)
        if names:
            seg = re.sub(r"\b(?:self|cls|Solution\(\))\.(" + "|".join(sorted(names)) + r")\b",
                         r"\1", seg)
        parts.append(seg)
    body = "\n\n".join(parts)
    before = "\n".join(lines[:cls.lineno - 1 - len(cls.decorator_list)]).strip()
    after = "\n".join(lines[cls.end_lineno:]).strip()
    out = "\n".join(p for p in (before, body) if p)
    if after:
        out += "\n" + after
    return out


def wrap_stdin_program(source: str, name: str = STDIN_FUNCTION) -> str:
    """A stdin/stdout program shown as ``name(input_str) -> str`` (for the prompt).

    The program text is kept readable inside the function body; the executor needs the
    same interface (not necessarily this text: e.g. ``exec`` of the program in a fresh
    namespace, which keeps ``global`` statements working) so the tests' calls match.
    """
    body = textwrap.indent(source.strip("\n"), " " * 8)
    return (
        f"import io\nimport sys\n\n"
        f"def {name}(input_str: str) -> str:\n"
        f"    _stdin, _stdout = sys.stdin, sys.stdout\n"
        f"    sys.stdin, sys.stdout = io.StringIO(input_str), io.StringIO()\n"
        f"    try:\n{body}\n"
        f"    finally:\n"
        f"        output = sys.stdout.getvalue()\n"
        f"        sys.stdin, sys.stdout = _stdin, _stdout\n"
        f"    return output"
    )


def candidate_code(problem: Problem, candidate: Candidate | None) -> str:
    """The ``### code solution`` text: ``candidate`` in function format."""
    if candidate is None:
        return ""
    source = candidate.source
    if problem.kind == "stdin":
        return wrap_stdin_program(source)
    if re.search(r"^class\s+Solution\b", source, re.M):
        source = leetcode_to_function(source)
    return function_format(source)


# --------------------------------------------------------------- candidate choice


def normalised(source: str) -> str:
    """Formatting- and comment-insensitive key of a program (``ast.dump``)."""
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return "\0" + " ".join(source.split())


def most_common_candidate(candidates: Iterable[Candidate]) -> Candidate | None:
    """The candidate whose normalised program is most frequent (ties: lowest index).

    Why this default: the prompt shows one program, and the paper does not say which.
    The modal program is order-independent (a reshuffled samples file gives the same
    prompt, so the cache hits), parses (unparsable ones rank last), and, as in CodeT's
    and self-consistency's argument, agreement among samples makes it more often correct
    than a random sample: the tests are then written against a plausible answer.
    """
    cands = list(candidates)
    if not cands:
        return None
    keys = [normalised(c.source) for c in cands]
    counts = Counter(keys)

    def rank(i: int) -> tuple[int, int, int]:
        parses = not keys[i].startswith("\0")
        return (-int(parses), -counts[keys[i]], cands[i].index)

    return cands[min(range(len(cands)), key=rank)]


def build_prompt(problem: Problem, candidate: Candidate | None) -> list[dict[str, str]]:
    """The default ``build_test_prompt``: the CodeRM-8B message for this pair."""
    return messages_for(rewrite_question(problem), candidate_code(problem, candidate))

