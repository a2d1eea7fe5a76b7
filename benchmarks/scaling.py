"""Dynamic vs fixed test scaling: accuracy against the number of executed tests.

For every set, the full outcome matrix (every candidate x every test of the pool) is
computed once through the project's executor (sandboxed, verdict cache), then runs are
SIMULATED over its columns: a fixed-M run executes the first M tests of a random order
of each problem's pool; a dynamic run is ``coderm_evalplus.scaling.allocate`` with a
``MatrixSource`` that reveals columns in the same order, so it sees exactly what a real
run would have executed (nothing else is read) and "executions" = revealed
(candidate, test) pairs.  Bands are the 2.5-97.5 percentiles over ``--orders`` random
test orders (the bootstrap over test orders); accuracy is the tie-aware expected
accuracy of the configured selector.

Budgets are counted twice: in generated tests (one revealed test = one test a generator
had to produce: the GPU cost the paper scales) and in executed (candidate, test) pairs (the
CPU cost; smaller than tests x candidates only with ``--prune``).  Every table puts dynamic
at exactly fixed-M's share of fixed-100's budget (fixed-M's share is below M % where pools
hold fewer than M tests), so "fixed | dynamic" is a same-budget comparison.  The dynamic
run spends its budget (``spend_all``: once every problem has stopped early, the stopped
ones resume fewest-tests-first); where it would have stopped is the "early stop" column.
Selectors: ``robust`` (the recommended selector by name), ``b4`` and ``NAME@MODEL`` (NAME
selects, MODEL's posterior allocates under ``--gain voi``).  ``--gain`` picks the
allocation (default: the policy's, the urn change estimate ``bootstrap``; ``balanced``: the
estimate only stops, active problems get tests fewest-first; ``--urn`` the urn variant;
``--informative``, ``--floor half``, ``--weight posterior``: the ``ScalingPolicy`` options
of the same names).  Every band also keeps its per-order values (``orders`` in the JSON),
so two allocations run with the same seed can be compared order by order.  Also per
run: the paper's per-difficulty buckets (problems by their share of correct candidates;
labels used only for reporting) and the posterior's calibration at 50 % (predicted vs
actual pick correctness, P(no candidate correct) where none is / some is).

M is "tests per problem": one test = one column = one distinct assert (CodeT) or one
unittest class (demo).  A problem whose pool is smaller than M uses all of it; several
CodeT tasks have no valid assert at all (their pick is random for every policy).

Sets
----
``codet``  CodeT's CodeGen-16B HumanEval samples (../shared/data/codet_humaneval_dev, 40
           tasks x 100 samples); pool = every distinct valid assert of CodeT's generated
           tests (up to 362 per task); labels = HumanEval's own ``check`` (computed
           here through the executor and cached, or read with ``--codet-labels``).
``demo``   the embedded demo set (12 tasks, 7-9 candidates, 7-8 unittest classes).
``he``     HumanEval+ mutant sets of benchmarks/selection.py (10 % and 25 % wrong tests).
``mbpp``   the same for MBPP+.

    python benchmarks/scaling.py [--sets codet,demo,he,mbpp] [--selectors robust,b4]
                                 [--orders 3] [--plot OUT.png] [--oracle]

Default run: ~5.5 minutes on 2 busy cores once the matrices are cached (the first run
executes ~90k pairs, ~20 minutes); ``--orders 20`` for tighter bands.
Target (issue 23): for the recommended selector on every set dynamic >= fixed at
fixed-25/50/75's budget, and on the CodeT slice dynamic at <= 50 % of fixed-100's
generated tests within 0.5 points of fixed-100.  ``--oracle`` adds the "oracle
allocation": the best per-problem test counts for the expected (label-based) accuracy
curves, a knapsack over executions (see ``oracle_allocation``) - whether the target is
reachable at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from coderm_evalplus.model import OutcomeMatrix, Problem
from coderm_evalplus.plugins import get_selector
from coderm_evalplus.scaling import (
    MatrixSource,
    ScalingPolicy,
    allocate,
    best_allocation,
    difficulty_buckets,
    tie_accuracy,
)
from coderm_evalplus.select.base import fit_selector

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HUMANEVAL = DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl"
CODET = DATA / "codet_humaneval_dev"
FIXED_M = (5, 10, 25, 50, 75, 90, 100)
BUDGET_SHARES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
UNITS = ("tests", "pairs")  # generated tests (the GPU cost) and executed pairs
SAME_BUDGET_M = (25, 50, 75)  # the target's same-budget comparisons
TARGET_SHARE, TARGET_POINTS = 0.5, 0.5
ORACLE_STEP = 5  # test-count grid of the oracle allocation's per-problem curves
BENCH_DELTA = 0.3  # --prune bound's delta here (see README: no loss at fixed-100 for
# coderm and codet on the CodeT slice; the bound is conservative)


@dataclass
class ScalingSet:
    name: str
    problems: list[Problem]
    matrices: dict[str, np.ndarray]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def pool(self) -> dict[str, int]:
        return {t: m.shape[1] for t, m in self.matrices.items()}


# ------------------------------------------------------------------------ loading

def _execute(problems: list[Problem], cache: Path | None, time_limit: float,
             jobs: int | None) -> dict[str, np.ndarray]:
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.runner import execute_problems

    mats = execute_problems(problems, limits=Limits(time_limit=time_limit),
                            cache_path=cache, jobs=jobs, progress=sys.stderr.isatty())
    return {t: m.verdicts for t, m in mats.items()}


def codet_set(n_tasks: int, cache: Path | None, time_limit: float, jobs: int | None,
              labels_path: Path | None) -> ScalingSet | None:
    from coderm_evalplus.inputs.codet_dev import codet_dev_problems
    from coderm_evalplus.inputs.labels import load_labels
    from coderm_evalplus.labels import humaneval_labels

    if not CODET.exists() or not HUMANEVAL.exists():
        print(f"skip codet: {CODET} not found")
        return None
    problems = codet_dev_problems(CODET, HUMANEVAL, n_tasks)
    if labels_path is not None:
        labels = load_labels(labels_path)
    else:
        labels = humaneval_labels(problems, cache_path=cache, jobs=jobs)
    for p in problems:
        p.candidates = [replace(c, label=bool(lab))
                        for c, lab in zip(p.candidates, labels[p.task_id], strict=True)]
    return ScalingSet("codet", problems, _execute(problems, cache, time_limit, jobs))


def demo_set(cache: Path | None, time_limit: float, jobs: int | None) -> ScalingSet | None:
    """The embedded demo set, loaded and extracted as `coderm-evalplus demo` does."""
    from coderm_evalplus.inputs.problems import load_demo
    from coderm_evalplus.pipeline import attach_tests

    problems, completions, formats = load_demo()
    attach_tests(problems, completions, formats=formats)
    return ScalingSet("demo", problems, _execute(problems, cache, time_limit, jobs))


def he_sets(n_tasks: int, n_candidates: int, seed: int, cache: Path | None,
            time_limit: float, jobs: int | None, dataset: str = "he+") -> list[ScalingSet]:
    """The mutant-based HumanEval+ (or MBPP+: ``dataset="mbpp+"``) sets of
    benchmarks/selection.py (10 and 25 % wrong tests)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import selection  # type: ignore[import-not-found]
    except ImportError as exc:
        print(f"skip he: {exc}")
        return []
    out: list[ScalingSet] = []

    def run(name: str, problems: list[Problem]) -> Any:
        if "10%" in name or "25%" in name:
            problems = [p for p in problems if p.candidates]
            out.append(ScalingSet(name, problems, _execute(problems, cache, time_limit,
                                                           jobs)))
        return None

    selection.synthetic_sets(dataset, n_tasks, n_candidates, seed, run)
    return out


