"""Problems in, outcome matrices out: dedupe, cache, batch, run on a sandbox, expand.

The sandbox backends only see :class:`Batch` es of *distinct* pairs that are not in the
cache; this module maps their verdicts back onto every sampled candidate and every
generated test, so selectors count duplicates as votes while each distinct pair runs once.
"""

from __future__ import annotations

import ast
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import RunError
from ..model import OutcomeMatrix, Problem, UnitTest, Verdict, content_hash
from ..plugins import get_sandbox
from .base import Batch, Limits, TestSpec
from .cache import VerdictCache
from .worker import TIMEOUT_POLICY, hang_key

BATCH_TESTS = 64
"""Tests per batch.  A runner outlives batches, so a batch costs one message, not a fork;
but each message still costs a round trip through the pipeline, the server and the
runner, and a probe run of the candidate program.  And a server infers a timeout only
from a test it saw time out (worker.hang_key), so the tests of one candidate are better
off in one batch, i.e. on one server (64 against 16: docs/results.md).  Cost: a kill -9
loses up to one batch per slot of unsaved verdicts, and the progress bar moves in steps
of a batch."""


def normalise_source(source: str) -> str:
    """Source with comments and formatting removed (``ast.unparse``), for dedupe keys."""
    try:
        return ast.unparse(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "\n".join(line.rstrip() for line in source.strip().splitlines())


def test_key(test: UnitTest) -> str:
    return content_hash(test.kind, test.class_name or "", normalise_source(test.source))


@dataclass
class ExecutionStats:
    """Counters of one execution stage (they go into the run report)."""

    pairs_total: int = 0
    pairs_distinct: int = 0
    cache_hits: int = 0
    pairs_executed: int = 0
    candidates_distinct: int = 0
    tests_distinct: int = 0
    seconds: float = 0.0
    verdicts: dict[str, int] = field(default_factory=dict)
    isolation: dict | None = None
    timeouts_inferred: int = 0  # of the verdicts' timeouts, how many needed no wait

    @property
    def pairs_per_second(self) -> float:
        return self.pairs_executed / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["pairs_per_second"] = round(self.pairs_per_second, 1)
        return d


@dataclass
class _Plan:
    problem: Problem
    cand_rows: np.ndarray  # candidate index -> distinct candidate index
    test_cols: np.ndarray  # test index -> distinct test index
    programs: list[str]  # distinct candidate sources (first occurrence)
    tests: list[TestSpec]
    cand_keys: list[str]
    test_keys: list[str]
    # filled in by _plan right after construction; None only in between
    distinct: np.ndarray = field(default=None)  # type: ignore[arg-type]


def _plan(problem: Problem) -> _Plan:
    seen: dict[str, int] = {}
    rows: list[int] = []
    programs: list[str] = []
    ckeys: list[str] = []
    for c in problem.candidates:
        k = content_hash(normalise_source(c.source))
        if k not in seen:
            seen[k] = len(programs)
            programs.append(c.source)
            ckeys.append(k)
        rows.append(seen[k])
    tseen: dict[str, int] = {}
    cols: list[int] = []
    tests: list[TestSpec] = []
    tkeys: list[str] = []
    for t in problem.tests:
        k = test_key(t)
        if k not in tseen:
            tseen[k] = len(tests)
            tests.append(TestSpec(t.source, t.kind, t.class_name))
            tkeys.append(k)
        cols.append(tseen[k])
    plan = _Plan(problem, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64),
                 programs, tests, ckeys, tkeys)
    plan.distinct = np.full((len(programs), len(tests)), Verdict.NOT_RUN, dtype=np.int8)
    return plan


def _call_order(tests: list[TestSpec]) -> list[int]:
    """A rank per test that moves each test with a hang key next to the first test with
    the same key and keeps every other test where it was (leak checks that follow the
    test they check stay right after it)."""
    first: dict[str, int] = {}
    group = []
    for i, t in enumerate(tests):
        key = hang_key(t.source) if t.kind == "assert" else None
        group.append((first.setdefault(key, i) if key else i, i))
    order = [0] * len(tests)
    for rank, (_, i) in enumerate(sorted(group)):
        order[i] = rank
    return order


def verdict_key_context(limits: Limits, runtime: str) -> str:
    """What a cached verdict depends on besides the pair: the limits, the runtime (the
    interpreter / image and, locally, the worker's own source) and the time-limit policy
    by name - a runtime id need not change with the rule (a Docker image built before a
    policy change keeps its id), the policy name does."""
    return "|".join((json.dumps(limits.as_dict(), sort_keys=True), runtime,
                     f"policy={TIMEOUT_POLICY}"))


def _pair_key(ckey: str, tkey: str, limits_key: str) -> str:
    return content_hash(ckey, tkey, limits_key)


