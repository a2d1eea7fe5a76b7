"""``dawid-skene``: tests as noisy annotators of each behaviour's correctness; several
behaviours may be correct at once.

Why another model: B4 (and ``robust``) assume every correct sample passes exactly the
correct tests, so the correct samples form ONE pass-set cluster.  Real correct programs
split over several pass-sets (a timeout on one input, an edge case the prompt leaves
open, a test whose expected value is right for one reading of the prompt), and under the
one-cluster model the other correct clusters then count as wrong programs that pass
"wrong" tests - evidence against the right hypothesis.  This model drops the assumption,
in the spirit of Dawid & Skene (1979): items are the distinct behaviours (pass-sets),
annotators are the tests.

Model, one problem (behaviour b shared by ``w_b`` samples, test j, cell ``E_bj`` = pass):

* ``z_b`` in {0, 1}: behaviour b is correct, ``P(z_b = 1) = pi``, ``pi ~ Beta(1, 1)``;
  ``y_j`` in {0, 1}: test j is right, ``P(y_j = 1) = rho``, ``rho ~ Beta(1, 1)``.  Both
  uniform: best-of-N is used because the share of correct samples is unknown, and the
  share of right generated tests ranges from most to a quarter.
* a correct program passes a right test and fails a wrong one, except with probability
  ``eps`` each (the per-cell noise that lets correct programs differ);
  ``eps ~ Beta(2, 38)`` (about 1 cell in 20, weakly; this replaces B4's eps = 0).  It is
  the model's sensitivity: right tests are passed by correct programs with ``1 - eps``.
* a wrong program passes test j with a per-test false-pass rate: ``f_j ~ Beta(1, 1)`` if
  j is right (a wrong program can be right on any share of inputs: B4's prior) and
  ``f_j ~ Beta(1, BETA_WRONG)`` if j is wrong, ``BETA_WRONG = 19``: a wrong program
  reproduces a wrong expected value about 1 time in 20 a priori (it must share the test
  writer's mistake; B4's 1e4 .. 1e6 encode the same belief as a near-certainty, which
  its copy-counting likelihood needs and this one does not).  Per-test rates are the
  Dawid-Skene annotator reliabilities: a right test most wrong programs pass says little
  for the ones that pass it, a wrong test a popular mutant passes is recognised as such.
* the ``w_b`` samples of a behaviour are ``w_b`` rows of the matrix: each adds its cells'
  likelihood (so a behaviour's evidence, for or against, grows with its popularity, as
  in the vote and in B4), and each counts in the per-test pass rates.

Identifiability: the model is symmetric under swapping "correct" with "wrong" and
"right" with "wrong test" only up to its priors; ``eps`` small (a correct program agrees
with the right tests) and ``f_j`` of wrong tests small break it: the correct behaviours
are those that pass the tests the other correct behaviours pass and that the wrong ones
rarely pass together.

Inference (per problem, nothing pooled over the run): the rates ``f_j`` are integrated
out (Beta-Bernoulli), the latent ``z`` and ``y`` get mean-field Bernoulli posteriors
``q_b``, ``r_j`` and ``pi, rho, eps`` point estimates (variational EM; ``pi`` and ``rho``
at their posterior means so that no logit is infinite).  Behaviour b's update reads the
per-test pass counts of the wrong programs with b's own rows left out (the collapsed
conditional: how well the other wrong programs predict b's row - a leave-one-out
agreement).  The objective has several fixed points (which behaviours are correct), so
EM is started from every behaviour's hypothesis "b is the correct one and its pass-set
the right tests" (B4's hypotheses) and from the vote's, and the fixed point with the
highest objective is kept.  The pick is the behaviour with the largest posterior
log-odds of being correct (the Bayes decision for "pick a correct candidate").

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
from .mathutil import betaln

BETA_WRONG = 19.0  # f_j ~ Beta(1, BETA_WRONG) for a wrong test (see the module)
EPS_PRIOR = (2.0, 38.0)  # eps ~ Beta(2, 38): a correct program is off on ~1 cell in 20
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
    """One variational-EM fit: behaviours x tests pass matrix ``E`` (0/1 floats), sizes
    ``w``; state ``q`` (P correct per behaviour), ``r`` (P right per test), ``eps``."""

    def __init__(self, E: np.ndarray, w: np.ndarray, beta_wrong: float,
                 eps_prior: tuple[float, float]) -> None:
        self.E, self.w = E, w
        self.beta_wrong = beta_wrong
        self.eps_prior = eps_prior
        self.k_of = w[:, None] * E  # passes each behaviour contributes per test

    # -- pieces of the objective ------------------------------------------------
    def wrong_counts(self, q: np.ndarray) -> tuple[np.ndarray, float]:
        """Expected passes per test and rows of the wrong programs."""
        u = self.w * (1.0 - q)
        return u @ self.E, float(u.sum())

    def marginals(self, k: np.ndarray, n: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log P(wrong programs' cells of a test | right), (| wrong), f_j integrated."""
        b0 = self.beta_wrong
        right = betaln(k + 1.0, n - k + 1.0)
        wrong = betaln(k + 1.0, n - k + b0) - betaln(1.0, b0)
        return right, wrong

    def objective(self, q: np.ndarray, r: np.ndarray, eps: float) -> float:
        E, w = self.E, self.w
        pi = (float(w @ q) + 1.0) / (float(w.sum()) + 2.0)
        rho = (float(r.sum()) + 1.0) / (r.size + 2.0)
        le, l1e = np.log(eps), np.log1p(-eps)
        agree = E * r + (1.0 - E) * (1.0 - r)  # expected P(cell agrees with y)
        correct = float((w * q) @ (agree * l1e + (1.0 - agree) * le).sum(axis=1))
        k, n = self.wrong_counts(q)
        m1, m0 = self.marginals(k, n)
        a, b = self.eps_prior
        return (float(q.sum()) * np.log(pi) + float((1 - q).sum()) * np.log1p(-pi)
                + _entropy(q)
                + float(r.sum()) * np.log(rho) + float((1 - r).sum()) * np.log1p(-rho)
                + _entropy(r)
                + correct + float(r @ m1 + (1.0 - r) @ m0)
                + (a - 1.0) * le + (b - 1.0) * l1e)

    # -- updates ----------------------------------------------------------------
    def update_tests(self, q: np.ndarray, eps: float) -> np.ndarray:
        rho_logit = 0.0 if self.r is None else _logit(
            (float(self.r.sum()) + 1.0) / (self.r.size + 2.0))
        lo = np.log1p(-eps) - np.log(eps)
        votes = (self.w * q) @ (2.0 * self.E - 1.0)  # correct rows: pass +1, fail -1
        k, n = self.wrong_counts(q)
        m1, m0 = self.marginals(k, n)
        return _sigmoid(rho_logit + lo * votes + m1 - m0)

    def behaviour_logodds(self, q: np.ndarray, r: np.ndarray, eps: float) -> np.ndarray:
        """Per behaviour, log P(correct) / P(wrong) given the others' state."""
        E, w = self.E, self.w
        pi = (float(w @ q) + 1.0) / (float(w.sum()) + 2.0)
        le, l1e = np.log(eps), np.log1p(-eps)
        agree = E * r + (1.0 - E) * (1.0 - r)
        as_correct = w * (agree * l1e + (1.0 - agree) * le).sum(axis=1)
        # as a wrong program: the collapsed conditional of b's w_b rows given the other
        # wrong programs' (expected) counts, per test, under "right" and "wrong" test
        k, n = self.wrong_counts(q)
        k_o = k[None, :] - (w * (1.0 - q))[:, None] * E
        n_o = n - w * (1.0 - q)
        k_o = np.maximum(k_o, 0.0)
        n_o = np.maximum(n_o, 0.0)[:, None]
        kb = self.k_of
        m1_all, m0_all = self.marginals(k_o + kb, n_o + w[:, None])
        m1_o, m0_o = self.marginals(k_o, n_o)
        as_wrong = (r * (m1_all - m1_o) + (1.0 - r) * (m0_all - m0_o)).sum(axis=1)
        return _logit(pi) + as_correct - as_wrong

    def update_eps(self, q: np.ndarray, r: np.ndarray) -> float:
        agree = self.E * r + (1.0 - self.E) * (1.0 - r)
        off = float((self.w * q) @ (1.0 - agree).sum(axis=1))
        cells = float((self.w * q).sum()) * self.E.shape[1]
        a, b = self.eps_prior
        return (off + a - 1.0) / (cells + a + b - 2.0)

    def run(self, q: np.ndarray, r: np.ndarray) -> tuple[float, np.ndarray, np.ndarray,
                                                         float, np.ndarray]:
        """EM from (q, r); returns (objective, q, r, eps, log-odds of q)."""
        eps = self.update_eps(q, r)
        self.r = r
        prev = -np.inf
        for _ in range(ITERATIONS):
            q = _sigmoid(self.behaviour_logodds(q, r, eps))
            r = self.update_tests(q, eps)
            self.r = r
            eps = self.update_eps(q, r)
            value = self.objective(q, r, eps)
            if abs(value - prev) < TOL * max(1.0, abs(value)):
                break
            prev = value
        # final log-odds (the pick compares these: probabilities saturate at 1.0)
        logodds = self.behaviour_logodds(q, r, eps)
        return self.objective(q, r, eps), q, r, eps, logodds

    r: np.ndarray | None = None