# ------------------------------------------------------------------------ simulation

def _orders(s: ScalingSet, n_orders: int, seed: int) -> list[dict[str, np.ndarray]]:
    out = []
    for o in range(n_orders):
        rng = np.random.default_rng([seed, o])
        out.append({p.task_id: rng.permutation(s.pool[p.task_id]) for p in s.problems})
    return out


def _band(values: Sequence[float]) -> dict[str, float]:
    a = 100 * np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "lo": float(np.percentile(a, 2.5)),
            "hi": float(np.percentile(a, 97.5)),
            "orders": [float(x) for x in a]}  # per order: paired comparisons


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``robust`` or ``robust@b4`` (robust selects, b4's posterior allocates)."""
    name, _, model = spec.partition("@")
    return name, (model or None)


def simulate(s: ScalingSet, spec: str, n_orders: int, seed: int,
             policy: ScalingPolicy) -> dict[str, Any]:
    """Fixed-M and dynamic accuracy over ``n_orders`` test orders for one selector.

    Budgets are shares of fixed-100's generated tests (``tests``: one revealed test =
    one generated test) and of its executed pairs (``pairs``); the dynamic run is one
    allocation per order read off at every budget (the greedy order does not depend on
    the budget).  Same-budget rows put dynamic at exactly fixed-M's share."""
    name, model = parse_spec(spec)
    selector = get_selector(name)
    select = selector.select
    posterior = get_selector(model).posterior if model else None
    problems = s.problems
    labels = {p.task_id: np.asarray(p.labels, dtype=bool) for p in problems}

    def fit(mats: dict[str, np.ndarray]) -> None:
        """Run-level selectors see the same columns as the accuracy they produce."""
        fit_selector(selector, problems, {t: OutcomeMatrix(t, v) for t, v in mats.items()})

    def accuracy(mats: dict[str, np.ndarray]) -> dict[str, float]:
        fit(mats)
        return {p.task_id: tie_accuracy(p, mats[p.task_id], select, seed) for p in problems}

    n_cands = {p.task_id: len(p.candidates) for p in problems}
    full = {"tests": sum(min(100, k) for k in s.pool.values()),
            "pairs": sum(min(100, k) * n_cands[t] for t, k in s.pool.items())}
    fixed_cost = {m: {"tests": sum(min(m, k) for k in s.pool.values()),
                      "pairs": sum(min(m, k) * n_cands[t] for t, k in s.pool.items())}
                  for m in FIXED_M}
    grid = sorted(set(BUDGET_SHARES) | {round(fixed_cost[m]["tests"] / full["tests"], 6)
                                        for m in FIXED_M})
    fixed_acc: dict[int, list[float]] = {m: [] for m in FIXED_M}
    dyn: dict[str, dict[float, list[float]]] = {u: {b: [] for b in grid} for u in UNITS}
    used: dict[str, dict[float, list[float]]] = {u: {b: [] for b in grid} for u in UNITS}
    free_acc, free_tests, free_pairs, stops = [], [], [], {}
    bucket_vals: dict[str, dict[str, list[float]]] = {}
    calib: list[tuple[float, float, float, bool]] = []  # P(pick ok), acc, P(none), none
    started = time.monotonic()
    for order in _orders(s, n_orders, seed):
        per_fixed = {m: accuracy({t: s.matrices[t][:, order[t][:m]] for t in s.pool})
                     for m in FIXED_M}
        for m in FIXED_M:
            fixed_acc[m].append(float(np.mean(list(per_fixed[m].values()))))
        alloc = allocate(problems, MatrixSource(s.matrices, order), select,
                         budget=full["tests"], policy=policy, seed=seed,
                         fit=getattr(selector, "fit", None), posterior=posterior)
        states = alloc.states
        reader = _BudgetReader(alloc, full, accuracy)
        at = reader.at

        for unit in UNITS:
            for b in grid:
                point, accs = at(unit, b)
                dyn[unit][b].append(float(np.mean(list(accs.values()))))
                used[unit][b].append(point[unit] / full[unit])
        point, half = at("tests", TARGET_SHARE)
        per_task = {"fixed-50": per_fixed[50], "fixed-100": per_fixed[100],
                    "dynamic@50%": half,
                    "tests@50%": {t: float(point["k"][t]) for t in states}}
        for key, vals in per_task.items():
            for t, v in vals.items():
                bucket_vals.setdefault(key, {}).setdefault(t, []).append(v)
        if posterior is not None or hasattr(selector, "posterior"):
            post = posterior or selector.posterior
            fit({t: st.verdicts[:, :point["k"][t]] for t, st in states.items()})
            for p in problems:
                v = states[p.task_id].verdicts[:, :point["k"][p.task_id]]
                pc, pn = post(p, OutcomeMatrix(p.task_id, v))
                sel = select(p, OutcomeMatrix(p.task_id, v), np.random.default_rng(seed))
                tied = np.asarray(sel.tied, dtype=int)
                calib.append((float(np.mean(pc[tied])), float(labels[p.task_id][tied].mean()),
                              float(pn), not labels[p.task_id].any()))
        # early stop: where the run would have ended without a budget to spend
        settled = alloc.settled_at if alloc.settled_at is not None else alloc.tests_executed
        point, final = at("tests", settled / full["tests"])
        free_acc.append(float(np.mean(list(final.values()))))
        free_tests.append(point["tests"] / full["tests"])
        free_pairs.append(point["pairs"] / full["pairs"])
        for reason, n in alloc.stop_reasons().items():
            stops[reason] = stops.get(reason, 0) + n / n_orders
    rate = {p.task_id: float(labels[p.task_id].mean()) if len(labels[p.task_id]) else 0.0
            for p in problems}
    buckets = difficulty_buckets(problems, {t: 1.0 - r for t, r in rate.items()}, {
        "pass_rate": rate,
        **{k: {t: float(np.mean(v)) for t, v in vals.items()}
           for k, vals in bucket_vals.items()}})
    out: dict[str, Any] = {
        "selector": spec, "orders": n_orders, "seconds": time.monotonic() - started,
        "full": full,
        "fixed": {str(m): {**_band(fixed_acc[m]), **fixed_cost[m],
                           "share_tests": fixed_cost[m]["tests"] / full["tests"],
                           "share_pairs": fixed_cost[m]["pairs"] / full["pairs"]}
                  for m in FIXED_M},
        "dynamic": {u: {f"{b:.6g}": {**_band(dyn[u][b]), "used": float(np.mean(used[u][b]))}
                        for b in grid} for u in UNITS},
        "dynamic_free": {**_band(free_acc), "tests": float(np.mean(free_tests)),
                         "pairs": float(np.mean(free_pairs))},
        "stops": stops, "buckets": buckets,
        "tests_per_problem": float(np.mean(list(s.pool.values()))),
    }
    if calib:
        c = np.array(calib, dtype=float)
        none = c[:, 3] > 0
        out["calibration"] = {
            "problems": int(len(c)), "p_pick_correct": float(c[:, 0].mean()),
            "pick_accuracy": float(c[:, 1].mean()),
            "brier_pick": float(np.mean((c[:, 0] - c[:, 1]) ** 2)),
            "p_none_when_none": float(c[none, 2].mean()) if none.any() else None,
            "p_none_when_some": float(c[~none, 2].mean()) if (~none).any() else None,
            "share_none": float(none.mean())}
    return out


class _BudgetReader:
    """The dynamic run's state at a budget: the last trace point within it, with its
    accuracy (memoised: many budgets share a point)."""

    def __init__(self, alloc: Any, full: dict[str, int], accuracy: Any) -> None:
        self.alloc, self.full, self.accuracy = alloc, full, accuracy
        self.memo: dict[int, dict[str, float]] = {}

    def at(self, unit: str, share: float) -> tuple[dict[str, Any], dict[str, float]]:
        trace, states = self.alloc.trace, self.alloc.states
        limit = share * self.full[unit] + 1e-9
        i = next((j for j in range(len(trace) - 1, -1, -1) if trace[j][unit] <= limit), -1)
        point = trace[i] if i >= 0 else {"tests": 0, "pairs": 0,
                                         "k": {t: 0 for t in states}}
        if i not in self.memo:
            self.memo[i] = self.accuracy({t: st.verdicts[:, :point["k"][t]]
                                          for t, st in states.items()})
        return point, self.memo[i]


def dyn_at(res: dict[str, Any], unit: str, share: float) -> dict[str, float]:
    return res["dynamic"][unit][f"{share:.6g}"]


def same_budget(res: dict[str, Any], m: int, unit: str = "tests") -> tuple[float, float]:
    """(fixed-M accuracy, dynamic accuracy at fixed-M's share of ``unit``)."""
    f = res["fixed"][str(m)]
    share = round(f[f"share_{unit}"], 6) if unit == "tests" else f[f"share_{unit}"]
    if unit == "tests":
        return f["mean"], dyn_at(res, unit, share)["mean"]
    # pairs: the grid holds tests shares; read the nearest share not above it
    keys = sorted(float(k) for k in res["dynamic"][unit])
    below = max([k for k in keys if k <= share + 1e-9], default=keys[0])
    return f["mean"], dyn_at(res, unit, below)["mean"]


def oracle_allocation(s: ScalingSet, selector_name: str, orders: list[dict[str, np.ndarray]],
                      seed: int, initial: int, fixed100: float) -> dict[str, Any]:
    """Expected-curve oracle: the best per-problem test counts under a budget (labels used).

    Why: it tells whether the target is reachable at all by deciding per problem how
    many tests (a prefix of the order) to run.  For each problem, a_p(m) = tie-aware
    accuracy of the first m tests averaged over the test orders (m on a grid of
    ``ORACLE_STEP`` up to the whole pool, beyond 100 where the pool allows), cost =
    m x candidates (as the simulation counts executions); ``best_allocation`` then
    solves the knapsack.  The selector is fitted on each order's fixed-100 matrices.
    Two variants, both with at least ``initial`` tests per problem (the allocator's first
    batch): ``oracle`` (an approximate upper bound: an allocator that adapts to the order
    it sees could beat expected curves, but not by knowing labels) and ``conservative``
    (no credit for stopping before tests that hurt, a_p(m) capped at a_p(100) for
    m < 100 - what a label-free allocator can hope for when it cannot tell where its
    tests mislead).  Per variant: accuracy at 50 % and 100 % of fixed-100's executions
    and the least share reaching fixed-100 - ``TARGET_POINTS``.
    """
    selector = get_selector(selector_name)
    n_cands = {p.task_id: len(p.candidates) for p in s.problems}
    grid = {t: sorted(set(range(0, k + 1, ORACLE_STEP)) | {k}) for t, k in s.pool.items()}
    sums = {t: np.zeros(len(g)) for t, g in grid.items()}
    for order in orders:
        fit_selector(selector, s.problems, {
            t: OutcomeMatrix(t, s.matrices[t][:, order[t][:100]]) for t in s.pool})
        for p in s.problems:
            t = p.task_id
            sums[t] += [tie_accuracy(p, s.matrices[t][:, order[t][:m]], selector.select, seed)
                        for m in grid[t]]
    curve = {t: v / len(orders) for t, v in sums.items()}
    costs = {t: [m * n_cands[t] for m in grid[t]] for t in grid}
    full = sum(min(100, k) * n_cands[t] for t, k in s.pool.items())
    floor = {t: [a if m >= min(initial, s.pool[t]) else -1.0 for a, m in zip(curve[t], g)]
             for t, g in grid.items()}
    at100 = {t: curve[t][g.index(min(100, s.pool[t]))] for t, g in grid.items()}
    conservative = {t: [min(a, at100[t]) if m < min(100, s.pool[t]) else a
                        for a, m in zip(floor[t], g)] for t, g in grid.items()}
    goal = fixed100 - TARGET_POINTS
    out: dict[str, Any] = {"step": ORACLE_STEP, "orders": len(orders)}
    for name, values in (("oracle", floor), ("conservative", conservative)):
        def acc(share: float, values: dict[str, list[float]] = values) -> float:
            return 100 * best_allocation(values, costs, int(share * full))[0] / len(grid)
        lo, hi = 0.0, 1.5  # the least share reaching the goal, by bisection (monotone)
        if acc(hi) < goal:
            need = None
        else:
            while hi - lo > 0.005:
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if acc(mid) >= goal else (mid, hi)
            need = hi
        _, pick = best_allocation(values, costs, int(TARGET_SHARE * full))
        out[name] = {"at_50": acc(TARGET_SHARE), "at_100": acc(1.0), "share_needed": need,
                     "tests_at_50": {t: grid[t][j] for t, j in pick.items()}}
    return out


def target_met(res: dict[str, Any], headline: bool) -> tuple[bool, list[str]]:
    """The issue's target for one (set, selector): dynamic >= fixed at fixed-25/50/75's
    generated tests; on the headline set also dynamic at <= 50 % of fixed-100's
    generated tests within ``TARGET_POINTS`` of fixed-100.  Returns (met, misses)."""
    misses = []
    for m in SAME_BUDGET_M:
        f, d = same_budget(res, m)
        if d < f - 1e-9:
            misses.append(f"dyn {d:.2f} < fixed-{m} {f:.2f}")
    if headline:
        f100 = res["fixed"]["100"]["mean"]
        d50 = dyn_at(res, "tests", TARGET_SHARE)["mean"]
        if d50 < f100 - TARGET_POINTS:
            misses.append(f"dyn@50% {d50:.2f} < fixed-100 {f100:.2f} - {TARGET_POINTS}")
    return not misses, misses


# ------------------------------------------------------------------------ output

def print_tables(sets: Sequence[ScalingSet]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 170))
    for unit, what in (("tests", "generated tests (the GPU cost)"),
                       ("pairs", "executed (candidate, test) pairs")):
        t = Table(title=f"Accuracy (%, tie-aware) at a budget of {what}: fixed-M vs "
                        "dynamic at the same budget (mean over test orders, "
                        "[2.5, 97.5] band)",
                  caption="budget = fixed-M's share of fixed-100's " + unit + "; dynamic "
                          "read off at the last point within it (share used in brackets)")
        t.add_column("set", no_wrap=True)
        t.add_column("selector")
        for m in FIXED_M[1:-1]:
            t.add_column(f"M={m}: fixed | dynamic", justify="right")
        t.add_column("fixed-100", justify="right")
        t.add_column("early stop (tests/pairs)", justify="right")
        for s in sets:
            for name, res in s.results.items():
                cells = []
                for m in FIXED_M[1:-1]:
                    f = res["fixed"][str(m)]
                    share = f"share_{unit}"
                    keys = sorted(float(k) for k in res["dynamic"][unit])
                    b = max([k for k in keys if k <= f[share] + 1e-6], default=keys[0])
                    d = dyn_at(res, unit, b)
                    cells.append(f"{100 * f[share]:.0f}%: {f['mean']:.2f} | {d['mean']:.2f}"
                                 f" ({100 * d['used']:.0f}%)\n[{f['lo']:.1f},{f['hi']:.1f}]"
                                 f" | [{d['lo']:.1f},{d['hi']:.1f}]")
                f100 = res["fixed"]["100"]
                fr = res["dynamic_free"]
                t.add_row(s.name, name, *cells, f"{f100['mean']:.2f}\n[{f100['lo']:.1f},"
                          f"{f100['hi']:.1f}]", f"{fr['mean']:.2f} ({100 * fr['tests']:.0f}%"
                          f"/{100 * fr['pairs']:.0f}%)")
        console.print(t)
    c = Table(title="Dynamic curve (%): accuracy at b x fixed-100's generated tests")
    c.add_column("set")
    c.add_column("selector")
    for b in BUDGET_SHARES:
        c.add_column(f"{int(100 * b)}%", justify="right")
    for s in sets:
        for name, res in s.results.items():
            c.add_row(s.name, name, *[f"{dyn_at(res, 'tests', b)['mean']:.2f}"
                                      for b in BUDGET_SHARES])
    console.print(c)
    b = Table(title="Per-difficulty buckets (the paper's view: problems by the share of "
                    "correct candidates, hardest last; labels used only here)")
    for col in ("set", "selector", "bucket", "tasks", "pass rate", "tests@50%",
                "fixed-50", "dyn@50%", "fixed-100"):
        b.add_column(col, justify="right")
    for s in sets:
        for name, res in s.results.items():
            for r in res["buckets"]:
                b.add_row(s.name, name, str(r["bucket"]), str(r["tasks"]),
                          f"{100 * r['pass_rate']:.1f}", f"{r['tests@50%']:.1f}",
                          f"{100 * r['fixed-50']:.2f}", f"{100 * r['dynamic@50%']:.2f}",
                          f"{100 * r['fixed-100']:.2f}")
    console.print(b)
    q = Table(title="The posterior at dyn@50% (mean over problems and orders): "
                    "predicted vs actual")
    for col in ("set", "selector", "P(pick correct)", "pick accuracy", "Brier",
                "P(none) | none correct", "P(none) | some correct", "share none"):
        q.add_column(col, justify="right")
    for s in sets:
        for name, res in s.results.items():
            cal = res.get("calibration")
            if not cal:
                continue

            def pct(v: float | None) -> str:
                return "-" if v is None else f"{100 * v:.1f}"
            q.add_row(s.name, name, pct(cal["p_pick_correct"]), pct(cal["pick_accuracy"]),
                      f"{cal['brier_pick']:.3f}", pct(cal["p_none_when_none"]),
                      pct(cal["p_none_when_some"]), pct(cal["share_none"]))
    console.print(q)


