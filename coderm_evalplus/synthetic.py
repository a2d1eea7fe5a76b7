"""Synthetic best-of-N sets with tests of controlled quality, built from EvalPlus data.

Candidates are a task's canonical solution (repeated) and AST mutants of it (off-by-one
constants, flipped comparisons, swapped operators, and/or swapped, negated ifs, loops that
stop / return after one iteration), drawn with a popularity skew like LLM samples.  Tests
are ``assert f(*input) == expected`` on the base inputs (topped up with small plus inputs),
expected = the canonical output, except a share (0, 10, 25, 50 %) whose expected value is
wrong: the output of a popular wrong candidate on that input (the test generator shares
the sampler's misconceptions), else a perturbed value.  Labels come from the benchmark's
own tests through the sandbox.  Used by ``benchmarks/selection.py`` and the regression
runs; mutant behaviours are computed in a separate ``python -I`` process (our own
canonical code and its mutants, with a timeout).
"""

from __future__ import annotations

import ast
import copy
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from .labels import humaneval_labels
from .model import Candidate, Problem, UnitTest

NOISE_LEVELS = (0.0, 0.10, 0.25, 0.50)
MIN_TESTS = 8
MAX_INPUT_REPR = 200


# ------------------------------------------------------------------------- mutation
_CMP_SWAP: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
                               ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
                               ast.In: ast.NotIn, ast.NotIn: ast.In}
_BIN_SWAP: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add,
                               ast.FloorDiv: ast.Mod, ast.Mod: ast.FloorDiv,
                               ast.Div: ast.Mult}


def _sites(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(node position in ast.walk order, mutation kind) of every mutation site."""
    for pos, node in enumerate(ast.walk(tree)):
        if (isinstance(node, ast.Constant) and type(node.value) is int):
            yield pos, "plus1"
            yield pos, "minus1"
        elif isinstance(node, ast.Compare):
            if any(type(op) in _CMP_SWAP for op in node.ops):
                yield pos, "cmp"
        elif isinstance(node, ast.BinOp) and type(node.op) in _BIN_SWAP:
            yield pos, "binop"
        elif isinstance(node, ast.BoolOp):
            yield pos, "boolop"
        elif isinstance(node, ast.If):
            yield pos, "negate_if"
        elif isinstance(node, (ast.For, ast.While)):
            yield pos, "break_early"
            yield pos, "return_early"


def _apply(tree: ast.Module, pos: int, kind: str) -> ast.Module | None:
    """A mutated deep copy of ``tree`` (None when the site does not apply)."""
    new = copy.deepcopy(tree)
    node = list(ast.walk(new))[pos]
    if kind in ("plus1", "minus1"):
        node.value += 1 if kind == "plus1" else -1  # type: ignore[attr-defined]
    elif kind == "cmp":
        node.ops = [_CMP_SWAP.get(type(op), type(op))() for op in node.ops]  # type: ignore[attr-defined]
    elif kind == "binop":
        node.op = _BIN_SWAP[type(node.op)]()  # type: ignore[attr-defined]
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()  # type: ignore[attr-defined]
    elif kind == "negate_if":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)  # type: ignore[attr-defined]
    elif kind == "break_early":
        node.body = [*node.body, ast.Break()]  # type: ignore[attr-defined]
    elif kind == "return_early":
        func = next((f for f in ast.walk(new) if isinstance(f, ast.FunctionDef)
                     and node in list(ast.walk(f))), None)
        last = func.body[-1] if func is not None and func.body else None
        if not isinstance(last, ast.Return):
            return None
        node.body = [*node.body, copy.deepcopy(last)]  # type: ignore[attr-defined]
    return ast.fix_missing_locations(new)


def mutants(source: str, limit: int, rng: np.random.Generator) -> list[str]:
    """Up to ``limit`` distinct single-site mutants of ``source`` (seeded sample)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    sites = list(_sites(tree))
    order = rng.permutation(len(sites))
    original = ast.unparse(tree)
    seen: set[str] = {original}
    out: list[str] = []
    for k in order:
        mutated = _apply(tree, *sites[int(k)])
        if mutated is None:
            continue
        try:
            text = ast.unparse(mutated)
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError):
            continue
        if text not in seen:
            seen.add(text)
            out.append(text)
        if len(out) >= limit:
            break
    return out


