"""``dawid-skene``: tests as noisy annotators of each behaviour's correctness; several
behaviours may be correct at once.  Available, not recommended (``robust`` is).

Why another model: B4 (and ``robust``) assume every correct sample passes exactly the
correct tests, so the correct samples form ONE pass-set cluster.  Real correct programs
split over several pass-sets (an edge case or output format the prompt leaves open, so
one correct program passes a test another fails), and under the one-cluster model the
other correct clusters then count as wrong programs that pass "wrong" tests - evidence
against the right hypothesis.  This model drops the assumption, after Dawid & Skene
(1979): the items are the distinct behaviours (pass-sets), the annotators are the tests,
each with its own reliabilities.

Model, one problem (behaviour b, test j, cell ``E_bj`` = pass):

* ``z_b`` in {0, 1}: behaviour b is correct, ``P(z_b = 1) = pi``, ``pi ~ Beta(1, 1)``;
  ``y_j`` in {0, 1}: test j is right, ``P(y_j = 1) = rho``, ``rho ~ Beta(1, 1)``.  Both
  uniform: best-of-N is used because the share of correct programs is unknown, and the
  share of right generated tests ranges from most to a quarter.
* a right test is passed by every correct program (the identifying assumption: it is
  what "right test" means), up to an execution accident at rate 1e-3 (a timeout under
  load); so correct programs may differ only on wrong tests, which they pass at a
  per-test rate ``s_j ~ Beta(1, 19)`` (an ambiguous test, right for some readings of
  the prompt; about 1 in 20 a priori).
* wrong programs pass test j at a per-test rate ``f_j``: ``Beta(1, 1)`` if j is right
  (a wrong program can be right on any share of inputs: B4's prior) and ``Beta(1, 19)``
  if j is wrong (a wrong program reproduces a wrong expected value rarely: it must share
  the test writer's mistake; B4's ``beta_0`` 1e4 .. 1e6 encode the same belief as a
  near-certainty, which its copy-counting likelihood needs and this one does not).
  Per-test rates are the Dawid-Skene annotator reliabilities: a right test most wrong
  programs pass says little for those that pass it; a wrong test one wrong behaviour
  passes is not evidence against the behaviours that fail it.
* one row per behaviour: identical samples are one program, not independent evidence
  (B4 counts every copy as an independent row; with several correct behaviours allowed
  that lets a popular near-miss mutant out-weigh a correct behaviour with fewer copies).
  Popularity is therefore NOT used; copies only enter the tie-aware pick among
  behaviours with equal posterior.

Inference, per problem (nothing pooled over the run: a task's pick reads its own matrix
only): ``s_j, f_j`` are integrated out (Beta-Bernoulli, read through expected counts);
``z`` and ``y`` get mean-field Bernoulli posteriors ``q_b``, ``r_j`` (variational EM;
``pi`` and ``rho`` at their posterior means, so no logit is infinite).  A behaviour's
update is the collapsed conditional "how well do the OTHER correct rows predict its row,
against the other wrong rows", test by test, its own row left out of the counts (the
leave-one-out agreement).  The objective has several fixed points (which behaviours are
correct), so EM starts from every behaviour's hypothesis "b is the correct one and its
pass-set the right tests" (B4's hypotheses) and from the vote's; the fixed point with
the highest objective is kept.  The pick is the behaviour with the largest posterior
log-odds of being correct (the Bayes decision for "pick a correct candidate"; log-odds
because probabilities saturate at 1).

Known limits (figures and the variants tried: docs/results.md): without a
popularity signal it cannot do what CodeT's |S| does where most tests are wrong and
copy counts are the main evidence; a wrong behaviour that alone passes many tests nobody
else passes is read as right tests (a right test no wrong program passes is plausible
under the uniform prior), so in that case it follows the vote; and the per-test
independence does not know that one misconception makes many tests wrong together.

Cells a dynamic-scaling run left out (``Verdict.NOT_RUN``) count as failed, as in every
other built-in selector.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hookspecs import hookimpl
from ..model import OutcomeMatrix, Problem, Selection
from .base import pick_among
from .coderm import require_candidates
from .mathutil import betaln_vec as betaln

# Per class of program and kind of test: Beta prior of the pass rate, or a fixed rate
# (see the module for each one's reason)
PRIORS: dict[str, tuple[float, float] | float] = {
    "correct|right": 1.0 - 1e-3,
    "correct|wrong": (1.0, 19.0),
    "wrong|right": (1.0, 1.0),
    "wrong|wrong": (1.0, 19.0),
}
ITERATIONS = 200
TOL = 1e-7


def _entropy(p: np.ndarray) -> float:
    p = np.clip(p, 1e-300, 1.0)
    q = np.clip(1.0 - p, 1e-300, 1.0)
    return float(-(p * np.log(p) + q * np.log(q)).sum())


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


class _Fit:
    """Variational EM on one problem: behaviours x tests pass matrix ``E`` (0/1 floats,
    one row per behaviour).  State: ``q`` (P correct per behaviour), ``r`` (P right per
    test).

    Every per-test rate is integrated out: test j's cells among the correct rows and
    among the wrong rows are Beta-Bernoulli with the priors of a right or a wrong test
    (or a fixed rate), read through expected counts (rows weighted by ``q``, ``1 - q``).
    """

    def __init__(self, E: np.ndarray, sizes: np.ndarray,
                 priors: dict[str, tuple[float, float] | float]) -> None:
        self.E, self.priors = E, priors
        self.w = np.ones(len(sizes))  # one row per behaviour: copies are not evidence
        self.k_of = self.w[:, None] * E

    def marginal(self, which: str, k: np.ndarray, n: np.ndarray | float) -> np.ndarray:
        """log P(k passes in n rows) of one class on a test of one kind, rate integrated."""
        prior = self.priors[which]
        if isinstance(prior, float):  # a fixed rate, not integrated
            return k * np.log(prior) + (n - k) * np.log1p(-prior)
        a, b = prior
        return betaln(k + a, n - k + b) - betaln(a, b)

    def counts(self, q: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, float]:
        c, u = self.w * q, self.w * (1.0 - q)
        return c @ self.E, float(c.sum()), u @ self.E, float(u.sum())

    def test_evidence(self, q: np.ndarray) -> np.ndarray:
        """Per test, log P(its column | right) - log P(its column | wrong)."""
        kc, nc, kw, nw = self.counts(q)
        return (self.marginal("correct|right", kc, nc) + self.marginal("wrong|right", kw, nw)
                - self.marginal("correct|wrong", kc, nc) - self.marginal("wrong|wrong", kw, nw))

    def objective(self, q: np.ndarray, r: np.ndarray) -> float:
        kc, nc, kw, nw = self.counts(q)
        pi = (float(q.sum()) + 1.0) / (q.size + 2.0)
        rho = (float(r.sum()) + 1.0) / (r.size + 2.0)
        right = self.marginal("correct|right", kc, nc) + self.marginal("wrong|right", kw, nw)
        wrong = self.marginal("correct|wrong", kc, nc) + self.marginal("wrong|wrong", kw, nw)
        return (float(q.sum()) * np.log(pi) + float((1 - q).sum()) * np.log1p(-pi)
                + _entropy(q)
                + float(r.sum()) * np.log(rho) + float((1 - r).sum()) * np.log1p(-rho)
                + _entropy(r) + float(r @ right + (1.0 - r) @ wrong))

    def behaviour_logodds(self, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Per behaviour, log P(correct) / P(wrong): how well the OTHER correct rows
        predict its rows, against how well the other wrong rows do, test by test (the
        collapsed conditional; its own rows are left out of the counts)."""
        E, w = self.E, self.w
        kc, nc, kw, nw = self.counts(q)
        kb = self.k_of
        own_c, own_w = (w * q)[:, None], (w * (1.0 - q))[:, None]
        kc_o = np.maximum(kc[None, :] - own_c * E, 0.0)
        kw_o = np.maximum(kw[None, :] - own_w * E, 0.0)
        nc_o = np.maximum(nc - own_c, 0.0)
        nw_o = np.maximum(nw - own_w, 0.0)
        wb = w[:, None]

        def gain(which: str, k_o: np.ndarray, n_o: np.ndarray) -> np.ndarray:
            return self.marginal(which, k_o + kb, n_o + wb) - self.marginal(which, k_o, n_o)

        as_correct = r * gain("correct|right", kc_o, nc_o) \
            + (1.0 - r) * gain("correct|wrong", kc_o, nc_o)
        as_wrong = r * gain("wrong|right", kw_o, nw_o) \
            + (1.0 - r) * gain("wrong|wrong", kw_o, nw_o)
        pi = (float(q.sum()) + 1.0) / (q.size + 2.0)
        return _logit(pi) + (as_correct - as_wrong).sum(axis=1)

    def run(self, q: np.ndarray, r: np.ndarray
            ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """EM from (q, r); returns (objective, q, r, log-odds per behaviour)."""
        prev = -np.inf
        for _ in range(ITERATIONS):
            q = _sigmoid(self.behaviour_logodds(q, r))
            rho = (float(r.sum()) + 1.0) / (r.size + 2.0)
            r = _sigmoid(_logit(rho) + self.test_evidence(q))
            value = self.objective(q, r)
            if abs(value - prev) < TOL * max(1.0, abs(value)):
                break
            prev = value
        # the pick compares log-odds: probabilities saturate at 1.0
        return self.objective(q, r), q, r, self.behaviour_logodds(q, r)


def fit(passed: np.ndarray, priors: dict[str, tuple[float, float] | float] | None = None
        ) -> dict[str, Any]:
    """Fit the model to a candidates x tests boolean matrix; per candidate log-odds of
    being correct, per test P(right), and the fitted noise."""
    passed = np.asarray(passed, dtype=bool)
    n, m = passed.shape
    if m == 0:
        return {"logodds": np.zeros(n), "test_right": np.zeros(0), "objective": 0.0}
    rows, first, ids = np.unique(passed, axis=0, return_index=True, return_inverse=True)
    ids = ids.ravel()
    E = rows.astype(float)
    w = np.bincount(ids).astype(float)
    model = _Fit(E, w, PRIORS if priors is None else priors)
    starts = [(np.eye(len(w))[b], E[b].copy()) for b in range(len(w))]
    votes = E.sum(axis=1)
    top = (votes == votes.max()).astype(float)
    starts.append((top, (w * top) @ E / float((w * top).sum()) > 0.5))
    best = None
    for q0, r0 in starts:
        q0 = np.clip(q0, 0.01, 0.99)
        r0 = np.clip(np.asarray(r0, dtype=float), 0.01, 0.99)
        result = model.run(q0, r0)
        if best is None or result[0] > best[0] + 1e-9:
            best = result
    assert best is not None  # starts always holds the vote's start
    value, q, r, logodds = best
    return {"logodds": logodds[ids], "test_right": r, "objective": value,
            "behaviours": int(len(w))}


class DawidSkeneSelector:
    """Tests as noisy annotators; the behaviour most likely correct (see the module)."""

    name = "dawid-skene"
    # not a pass count: dynamic scaling uses its conservative (cluster) bounds, a heuristic
    # here as for b4 and robust (the posterior reads every row)
    cluster_weighted = True

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError("dawid-skene selector takes no options (its priors are fixed "
                            f"a priori, see its module), got {sorted(options)}")

    def select(self, problem: Problem, outcomes: OutcomeMatrix,
               rng: np.random.Generator) -> Selection:
        passed = require_candidates(problem, outcomes)
        result = fit(passed)
        scores = result["logodds"]
        best = scores.max()
        tied = np.flatnonzero(scores >= best - 1e-9 * max(1.0, abs(best)))
        return pick_among(outcomes.task_id, scores, tied, rng, self.name,
                          right_tests=float(np.sum(result["test_right"] > 0.5)))


@hookimpl
def register_selectors(register):
    register("dawid-skene", DawidSkeneSelector)
