"""RSS of a whole run (our process + every sandbox process) stays bounded.

A modest synthetic workload (12,000 distinct cheap pairs); ``benchmarks/executor.py
--memory 200000`` prints the same figure for 200k pairs.  RSS is summed over our process
tree from /proc (shared pages counted once per process, so this over-estimates).
"""

from __future__ import annotations

import threading

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.load import tree_rss_bytes
from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest

GIB = 1 << 30


def synthetic_problems(pairs: int, tests_per_task: int = 50, cands_per_task: int = 40):
    """Distinct cheap pairs: every candidate and test source differs."""
    problems, made, task = [], 0, 0
    while made < pairs:
        tests = [UnitTest(i, f"assert add({i}, {task}) == {i + task}\n", "assert")
                 for i in range(tests_per_task)]
        cands = [Candidate(k, f"def add(a, b):\n    return a + b + {k % 2}  # {task}\n"
                              f"K = {k}\n") for k in range(cands_per_task)]
        problems.append(Problem(f"s/{task}", entry_point="add", candidates=cands,
                                tests=tests))
        made += tests_per_task * cands_per_task
        task += 1
    return problems


class RssSampler:
    """Samples tree RSS every ``interval`` seconds in a thread; ``peak`` holds the max."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_bytes())


def test_rss_of_run_stays_bounded():
    problems = synthetic_problems(12_000)
    stats = ExecutionStats()
    with RssSampler() as sampler:
        out = execute_problems(problems, jobs=2, limits=Limits(time_limit=2.0), stats=stats)
    assert stats.pairs_executed == stats.pairs_distinct == 12_000
    assert stats.verdicts["pass"] == 6_000 and stats.verdicts["fail"] == 6_000
    assert len(out) == len(problems)
    assert 0 < sampler.peak < 2 * GIB, sampler.peak