# --------------------------------------------------------------- behaviour (outputs)
# The benchmark needs *outputs* (to write expected values), which the verdict executor
# does not report; this small helper computes them in a separate, resource-limited
# interpreter.  It only ever runs dataset solutions and their mutants.
_BEHAVIOUR_SCRIPT = textwrap.dedent("""
    import ast, json, resource, signal, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    job = json.loads(sys.stdin.read())
    def alarm(*_):
        raise TimeoutError
    signal.signal(signal.SIGALRM, alarm)
    result = []
    for program in job["programs"]:
        row = []
        try:
            env = {"__name__": "__bench__"}
            signal.setitimer(signal.ITIMER_REAL, 2.0)
            exec(compile(program, "<candidate>", "exec"), env)
            signal.setitimer(signal.ITIMER_REAL, 0)
            fn = env[job["entry_point"]]
        except BaseException:
            signal.setitimer(signal.ITIMER_REAL, 0)
            result.append([None] * len(job["inputs"]))
            continue
        for args in job["inputs"]:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.5)
                value = fn(*ast.literal_eval(args))
                signal.setitimer(signal.ITIMER_REAL, 0)
                text = repr(value)
                row.append(text if ast.literal_eval(text) == value else None)
            except BaseException:
                signal.setitimer(signal.ITIMER_REAL, 0)
                row.append(None)
        result.append(row)
    sys.stdout.write(json.dumps(result))
""")


