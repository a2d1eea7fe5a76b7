"""Chance that more tests change the pick, from the revealed tests themselves.

Why not the selector's posterior (:mod:`.voi`): a parametric posterior is only as good
as its model, and B4's model treats every test as independent evidence.  Generated tests
are not: many are near-copies of one another (the same input, or inputs that exercise the
same branch), so after a handful of agreeing tests the posterior puts nearly all its mass
on one cluster whether or not it is right.  The value of information is bounded by
``1 - P(none) - P(pick correct)`` - with the pick held at ~90 % there is no value left
anywhere, and the allocation degenerates to fewest-tests-first with extra noise.

The estimate here replaces the model by exchangeability, the one assumption a replayed or
generated pool does satisfy: the next tests of a problem are draws from the same
generator as its revealed ones.  The predictive of the next ``k`` columns is then the
Bayesian bootstrap / Polya urn over the ``m`` revealed columns (the posterior predictive
of a Dirichlet process): draw each next column as a copy of a revealed one with weight 1
each, or of a column drawn earlier in the same simulation with weight 1 (so the draws are
exchangeable and correlated, as the real tests are), or - with weight ``alpha = 1``, the
uniform Dirichlet prior's, not tuned - a *novel* column that no revealed test resembles,
on which each pass-set cluster passes or fails on a fair coin (nothing says which).  The
novel draw is what keeps a problem whose first tests all look alike from being written
off for good: its chance decays as ``1 / (m + 1)``, by the rule of succession.

How novel the next tests are is a property of the generator, and the revealed tests
measure it: under the urn, ``m`` columns show ``K`` distinct pass patterns with
expectation ``sum_{i<m} alpha / (alpha + i)`` (Ewens), so ``alpha`` is estimated by
solving that for the ``K`` seen (:func:`ewens_alpha`, ``urn="ewens"`` and the default
``"ewens-rate"``).  Why: CodeT's generated asserts show 8-19 patterns in 20 tests, where
``alpha = 1`` expects 3.6 - the fixed weight under-predicted novelty 5-15 fold and let
problems whose pick was still moving look settled.  A novel column under ``alpha`` that
large must be plausible, not a fair coin per cluster (which with many novel draws makes
every pick look contested): under ``"ewens-rate"`` each cluster passes it at its own
Laplace pass rate ``(passes + 1) / (m + 2)`` - a behaviour that failed every test so far
rarely passes the next one.  ``"ewens-split"`` also lets a cluster of several distinct
programs split on a novel column, at the rule of succession over how often the revealed
tests split its lineage (:func:`.voi.lineage_splits`), each program then on its own;
``"fixed"`` (``alpha = 1``, fair coin) is the default: the estimated weight with rate
columns was better on the CodeT slice's design half under ``gain="balanced"`` but not on
the held-out sets (docs/results.md).

The value of ``k`` more tests is the expected Jaccard distance between the tie set now
and the tie set of the configured selector on the matrix grown by the ``k`` simulated
columns.  Why that: tie-aware accuracy changes by at most that distance
(``|acc(A) - acc(B)| <= 1 - J(A, B)``), so the estimate bounds the expected accuracy
change of the next tests; it is high exactly where the pick is contested on the evidence
already seen (resampling the revealed columns tips the vote to the runner-up) and near
zero where one behaviour passes everything and nothing else is close (no resample of the
columns can lift another candidate over it).  Redundant tests count as what they are: a
column repeated ten times is one urn entry ten times, and resampling it cannot produce a
disagreement that the revealed tests never showed.

Informative tests (``informative=True``, ``ScalingPolicy.informative``).  Most generated
tests of a hard problem split nobody (every candidate fails them), and the urn
reproduces that faithfully: over the next 20 *generated* tests a problem whose tests are
informative one time in ten sees two that could move its pick, so its change looks
small and it is left (or stopped) exactly where more tests eventually decide it.  The
informative variant asks the same question in the unit that can move a pick: the urn
holds only the revealed columns on which the candidates disagree
(:func:`informative_columns`), the lookahead is ``k`` informative tests, and the
allocator prices them at ``k / r`` generated tests, ``r`` the problem's rate of
informative tests by the rule of succession (:func:`informative_rate`; no constant) - the
expected number of draws to get ``k`` informative ones.  A novel informative column
must separate something: if every cluster came out alike it is redrawn with a coin per
distinct program, so a problem whose candidates all failed everything so far is not
written off as settled (its one cluster can still split, at the novel weight's rate).

What it gives up: it is not a value (a contested pick among wrong behaviours scores as
high as one with the right behaviour in it), and it reads no posterior, so it works for
every selector.  Cost: ``samples`` selector calls per lookahead, like :mod:`.voi`
(the longest lookahead's columns are drawn once; shorter ones use its prefixes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import OutcomeMatrix, Problem, Verdict
from .estimate import jaccard_distance
from .policy import SelectFn
from .voi import lineage_splits

NOVEL_WEIGHT = 1.0  # alpha of the Dirichlet process: the uniform prior's weight


def _mask(idx: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[np.asarray(idx, dtype=int)] = True
    return m


def simulate_columns(verdicts: np.ndarray, k: int, rng: np.random.Generator,
                     alpha: float | None = NOVEL_WEIGHT, novel: str = "coin",
                     programs: np.ndarray | None = None,
                     informative: bool = False) -> np.ndarray:
    """``k`` next columns from the Polya urn over the revealed columns (module
    docstring): candidates x k, int8 verdicts.  ``alpha=None``: the Ewens estimate
    (:func:`ewens_alpha`); ``novel``: "coin" (each cluster a fair coin) or "rate" (each
    cluster passes at its own Laplace pass rate).  ``informative``: the next
    *informative* columns - the urn holds only the revealed columns that split the
    candidates, and a novel column on which every cluster came out alike is redrawn
    with a coin per distinct program (``programs``; default every row its own) until
    it separates two of them (an informative test must separate something, and if it
    is not two clusters it is programs inside one)."""
    n, m = verdicts.shape
    pool = verdicts[:, informative_columns(verdicts)] if informative else verdicts
    if alpha is None:  # the urn's own columns say how often a new pattern comes
        alpha = ewens_alpha(pool)
    m_pool = pool.shape[1]
    prog = None
    if informative and n:
        _, prog = np.unique(np.arange(n) if programs is None else programs,
                            return_inverse=True)
        prog = prog.ravel()
        if prog.max() == 0:
            prog = None  # one program: nothing can separate it
    if m:
        _, ids = np.unique(verdicts == Verdict.PASS, axis=0, return_inverse=True)
        ids = ids.ravel()
    else:
        ids = np.zeros(n, dtype=int)
    n_clusters = int(ids.max()) + 1 if n else 0
    rate = np.full(n_clusters, 0.5)
    if m and novel in ("rate", "split"):
        passes = np.bincount(ids, weights=(verdicts == Verdict.PASS).sum(axis=1))
        rate = (passes / np.bincount(ids) + 1.0) / (m + 2.0)
    hazard = np.zeros(n_clusters)
    if novel == "split" and m and programs is not None:
        # a cluster of >= 2 distinct programs splits on a novel test at the rule of
        # succession over its own history (voi.lineage_splits)
        distinct = np.array([len(np.unique(programs[ids == c])) for c in range(n_clusters)])
        hazard = np.where(distinct > 1, (lineage_splits(verdicts == Verdict.PASS, ids) + 1.0)
                          / (m + 2.0), 0.0)
        _, prog = np.unique(programs, return_inverse=True)
        prog = prog.ravel()
        prog_rate = np.zeros(int(prog.max()) + 1)
        prog_rate[prog] = rate[ids]  # a program's copies share its cluster's rate
    out = np.empty((n, k), dtype=np.int8)
    for j in range(k):
        # urn: m revealed + j drawn so far, each weight 1, plus alpha for a novel column
        u = rng.random() * (m_pool + j + alpha)
        if u < m_pool + j:
            i = int(u)
            out[:, j] = pool[:, i] if i < m_pool else out[:, i - m_pool]
        else:
            passed = (rng.random(n_clusters) < rate)[ids]  # rate 0.5: a fair coin
            while prog is not None and (passed.all() or not passed.any()):
                passed = (rng.random(int(prog.max()) + 1) < 0.5)[prog]
            if novel == "split":
                split = (rng.random(n_clusters) < hazard)[ids]
                if split.any():
                    own = rng.random(len(prog_rate)) < prog_rate  # each program alone
                    passed = np.where(split, own[prog], passed)
            out[:, j] = np.where(passed, Verdict.PASS, Verdict.FAIL)
    return out


def informative_columns(verdicts: np.ndarray) -> np.ndarray:
    """Boolean mask of the columns on which the candidates do not all agree (pass vs
    not): a column every candidate passes, or every one fails, cannot move a pick
    between candidates."""
    passed = np.asarray(verdicts) == Verdict.PASS
    if passed.shape[0] == 0:
        return np.zeros(passed.shape[1], dtype=bool)
    return passed.any(axis=0) & ~passed.all(axis=0)


def informative_rate(verdicts: np.ndarray) -> float:
    """Laplace's rule of succession for "the next generated test is informative":
    ``(informative columns + 1) / (columns + 2)``."""
    return float((informative_columns(verdicts).sum() + 1.0) / (verdicts.shape[1] + 2.0))


def ewens_alpha(verdicts: np.ndarray) -> float:
    """The Dirichlet process weight that makes the revealed columns' number of distinct
    pass patterns ``K`` its expectation (Ewens: ``sum_{i<m} a / (a + i) = K``; the
    maximum-likelihood estimate), by bisection on log a; K = m (every column new) gives
    the upper end, K <= 1 the lower."""
    m = verdicts.shape[1]
    if m == 0:
        return NOVEL_WEIGHT
    k = np.unique(verdicts == Verdict.PASS, axis=1).shape[1]
    i = np.arange(m)
    lo, hi = -3.0, 4.0
    for _ in range(40):
        mid = (lo + hi) / 2
        a = 10.0 ** mid
        if float(np.sum(a / (a + i))) < k:
            lo = mid
        else:
            hi = mid
    return float(10.0 ** ((lo + hi) / 2))


def change_of_tests(problem: Problem, verdicts: np.ndarray, select: SelectFn,
                    tied: Sequence[int] | np.ndarray, lookaheads: Sequence[int],
                    samples: int, rng: np.random.Generator,
                    rows: np.ndarray | None = None, alpha: float | None = NOVEL_WEIGHT,
                    novel: str = "coin", programs: np.ndarray | None = None,
                    informative: bool = False) -> list[float]:
    """Expected Jaccard change of the tie set after ``k`` more tests, for every k in
    ``lookaheads``, under the urn predictive (module docstring).

    ``rows``: the candidates new tests would run on (contenders); the others get
    ``NOT_RUN`` in the simulated columns, as the allocator would give them.
    ``informative``: the k are informative tests (:func:`simulate_columns`).
    """
    k_max = max(lookaheads, default=0)
    n = verdicts.shape[0]
    if k_max <= 0 or n == 0:
        return [0.0 for _ in lookaheads]
    now = _mask(tied, n)
    total = np.zeros(len(lookaheads))
    if alpha is None:
        alpha = ewens_alpha(verdicts[:, informative_columns(verdicts)] if informative
                            else verdicts)
    for _ in range(samples):
        cols = simulate_columns(verdicts, k_max, rng, alpha, novel, programs, informative)
        if rows is not None:
            out = np.ones(n, dtype=bool)
            out[rows] = False
            cols[out] = Verdict.NOT_RUN
        for j, k in enumerate(lookaheads):
            if k <= 0:
                continue
            grown = np.concatenate([verdicts, cols[:, :k]], axis=1)
            sel = select(problem, OutcomeMatrix(problem.task_id, grown), rng)
            total[j] += jaccard_distance(_mask(sel.tied, n), now)
    return [float(t) / samples for t in total]
