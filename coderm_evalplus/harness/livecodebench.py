"""LiveCodeBench harness: LCB custom-output samples in, one pick per question out, graded
by LiveCodeBench's own grader.

LiveCodeBench users sample with ``lcb_runner`` and grade a *custom output file*
(``[{"question_id", "code_list"}]``) with its custom evaluator.  This module puts the
selection stage in front of that evaluator:

* problems are ``code_generation_lite`` rows, read from a local JSON / JSONL / parquet
  file (``datasets>=4`` refuses LCB's loading script, LiveCodeBench issue #108) or from
  the hub's raw JSONL files of a release;
* each code becomes a :class:`Candidate` whose ``source`` is the *execution program* the
  generated tests run against, while ``meta["code"]`` keeps the code exactly as sampled
  (that is what the prompt shows, what the pick file holds and what LCB grades);
* call-based (LeetCode) problems run the ``class Solution`` code after LCB's own import
  header, plus a top-level alias ``fn_name(...)`` -> ``Solution().fn_name(...)``: the
  CodeRM prompt shows the method as a plain function, so its tests call it that way;
* stdin problems run through ``solve(input_str) -> str``, which runs the program the
  way LCB's grader does (its function wrapping, its patched stdin, captured stdout;
  streams restored in ``finally``), so our tests judge a program as the grader will; the
  returned text compares equal to another string the way LCB compares stdout
  (line-wise, stripped, numbers as decimals);
* the grader (``lcb_runner`` or PyPI ``nvidia-livecodebench``'s ``livecodebench``) is
  imported only when present.  It labels every sample (vanilla pass@1, and the labels the
  report's metrics need) and grades the picks (the number a LiveCodeBench user reports).
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import io
import json
import os
import pickle
import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..execute.base import STDIN_TIME_LIMIT
from ..hookspecs import hookimpl
from ..model import Candidate, Problem

HUB_DATASET = "livecodebench/code_generation_lite"
HUB_FILES = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl",
             "test6.jsonl")
"""Raw files of the hub dataset, one per release increment (what its script reads)."""

GRADER_INSTALL = "pip install --no-deps nvidia-livecodebench==26.3 numpy tqdm"
STDIN_FUNCTION = "solve"  # the same name the CodeRM prompt module shows for stdin programs

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

ROW_FIELDS = ("question_id", "question_content", "public_test_cases", "private_test_cases")


# --------------------------------------------------------------------------- problems

@dataclass
class LCBProblem:
    """One ``code_generation_lite`` row, decoded (test cases parsed, metadata parsed)."""

    question_id: str
    question_title: str
    question_content: str
    platform: str
    contest_date: str
    starter_code: str
    difficulty: str
    public_tests: list[dict[str, Any]]
    private_tests: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def fn_name(self) -> str | None:
        """LeetCode method name; None for stdin problems (LCB's own rule)."""
        name = self.metadata.get("func_name")
        return str(name) if name else None

    @property
    def kind(self) -> str:
        return "function" if self.fn_name else "stdin"

    def evaluation_sample(self) -> dict[str, str]:
        """The sample LCB's ``codegen_metrics`` grades against (public + private tests)."""
        tests = self.public_tests + self.private_tests
        return {"input_output": json.dumps({
            "inputs": [t["input"] for t in tests],
            "outputs": [t["output"] for t in tests],
            "fn_name": self.fn_name})}

    def to_problem(self) -> Problem:
        meta = {"harness": "livecodebench", "question_id": self.question_id,
                "question_title": self.question_title,
                "question_content": self.question_content, "platform": self.platform,
                "starter_code": self.starter_code, "difficulty": self.difficulty,
                "contest_date": self.contest_date, "fn_name": self.fn_name}
        return Problem(self.question_id, prompt=self.question_content,
                       entry_point=self.fn_name or STDIN_FUNCTION, kind=self.kind, meta=meta)


class _PlainDataUnpickler(pickle.Unpickler):
    """LCB pickles a JSON *string*: refuse any class, so a crafted file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def decode_test_cases(value: Any, where: Any, task: str, field_name: str,
                      line: int | None = None) -> list[dict[str, Any]]:
    """Test cases from plain JSON or LCB's base64(zlib(pickle(json))) encoding."""
    if isinstance(value, list):
        cases = value
    elif isinstance(value, str):
        try:
            cases = json.loads(value)
        except json.JSONDecodeError:
            try:
                raw = zlib.decompress(base64.b64decode(value.encode("utf-8"), validate=False))
                inner = _PlainDataUnpickler(io.BytesIO(raw)).load()
                cases = json.loads(inner) if isinstance(inner, (str, bytes)) else inner
            except Exception as exc:  # noqa: BLE001 - any decoding failure is bad input
                raise InputError(where, "neither JSON nor base64(zlib(pickle(json))) "
                                 f"({type(exc).__name__})", line=line, task=task,
                                 field=field_name) from None
    else:
        raise InputError(where, f"expected a string, got {type(value).__name__}", line=line,
                         task=task, field=field_name)
    if not isinstance(cases, list) or not all(
            isinstance(c, dict) and "input" in c and "output" in c for c in cases):
        raise InputError(where, "expected a list of {input, output, testtype}", line=line,
                         task=task, field=field_name)
    return cases


def parse_row(row: Mapping[str, Any], where: Any, line: int | None = None) -> LCBProblem:
    """Decode one row; errors name the file, line, question and field."""
    task = str(row.get("question_id", "?"))
    for name in ROW_FIELDS:
        if name not in row or row[name] is None:
            raise InputError(where, "missing field", line=line, task=task, field=name)
    meta_raw = row.get("metadata") or "{}"
    try:
        metadata = json.loads(meta_raw) if isinstance(meta_raw, str) else dict(meta_raw)
    except (json.JSONDecodeError, TypeError, ValueError):
        raise InputError(where, "not a JSON object", line=line, task=task,
                         field="metadata") from None
    if not isinstance(metadata, dict):
        raise InputError(where, "not a JSON object", line=line, task=task, field="metadata")
    return LCBProblem(
        question_id=task, question_title=str(row.get("question_title") or ""),
        question_content=str(row["question_content"]),
        platform=str(row.get("platform") or ""), contest_date=str(row.get("contest_date") or ""),
        starter_code=str(row.get("starter_code") or ""),
        difficulty=str(row.get("difficulty") or ""),
        public_tests=decode_test_cases(row["public_test_cases"], where, task,
                                       "public_test_cases", line),
        private_tests=decode_test_cases(row["private_test_cases"], where, task,
                                        "private_test_cases", line),
        metadata=metadata, row=dict(row))


def _read_json_rows(path: Path) -> list[tuple[int | None, dict[str, Any]]]:
    """JSON array or JSON lines, read with the stdlib so errors carry line numbers."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"invalid JSON ({exc.msg})", line=exc.lineno) from None
        if not all(isinstance(r, dict) for r in data):
            raise InputError(path, "expected a JSON list of objects")
        return [(None, r) for r in data]
    rows: list[tuple[int | None, dict[str, Any]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"invalid JSON ({exc.msg})", line=n) from None
        if not isinstance(obj, dict):
            raise InputError(path, "expected a JSON object", line=n)
        rows.append((n, obj))
    return rows


def _read_with_datasets(builder: str, data_files: str | list[str]) -> list[dict[str, Any]]:
    from datasets import load_dataset

    return [dict(r) for r in load_dataset(builder, data_files=data_files, split="train")]


def hub_files(release_version: str) -> list[str]:
    """Files of a release as LCB's loading script maps them: ``release_vN`` = the first N
    files (cumulative), ``release_latest`` = all, ``vN`` = file N only, ``vA_vB`` = A..B."""
    n = len(HUB_FILES)
    if release_version == "release_latest":
        return list(HUB_FILES)
    try:
        if release_version.startswith("release_v"):
            k = int(release_version[len("release_v"):])
            if 1 <= k <= n:
                return list(HUB_FILES[:k])
        elif release_version.startswith("v"):
            lo, _, hi = release_version.partition("_")
            a, b = int(lo[1:]), int(hi[1:]) if hi else int(lo[1:])
            if 1 <= a <= b <= n:
                return list(HUB_FILES[a - 1:b])
    except ValueError:
        pass
    raise UsageError(f"--release-version {release_version!r}: expected release_v1.."
                     f"release_v{n}, release_latest, vN or vA_vB")


def load_hub_rows(release_version: str) -> list[dict[str, Any]]:
    """Rows of a release from the hub (needs network).

    With ``datasets<4`` LCB's own loading script is used (``version_tag``); ``datasets>=4``
    no longer runs loading scripts, so the release's raw JSONL files are read directly.
    """
    import datasets
    from datasets import load_dataset

    if int(datasets.__version__.split(".")[0]) < 4:
        ds = load_dataset(HUB_DATASET, split="test", version_tag=release_version,
                          trust_remote_code=True)
        return [dict(r) for r in ds]
    files = [f"hf://datasets/{HUB_DATASET}/{name}" for name in hub_files(release_version)]
    return _read_with_datasets("json", files)


def load_lcb_problems(path: str | Path | None = None, *, release_version: str = "release_v1",
                      start_date: str | None = None, end_date: str | None = None
                      ) -> dict[str, LCBProblem]:
    """question_id -> problem, from a local file (JSON / JSONL / parquet) or the hub.

    ``start_date`` / ``end_date`` (ISO dates, inclusive) keep the contest window, as LCB's
    ``--start_date`` / ``--end_date`` do.
    """
    located: list[tuple[int | None, dict[str, Any]]]
    where: Any
    if path is not None:
        where = Path(path)
        if not where.exists():
            raise InputError(where, "no such file")
        suffix = where.suffix.lower()
        if suffix in (".json", ".jsonl"):
            located = _read_json_rows(where)
        elif suffix in (".parquet", ".arrow"):
            located = [(None, r) for r in _read_with_datasets(suffix[1:], str(where))]
        else:
            raise InputError(where, "expected a .json, .jsonl or .parquet file of "
                             "code_generation_lite rows")
    else:
        where = f"hub:{HUB_DATASET}@{release_version}"
        located = [(None, r) for r in load_hub_rows(release_version)]
    out: dict[str, LCBProblem] = {}
    for line, row in located:
        p = parse_row(row, where, line)
        date = p.contest_date[:10]
        if (start_date and date < start_date) or (end_date and date > end_date):
            continue
        if p.question_id in out:
            raise InputError(where, "duplicate question_id", line=line, task=p.question_id,
                             field="question_id")
        out[p.question_id] = p
    if not out:
        raise InputError(where, "no problems (after the date filter)")
    return out


# --------------------------------------------------------------------------- samples

def read_custom_output(path: str | Path, problems: Mapping[str, LCBProblem] | None = None
                       ) -> dict[str, list[str]]:
    """question_id -> code_list from an LCB custom-output file.

    Accepted shapes, as LCB's custom evaluator: a list of ``{question_id, code_list}``
    (LCB's own ``*_codegeneration_output.json`` has them too), or a list of code lists in
    the order of the sorted question ids (needs ``problems``).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(data, list) or not data:
        raise InputError(path, "expected a non-empty JSON list")
    out: dict[str, list[str]] = {}
    if all(isinstance(x, list) for x in data):
        if problems is None:
            raise InputError(path, "a list of code lists needs the problems to know the ids")
        ids = sorted(problems, key=str)
        if len(ids) != len(data):
            raise InputError(path, f"{len(data)} code lists for {len(ids)} problems")
        pairs = list(zip(ids, data))
    else:
        pairs = []
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "question_id" not in item:
                raise InputError(path, f"item {i} has no question_id", field="question_id")
            if "code_list" not in item:
                raise InputError(path, f"item {i} has no code_list",
                                 task=str(item["question_id"]), field="code_list")
            pairs.append((str(item["question_id"]), item["code_list"]))
    for qid, codes in pairs:
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise InputError(path, "expected a list of code strings", task=qid,
                             field="code_list")
        if not codes:
            raise InputError(path, "empty code list", task=qid, field="code_list")
        if qid in out:
            raise InputError(path, "question listed twice", task=qid, field="question_id")
        if problems is not None and qid not in problems:
            raise InputError(path, "question not among the problems", task=qid,
                             field="question_id")
        out[qid] = list(codes)
    return out


def write_custom_output(path: str | Path, codes: Mapping[str, Sequence[str]]) -> None:
    """An LCB custom-output file (sorted by question id, as LCB sorts it)."""
    rows = [{"question_id": qid, "code_list": list(codes[qid])} for qid in sorted(codes, key=str)]
    Path(path).write_text(json.dumps(rows, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------- execution

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


# --------------------------------------------------------------------------- grading

def load_grader() -> Callable[..., Any] | None:
    """LiveCodeBench's ``codegen_metrics`` (``lcb_runner`` or ``livecodebench``), or None."""
    for module in ("lcb_runner.evaluation", "livecodebench.evaluation"):
        try:
            mod = __import__(module, fromlist=["codegen_metrics"])
        except ImportError:
            continue
        fn = getattr(mod, "codegen_metrics", None)
        if fn is not None:
            return fn
    return None


@dataclass
class GradeResult:
    """LCB's verdicts for a set of code lists: its metrics and one bool per code."""

    pass_at_1: float
    graded: dict[str, list[bool]]
    metadata: dict[str, list[str]]
    metrics: dict[str, Any]


def _plain(obj: Any) -> Any:
    """numpy scalars / int keys -> JSON-friendly values (LCB returns np.float64)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return obj.item()
    return obj


def _fd_stream() -> Any:
    """A stderr with a real file descriptor: LCB's grader calls ``faulthandler.enable()``
    per test, which fails (and grades every code wrong) when ``sys.stderr`` is an
    in-memory stream (pytest's capsys, notebooks, some CLIs)."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return stream
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            continue
    return open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def grade_code_lists(problems: Mapping[str, LCBProblem], codes: Mapping[str, Sequence[str]],
                     *, timeout: int = 6, processes: int = 4,
                     grader: Callable[..., Any] | None = None) -> GradeResult:
    """Grade ``codes`` with LiveCodeBench's ``codegen_metrics``.

    Its constraints are handled here: every problem needs the same number of codes
    (shorter lists are padded with empty programs, whose verdicts are dropped), and a
    set of one problem crashes its stderr computation (an empty copy of the problem is
    added).  pass@1 is recomputed from the kept verdicts, so padding never counts.
    The grader prints progress: it goes to stderr, keeping our stdout clean.
    """
    grader = grader or load_grader()
    if grader is None:
        raise UsageError(f"LiveCodeBench's grader is not installed ({GRADER_INSTALL})")
    qids = sorted(codes, key=str)
    width = max(len(codes[q]) for q in qids)
    samples = [problems[q].evaluation_sample() for q in qids]
    generations = [list(codes[q]) + [""] * (width - len(codes[q])) for q in qids]
    if len(qids) == 1:
        samples.append(samples[0])
        generations.append([""] * width)
    stream = _fd_stream()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        metrics, results, metadata = grader(samples, generations, k_list=[1],
                                            num_process_evaluate=processes, timeout=timeout)
    graded: dict[str, list[bool]] = {}
    meta: dict[str, list[str]] = {}
    for i, q in enumerate(qids):
        n = len(codes[q])
        # LCB's own rule (extract_instance_results): every recorded test result > 0.
        graded[q] = [bool(all(v > 0 for v in r)) for r in results[i][:n]]
        meta[q] = list(metadata[i][:n])
    per_problem = [sum(g) / len(g) for g in graded.values()]
    metrics = _plain(metrics)
    metrics["pass@1"] = sum(per_problem) / len(per_problem)
    metrics.setdefault("detail", {})["pass@1"] = {str(i): v for i, v in enumerate(per_problem)}
    return GradeResult(metrics["pass@1"], graded, meta, metrics)


def output_rows(problems: Mapping[str, LCBProblem], codes: Mapping[str, Sequence[str]]
                ) -> list[dict[str, Any]]:
    """Rows like LCB's ``*_codegeneration_output.json`` (problem fields + code_list)."""
    rows = []
    for q in sorted(codes, key=str):
        p = problems[q]
        rows.append({"question_title": p.question_title, "question_content": p.question_content,
                     "platform": p.platform, "question_id": q,
                     "contest_id": p.row.get("contest_id", ""), "contest_date": p.contest_date,
                     "starter_code": p.starter_code, "difficulty": p.difficulty,
                     "output_list": list(codes[q]), "code_list": list(codes[q])})
    return rows


def eval_all_rows(problems: Mapping[str, LCBProblem], codes: Mapping[str, Sequence[str]],
                  result: GradeResult) -> list[dict[str, Any]]:
    """Rows like LCB's ``*_eval_all.json``: output rows + graded_list, pass@1, metadata."""
    rows = output_rows(problems, codes)
    for row in rows:
        graded = result.graded[row["question_id"]]
        row.update({"graded_list": graded, "pass@1": sum(graded) / len(graded),
                    "metadata": result.metadata.get(row["question_id"], [])})
    return rows


def write_eval_files(stem: Path, problems: Mapping[str, LCBProblem],
                     codes: Mapping[str, Sequence[str]], result: GradeResult) -> list[Path]:
    """``STEM_eval.json`` (LCB's metrics) and ``STEM_eval_all.json`` (per problem)."""
    eval_path = stem.with_name(stem.name + "_eval.json")
    all_path = stem.with_name(stem.name + "_eval_all.json")
    metrics = dict(result.metrics)
    metrics["pass@1"] = result.pass_at_1
    eval_path.write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    all_path.write_text(json.dumps(eval_all_rows(problems, codes, result), indent=1),
                        encoding="utf-8")
    return [eval_path, all_path]


# --------------------------------------------------------------------------- harness

class LiveCodeBenchHarness:
    """The :class:`~coderm_evalplus.harness.base.Harness` for LiveCodeBench."""

    name = "livecodebench"

    def __init__(self, timeout: int = 6, processes: int = 4) -> None:
        self.timeout, self.processes = timeout, processes
        self.lcb: dict[str, LCBProblem] = {}

    def load_problems(self, **options: Any) -> list[Problem]:
        """Options: ``samples`` (custom-output file, required), ``problems`` (local path;
        else the hub), ``release_version``, ``start_date``, ``end_date``."""
        samples_path = options.get("samples")
        if samples_path is None:
            raise UsageError("livecodebench: give the custom-output file (samples)")
        self.lcb = load_lcb_problems(options.get("problems"),
                                     release_version=options.get("release_version") or
                                     "release_v1",
                                     start_date=options.get("start_date"),
                                     end_date=options.get("end_date"))
        samples = read_custom_output(samples_path, self.lcb)
        return build_problems(self.lcb, samples)

    def label_candidates(self, problems: list[Problem], work_dir: Path | None = None) -> GradeResult:
        """Label every candidate with LCB's verdict; return the grading (vanilla pass@1)."""
        codes = {p.task_id: [original_code(c) for c in p.candidates] for p in problems}
        result = grade_code_lists(self.lcb, codes, timeout=self.timeout,
                                  processes=self.processes)
        for p in problems:
            for c, ok in zip(p.candidates, result.graded[p.task_id]):
                c.label = ok
        if work_dir is not None:
            write_eval_files(Path(work_dir) / "samples", self.lcb, codes, result)
        return result

    def grade_picks(self, picks: Mapping[str, str], work_dir: Path | None = None) -> dict[str, Any]:
        """Grade one code per question (original code, not the execution program)."""
        codes = {q: [code] for q, code in picks.items()}
        result = grade_code_lists(self.lcb, codes, timeout=self.timeout,
                                  processes=self.processes)
        if work_dir is not None:
            write_eval_files(Path(work_dir) / "selected", self.lcb, codes, result)
        return {"pass@1": result.pass_at_1,
                "graded": {q: g[0] for q, g in result.graded.items()}}


@hookimpl
def register_harnesses(register):
    register("livecodebench", LiveCodeBenchHarness)


@hookimpl
def build_test_prompt(problem, candidate):
    """Show the test generator the sampled code, not our execution program.

    Only for problems this harness built (``meta["harness"]``); the prompt itself is the
    default CodeRM prompt (method -> function, stdin program -> ``solve`` wrapper).
    """
    if problem.meta.get("harness") != "livecodebench" or candidate is None \
            or "code" not in candidate.meta:
        return None
    from ..generate.prompt import build_prompt

    shown = Candidate(candidate.index, original_code(candidate), meta=dict(candidate.meta))
    return build_prompt(problem, shown)


# --------------------------------------------------------------------------- run

@dataclass
class LCBRun:
    """What a LiveCodeBench run produced: picks (original codes) and LCB's grades."""

    result: Any  # pipeline.RunResult
    picks: dict[str, str]
    vanilla: GradeResult | None
    picks_grade: GradeResult | None
    grader_available: bool


def run_livecodebench(lcb: Mapping[str, LCBProblem], samples: Mapping[str, Sequence[str]],
                      config: Any, *, completions: Mapping[str, Sequence[str]] | None,
                      out_dir: Path | None, tests_source: object = "tests",
                      grade: bool = True, vanilla: bool = True, timeout: int = 6,
                      processes: int = 4) -> LCBRun:
    """Selection stage + LCB grading of all samples (labels, vanilla) and of the picks."""
    from .. import pipeline

    problems = build_problems(lcb, samples)
    grader = load_grader() if grade else None
    graded: dict[str, GradeResult] = {}

    def label(probs: list[Problem]) -> None:
        codes = {p.task_id: [original_code(c) for c in p.candidates] for p in probs}
        graded["vanilla"] = grade_code_lists(lcb, codes, timeout=timeout,
                                             processes=processes, grader=grader)
        for p in probs:
            for c, ok in zip(p.candidates, graded["vanilla"].graded[p.task_id]):
                c.label = ok

    result = pipeline.run(problems, config, completions=completions, out_dir=None,
                          grade=label if (grader is not None and vanilla) else None,
                          tests_source=tests_source)
    # Picks and pipeline outputs carry the sampled code, not the execution program.
    for p in result.problems:
        for c in p.candidates:
            c.source = original_code(c)
    picks = result.picks()
    picks_grade = None
    if grader is not None:
        picks_grade = grade_code_lists(lcb, {q: [c] for q, c in picks.items()},
                                       timeout=timeout, processes=processes, grader=grader)
    summary = {"grader": "livecodebench" if grader is not None else None,
               "picks_pass@1": picks_grade.pass_at_1 if picks_grade else None,
               "vanilla_pass@1": graded["vanilla"].pass_at_1 if "vanilla" in graded else None,
               "picks_graded": picks_grade.graded if picks_grade else None}
    result.report["livecodebench"] = summary
    if out_dir is not None:
        pipeline.write_outputs(Path(out_dir), result)
    return LCBRun(result, picks, graded.get("vanilla"), picks_grade, grader is not None)


def print_lcb_summary(run: LCBRun, *, out: Any = None) -> None:
    """One block: pass@1 of the picks next to vanilla pass@1, both from LCB's grader."""
    out = out or sys.stdout
    sel = run.result.report["run"]["selector"]
    if not run.grader_available:
        why = (f"LiveCodeBench grader not installed ({GRADER_INSTALL})"
               if load_grader() is None else "grading skipped (--no-grade)")
        print(f"{why}: picks written, not graded", file=out)
        return
    tasks = len(run.picks)
    line = f"LiveCodeBench ({tasks} problems, graded by LiveCodeBench's codegen_metrics): "
    parts = []
    if run.picks_grade is not None:
        parts.append(f"pass@1 of {sel} picks {100 * run.picks_grade.pass_at_1:.2f}")
    if run.vanilla is not None:
        parts.append(f"vanilla pass@1 of all samples {100 * run.vanilla.pass_at_1:.2f}")
    print(line + ", ".join(parts), file=out)


# --------------------------------------------------------------------------- commands

def add_lcb_problem_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("LiveCodeBench")
    g.add_argument("--problems", default=None,
                   help="code_generation_lite rows as a local .json/.jsonl/.parquet file "
                        "(default: the hub, needs network)")
    g.add_argument("--release-version", "--release_version", dest="release_version",
                   default="release_v1", help="hub release when --problems is not given")
    g.add_argument("--start-date", "--start_date", dest="start_date", default=None,
                   help="keep problems whose contest_date >= this ISO date")
    g.add_argument("--end-date", "--end_date", dest="end_date", default=None,
                   help="keep problems whose contest_date <= this ISO date")
    g.add_argument("--timeout", type=int, default=6,
                   help="LCB grader: seconds per test case (default %(default)s)")
    g.add_argument("--num-process-evaluate", "--num_process_evaluate",
                   dest="num_process_evaluate", type=int, default=4,
                   help="LCB grader: processes (default %(default)s)")
    g.add_argument("--no-grade", action="store_true",
                   help="do not run LiveCodeBench's grader (only write the picks)")
    g.add_argument("--no-vanilla", action="store_true",
                   help="grade the picks only (no labels, no vanilla pass@1)")


def _run_from_args(args: argparse.Namespace, samples_path: str, out_dir: Path
                   ) -> tuple[dict[str, LCBProblem], LCBRun]:
    from ..commands import config_from_args
    from ..samples import read_recorded_tests

    config = config_from_args(args)
    lcb = load_lcb_problems(args.problems, release_version=args.release_version,
                            start_date=args.start_date, end_date=args.end_date)
    samples = read_custom_output(samples_path, lcb)
    completions = None
    if args.tests:
        completions = read_recorded_tests(args.tests,
                                          {qid: lcb[qid].to_problem() for qid in samples})
    run = run_livecodebench(lcb, samples, config, completions=completions, out_dir=out_dir,
                            tests_source=args.tests or "generator",
                            grade=not args.no_grade, vanilla=not args.no_vanilla,
                            timeout=args.timeout, processes=args.num_process_evaluate)
    return lcb, run


def _all_codes(run: LCBRun) -> dict[str, list[str]]:
    return {p.task_id: [original_code(c) for c in p.candidates] for p in run.result.problems}


def cmd_livecodebench(args: argparse.Namespace) -> int:
    from ..commands import print_run

    out = Path(args.out)
    lcb, run = _run_from_args(args, args.samples, out)
    picks = {q: [c] for q, c in run.picks.items()}
    write_custom_output(out / "selected.json", picks)
    if run.picks_grade is not None:
        write_eval_files(out / "selected", lcb, picks, run.picks_grade)
    if run.vanilla is not None:
        write_eval_files(out / "samples", lcb, _all_codes(run), run.vanilla)
    print_run(run.result, args)
    print_lcb_summary(run)
    print(f"wrote {out}/selected.json (LCB custom-output file, one code per question)")
    return 0


@hookimpl
def register_commands(subparsers):
    from ..commands import add_run_options

    p = subparsers.add_parser(
        "livecodebench", help="best-of-N selection on LiveCodeBench custom outputs",
        description="Pick one code per question from an LCB custom-output file "
                    "([{question_id, code_list}]) by running generated or recorded unit "
                    "tests; write OUT/selected.json (LCB custom-output file) and grade it "
                    "with LiveCodeBench's own grader next to vanilla pass@1.")
    p.add_argument("--samples", required=True, help="LCB custom-output file")
    p.add_argument("--tests", default=None,
                   help="recorded tests JSONL ({task_id: question_id, completions})")
    p.add_argument("-o", "--out", required=True, help="output directory")
    add_lcb_problem_options(p)
    add_run_options(p, time_limit_default=STDIN_TIME_LIMIT)
    p.set_defaults(func=cmd_livecodebench)


# --------------------------------------------------------------------------- custom runner

def custom_runner_parser() -> argparse.ArgumentParser:
    from ..commands import add_run_options

    p = argparse.ArgumentParser(
        prog="livecodebench_runner",
        description="LiveCodeBench's custom evaluator with coderm-evalplus selection in "
                    "front: reads --custom_output_file, picks one code per question, "
                    "writes <file>_<selector>_codegeneration_output.json with its _eval.json "
                    "and _eval_all.json (and the vanilla files for all samples), as "
                    "`python -m lcb_runner.runner.custom_evaluator` would.")
    p.add_argument("--custom_output_file", "--custom-output-file", dest="custom_output_file",
                   required=True, help="LCB custom-output file [{question_id, code_list}]")
    p.add_argument("--scenario", default="codegeneration", choices=["codegeneration"])
    p.add_argument("--tests", default=None, help="recorded tests JSONL")
    add_lcb_problem_options(p)
    add_run_options(p, time_limit_default=STDIN_TIME_LIMIT)
    return p


def custom_runner_main(argv: Sequence[str] | None = None) -> int:
    """Entry of hooks/livecodebench_runner.py (errors as one line, exit 2 / 1)."""
    from ..errors import CodermError

    args = custom_runner_parser().parse_args(argv)
    try:
        return _custom_runner(args)
    except CodermError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _custom_runner(args: argparse.Namespace) -> int:
    src = Path(args.custom_output_file)
    if src.suffix != ".json":
        raise UsageError("--custom_output_file must end in .json (as LCB's evaluator expects)")
    base = src.with_suffix("")
    out_dir = base.parent / f"{base.name}_coderm"
    lcb, run = _run_from_args(args, str(src), out_dir)
    selector = run.result.report["run"]["selector"]
    picks = {q: [c] for q, c in run.picks.items()}
    stem = base.parent / f"{base.name}_{selector}_codegeneration_output"
    stem.with_suffix(".json").write_text(json.dumps(output_rows(lcb, picks), indent=1),
                                         encoding="utf-8")
    written = [stem.with_suffix(".json")]
    if run.picks_grade is not None:
        written += write_eval_files(stem, lcb, picks, run.picks_grade)
    if run.vanilla is not None:
        written += write_eval_files(base.parent / f"{base.name}_codegeneration_output", lcb,
                                    _all_codes(run), run.vanilla)
    print_lcb_summary(run)
    for path in written:
        print(f"wrote {path}")
    print(f"wrote {out_dir}/ (report.json, matrices.npz, picks.jsonl)")
    return 0