def fit(passed: np.ndarray, beta_wrong: float = BETA_WRONG,
        eps_prior: tuple[float, float] = EPS_PRIOR) -> dict[str, Any]:
    """Fit the model to a candidates x tests boolean matrix; per candidate log-odds of
    being correct, per test P(right), and the fitted noise."""
    passed = np.asarray(passed, dtype=bool)
    n, m = passed.shape
    if m == 0:
        return {"logodds": np.zeros(n), "test_right": np.zeros(0), "eps": float("nan"),
                "objective": 0.0}
    rows, first, ids = np.unique(passed, axis=0, return_index=True, return_inverse=True)
    ids = ids.ravel()
    E = rows.astype(float)
    w = np.bincount(ids).astype(float)
    model = _Fit(E, w, beta_wrong, eps_prior)
    starts = [(np.eye(len(w))[b], E[b].copy()) for b in range(len(w))]
    votes = E.sum(axis=1)
    top = (votes == votes.max()).astype(float)
    starts.append((top, (w * top) @ E / float((w * top).sum()) > 0.5))
    best = None
    for q0, r0 in starts:
        q0 = np.clip(q0, 0.01, 0.99)
        r0 = np.clip(np.asarray(r0, dtype=float), 0.01, 0.99)
        model.r = None
        result = model.run(q0, r0)
        if best is None or result[0] > best[0] + 1e-9:
            best = result
    value, q, r, eps, logodds = best
    return {"logodds": logodds[ids], "test_right": r, "eps": eps, "objective": value,
            "behaviours": int(len(w))}


class DawidSkeneSelector:
    """Tests as noisy annotators; the behaviour most likely correct (see the module)."""

    name = "dawid-skene"
    cluster_weighted = True  # scores grow with the pass-set cluster (see scaling's pruning)

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
                          eps=result["eps"],
                          right_tests=float(np.sum(result["test_right"] > 0.5)))


@hookimpl
def register_selectors(register):
    register("dawid-skene", DawidSkeneSelector)