def plot(sets: Sequence[ScalingSet], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4 * max(1, len(sets)), 7), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, len(sets), squeeze=False)
    for col, s in enumerate(sets):
        for row, unit in enumerate(UNITS):
            ax = axes[row][col]
            for k, (name, res) in enumerate(s.results.items()):
                color = f"C{k}"
                xs = [100 * res["fixed"][str(m)][f"share_{unit}"] for m in FIXED_M]
                ax.plot(xs, [res["fixed"][str(m)]["mean"] for m in FIXED_M], "o-",
                        color=color, label=f"{name} fixed-M", markersize=3)
                ax.fill_between(xs, [res["fixed"][str(m)]["lo"] for m in FIXED_M],
                                [res["fixed"][str(m)]["hi"] for m in FIXED_M], color=color,
                                alpha=0.12)
                keys = sorted(res["dynamic"][unit], key=float)
                dyn = [res["dynamic"][unit][b] for b in keys]
                dx = [100 * float(b) for b in keys]
                ax.plot(dx, [d["mean"] for d in dyn], "s--", color=color, markersize=3,
                        label=f"{name} dynamic")
                ax.fill_between(dx, [d["lo"] for d in dyn], [d["hi"] for d in dyn],
                                color=color, alpha=0.08, hatch="//")
            ax.axvline(100 * TARGET_SHARE, color="gray", linestyle=":", linewidth=1)
            ax.set_title(f"{s.name}", fontsize=10)
            ax.set_xlabel(f"budget: {'generated tests' if unit == 'tests' else 'executed pairs'}"
                          " (% of fixed-100)", fontsize=8)
            ax.grid(True, alpha=0.3)
        axes[0][col].set_ylabel("accuracy (%)")
        axes[1][col].set_ylabel("accuracy (%)")
    axes[0][-1].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, format="png")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="codet,demo,he,mbpp", help="codet, demo, he, mbpp")
    ap.add_argument("--selectors", default="robust,b4",
                    help="comma list; NAME@MODEL lends MODEL's posterior to NAME's "
                         "allocation (e.g. robust@b4)")
    ap.add_argument("--orders", type=int, default=3,
                    help="random test orders (bands; 20 for the README's figures)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--codet-tasks", type=int, default=40)
    ap.add_argument("--codet-labels", type=Path,
                    help="labels JSONL for the CodeT set (default: compute them)")
    ap.add_argument("--tasks", type=int, default=30, help="tasks of the he sets")
    ap.add_argument("--candidates", type=int, default=20, help="candidates of the he sets")
    ap.add_argument("--time-limit", type=float, default=0.5)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "coderm_evalplus" / "bench_selection.sqlite",
                    help="verdict cache (shared with benchmarks/selection.py)")
    ap.add_argument("--plot", type=Path, default=Path("scaling.png"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--oracle", action="store_true",
                    help="also the oracle allocation (labels; slow)")
    ap.add_argument("--initial", type=int, default=ScalingPolicy.initial)
    ap.add_argument("--batch", type=int, default=ScalingPolicy.batch)
    ap.add_argument("--gain", default=ScalingPolicy.gain,
                    help="allocation estimate: voi (the selector's posterior), bootstrap "
                         "(Polya urn over the revealed tests), balanced (the urn stops, "
                         "fewest tests first), proportional, change, weighted, "
                         "difficulty, uniform")
    ap.add_argument("--urn", default=ScalingPolicy.urn,
                    choices=["fixed", "ewens", "ewens-rate", "ewens-split"],
                    help="the urn's novel weight and novel column (gain bootstrap family)")
    ap.add_argument("--stop-horizon", default=ScalingPolicy.stop_horizon,
                    choices=["lookahead", "cap"],
                    help="the urn stop reads the change over the lookahead or to the cap")
    ap.add_argument("--resume", default=ScalingPolicy.resume, choices=["fewest", "gain"],
                    help="spend_all's second phase order")
    ap.add_argument("--informative", action="store_true",
                    help="urn family: look ahead in informative tests, priced at k / r "
                         "generated tests")
    ap.add_argument("--floor", default=ScalingPolicy.floor, choices=["none", "half"],
                    help="half: every other grant to the active problem with the fewest "
                         "tests")
    ap.add_argument("--weight", default=ScalingPolicy.weight, choices=["none", "posterior"],
                    help="posterior: the urn gain times 1 - P(none) of the selector")
    ap.add_argument("--samples", type=int, default=ScalingPolicy.samples,
                    help="Monte-Carlo draws per estimate (gain voi / bootstrap)")
    ap.add_argument("--threshold", type=float, default=None,
                    help="stop threshold (default: the policy's for the gain)")
    ap.add_argument("--min-tests", type=int, default=ScalingPolicy.min_tests)
    ap.add_argument("--prune", default="none", choices=["none", "exact", "bound"],
                    help="candidate pruning of the dynamic runs (default %(default)s)")
    ap.add_argument("--delta", type=float, default=BENCH_DELTA,
                    help="error probability per pruning decision of --prune bound")
    ap.add_argument("--max-tests", type=int, default=100,
                    help="per-problem test cap of the dynamic runs (0: the pool)")
    ap.add_argument("--cost", default="tests", choices=["tests", "pairs"],
                    help="greedy ranks expected gain per test or per execution")
    ap.add_argument("--no-spend-all", dest="spend_all", action="store_false",
                    help="let early stops leave budget unspent (default: once every "
                         "problem has stopped, resume them fewest-tests-first)")
    args = ap.parse_args(argv)
    thresholds = {} if args.threshold is None else {
        "value_threshold": args.threshold, "stop_threshold": args.threshold}
    policy = ScalingPolicy(initial=args.initial, batch=args.batch, min_tests=args.min_tests,
                           gain=args.gain, samples=args.samples, prune=args.prune,
                           delta=args.delta, max_tests=args.max_tests or None,
                           cost=args.cost, spend_all=args.spend_all, urn=args.urn,
                           stop_horizon=args.stop_horizon, resume=args.resume,
                           informative=args.informative, floor=args.floor,
                           weight=args.weight, **thresholds)
    wanted = {x.strip() for x in args.sets.split(",") if x.strip()}
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sets: list[ScalingSet] = []
    if "codet" in wanted:
        s = codet_set(args.codet_tasks, args.cache, args.time_limit, args.jobs,
                      args.codet_labels)
        sets += [s] if s else []
    if "demo" in wanted:
        s = demo_set(args.cache, args.time_limit, args.jobs)
        sets += [s] if s else []
    if "he" in wanted:
        sets += he_sets(args.tasks, args.candidates, args.seed, args.cache,
                        args.time_limit, args.jobs)
    if "mbpp" in wanted:
        sets += he_sets(args.tasks, args.candidates, args.seed, args.cache,
                        args.time_limit, args.jobs, dataset="mbpp+")
    print(f"matrices ready in {time.monotonic() - started:.0f} s; policy {policy}")
    for s in sets:
        for spec in [x.strip() for x in args.selectors.split(",") if x.strip()]:
            s.results[spec] = simulate(s, spec, args.orders, args.seed, policy)
            print(f"  {s.name} {spec}: {s.results[spec]['seconds']:.0f} s", flush=True)
            if args.oracle:
                name, _ = parse_spec(spec)
                s.results[spec]["oracle"] = oracle_allocation(
                    s, name, _orders(s, args.orders, args.seed), args.seed, policy.initial,
                    s.results[spec]["fixed"]["100"]["mean"])
    print_tables(sets)
    checks = []
    for s in sets:
        for name, res in s.results.items():
            ok, misses = target_met(res, headline=s.name == "codet")
            checks.append(ok)
            f100 = res["fixed"]["100"]
            d50 = dyn_at(res, "tests", TARGET_SHARE)
            print(f"{s.name:>12} {name:>10}: dyn@50% tests {d50['mean']:.2f} "
                  f"({100 * d50['used']:.1f}% of tests, {100 * dyn_at(res, 'pairs', 0.5)['used']:.1f}"
                  f"% of pairs at the pairs budget) vs fixed-100 {f100['mean']:.2f}; "
                  + ("ok" if ok else "MISSED: " + "; ".join(misses)))
            if "oracle" in res:
                o = res["oracle"]["oracle"]
                print(f"{'':>12} {'':>10}  oracle@50% {o['at_50']:.2f}, need "
                      f"{o['share_needed']}")
    if sets:
        plot(sets, args.plot)
        print(f"plot: {args.plot}")
    print(f"total {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "seed": args.seed, "policy": policy.__dict__, "orders": args.orders,
            "sets": {s.name: {"tasks": len(s.problems), "results": s.results}
                     for s in sets}}, indent=1))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