def behaviours(programs: list[str], entry_point: str, inputs: list[str]
               ) -> list[list[str | None]] | None:
    """repr of each program's output on each input (None: error / not a literal)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"}
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _BEHAVIOUR_SCRIPT],
                              input=json.dumps({"programs": programs, "inputs": inputs,
                                                "entry_point": entry_point}),
                              capture_output=True, text=True, timeout=120, env=env,
                              cwd="/tmp")
        return json.loads(done.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError):
        return None


def _perturb(text: str) -> str:
    """A plausible wrong expected value of the same type."""
    value = ast.literal_eval(text)
    if isinstance(value, bool):
        return repr(not value)
    if isinstance(value, int):
        return repr(value + 1)
    if isinstance(value, float):
        return repr(value + 1.0)
    if isinstance(value, str):
        return repr(value[:-1] if value else "a")
    if isinstance(value, (list, tuple)):
        return repr(type(value)(list(value)[:-1]) if value else type(value)([0]))
    if isinstance(value, (set, dict)):
        return repr(type(value)()) if value else "None"
    return repr(0) if value is None else "None"


# ------------------------------------------------------------------ synthetic sets
def _read_rows(path: Path) -> dict[str, dict[str, Any]]:
    rows = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            rows[row["task_id"]] = row
    return rows


def _test_inputs(row: dict[str, Any], min_tests: int = MIN_TESTS,
                 max_repr: int = MAX_INPUT_REPR) -> list[str]:
    """Base inputs, topped up with small plus inputs (in file order, repr at most
    ``max_repr`` characters) to ``min_tests``, as literal reprs.  The paper-scale
    benchmark asks for ~100 per task, as many as CodeRM generates."""
    out: list[str] = []
    for group in (row.get("base_input") or [], row.get("plus_input") or []):
        for args in group:
            text = repr(args if isinstance(args, list) else [args])
            if group is not row.get("base_input") and (len(out) >= min_tests
                                                       or len(text) > max_repr):
                continue
            try:
                if ast.literal_eval(text) != args:
                    continue
            except (ValueError, SyntaxError):
                continue
            if text not in out:
                out.append(text)
    return out


@dataclass
class _TaskPool:
    row: dict[str, Any]
    canonical: str
    wrong: list[str]  # mutants that differ from the canonical on some input
    inputs: list[str]
    expected: list[str]
    wrong_outputs: list[list[str | None]]


def _task_pool(row: dict[str, Any], program: str, rng: np.random.Generator,
               max_mutants: int) -> _TaskPool | None:
    inputs = _test_inputs(row)
    if len(inputs) < 3:
        return None
    pool = mutants(program, max_mutants, rng)
    outs = behaviours([program, *pool], row["entry_point"], inputs)
    if outs is None or any(v is None for v in outs[0]):
        return None
    expected = cast(list[str], outs[0])  # no None: checked just above
    wrong = [(m, o) for m, o in zip(pool, outs[1:], strict=True) if o != expected]
    if len(wrong) < 2:
        return None
    return _TaskPool(row, program, [m for m, _ in wrong], inputs, expected,
                     [o for _, o in wrong])


def build_synthetic(dataset: str, n_tasks: int, n_candidates: int, seed: int,
                    path: Path) -> list[tuple[str, list[Problem]]]:
    """The noise-level sets of one dataset (same candidates, different tests):
    ``[(name, problems)]`` with labelled candidates and ``assert`` tests attached."""
    rows = _read_rows(path)
    rng = np.random.default_rng([seed, 1 if dataset == "he+" else 2])
    order = [list(rows)[int(i)] for i in rng.permutation(len(rows))]
    pools: list[_TaskPool] = []
    for tid in order:
        row = rows[tid]
        if row.get("atol") not in (None, 0, "0", 0.0):
            continue  # float tolerance: exact-equality asserts would be wrong tests
        program = (row["prompt"] + row["canonical_solution"] if dataset == "he+"
                   else row["canonical_solution"])
        pool = _task_pool(row, program, rng, max_mutants=30)
        if pool is not None:
            pools.append(pool)
        if len(pools) >= n_tasks:
            break
    base_problems = [_sample_candidates(p, n_candidates, rng) for p in pools]
    labelled = label_problems(base_problems, {p.row["task_id"]: p.row for p in pools})
    return [(f"{dataset} {int(share * 100)}% wrong",
             [replace(prob, tests=_tests(pool, prob, share, rng))
              for pool, prob in zip(pools, labelled, strict=True)])
            for share in NOISE_LEVELS]


def _sample_candidates(pool: _TaskPool, n: int, rng: np.random.Generator) -> Problem:
    """n rows: the canonical with probability p ~ U(0.05, 0.6), else a mutant drawn with
    a Zipf(1.2) popularity over a random order of the mutants (duplicates kept)."""
    p_correct = rng.uniform(0.05, 0.6)
    weights = 1.0 / np.arange(1, len(pool.wrong) + 1) ** 1.2
    weights = weights[rng.permutation(len(pool.wrong))]
    weights /= weights.sum()
    cands = []
    for i in range(n):
        if rng.random() < p_correct:
            src, which = pool.canonical, -1
        else:
            which = int(rng.choice(len(pool.wrong), p=weights))
            src = pool.wrong[which]
        cands.append(Candidate(index=i, source=src, meta={"mutant": which}))
    row = pool.row
    return Problem(task_id=row["task_id"], prompt=row["prompt"],
                   entry_point=row["entry_point"], candidates=cands,
                   meta={"row": row})


def _tests(pool: _TaskPool, prob: Problem, share: float,
           rng: np.random.Generator) -> list[UnitTest]:
    m = len(pool.inputs)
    n_wrong = int(round(share * m))
    wrong_at = set(int(i) for i in rng.choice(m, size=n_wrong, replace=False))
    counts = np.bincount([c.meta["mutant"] for c in prob.candidates
                          if c.meta["mutant"] >= 0], minlength=len(pool.wrong))
    tests = []
    ep = pool.row["entry_point"]
    for j, args in enumerate(pool.inputs):
        expected = pool.expected[j]
        if j in wrong_at:
            differ = [k for k in range(len(pool.wrong)) if counts[k] > 0
                      and pool.wrong_outputs[k][j] not in (None, expected)]
            if differ:
                w = counts[differ].astype(float)
                k = differ[int(rng.choice(len(differ), p=w / w.sum()))]
                expected = pool.wrong_outputs[k][j]  # type: ignore[assignment]
            else:
                expected = _perturb(expected)
        tests.append(UnitTest(index=j, kind="assert",
                              source=f"assert {ep}(*{args}) == {expected}\n",
                              meta={"wrong": j in wrong_at}))
    return tests


def label_problems(problems: list[Problem], rows: dict[str, dict[str, Any]],
                   **exec_kwargs: Any) -> list[Problem]:
    """Candidates labelled by the benchmark's own test (``exec_kwargs`` go to the
    executor, e.g. ``cache_path`` so a benchmark re-run does not grade again)."""
    exec_kwargs.setdefault("jobs", None)
    labels = humaneval_labels(problems, rows, **exec_kwargs)
    out = []
    for p in problems:
        cands = [replace(c, label=bool(lab)) for c, lab in zip(p.candidates, labels[p.task_id],
                                                              strict=True)]
        out.append(replace(p, candidates=cands))
    return out