def execute_problems(problems: list[Problem], *, sandbox: str = "local", executor=None,
                     jobs: int | None = None, limits: Limits | None = None,
                     cache_path: str | Path | None = None, progress: bool = False,
                     stats: ExecutionStats | None = None,
                     sandbox_options: dict | None = None) -> dict[str, OutcomeMatrix]:
    """Run every candidate x test pair of every problem; return task_id -> OutcomeMatrix.

    ``executor`` (an object from ``register_sandboxes``) wins over ``sandbox`` (its name);
    an executor created here is closed here.  ``cache_path`` enables the verdict cache.
    ``stats`` (if given) is filled with counters for the report.
    """
    limits = limits or Limits()
    stats = stats if stats is not None else ExecutionStats()
    own_executor = executor is None
    if own_executor:
        executor = get_sandbox(sandbox, jobs=jobs, **(sandbox_options or {}))
    runtime = getattr(executor, "runtime_id", getattr(executor, "name", sandbox))
    limits_key = verdict_key_context(limits, str(runtime))
    cache = VerdictCache(cache_path) if cache_path else None
    started = time.monotonic()
    try:
        # Problems are planned (deduped, looked up in the cache) one at a time as the
        # executor asks for batches, so servers start on the first problem's batches
        # instead of waiting for every problem's dedupe (~0.5 s on 2,000 candidates).
        plans: list[_Plan] = []
        # The bar's total is the number of pairs to run, known only once every problem
        # is planned (dedupe, cache): until then it is indeterminate, never a guess.
        bar = _progress() if progress and problems else None
        todo = 0

        def prepare(problem: Problem) -> tuple[_Plan, dict[int, list[int]]]:
            """Plan one problem; its plan and the distinct pairs it still has to run, per
            candidate."""
            nonlocal todo
            plan = _plan(problem)
            plans.append(plan)
            stats.pairs_total += len(problem.candidates) * len(problem.tests)
            stats.pairs_distinct += plan.distinct.size
            stats.candidates_distinct += len(plan.programs)
            stats.tests_distinct += len(plan.tests)
            missing: dict[int, list[int]] = {}
            if cache is None:  # no pair keys to hash: every distinct pair runs
                every_test = list(range(len(plan.test_keys)))
                if every_test:
                    missing = {ci: list(every_test) for ci in range(len(plan.cand_keys))}
            else:
                keys = {(ci, ti): _pair_key(ck, tk, limits_key)
                        for ci, ck in enumerate(plan.cand_keys)
                        for ti, tk in enumerate(plan.test_keys)}
                hits = cache.get_many(keys.values())
                for (ci, ti), key in keys.items():
                    if key in hits:
                        plan.distinct[ci, ti] = hits[key]
                    else:
                        missing.setdefault(ci, []).append(ti)
                stats.cache_hits += len(hits)
            todo += sum(len(t) for t in missing.values())
            return plan, missing

        index: dict[int, tuple[int, int, list[int]]] = {}

        def batches() -> Iterator[Batch]:
            bid = 0
            for pi, problem in enumerate(problems):
                plan, missing = prepare(problem)
                # tests making the same first call go into the same batch, where one
                # timeout spares the others their wait (worker.hang_key)
                order = _call_order(plan.tests)
                for ci, tis in missing.items():
                    tis = sorted(tis, key=order.__getitem__)
                    for s in range(0, len(tis), BATCH_TESTS):
                        chunk = tis[s:s + BATCH_TESTS]
                        index[bid] = (pi, ci, chunk)
                        yield Batch(bid, plan.programs[ci], [plan.tests[t] for t in chunk])
                        bid += 1
            if bar is not None:
                bar[0].update(bar[1], total=todo, description="executing" if todo else
                              "executing: every pair from the verdict cache")

        done = 0

        def on_verdict(bid: int, pos: int, verdict: int) -> None:
            nonlocal done
            pi, ci, chunk = index[bid]
            ti = chunk[pos]
            plan = plans[pi]
            plan.distinct[ci, ti] = verdict
            if cache is not None:
                cache.put(_pair_key(plan.cand_keys[ci], plan.test_keys[ti], limits_key), verdict)
            done += 1
            if bar is not None:
                bar[0].update(bar[1], completed=done)

        inferred_before = getattr(executor, "timeouts_inferred", 0)
        try:
            if bar is not None:
                bar[0].start()
            pending = batches()
            first = next(pending, None)  # a fully cached run never starts a sandbox
            if first is not None:
                executor.run(itertools.chain([first], pending), limits, on_verdict)
            for _ in pending:  # (an executor that stopped early: plan the rest anyway)
                pass
        finally:
            if bar is not None:
                bar[0].stop()
        stats.pairs_executed += done
        stats.isolation = getattr(executor, "isolation", None)
        stats.timeouts_inferred += getattr(executor, "timeouts_inferred", 0) - inferred_before
        result: dict[str, OutcomeMatrix] = {}
        for plan in plans:
            if (plan.distinct == Verdict.NOT_RUN).any():
                raise RunError(f"task {plan.problem.task_id}: sandbox {runtime} returned no "
                               "verdict for some pairs")
            full = plan.distinct[plan.cand_rows][:, plan.test_cols] if plan.distinct.size else \
                np.zeros((len(plan.cand_rows), len(plan.test_cols)), dtype=np.int8)
            result[plan.problem.task_id] = OutcomeMatrix(plan.problem.task_id,
                                                         full.astype(np.int8, copy=False))
            counts: np.ndarray | list[int] = (
                np.bincount(full.ravel().astype(np.int64), minlength=5) if full.size else [])
            for v, n in zip(Verdict, counts):
                stats.verdicts[v.name.lower()] = stats.verdicts.get(v.name.lower(), 0) + int(n)
        return result
    finally:
        stats.seconds += time.monotonic() - started
        if cache is not None:
            cache.close()
        if own_executor:
            executor.close()


def _progress():
    """A bar with an unknown total (set when planning ends) and no ETA: the rate swings
    with timeouts and cache hits, so a time-left guess would mislead."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class PairsPerSecond(ProgressColumn):
        def render(self, task):  # type: ignore[override]
            # the run's average, not rich's estimate over the last few updates (which
            # reads 100,000+ pairs/s after a burst of quick verdicts)
            elapsed = task.finished_time or task.elapsed
            if not task.completed or not elapsed or elapsed < 1.0:
                return Text("- pairs/s")
            return Text(f"{task.completed / elapsed:,.0f} pairs/s")

    p = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                 PairsPerSecond(), TimeElapsedColumn(), transient=False)
    task = p.add_task("executing", total=None)
    return p, task
