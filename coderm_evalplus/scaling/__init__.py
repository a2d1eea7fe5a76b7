"""Dynamic test scaling: spend a test budget where more tests can still change the pick.

The paper (Ma et al., 2025) observes that extra tests pay off mostly on hard problems and
allocates a budget greedily with a trained difficulty classifier.  We need no classifier:
after a small first batch of tests per problem the run already knows a lot about each
problem, and what matters for allocation is not "hard" in the abstract but *whether the
next tests can still move this problem's pick*.

Value of information (``gain="voi"``, the default, for selectors with a posterior)
-----------------------------------------------------------------------------------
A selector exposing ``posterior(problem, outcomes) -> (P(candidate correct), P(none
correct))`` (``b4``; a duck-typed capability, :func:`voi.posterior_of`; ``allocate``'s
``posterior=`` lends one model to another selector) gets allocation by expected value of
information (:mod:`.voi`): after each batch, V(k) = the expected gain in the posterior
correctness of the selector's pick if the problem gets k more tests, by simulating the k
tests from the model's predictive (seeded Monte Carlo per task and test count).  The
greedy ranks problems by the best value per test over k in (``batch``, ``lookahead`` x
``batch``) - one batch may be too few to flip a pick that four would.  Stops:
"decided" when the pick is one program and ``1 - P(none) - P(pick correct)`` (an upper
bound on every V(k)) is below ``value_threshold``; "stable" when V(``lookahead`` x
``batch``) is below it after ``min_tests`` tests.  Why ``value_threshold = 0.005``: a
stopped problem forgoes at most that much of *its* expected accuracy (under the model)
from its next 20 tests, and the run's accuracy is the mean over problems, so stopping
costs the run at most 0.5 points in expectation - the tolerance the issue's target
allows against fixed-100 - however many problems stop; chosen before any measurement.
A selector without ``posterior`` falls back to the jackknife change estimate below.

Change estimate (per problem, from its revealed pass matrix only; never from labels)
------------------------------------------------------------------------------------
``change`` - the jackknife change rate.  Take random subsets holding all but the last
``d = min(batch, k // 2)`` of the ``k`` revealed tests, run the run's own selector on
each, and average the Jaccard distance between that tie set and the tie set on all ``k``
tests.  It answers "how much did the pick move when the last few tests arrived?", which
under diminishing returns over-estimates how much the next batch will move it (safe for
stopping).  Why this quantity: a problem's tie-aware accuracy changes by at most the
Jaccard distance between its old and new tie sets (|acc(A) - acc(B)| <= 1 - J(A, B)), so
``change`` bounds the expected accuracy change of the next batch; it uses the selector
actually configured (coderm, codet, b4, robust, a plugin) and nothing else.
The jackknife cannot see a kind of test that has not shown up yet: after 5 tests that
every candidate fails alike it says 0, yet on CodeT's asserts such problems often gain
the most from later tests.  So ``change`` is floored by a rule-of-succession term,
``novelty / (k + 2)`` (Laplace: no change seen in k tests still leaves ~1/(k+2) chance per
test; default novelty 2.0), which decays with evidence instead of trusting 5 tests.
``Difficulty`` - the agreement features of the issue, reported and used to bucket
problems (the paper's quintile view): share of the largest pass-set cluster
(agreement), vote margin between the tie and the best other candidate (per test),
normalised entropy of the pass-set clusters (how many distinct behaviours, weighted by
popularity) and the spread of pass rates.  ``score`` averages (1 - agreement, 1 - margin,
entropy, spread): 0 when every candidate behaves alike, near 1 when they split into many
close groups.  ``gain="weighted"`` uses ``change * (1 + score) / 2`` as the expected gain;
the default ``gain="change"`` uses ``change`` alone, which measured better on the CodeT
slice (benchmarks/scaling.py): low agreement after 5 tests did not predict where
later tests helped.

Allocation and stopping
-----------------------
Every problem first gets ``initial`` tests (at most a quarter of its pool when the pool
size is known; the same cap applies to ``batch``).  Then, greedily, the ``round_size``
active problems with the largest expected gain each get ``batch`` more, until the budget
(total tests over the run) is spent or no problem is active.  A problem stops when
- its test pool is exhausted, or
- no remaining test can change its pick (exact; checked when the selector ranks by
  pass count as the CodeRM vote does and is not ``cluster_weighted`` - a Bayesian
  selector's (b4, robust) ranking can turn over as tests arrive, so a "locked" vote is
  not exact for it: the best candidate outside the top-score group trails by more than the tests
  left in the pool, and the top-score group is copies of one program, so it cannot
  split), or
- it has at least ``min_tests`` tests (at most half its known pool) and
  ``change < stop_threshold`` (default 0.02).  ``change`` bounds the expected accuracy
  change of the next batch, so a stopped problem forgoes at most ~2 points of its own
  accuracy per batch in expectation (and changes go both ways); with the novelty floor
  this needs k >= 98 tests without a recent move, so in practice the rule stops only
  problems that have used ~100 tests and whose pick is settled.

Contenders (candidate pruning, ``prune``)
-----------------------------------------
The cost of a run is (candidate, test) pairs, not tests, and most candidates fall out of
contention after a few tests.  With ``prune`` set, after every grant the candidates that
can no longer become (part of) the pick are marked, and the problem's next tests run
only on the contenders: the source is asked for those rows only (``TestSource.reveal``
``rows``: the matrix source reads just them, the pipeline's sources execute a copy of
the problem holding just those candidates), the others get ``Verdict.NOT_RUN`` (not a
pass) in those columns, and ``pairs`` counts executed pairs only.  Pruning is monotone
(a dropped candidate never runs again, so every contender has run every column).
- ``"exact"`` (:func:`exact_contenders`): i is out when even passing every test the
  problem can still get (the pool's rest, capped by ``max_tests``) cannot lift it to
  the top count (vote) or, for cluster-weighted selectors, when ``|cluster_i| x (passes_i
  + remaining)`` stays below ``copies_j x passes_j`` of some contender.  Never changes a
  coderm or codet pick (unit-tested on random matrices); with an unknown pool (a
  generator without ``max_tests``) nothing is pruned.
- ``"bound"`` (:func:`bound_contenders`): after ``prune_after`` tests, i is out when a
  one-sided paired Chernoff-KL bound (Serfling-corrected) says it ends below the leader
  with probability >= 1 - ``delta``.  Cluster-weighted selectors credit i with its whole
  pass-set cluster and the leader only with its program's copies (the safe direction).
Two rows always keep running, out of contention or not: the holders of the top pass
count and one candidate with the fewest passes (column statistics may read them).
``b4`` and ``robust`` score a cluster with every other row's passes, and a left-out
cell counts as failed there, so pruning is exact for coderm and codet only; for the
Bayesian selectors it is a heuristic (a pruned row can only lose passes).
``max_tests`` caps tests per problem (what makes ``exact`` bite under a big pool);
``cost="pairs"`` ranks problems by expected gain per executed pair (a problem with few
contenders is cheap to test further).  Measured on the CodeT slice: see
benchmarks/README.md ("Candidate pruning").

Test sources: anything implementing :class:`TestSource` - the pipeline's replay source
(recorded completions, revealed in recorded order), the generator source (asks the
configured generator only for the problems that get budget; generators cache, so a
larger ``n`` returns the earlier completions as a prefix), and in the benchmark a source
that reveals columns of precomputed matrices (exactly equivalent: the allocator only
sees the columns it asked for).
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import UsageError
from ..model import OutcomeMatrix, Problem, Selection, UnitTest, Verdict
from .voi import PosteriorFn, belief_of, model_priors, posterior_of, value_of_tests

PRUNE_RULES = ("none", "exact", "bound")
SelectFn = Callable[[Problem, OutcomeMatrix, np.random.Generator], Selection]
FitFn = Callable[[Sequence[Problem], Mapping[str, OutcomeMatrix]], None]


@dataclass(frozen=True)
class ScalingPolicy:
    """Knobs of the allocator (recorded in the report)."""

    initial: int = 5  # tests every problem gets first
    batch: int = 5  # tests per greedy grant
    stop_threshold: float = 0.02  # stop when the estimated change of the pick is below
    min_tests: int = 10  # no probabilistic stop before this many tests
    resamples: int = 16  # jackknife subsets per estimate
    round_size: int = 1  # problems granted per round (>1 batches executor / generator calls)
    gain: str = "voi"  # "voi" (expected value of information from the selector's
    # posterior; "change" for selectors without one), "change", "weighted" (change x
    # difficulty), "difficulty", "uniform" (fewest tests first: fixed-M growing in step)
    samples: int = 24  # "voi": Monte-Carlo hypotheses per value estimate
    lookahead: int = 4  # "voi": the longest lookahead, in batches (also the stop's)
    value_threshold: float = 0.005  # "voi": stop when the lookahead's value is below
    novelty: float = 2.0  # floor novelty / (k + 2) on the change estimate (0: none)
    prune: str = "none"  # candidate pruning: "none", "exact", "bound" (module: Contenders)
    delta: float = 0.002  # "bound": error probability of one pruning decision
    prune_after: int = 10  # "bound": no probabilistic pruning before this many tests
    max_tests: int | None = None  # per-problem cap (None: the pool / generator cap)
    spend_all: bool = False  # when every problem has stopped early and budget is left,
    # resume them fewest-tests-first (a stop then only orders the spending)
    cost: str = "tests"  # greedy ranks gain per "tests" or per "pairs" (contenders)

    def __post_init__(self) -> None:
        if self.initial < 1 or self.batch < 1 or self.round_size < 1:
            raise ValueError("scaling policy: initial, batch and round_size must be >= 1")
        if self.resamples < 1 or self.min_tests < 0 or self.stop_threshold < 0:
            raise ValueError("scaling policy: resamples >= 1, min_tests >= 0, "
                             "stop_threshold >= 0")
        if self.gain not in ("voi", "weighted", "change", "difficulty", "uniform"):
            raise ValueError(f"scaling policy: unknown gain {self.gain!r}")
        if self.prune not in PRUNE_RULES:
            raise ValueError(f"scaling policy: unknown prune rule {self.prune!r} "
                             f"(one of {', '.join(PRUNE_RULES)})")
        if self.cost not in ("tests", "pairs"):
            raise ValueError(f"scaling policy: unknown cost {self.cost!r}")
        if not 0 < self.delta < 1 or self.prune_after < 1:
            raise ValueError("scaling policy: 0 < delta < 1 and prune_after >= 1")
        if self.samples < 1 or self.lookahead < 1 or self.value_threshold < 0:
            raise ValueError("scaling policy: samples >= 1, lookahead >= 1, "
                             "value_threshold >= 0")
        if self.max_tests is not None and self.max_tests < 1:
            raise ValueError("scaling policy: max_tests must be >= 1")


# ------------------------------------------------------------------ the estimator

@dataclass(frozen=True)
class Difficulty:
    """Agreement features of one problem's revealed pass matrix; all in [0, 1]."""

    tests: int
    agreement: float  # share of candidates in the largest pass-set cluster
    margin: float  # (score of the tie - best score outside it) / tests; 1 when all tie
    entropy: float  # entropy of the pass-set clusters / log(candidates)
    spread: float  # 2 x std of the candidates' pass rates
    pass_sets: int  # number of distinct pass-sets
    score: float  # mean of (1 - agreement, 1 - margin, entropy, spread)


