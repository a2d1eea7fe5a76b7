"""Selection quality on every real set available here: one table, one row per set.

Columns: vanilla pass@1 (mean label), random, first, coderm, codet (|S|x|T| and
sqrt(|S|)x|T|), robust, oracle - tie-aware expected accuracy of the pick in %
(``first`` is candidate 0's label).  Everything runs through the project's pipeline:
candidates and tests are :class:`Problem` s, verdicts come from
``execute.runner.execute_problems`` (sandboxed, cached), labels from
``coderm_evalplus.labels``, selectors from the plugin registry.

Sets
----
``codet-dev``  CodeT's CodeGen-16B HumanEval samples (../shared/data/codet_humaneval_dev,
               40 tasks x 100 samples), tests = every distinct valid assert of CodeT's
               generated test samples, labels = HumanEval's own ``check``.
``he+ w%``     HumanEval+ tasks: candidates are the canonical solution (repeated) and
               AST mutants of it (off-by-one constants, flipped comparisons, swapped
               operators, and/or swapped, negated ifs, loops that stop / return after
               one iteration), drawn with a popularity skew like LLM samples; tests are
               ``assert f(*input) == expected`` on the base inputs (topped up with small
               plus inputs to at least ``MIN_TESTS``), expected = the canonical output,
               except a share w (0, 10, 25, 50 %) whose expected value is wrong: the
               output of a wrong candidate on that input (chosen with the candidates'
               popularity: the test generator shares the sampler's misconceptions), else
               a perturbed value.  Labels: HumanEval's ``check``.
``mbpp+ w%``   the same from MBPP+ (labels: MBPP's original asserts).
``demo``       the embedded demo set (coderm_evalplus/demo), when present.

Default run: all 40 CodeT tasks at a 0.5 s per-pair limit (its hanging candidates
dominate the time), 30 HumanEval+ and 30 MBPP+ tasks (a seeded sample), 20 candidates
each; verdicts are cached in ``--cache`` so a re-run only re-selects.

    python benchmarks/selection.py [--seed 0] [--json OUT] [--sets codet,he,mbpp,demo]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coderm_evalplus import metrics, plugins
from coderm_evalplus.model import OutcomeMatrix, Problem
from coderm_evalplus.select.base import fit_selector
from coderm_evalplus.synthetic import build_synthetic, label_problems

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HUMANEVAL = DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl"
MBPP = DATA / "evalplus" / "MbppPlus-v0.2.0.jsonl"
CODET = DATA / "codet_humaneval_dev"
SELECTORS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("random", "random", {}),
    ("first", "first", {}),
    ("coderm", "coderm", {}),
    ("codet", "codet", {}),
    ("codet-sqrt", "codet", {"size_power": 0.5}),
    ("robust", "robust", {}),
    ("oracle", "oracle", {}),
)


@dataclass
class BenchSet:
    """One evaluated set: problems (with labelled candidates) and their matrices."""

    name: str
    problems: list[Problem]
    matrices: dict[str, OutcomeMatrix]
    note: str = ""
    seconds: float = 0.0
    results: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ synthetic sets
def synthetic_sets(dataset: str, n_tasks: int, n_candidates: int, seed: int,
                   run: Callable[[str, list[Problem]], BenchSet]) -> list[BenchSet]:
    """The noise-level sets of one dataset, executed (see coderm_evalplus.synthetic)."""
    path = HUMANEVAL if dataset == "he+" else MBPP
    if not path.exists():
        print(f"skip {dataset}: {path} not found")
        return []
    return [run(name, problems)
            for name, problems in build_synthetic(dataset, n_tasks, n_candidates, seed, path)]


# --------------------------------------------------------------------- real sets
def codet_set(run: Callable[[str, list[Problem]], BenchSet], n_tasks: int) -> list[BenchSet]:
    from coderm_evalplus.datasets import codet_dev_problems

    if not CODET.exists() or not HUMANEVAL.exists():
        print(f"skip codet-dev: {CODET} not found")
        return []
    problems = codet_dev_problems(CODET, HUMANEVAL, n_tasks)
    labelled = label_problems(problems, {p.task_id: p.meta["row"] for p in problems})
    return [run("codet-dev", labelled)]


def demo_set(run: Callable[[str, list[Problem]], BenchSet]) -> list[BenchSet]:
    """The embedded demo set, loaded and extracted as `coderm-evalplus demo` does."""
    from coderm_evalplus.commands import load_demo
    from coderm_evalplus.pipeline import attach_tests

    problems, completions, formats = load_demo()
    attach_tests(problems, completions, formats=formats)
    return [run("demo", problems)]


# ----------------------------------------------------------------------- evaluation
def evaluate(bench: BenchSet, seed: int) -> dict[str, float]:
    """Accuracy (%) of every selector on one set."""
    labels = {p.task_id: p.labels for p in bench.problems}
    res = {"vanilla": 100 * metrics.vanilla_pass_at_1(list(labels.values()))}
    for column, name, options in SELECTORS:
        selector = plugins.get_selector(name, **options)
        fit_selector(selector, bench.problems, bench.matrices)
        rng = np.random.default_rng(seed)
        sels = {p.task_id: selector.select(p, bench.matrices[p.task_id], rng)
                for p in bench.problems}
        if column == "first":
            res[column] = 100 * metrics.picked_accuracy(sels, labels)
        else:
            res[column] = 100 * metrics.expected_accuracy(sels, labels)
    return res


def make_runner(cache: Path | None, time_limit: float, jobs: int | None
                ) -> Callable[[str, list[Problem]], BenchSet]:
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.runner import execute_problems

    def run(name: str, problems: list[Problem]) -> BenchSet:
        started = time.monotonic()
        problems = [p for p in problems if p.candidates]
        matrices = execute_problems(problems, sandbox="local", jobs=jobs,
                                    limits=Limits(time_limit=time_limit),
                                    cache_path=cache)
        tests = [len(p.tests) for p in problems]
        note = (f"{len(problems)}x{np.mean([len(p.candidates) for p in problems]):.0f}"
                f"x{np.mean(tests):.0f}")
        return BenchSet(name, problems, matrices, note, time.monotonic() - started)

    return run


def print_table(sets: Sequence[BenchSet]) -> None:
    from rich.console import Console
    from rich.table import Table

    cols = ["vanilla", *[c for c, _, _ in SELECTORS]]
    table = Table(title="Best-of-N selection accuracy (%, tie-aware expected)",
                  caption="size = tasks x candidates x mean tests per task")
    table.add_column("set", no_wrap=True)
    table.add_column("size", style="dim", no_wrap=True)
    for c in cols:
        table.add_column(c, justify="right", style="bold" if c == "robust" else None)
    for s in sets:
        table.add_row(s.name, s.note, *[f"{s.results[c]:.2f}" for c in cols])
    Console(width=max(Console().width, 150)).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write every figure to this JSON file")
    ap.add_argument("--sets", default="codet,he,mbpp,demo")
    ap.add_argument("--codet-tasks", type=int, default=40)
    ap.add_argument("--tasks", type=int, default=30, help="tasks per synthetic dataset")
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--time-limit", type=float, default=0.5)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "coderm_evalplus" / "bench_selection.sqlite")
    args = ap.parse_args(argv)
    wanted = {s.strip() for s in args.sets.split(",") if s.strip()}
    if args.cache:
        args.cache.parent.mkdir(parents=True, exist_ok=True)
    run = make_runner(args.cache, args.time_limit, args.jobs)
    started = time.monotonic()
    sets: list[BenchSet] = []
    if "codet" in wanted:
        sets += codet_set(run, args.codet_tasks)
    if "he" in wanted:
        sets += synthetic_sets("he+", args.tasks, args.candidates, args.seed, run)
    if "mbpp" in wanted:
        sets += synthetic_sets("mbpp+", args.tasks, args.candidates, args.seed, run)
    if "demo" in wanted:
        sets += demo_set(run)
    for s in sets:
        s.results = evaluate(s, args.seed)
    print_table(sets)
    checks = []
    for s in sets:
        target = (s.results["codet"] + 2.0 if s.name == "codet-dev"
                  else max(s.results["coderm"], s.results["codet"]) - 0.5)
        ok = s.results["robust"] >= target - 1e-9
        checks.append(ok)
        print(f"{s.name:>16}: robust {s.results['robust']:.2f} vs target {target:.2f} "
              f"{'ok' if ok else 'MISSED'}")
    total = time.monotonic() - started
    print(f"total {total:.0f} s (seed {args.seed})")
    if args.json:
        args.json.write_text(json.dumps({
            "seed": args.seed, "seconds": total,
            "sets": [{"name": s.name, "note": s.note, "seconds": s.seconds,
                      "accuracy": s.results} for s in sets]}, indent=2))
    return 0 if all(checks) and not any(math.isnan(v) for s in sets
                                         for v in s.results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
