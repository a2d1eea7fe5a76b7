"""Candidate pruning: which candidates can still become (part of) the pick.

The cost of a run is (candidate, test) pairs, not tests, and most candidates fall out of
contention after a few tests.  With ``prune`` set, after every grant the allocator marks
the candidates that can no longer become (part of) the pick, and the problem's next tests
run only on the contenders: the source is asked for those rows only
(:meth:`.sources.TestSource.reveal` ``rows``), the others get ``Verdict.NOT_RUN`` (not a
pass) in those columns, and ``pairs`` counts executed pairs only.  Pruning is monotone (a
dropped candidate never runs again, so every contender has run every column).

- ``"exact"`` (:func:`exact_contenders`): never changes a coderm or codet pick
  (unit-tested on random matrices); with an unknown pool (a generator without
  ``max_tests``) nothing is pruned.
- ``"bound"`` (:func:`bound_contenders`): a one-sided paired Chernoff-KL bound says the
  candidate ends below the leader with probability >= 1 - ``delta``.

``b4`` and ``robust`` score a cluster with every other row's passes, and a left-out cell
counts as failed there, so pruning is exact for coderm and codet only; for the Bayesian
selectors it is a heuristic (a pruned row can only lose passes).  Measured effect on
accuracy and pairs: docs/results.md.
"""

from __future__ import annotations

import math

import numpy as np

from ..select.coderm import pass_set_ids


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
    ids, sizes = pass_set_ids(passed)
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
    the leader's floor without its cluster), so the measured loss is far smaller
    (docs/results.md).
    """
    n, k = passed.shape
    if remaining <= 0 or k == 0 or not alive.any():
        return alive
    x = passed.astype(float)
    counts = x.sum(axis=1)
    scores = np.asarray(scores, dtype=float)
    ids, sizes = pass_set_ids(passed)
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
