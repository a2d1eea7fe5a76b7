"""Regression runs: recorded runs replayed through the whole pipeline, compared with a
committed expected-results file.

A regression set is samples + recorded tests + labels.  Each set runs through the same
stages a user's run does (extraction, sandboxed execution, every selector), and for every
selector its tie-aware score and its pick list are compared with ``expected.json``: any
drift fails with a diff table.  ``--update`` rewrites the file on purpose (review the
diff in version control).  Sets built from ``../shared/data`` are referenced by path,
never copied into the repository; a set whose data is missing is reported as skipped.

A regression run never reads a verdict cache (nor writes one): what it checks is what
the code computes now, not what an older worker or an older timeout rule once recorded.
Its verdicts do not depend on the machine's load because the executor's do not
(execute/worker.py, *Time-limit policy*); tests/integration/test_regression.py runs
sets once quiet and once with every core busy and requires the same scores and picks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .execute.base import Limits
from .inputs.problem_sets import load_evalplus_problems
from .inputs.problems import load_demo
from .inputs.recorded_tests import load_tests_file
from .inputs.samples import build_problems
from .labels import humaneval_labels
from .model import Problem
from .pipeline import RunConfig, finish, run
from .plugins import selectors as registered
from .synthetic import build_synthetic

SELECTORS = ("first", "random", "coderm", "codet", "codet-sqrt", "b4", "robust", "oracle")
SCORE_TOLERANCE = 1e-9


@dataclass
class RegressionSet:
    """Labelled problems plus raw test completions (extracted by the run), or, when
    ``completions`` is None, problems whose tests are already attached."""

    name: str
    problems: list[Problem]
    completions: dict[str, list[str]] | None
    formats: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    shared: Path
    jobs: int | None = None
    codet_tasks: int | None = None  # None: CODET_TASKS (tests replay fewer)


def _demo(ctx: Context) -> RegressionSet:

    return RegressionSet("demo", *load_demo())


CODET_TASKS = 10
"""CodeT dev-slice tasks replayed (the first ones of its files): enough to see drift in
every selector, small enough for CI (labels + ~60k pairs)."""


def _codet(ctx: Context) -> RegressionSet | None:

    root = ctx.shared / "data" / "codet_humaneval_dev"
    he = ctx.shared / "data" / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl"
    if not (root.exists() and he.exists()):
        return None
    bench = load_evalplus_problems("humaneval", he)
    ids = str(root / "task_ids.json")
    problems = build_problems(root / "codegen16B_code_solution.jsonl", bench, "codet", ids)
    problems = problems[:ctx.codet_tasks or CODET_TASKS]
    labels = humaneval_labels(problems, time_limit=5.0, jobs=ctx.jobs, cache_path=None)
    for p in problems:
        for cand, ok in zip(p.candidates, labels[p.task_id]):
            cand.label = ok
    completions, formats = load_tests_file(str(root / "codegen16B_test_case.jsonl"), bench, ids)
    keep = {p.task_id for p in problems}
    return RegressionSet("codet_dev", problems,
                         {t: c for t, c in completions.items() if t in keep},
                         {t: f for t, f in formats.items() if t in keep})


SYNTHETIC_TASKS, SYNTHETIC_CANDIDATES = 8, 12
"""Size of the synthetic HumanEval+ / MBPP+ sets (each at 0/10/25/50 % wrong tests)."""


def _synthetic(dataset: str, filename: str) -> Callable[[Context], list[RegressionSet] | None]:
    def build(ctx: Context) -> list[RegressionSet] | None:
        path = ctx.shared / "data" / "evalplus" / filename
        if not path.exists():
            return None
        return [RegressionSet(name, problems, None)
                for name, problems in build_synthetic(dataset, SYNTHETIC_TASKS,
                                                      SYNTHETIC_CANDIDATES, 0, path)]
    return build


SETS: dict[str, Callable[[Context], RegressionSet | list[RegressionSet] | None]] = {
    "demo": _demo,
    "codet_dev": _codet,
    "humaneval_synthetic": _synthetic("he+", "HumanEvalPlus-v0.1.10.jsonl"),
    "mbpp_synthetic": _synthetic("mbpp+", "MbppPlus-v0.2.0.jsonl"),
}


def run_set(rs: RegressionSet, ctx: Context, selectors: tuple[str, ...] = SELECTORS
            ) -> dict[str, Any]:
    """Replay one set through the pipeline; return {selector: {score, picks}, pairs}."""
    names = [s for s in selectors if s in registered() or s == "oracle"]
    # the default limits (what a user's run gets), no verdict cache (see module docstring)
    config = RunConfig(selector=names[0], compare=names[1:], limits=Limits(),
                       jobs=ctx.jobs, cache_path=None, progress=False, seed=0)
    if rs.completions is None:
        result = finish(rs.problems, config, out_dir=None, grade=None)
    else:
        result = run(rs.problems, config, completions=rs.completions,
                     test_formats=rs.formats, tests_source=rs.name)
    out: dict[str, Any] = {"tasks": len(rs.problems),
                           "tests": sum(len(p.tests) for p in rs.problems)}
    for name, sels in result.selections.items():
        out[name] = {"score": result.report["summary"]["per_selector"][name]["selected"],
                     "picks": [sels[p.task_id].index for p in rs.problems]}
    return out


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[tuple[str, ...]]:
    """Rows (set, selector, what, expected, actual) for every difference."""
    rows: list[tuple[str, ...]] = []
    for set_name in sorted(set(expected) | set(actual)):
        exp, act = expected.get(set_name), actual.get(set_name)
        if exp is None or act is None:
            rows.append((set_name, "-", "set", "present" if exp else "missing",
                         "present" if act else "missing"))
            continue
        for key in sorted(set(exp) | set(act)):
            e, a = exp.get(key), act.get(key)
            if not isinstance(e, dict) or not isinstance(a, dict):
                if e != a:
                    rows.append((set_name, "-", key, str(e), str(a)))
                continue
            if e.get("score") is None or a.get("score") is None or \
                    abs(e["score"] - a["score"]) > SCORE_TOLERANCE:
                rows.append((set_name, key, "score", f"{e.get('score')}", f"{a.get('score')}"))
            if e.get("picks") != a.get("picks"):
                changed = [i for i, (x, y) in enumerate(zip(e.get("picks") or [],
                                                            a.get("picks") or [])) if x != y]
                rows.append((set_name, key, "picks",
                             f"{len(changed)} task(s) differ", f"first at task #{changed[:1]}"))
    return rows


def run_sets(wanted: list[str], ctx: Context,
             skipped: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build and replay the named sets: {set name: :func:`run_set` result}.  A set whose
    data is missing is left out (``skipped(name)`` is told)."""
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        raise UsageError(f"unknown regression set(s) {unknown} (known: {', '.join(SETS)})")
    actual: dict[str, Any] = {}
    for name in wanted:
        built = SETS[name](ctx)
        if built is None:
            if skipped is not None:
                skipped(name)
            continue
        for rs in built if isinstance(built, list) else [built]:
            actual[rs.name] = run_set(rs, ctx)
    return actual
