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

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .execute.base import Limits
from .hookspecs import hookimpl
from .model import Problem

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
    from .commands import load_demo

    return RegressionSet("demo", *load_demo())


CODET_TASKS = 10
"""CodeT dev-slice tasks replayed (the first ones of its files): enough to see drift in
every selector, small enough for CI (labels + ~60k pairs)."""


def _codet(ctx: Context) -> RegressionSet | None:
    from .commands import build_problems, load_tests_file
    from .datasets import load_evalplus_problems
    from .labels import humaneval_labels

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
        from .synthetic import build_synthetic

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
    from .pipeline import RunConfig, finish, run
    from .plugins import selectors as registered

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


def print_diff(rows: list[tuple[str, ...]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="regression drift")
    for col in ("set", "selector", "what", "expected", "actual"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console(stderr=True).print(table)


def print_scores(actual: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="regression scores (tie-aware accuracy)")
    table.add_column("set")
    for name in SELECTORS:
        table.add_column(name, justify="right")
    for set_name, res in actual.items():
        table.add_row(set_name, *[f"{100 * res[s]['score']:.2f}" if s in res else "-"
                                  for s in SELECTORS])
    Console().print(table)


def cmd_regress(args: argparse.Namespace) -> int:
    ctx = Context(shared=Path(args.shared), jobs=args.jobs)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        raise UsageError(f"unknown regression set(s) {unknown} (known: {', '.join(SETS)})")
    actual: dict[str, Any] = {}
    for name in wanted:
        built = SETS[name](ctx)
        if built is None:
            print(f"regression set {name}: skipped (data not found under {ctx.shared})",
                  file=sys.stderr)
            continue
        for rs in built if isinstance(built, list) else [built]:
            actual[rs.name] = run_set(rs, ctx)
    print_scores(actual)
    path = Path(args.expected)
    if args.update:
        previous = json.loads(path.read_text()) if path.exists() else {}
        previous.update(actual)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(previous, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")
        return 0
    if not path.exists():
        raise UsageError(f"{path}: no expected results; run with --update to create them")
    expected = json.loads(path.read_text())
    rows = compare({k: v for k, v in expected.items() if k in actual}, actual)
    if rows:
        print_diff(rows)
        return 1
    print(f"no drift in {len(actual)} set(s)")
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("regress", help="replay recorded runs; fail on score/pick drift")
    p.add_argument("--expected", default="regression/expected.json")
    p.add_argument("--update", action="store_true", help="rewrite the expected results")
    p.add_argument("--sets", default=",".join(SETS),
                   help="comma-separated (default: all): " + ", ".join(SETS))
    p.add_argument("--shared", default=os.environ.get(
        "CODERM_SHARED", str(Path.cwd().parent / "shared")),
        help="the shared data folder (default: $CODERM_SHARED or ../shared)")
    p.add_argument("--jobs", type=int, default=None)
    p.set_defaults(func=cmd_regress)