def estimate_difficulty(passed: np.ndarray, tied: Sequence[int] | np.ndarray) -> Difficulty:
    """The agreement features of a boolean candidates x tests matrix and a tie set."""
    n, k = passed.shape
    if n == 0:
        raise ValueError("estimate_difficulty: no candidates")
    if k == 0:
        return Difficulty(0, 1.0, 0.0, 0.0, 0.0, 1, 0.5)
    _, counts = np.unique(passed, axis=0, return_counts=True)
    agreement = float(counts.max() / n)
    probs = counts / n
    entropy = float(-(probs * np.log(probs)).sum() / math.log(n)) if n > 1 else 0.0
    scores = passed.sum(axis=1)
    in_tie = np.zeros(n, dtype=bool)
    in_tie[np.asarray(tied, dtype=int)] = True
    if in_tie.all():
        margin = 1.0
    else:
        margin = float((scores[in_tie].max() - scores[~in_tie].max()) / k)
        margin = min(1.0, max(0.0, margin))
    spread = float(min(1.0, 2.0 * np.std(scores / k)))
    score = (1 - agreement + 1 - margin + entropy + spread) / 4
    return Difficulty(k, agreement, margin, entropy, spread, int(len(counts)), float(score))


def _mask(tied: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[np.asarray(tied, dtype=int)] = True
    return m


def jaccard_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - |a & b| / |a | b| of two boolean masks (bounds the change of tie accuracy)."""
    union = np.count_nonzero(a | b)
    return 0.0 if union == 0 else 1.0 - np.count_nonzero(a & b) / union


def change_estimate(problem: Problem, verdicts: np.ndarray, select: SelectFn,
                    tied: np.ndarray, batch: int, resamples: int,
                    rng: np.random.Generator) -> float:
    """Jackknife change rate of the pick (see the module docstring); 1.0 below 2 tests."""
    n, k = verdicts.shape
    if k < 2:
        return 1.0
    drop = max(1, min(batch, k // 2))
    keep = k - drop
    full = _mask(tied, n)
    total = 0.0
    for _ in range(resamples):
        cols = np.sort(rng.choice(k, size=keep, replace=False))
        sel = select(problem, OutcomeMatrix(problem.task_id, verdicts[:, cols]), rng)
        total += jaccard_distance(_mask(sel.tied, n), full)
    return total / resamples


@functools.lru_cache(maxsize=1 << 16)
def _normalised(source: str) -> str:
    from ..execute.runner import normalise_source

    return normalise_source(source)


def program_keys(problem: Problem) -> np.ndarray:
    """One id per distinct candidate program (normalised source), for the exact stop
    and the pruning floors (copies of one program never split)."""
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(_normalised(c.source), len(ids))
                     for c in problem.candidates], dtype=np.int64)


def vote_locked(passed: np.ndarray, scores: Sequence[float], programs: np.ndarray,
                remaining: int | None) -> bool:
    """True when no remaining test can change a pass-count vote's pick.

    Applies only when the selector's scores are the pass counts (otherwise False).  The
    top-score group can neither gain a member (the best outsider trails by more than the
    tests left) nor split (its members are copies of one program).
    """
    if remaining is None or passed.shape[1] == 0:
        return False
    counts = passed.sum(axis=1)
    if len(scores) != len(counts) or not np.array_equal(np.asarray(scores, float), counts):
        return False
    top = counts.max()
    group = counts == top
    if len(np.unique(programs[group])) != 1:
        return False
    if group.all():
        return True
    return bool(top - counts[~group].max() > remaining)


# ------------------------------------------------------------------ contenders

def kl_bound(rate: np.ndarray, n: float, log_inv_delta: float, upper: bool) -> np.ndarray:
    """Chernoff (KL) confidence bound on Bernoulli means from ``n`` observations.

    Upper: the largest q >= rate with n * KL(rate || q) <= log(1 / delta); lower: the
    smallest q <= rate with the same.  P(true mean beyond the bound) <= delta (Chernoff-
    Hoeffding in KL form, valid for sampling with and without replacement).  Tighter
    than Hoeffding's +-sqrt(log(1/delta) / 2n) near 0 and 1, where pass rates live.
    """
    rate = np.clip(np.asarray(rate, dtype=float), 0.0, 1.0)
    if n <= 0:
        return np.ones_like(rate) if upper else np.zeros_like(rate)
    lo, hi = (rate.copy(), np.ones_like(rate)) if upper else (np.zeros_like(rate), rate.copy())
    eps = 1e-12

    def kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        q = np.clip(q, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(p > 0, p * np.log(p / q), 0.0)
            b = np.where(p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0)
        return a + b
    for _ in range(40):
        mid = (lo + hi) / 2
        inside = n * kl(rate, mid) <= log_inv_delta
        if upper:
            lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid)
        else:
            lo, hi = np.where(inside, lo, mid), np.where(inside, mid, hi)
    return hi if upper else lo


def exact_contenders(passed: np.ndarray, alive: np.ndarray, remaining: int | None,
                     programs: np.ndarray | None = None, cluster_weighted: bool = False
                     ) -> np.ndarray:
    """Rule 1: drop a candidate whose best possible final score is below a score some
    contender is sure to keep.

    Pass-count vote (coderm, ``cluster_weighted=False``): i stays when
    ``passes_i + remaining >= max_j passes_j``.  Exact: a candidate that cannot reach the
    top count even by passing every remaining test is never a top scorer, so the top
    group, its pass-sets (the consistency tie-break) and the pick are what the full
    matrix gives.  The leader always stays.
    Cluster-weighted scores (codet's |S| x |T|; b4 and robust use the same bound): the best i can reach is
    ``|S_i| x (passes_i + remaining)`` (pass-set clusters split, never merge); a
    contender j keeps at least ``copies_j x passes_j`` (copies of one program never
    split).  Exact for codet; a heuristic for b4 and robust, whose posterior reads every
    row (left-out cells count as failed).
    """
    if remaining is None or passed.shape[1] == 0:
        return alive
    counts = passed.sum(axis=1)
    if not cluster_weighted:
        return alive & (counts + remaining >= counts.max())
    n = len(counts)
    ids, sizes = _pass_set_ids(passed)
    copies = np.ones(n)
    if programs is not None:
        for key in np.unique(programs[alive]):
            same = alive & (programs == key)
            copies[same] = same.sum()
    floor = float((copies * counts)[alive].max())
    return alive & (sizes[ids] * (counts + remaining) >= floor)


def bound_contenders(passed: np.ndarray, alive: np.ndarray, scores: np.ndarray,
                     tied: np.ndarray, programs: np.ndarray, remaining: int,
                     delta: float, cluster_weighted: bool = True) -> np.ndarray:
    """Rule 2: drop a candidate whose final score falls below the leader's with
    probability >= 1 - delta (selector-agnostic: read off the selector's own scores).

    The selectors rank by ``score = w x passes`` with a factor ``w`` that more tests can
    only shrink: 1 for the vote, the pass-set cluster size for dual agreement (clusters
    split, they never merge).  ``w_i = score_i / passes_i`` is read off the selection;
    a selector with ``cluster_weighted`` (codet, b4, robust, and any selector that does not
    say otherwise) may switch to cluster scores later, so i is credited with
    ``max(w_i, |cluster_i|)``.  The leader L is the contender with the largest *sure*
    score ``m_L x passes_L``, ``m = min(w, copies of its program)`` (copies of one
    program never split; the rest of its cluster may).
    The per-test margin ``z_t = m_L x_Lt - w_i x_it`` lies in ``[-w_i, m_L]``; the final
    margin over the ``N = k + remaining`` tests is ``N x mean(z)``.  The k tests seen are
    a random subset of the N (tests arrive in random order; generated ones are
    independent draws), so the Chernoff-Hoeffding bound in KL form on the rescaled
    margin, with Serfling's finite-population factor (``k / (1 - (k - 1) / N)``
    effective observations, exact once every test is seen), gives a lower confidence
    bound on mean(z) that fails with probability <= delta.  i is dropped when that
    bound is > 0: it then ends below L - not in the tie - with probability >= 1 - delta.
    The test is paired (same tests for i and L), so tests both pass or both fail cost
    nothing, which is what makes it much sharper than separate bounds on the two rates.
    Members of the current tie and the leader always stay; a pass-set cluster shares
    passes and w, so it is kept or dropped whole.
    About delta: it bounds each decision; over a problem's ~20 decisions the union
    bound is 20 x delta, but the bound is loose (Bernoulli KL for a three-valued margin,
    the leader's floor without its cluster), so the measured loss is far smaller: at
    delta = 0.3 fixed-100 with this rule kept coderm's and codet's accuracy exactly on
    the CodeT slice (benchmarks/README.md).
    """
    n, k = passed.shape
    if remaining <= 0 or k == 0 or not alive.any():
        return alive
    x = passed.astype(float)
    counts = x.sum(axis=1)
    scores = np.asarray(scores, dtype=float)
    ids, sizes = _pass_set_ids(passed)
    size = sizes[ids].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(counts > 0, scores / np.maximum(counts, 1), size)
    w = np.maximum(w, 0.0)
    w_best = np.maximum(w, size) if cluster_weighted else w  # i's factor at most
    copies = np.zeros(n)
    for key in np.unique(programs[alive]):
        same = alive & (programs == key)
        copies[same] = same.sum()
    m = np.minimum(w, copies)
    cand = np.flatnonzero(alive)
    lead = cand[int(np.argmax((m * counts)[cand]))]
    keep = alive.copy()
    # per-test margin of the leader over each candidate, in [-w_i, m_L], paired
    wc = w_best[cand]
    z = m[lead] * x[lead][None, :] - wc[:, None] * x[cand]
    span = m[lead] + wc
    ok = span > 0
    y = np.where(ok[:, None], (z + wc[:, None]) / np.where(ok, span, 1)[:, None], 0.5)
    total = k + remaining
    n_eff = k / max(1e-9, 1.0 - (k - 1) / total)  # Serfling: sampling without replacement
    low = kl_bound(y.mean(axis=1), n_eff, math.log(1.0 / delta), False)
    final = total * (low * span - wc)  # lower bound on the final margin
    out = ok & (final > 0)
    keep[cand[out]] = False
    keep[np.asarray(tied, dtype=int)] = True
    keep[lead] = True
    return keep & alive


def _pass_set_ids(passed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if passed.shape[1] == 0:
        return np.zeros(passed.shape[0], dtype=int), np.array([passed.shape[0]])
    _, inverse, counts = np.unique(passed, axis=0, return_inverse=True, return_counts=True)
    return inverse.ravel(), counts


# ------------------------------------------------------------------ sources

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


# ------------------------------------------------------------------ the allocator

@dataclass
class ProblemState:
    """What the allocator knows about one problem."""

    problem: Problem
    verdicts: np.ndarray
    programs: np.ndarray
    selection: Selection | None = None
    change: float = 1.0
    difficulty: Difficulty | None = None  # after the initial batch (fixed for buckets)
    gain: float = 1.0
    stopped: str | None = None
    alive: np.ndarray | None = None  # contenders: the rows new tests run on (None: all)
    pairs: int = 0  # (candidate, test) pairs executed for this problem
    value: tuple[float, float] | None = None  # "voi": V(batch), V(lookahead) (voi module)
    resumed: str | None = None  # spend_all: the early stop this problem was resumed from
    headroom: float | None = None  # "voi": 1 - P(none) - P(pick correct)

    @property
    def tests(self) -> int:
        return int(self.verdicts.shape[1])

    @property
    def contenders(self) -> int:
        return len(self.programs) if self.alive is None else int(self.alive.sum())


@dataclass
class Allocation:
    """Result of :func:`allocate`: final states, spend, and a trace to replay curves."""

    states: dict[str, ProblemState]
    budget: int
    tests_executed: int
    pairs_executed: int
    trace: list[dict[str, Any]] = field(default_factory=list)  # after each round
    policy: ScalingPolicy = field(default_factory=ScalingPolicy)
    settled_at: int | None = None  # tests spent when every problem had stopped early

    def matrices(self) -> dict[str, OutcomeMatrix]:
        return {t: OutcomeMatrix(t, s.verdicts) for t, s in self.states.items()}

    def stop_reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.states.values():
            key = s.resumed or s.stopped or "budget"
            out[key] = out.get(key, 0) + 1
        return out


def _rng(seed: int, task_id: str, what: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(task_id.encode()),
                                  zlib.crc32(what.encode())])


def _horizon(policy: ScalingPolicy, remaining: int | None, tests: int) -> int | None:
    """How many more tests the problem can still get: the pool's rest, capped by
    ``max_tests`` (None when neither is known, e.g. a generator without a cap yet)."""
    cap = None if policy.max_tests is None else max(0, policy.max_tests - tests)
    if remaining is None:
        return cap
    return remaining if cap is None else min(remaining, cap)


def _prune(state: ProblemState, policy: ScalingPolicy, remaining: int | None,
           cluster_weighted: bool = True) -> None:
    """Mark candidates out of contention (see the module docstring, "Contenders")."""
    if policy.prune == "none" or state.selection is None or state.tests == 0:
        return
    passed = state.verdicts == Verdict.PASS
    n = passed.shape[0]
    alive = np.ones(n, dtype=bool) if state.alive is None else state.alive
    horizon = _horizon(policy, remaining, state.tests)
    counts = passed.sum(axis=1)
    scores = np.asarray(state.selection.scores, dtype=float)
    if policy.prune == "exact":
        alive = exact_contenders(passed, alive, horizon, state.programs, cluster_weighted)
    elif state.tests >= policy.prune_after:
        alive = bound_contenders(passed, alive, scores, np.asarray(state.selection.tied),
                                 state.programs, state.tests if horizon is None else horizon,
                                 policy.delta, cluster_weighted)
    # witnesses: the holders of the top pass count and one candidate with the lowest
    # keep running even out of contention, so column statistics (who passes a test,
    # who fails it) stay observed.
    old = np.ones(n, dtype=bool) if state.alive is None else state.alive
    live = np.flatnonzero(old)
    alive = alive.copy()
    alive[live[counts[live] == counts[live].max()]] = True
    alive[live[int(np.argmin(counts[live]))]] = True
    state.alive = alive


def _value_of_tests(state: ProblemState, select: SelectFn, posterior: PosteriorFn,
                    policy: ScalingPolicy, seed: int, horizon: int | None) -> None:
    """``gain`` = the best expected gain per test over the lookaheads (one batch, and
    ``lookahead`` batches: one batch alone may be too few to flip a pick that several
    would), times the batch; ``change`` = the longest lookahead's value (the stop)."""
    p, v = state.problem, state.verdicts
    assert state.selection is not None
    tied = np.asarray(state.selection.tied, dtype=int)
    p_cand, p_none = posterior(p, OutcomeMatrix(p.task_id, v))
    belief = belief_of(v == Verdict.PASS, p_cand, p_none, model_priors(posterior))
    state.headroom = belief.headroom(tied)
    ks = [policy.batch, policy.batch * policy.lookahead]
    if horizon is not None:
        ks = [max(1, min(k, horizon)) for k in ks]
    if state.headroom < policy.value_threshold and len(np.unique(state.programs[tied])) == 1:
        state.value, state.change, state.gain = (0.0, 0.0), 0.0, 0.0  # bound: no simulation
        return
    rows = None if state.alive is None or state.alive.all() else np.flatnonzero(state.alive)
    values = value_of_tests(p, v, belief, select, tied, ks, policy.samples,
                        _rng(seed, p.task_id, f"voi{v.shape[1]}"), state.programs, rows)
    state.value = (values[0], values[1])
    state.change = max(0.0, values[1])
    state.gain = max(0.0, max(val / k for val, k in zip(values, ks, strict=True))) \
        * policy.batch


def _update(state: ProblemState, select: SelectFn, policy: ScalingPolicy, seed: int,
            remaining: int | None, cluster_weighted: bool = True,
            posterior: PosteriorFn | None = None) -> None:
    """Re-select and re-estimate one problem after new tests arrived."""
    p, v = state.problem, state.verdicts
    tid = p.task_id
    state.selection = select(p, OutcomeMatrix(tid, v), _rng(seed, tid, f"select{v.shape[1]}"))
    _prune(state, policy, remaining, cluster_weighted)
    tied = np.asarray(state.selection.tied, dtype=int)
    passed = v == Verdict.PASS
    if state.difficulty is None:
        state.difficulty = estimate_difficulty(passed, tied)
    if state.resumed is not None:  # spend_all's second phase: fewest tests first
        state.gain = 1.0 / (1 + state.tests)
        horizon = _horizon(policy, remaining, state.tests)
        state.stopped = "exhausted" if remaining == 0 else "cap" if horizon == 0 else None
        return
    if policy.gain == "voi" and posterior is not None:
        _value_of_tests(state, select, posterior, policy, seed,
                        _horizon(policy, remaining, state.tests))
        if policy.cost == "pairs":  # expected gain per execution, not per test
            state.gain /= max(1, state.contenders) / max(1, len(state.programs))
        _stop(state, policy, remaining, cluster_weighted, passed, value_rule=True)
        return
    state.change = max(change_estimate(p, v, select, tied, policy.batch, policy.resamples,
                                       _rng(seed, tid, f"jackknife{v.shape[1]}")),
                       policy.novelty / (v.shape[1] + 2))
    diff = estimate_difficulty(passed, tied).score
    state.gain = {"change": state.change, "voi": state.change, "difficulty": diff,
                  "uniform": 1.0 / (1 + v.shape[1]),
                  "weighted": state.change * (1 + diff) / 2}[policy.gain]
    if policy.cost == "pairs" and policy.gain != "uniform":  # expected gain per execution, not per test
        state.gain /= max(1, state.contenders) / max(1, len(state.programs))
    _stop(state, policy, remaining, cluster_weighted, passed, value_rule=False)


def _stop(state: ProblemState, policy: ScalingPolicy, remaining: int | None,
          cluster_weighted: bool, passed: np.ndarray, value_rule: bool) -> None:
    """The stop rules (module docstring).  ``value_rule``: the posterior's - "decided"
    when no test can add ``value_threshold`` (the headroom bound, and the pick is one
    program: a cluster of several could still split), "stable" when the lookahead's
    expected value is below it (after ``min_tests``)."""
    assert state.selection is not None
    horizon = _horizon(policy, remaining, state.tests)
    tied = np.asarray(state.selection.tied, dtype=int)
    if remaining == 0:
        state.stopped = "exhausted"
    elif horizon == 0:
        state.stopped = "cap"
    elif not cluster_weighted and vote_locked(passed, state.selection.scores,
                                              state.programs, horizon):
        state.stopped = "decided"
    elif value_rule and state.headroom is not None \
            and state.headroom < policy.value_threshold \
            and len(np.unique(state.programs[tied])) == 1:
        state.stopped = "decided"
    elif state.tests >= _min_tests(policy.min_tests, horizon, state.tests) \
            and state.change < (policy.value_threshold if value_rule
                                else policy.stop_threshold):
        state.stopped = "stable"


def _step(size: int, pool: int | None) -> int:
    """A batch is at most a quarter of a known pool (at least 1): small pools (a few
    unittest classes per task) still get a first look and a choice of stopping."""
    return size if pool is None else min(size, max(1, math.ceil(pool / 4)))


def _min_tests(size: int, remaining: int | None, tests: int) -> int:
    """``min_tests``, but at most half of a known pool."""
    return size if remaining is None else min(size, math.ceil((remaining + tests) / 2))


def allocate(problems: Sequence[Problem], source: TestSource, select: SelectFn, *,
             budget: int, policy: ScalingPolicy | None = None, seed: int = 0,
             fit: FitFn | None = None, cluster_weighted: bool | None = None,
             posterior: PosteriorFn | None = None) -> Allocation:
    """Spend at most ``budget`` tests over ``problems`` (see the module docstring).

    ``fit`` (a selector's ``fit``, see ``select.base.fit_selector``) is called with every
    problem's matrix so far after each round, before the problems re-select.

    Deterministic for a seed.  Problems may start with no tests; those the initial round
    cannot reach (budget smaller than ``initial`` x problems) stay at zero tests, visited
    in the given order.
    """
    policy = policy or ScalingPolicy()
    if budget < 0:
        raise ValueError(f"test budget must be >= 0, got {budget}")
    owner = getattr(select, "__self__", None)
    clustered = cluster_weighted if cluster_weighted is not None else \
        bool(getattr(owner, "cluster_weighted", True))
    # gain "voi" reads a posterior: the one given, else the selector's own, else none
    # (then the jackknife change estimate, as for gain "change")
    model = posterior if posterior is not None else posterior_of(owner)
    states = {p.task_id: ProblemState(p, np.zeros((len(p.candidates), 0), dtype=np.int8),
                                      program_keys(p)) for p in problems}
    spent = pairs = 0
    trace: list[dict[str, Any]] = []

    def grant(grants: dict[str, int]) -> None:
        nonlocal spent, pairs
        grants = {t: n for t, n in grants.items() if n > 0}
        if not grants:
            return
        rows: dict[str, np.ndarray] = {}
        for t in grants:
            alive = states[t].alive
            if alive is not None and not alive.all():
                rows[t] = np.flatnonzero(alive)
        got = source.reveal(grants, rows) if rows else source.reveal(grants)
        left: dict[str, int | None] = {}
        for t, n in grants.items():
            st = states[t]
            height = len(rows[t]) if t in rows else st.verdicts.shape[0]
            cols = got.get(t)
            cols = np.zeros((height, 0), np.int8) if cols is None \
                else np.asarray(cols, dtype=np.int8)[:, :n]
            if cols.shape[0] != height:
                raise ValueError(f"task {t}: the test source returned {cols.shape[0]} "
                                 f"rows for {height} candidates")
            if t in rows:  # scatter: non-contenders were not run on these tests
                full = np.full((st.verdicts.shape[0], cols.shape[1]), Verdict.NOT_RUN,
                               dtype=np.int8)
                full[rows[t]] = cols
                cols_full = full
            else:
                cols_full = cols
            st.verdicts = np.concatenate([st.verdicts, cols_full], axis=1)
            spent += cols.shape[1]
            pairs += cols.size
            st.pairs += cols.size
            rem = source.remaining(t)
            left[t] = 0 if cols.shape[1] < n else rem  # 0: the source ran dry
        if fit is not None:  # run-level statistics see every problem's tests so far
            fit([s.problem for s in states.values()],
                {t: OutcomeMatrix(t, s.verdicts) for t, s in states.items()})
        for t, rem in left.items():
            _update(states[t], select, policy, seed, rem, clustered, model)
        trace.append({"tests": spent, "pairs": pairs,
                      "k": {t: s.tests for t, s in states.items()}})

    # initial batch, in problem order, never beyond the budget
    first: dict[str, int] = {}
    for p in problems:
        rem = source.remaining(p.task_id)
        h = _horizon(policy, rem, 0)
        n = min(_step(policy.initial, h), budget - spent - sum(first.values()))
        if h is not None:
            n = min(n, h)
        if n <= 0:
            if rem == 0:
                states[p.task_id].stopped = "exhausted"
            continue
        first[p.task_id] = n
    for t, st in states.items():
        if t not in first and st.stopped is None:
            st.stopped = "budget"
    grant(first)
    for st in states.values():
        if st.selection is None:  # no test at all: select on the empty matrix
            _update(st, select, policy, seed, source.remaining(st.problem.task_id),
                    clustered, model)
            if st.stopped is None:
                st.stopped = "budget"
    settled_at: int | None = None
    while spent < budget:
        active = [s for s in states.values() if s.stopped is None]
        if not active and policy.spend_all and settled_at is None:
            settled_at = spent  # where a run without a budget would have ended
            for s in states.values():
                if s.stopped in ("stable", "decided"):
                    s.resumed, s.stopped, s.gain = s.stopped, None, 1.0 / (1 + s.tests)
            active = [s for s in states.values() if s.stopped is None]
        if not active:
            break
        active.sort(key=lambda s: -s.gain)  # stable: ties keep problem order
        grants: dict[str, int] = {}
        left = budget - spent
        for s in active[:policy.round_size]:
            h = _horizon(policy, source.remaining(s.problem.task_id), s.tests)
            n = min(_step(policy.batch, None if h is None else h + s.tests), left)
            if h is not None:
                n = min(n, h)
            if n > 0:
                grants[s.problem.task_id] = n
                left -= n
        if not grants:
            break
        grant(grants)
    for st in states.values():
        if st.stopped is None:
            st.stopped = "budget"
    return Allocation(states, budget, spent, pairs, trace, policy,
                      spent if settled_at is None else settled_at)


# ------------------------------------------------------------------ curves / buckets

def tie_accuracy(problem: Problem, verdicts: np.ndarray, select: SelectFn,
                 seed: int) -> float:
    """Tie-aware accuracy of the selector on some columns (needs labels)."""
    labels = problem.labels
    if labels is None:
        raise ValueError(f"task {problem.task_id}: no labels")
    sel = select(problem, OutcomeMatrix(problem.task_id, verdicts),
                 _rng(seed, problem.task_id, "acc"))
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
    from .. import metrics

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


# ------------------------------------------------------------------ pipeline glue

class _ReplaySource:
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


class _GeneratorSource(_ReplaySource):
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


def run_dynamic(problems: Sequence[Problem], config: Any, *,
                completions: Mapping[str, Sequence[str]] | None = None,
                out_dir: Path | None = None,
                grade: Callable[[list[Problem]], None] | None = None,
                tests_source: object = "tests",
                test_formats: Mapping[str, str] | None = None,
                policy: ScalingPolicy | None = None) -> Any:
    """``pipeline.run`` with ``--scaling dynamic``: allocate ``config.test_budget`` tests
    (default: every available test, early stop deciding), then finish the run as usual.

    Labels (``grade``) are computed only after allocation: they never steer it.
    """
    from .. import pipeline
    from ..execute.runner import ExecutionStats
    from ..extract import extract_all
    from ..plugins import get_selector

    problems = list(problems)
    if config.selector == "oracle":
        raise UsageError("--scaling dynamic needs a selector that does not read labels")
    selector = get_selector(config.selector)
    stats = ExecutionStats()
    policy = policy or ScalingPolicy(round_size=max(1, math.ceil(len(problems) / 4)),
                                     prune=getattr(config, "prune", "none"))

    def run_tests(jobs: list[Problem]) -> dict[str, OutcomeMatrix]:
        return pipeline.execute(jobs, config, stats)

    extra: dict[str, Any] = {}
    if completions is not None:
        extra["extraction"] = pipeline.attach_tests(
            problems, completions, num_tests=config.num_tests, fmt=config.test_format,
            formats=test_formats, source=tests_source)
        pools = {p.task_id: list(p.tests) for p in problems}
        source: _ReplaySource = _ReplaySource(problems, pools, run_tests)
        default_budget = sum(len(v) for v in pools.values())
    else:
        cap = config.num_tests or 100
        fmt = config.test_format

        def generate(ps: list[Problem], n: int) -> dict[str, list[str]]:
            return pipeline.generate_completions(ps, config.generator or "", n,
                                                 config.generator_options, config.progress)

        def extract(p: Problem, raw: list[str]) -> list[UnitTest]:
            task_fmt = fmt if fmt != "auto" else (test_formats or {}).get(p.task_id, "auto")
            return extract_all(p, raw, task_fmt)[0]

        source = _GeneratorSource(problems, generate, extract, cap, policy.batch, run_tests)
        default_budget = cap * len(problems)
    budget = config.test_budget if config.test_budget is not None else default_budget
    allocation = allocate(problems, source, selector.select, budget=budget, policy=policy,
                          seed=config.seed, fit=getattr(selector, "fit", None))
    for p in problems:
        p.tests = [replace(t, index=j) for j, t in enumerate(source.revealed[p.task_id])]
    if grade is not None:
        grade(problems)
    extra.update(scaling_report(allocation, selector.select, config.seed,
                                fit=getattr(selector, "fit", None)))
    # the GPU cost: completions a generator was asked for (recorded tests: those drawn)
    extra["scaling"]["tests_generated"] = source.generated()
    return pipeline.finish(problems, config, out_dir=out_dir, grade=None,
                           matrices=allocation.matrices(), exec_stats=stats, extra=extra)
