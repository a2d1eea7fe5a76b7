"""Where the allocator gets tests: it only ever sees the verdicts it asked for.

Three sources implement :class:`TestSource`: :class:`MatrixSource` reveals columns of
precomputed matrices (the benchmark and unit tests: exactly equivalent to executing
them), :class:`ReplaySource` reveals recorded completions in recorded order and executes
them only when revealed, and :class:`GeneratorSource` asks the configured generator only
for the problems that get budget (generators cache, so a larger ``n`` returns the
earlier completions as a prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from ..model import OutcomeMatrix, Problem, UnitTest


class TestSource(Protocol):
    """Where the allocator gets tests: it only ever sees the verdicts it asked for."""

    def remaining(self, task_id: str) -> int | None:
        """Tests still available for the task (None: unknown, e.g. a generator)."""
        ...

    def reveal(self, grants: Mapping[str, int],
               rows: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Run up to ``n`` new tests per granted task; int8 verdict columns per task
        (candidates x new tests).  Fewer columns than asked means the pool ran dry.

        ``rows[task]`` (sorted candidate indices) restricts the run to those candidates
        (the contenders): the result then has one row per listed candidate and nothing
        is executed for the others.  A task absent from ``rows`` runs every candidate."""
        ...


class MatrixSource:
    """Reveals columns of precomputed outcome matrices in a given order per task.

    Equivalent to executing them: nothing outside the revealed columns is read.  Used by
    the benchmark (fixed matrices, many test orders) and the unit tests.
    """

    def __init__(self, matrices: Mapping[str, np.ndarray],
                 orders: Mapping[str, Sequence[int]] | None = None) -> None:
        self._m = {t: np.asarray(v, dtype=np.int8) for t, v in matrices.items()}
        self._order = {t: np.asarray(orders[t] if orders and t in orders
                                     else np.arange(v.shape[1]), dtype=int)
                       for t, v in self._m.items()}
        self._next = {t: 0 for t in self._m}

    def remaining(self, task_id: str) -> int | None:
        return len(self._order[task_id]) - self._next[task_id]

    def reveal(self, grants: Mapping[str, int],
               rows: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        out = {}
        for t, n in grants.items():
            start = self._next[t]
            cols = self._order[t][start:start + n]
            self._next[t] = start + len(cols)
            m = self._m[t]
            out[t] = m[:, cols] if rows is None or t not in rows \
                else m[np.ix_(np.asarray(rows[t], dtype=int), cols)]
        return out


class ReplaySource:
    """Recorded completions: all tests extracted up front, revealed in recorded order,
    executed only when revealed (on copies holding just the new tests)."""

    def __init__(self, problems: Sequence[Problem], pools: Mapping[str, list[UnitTest]],
                 run_tests: Callable[[list[Problem]], dict[str, OutcomeMatrix]]) -> None:
        self._by_id = {p.task_id: p for p in problems}
        self._pool = {t: list(v) for t, v in pools.items()}
        self._next = {t: 0 for t in self._pool}
        self._run = run_tests
        self.revealed: dict[str, list[UnitTest]] = {t: [] for t in self._pool}

    def remaining(self, task_id: str) -> int | None:
        return len(self._pool[task_id]) - self._next[task_id]

    def generated(self) -> int:
        """Tests drawn from the recorded pool (what generating them would have cost)."""
        return sum(self._next.values())

    def _take(self, task_id: str, n: int) -> list[UnitTest]:
        start = self._next[task_id]
        new = self._pool[task_id][start:start + n]
        self._next[task_id] = start + len(new)
        return new

    def reveal(self, grants: Mapping[str, int],
               rows: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        jobs = []
        picked: dict[str, list[int]] = {}
        for t, n in grants.items():
            new = self._take(t, n)
            self.revealed[t].extend(new)
            p = self._by_id[t]
            picked[t] = list(range(len(p.candidates))) if rows is None or t not in rows \
                else [int(i) for i in rows[t]]
            if new and picked[t]:
                # only the contenders run: a copy of the problem holding just them
                # (the executor returns rows in the order of the copy's candidates)
                jobs.append(replace(p, candidates=[p.candidates[i] for i in picked[t]],
                                    tests=new, rejections=[]))
        mats = self._run(jobs) if jobs else {}
        return {t: (mats[t].verdicts if t in mats else
                    np.zeros((len(picked[t]), 0), np.int8)) for t in grants}


class GeneratorSource(ReplaySource):
    """A test generator asked only for the problems that get budget.  Completions come
    in chunks of ``chunk`` per request (generators cache: asking for n returns the
    earlier completions as a prefix); extracted tests wait in the pool until granted."""

    def __init__(self, problems: Sequence[Problem], generate: Callable[[list[Problem], int],
                                                                       dict[str, list[str]]],
                 extract: Callable[[Problem, list[str]], list[UnitTest]], cap: int,
                 chunk: int, run_tests: Callable[[list[Problem]], dict[str, OutcomeMatrix]]
                 ) -> None:
        super().__init__(problems, {p.task_id: [] for p in problems}, run_tests)
        self._generate, self._extract = generate, extract
        self._cap, self._chunk = cap, chunk
        self._asked = {p.task_id: 0 for p in problems}
        self.rejected: dict[str, int] = {p.task_id: 0 for p in problems}

    def generated(self) -> int:
        """Completions the generator was asked for (one completion = one test request)."""
        return sum(self._asked.values())

    def remaining(self, task_id: str) -> int | None:
        buffered = len(self._pool[task_id]) - self._next[task_id]
        if self._asked[task_id] >= self._cap:
            return buffered
        return None

    def reveal(self, grants: Mapping[str, int],
               rows: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        short = [t for t, n in grants.items()
                 if len(self._pool[t]) - self._next[t] < n and self._asked[t] < self._cap]
        while short:
            # one generator call for every problem that needs more (same n for all)
            want = min(self._cap, max(self._asked[t] for t in short) + self._chunk)
            got = self._generate([self._by_id[t] for t in short], want)
            for t in short:
                completions = list(got.get(t, []))[:want]
                tests = self._extract(self._by_id[t], completions)
                self._pool[t] = tests  # extraction is deterministic: a prefix grows
                self.rejected[t] = len(completions) - len({x.origin for x in tests})
                self._asked[t] = want if len(completions) >= want else self._cap
            short = [t for t in short if len(self._pool[t]) - self._next[t] < grants[t]
                     and self._asked[t] < self._cap]
        return super().reveal(grants, rows)
