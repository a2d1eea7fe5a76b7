"""The ``scaling`` section of a dynamic run's report, and the yardsticks it is judged by.

Spend, stop reasons and difficulty are always reported; with labels (computed only after
allocation, so they never steer it) also the accuracy along the allocation, the
accuracy-vs-tests curves and per-difficulty-bucket gains.  :func:`best_allocation` is
the "oracle allocation" the benchmark compares the greedy against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from .. import metrics
from ..model import OutcomeMatrix, Problem
from ..seeding import task_rng
from .allocator import Allocation
from .policy import FitFn, SelectFn


def tie_accuracy(problem: Problem, verdicts: np.ndarray, select: SelectFn,
                 seed: int) -> float:
    """Tie-aware accuracy of the selector on some columns (needs labels)."""
    labels = problem.labels
    if labels is None:
        raise ValueError(f"task {problem.task_id}: no labels")
    sel = select(problem, OutcomeMatrix(problem.task_id, verdicts),
                 task_rng(seed, problem.task_id, "acc"))
    return float(labels[np.asarray(sel.tied, dtype=int)].mean())


def best_allocation(curves: Mapping[str, Sequence[float]],
                    costs: Mapping[str, Sequence[int]], budget: int
                    ) -> tuple[float, dict[str, int]]:
    """Exact multiple-choice knapsack: one option per problem, total cost <= ``budget``.

    ``curves[t][j]`` is the value (e.g. expected accuracy) of option ``j`` of problem ``t``
    and ``costs[t][j]`` its integer cost (e.g. executions).  Returns (best total value,
    chosen option per problem).  Why it is here: with each problem's expected accuracy
    curve over test counts (labels needed), the best any per-problem choice of test
    counts can do under a budget is this knapsack - the "oracle allocation" against
    which benchmarks/scaling.py judges whether the dynamic target is reachable at all.
    Options costlier than the budget are never chosen; a problem whose every option is
    too costly makes the problem infeasible (ValueError).  Dynamic programming over the
    cost, O(problems x options x budget), after dividing costs by their gcd.
    """
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    tasks = list(curves)
    for t in tasks:
        if len(curves[t]) != len(costs[t]) or not len(costs[t]):
            raise ValueError(f"task {t}: curves and costs need the same, non-zero length")
        if min(costs[t]) < 0:
            raise ValueError(f"task {t}: negative cost")
    unit = math.gcd(*[int(c) for t in tasks for c in costs[t]], int(budget)) or 1
    cap = budget // unit
    best = np.zeros(cap + 1)
    choices: list[np.ndarray] = []
    for t in tasks:
        new = np.full(cap + 1, -np.inf)
        arg = np.full(cap + 1, -1, dtype=int)
        for j, (value, cost) in enumerate(zip(curves[t], costs[t], strict=True)):
            c = int(cost) // unit
            if c > cap:
                continue
            cand = np.full(cap + 1, -np.inf)
            cand[c:] = best[:cap + 1 - c] + float(value)
            better = cand > new
            new[better] = cand[better]
            arg[better] = j
        if not np.isfinite(new).any():
            raise ValueError(f"task {t}: every option costs more than the budget")
        choices.append(arg)
        best = new
    b = int(np.argmax(best))
    total = float(best[b])
    pick: dict[str, int] = {}
    for t, arg in zip(reversed(tasks), reversed(choices), strict=True):
        j = int(arg[b])
        pick[t] = j
        b -= int(costs[t][j]) // unit
    return total, pick


def difficulty_buckets(problems: Sequence[Problem], difficulty: Mapping[str, float],
                       values: Mapping[str, Mapping[str, float]], n_buckets: int = 5
                       ) -> list[dict[str, Any]]:
    """Problems split into (up to) ``n_buckets`` equal-size groups by estimated
    difficulty (easiest first); mean of every named per-problem value in each group."""
    order = sorted((p.task_id for p in problems), key=lambda t: (difficulty[t], t))
    n_buckets = max(1, min(n_buckets, len(order)))
    out = []
    for b, chunk in enumerate(np.array_split(np.array(order, dtype=object), n_buckets)):
        ids = [str(t) for t in chunk]
        row: dict[str, Any] = {"bucket": b + 1, "tasks": len(ids),
                               "difficulty_min": float(min(difficulty[t] for t in ids)),
                               "difficulty_max": float(max(difficulty[t] for t in ids))}
        for name, per_task in values.items():
            row[name] = float(np.mean([per_task[t] for t in ids]))
        out.append(row)
    return out


def scaling_report(allocation: Allocation, select: SelectFn, seed: int,
                   resamples: int = 50, fit: FitFn | None = None) -> dict[str, Any]:
    """Report sections of a dynamic run: spend, stop reasons, difficulty, and (with
    labels) the accuracy-vs-tests curves and per-difficulty-bucket gains.

    ``fit`` (a run-level selector's, see ``allocate``) is called with the matrices each
    accuracy is computed from, so a point of the trace is judged as the run judged it
    then; it ends fitted on the final matrices.
    """
    states = allocation.states

    def cut(k: Mapping[str, int] | None) -> dict[str, np.ndarray]:
        mats = {t: s.verdicts if k is None else s.verdicts[:, :k.get(t, 0)]
                for t, s in states.items()}
        if fit is not None:
            fit([s.problem for s in states.values()],
                {t: OutcomeMatrix(t, v) for t, v in mats.items()})
        return mats
    problems = [s.problem for s in states.values()]
    scaling: dict[str, Any] = {
        "policy": asdict(allocation.policy), "budget": allocation.budget,
        "tests_executed": allocation.tests_executed,
        "pairs_executed": allocation.pairs_executed,
        "stopped": allocation.stop_reasons(),
        "per_task": {t: {"tests": s.tests, "stopped": s.stopped or "budget",
                         "change": round(s.change, 4),
                         "difficulty": None if s.difficulty is None
                         else round(s.difficulty.score, 4)}
                     for t, s in states.items()},
    }
    out: dict[str, Any] = {"scaling": scaling}
    if not problems or any(p.labels is None for p in problems):
        return out
    # accuracy along the allocation (trace) and per bucket
    first = cut(allocation.trace[0]["k"] if allocation.trace else {})
    acc_initial = {t: tie_accuracy(s.problem, first[t], select, seed)
                   for t, s in states.items()}
    picks = _trace_points(allocation.trace)
    dyn_tests, dyn_acc = [], []
    for point in picks:
        dyn_tests.append(point["tests"] / len(problems))
        seen = cut(point["k"])
        dyn_acc.append(float(np.mean([tie_accuracy(s.problem, seen[t], select, seed)
                                      for t, s in states.items()])))
    final = cut(None)
    acc_final = {t: tie_accuracy(s.problem, final[t], select, seed)
                 for t, s in states.items()}
    scaling["trace"] = [{"tests": p["tests"], "pairs": p["pairs"], "accuracy": a}
                        for p, a in zip(picks, dyn_acc, strict=True)]
    difficulty = {t: (s.difficulty.score if s.difficulty else 0.0) for t, s in states.items()}
    scaling["buckets"] = difficulty_buckets(problems, difficulty, {
        "tests": {t: float(s.tests) for t, s in states.items()},
        "acc_initial": acc_initial, "acc_final": acc_final,
        "gain": {t: acc_final[t] - acc_initial[t] for t in states}})
    mats = {t: OutcomeMatrix(t, s.verdicts) for t, s in states.items()}
    max_k = max((s.tests for s in states.values()), default=0)
    sizes = sorted({m for m in (1, 2, 5, 10, 20, 50, 100, 200) if m <= max_k} | {max_k})
    curves: dict[str, Any] = {}
    if max_k:
        pts = metrics.accuracy_vs_tests(problems, mats, select, [m for m in sizes if m],
                                        resamples=resamples, seed=seed)
        curves["tests"] = {"m": [p.size for p in pts], "mean": [p.mean for p in pts],
                           "lo": [p.low for p in pts], "hi": [p.high for p in pts]}
    if dyn_tests:
        curves["dynamic"] = {"m": dyn_tests, "mean": dyn_acc}
    out["curves"] = curves
    return out


def _trace_points(trace: list[dict[str, Any]], limit: int = 24) -> list[dict[str, Any]]:
    """At most ``limit`` evenly spaced trace entries (always the first and the last)."""
    if len(trace) <= limit:
        return list(trace)
    idx = np.unique(np.linspace(0, len(trace) - 1, limit).round().astype(int))
    return [trace[i] for i in idx]
