"""``b4``: the Bayesian selector of Chen et al. (ASE 2024, "B4: Towards Optimal Assessment
of Plausible Code Solutions with Plausible Tests"), written from the paper's derivation.

The model (one problem, candidates x tests pass matrix E):

* each candidate i is correct or not (``x_i``), each test j is correct or not (``y_j``);
* a correct program passes exactly the correct tests.  So all correct candidates share
  one pass-set, and a hypothesis "x is the set of correct candidates" is one *cluster*
  of identical pass-sets ``S`` together with its pass-set ``T`` as the correct tests
  (B4 only ranks non-empty clusters; ``posterior`` adds "nothing is correct");
* ``P(x_i = 1) = theta_x ~ Beta(alpha_xy, 1)`` and ``P(y_j = 1) = theta_y ~
  Beta(alpha_xy, 1)``: a priori most candidates and most tests are right (B4's
  ``alpha_xy = 1e3``);
* a wrong candidate passes a correct test with ``theta_1 ~ Beta(1, 1)`` (anything goes:
  a wrong program can be right on many inputs) and a *wrong* test with ``theta_0 ~
  Beta(1, beta_0)``: a wrong program rarely reproduces a wrong expected value (B4's
  published range is 1e4 .. 1e6; the default is its first value, 1e4).  This
  implementation reproduces DESIGN.md section 6's figures for the README's CodeT example
  (tie-aware 23.46 / 21.32 / 20.57 % at beta_0 1e4 / 1e5 / 1e6, alpha_xy 1e3).

Integrating the four rates out (Beta-Bernoulli conjugacy) gives the log marginal
likelihood of cluster ``S`` with pass-set ``T`` (n candidates, m tests; ``k1`` passes
of the other candidates on T out of ``n1 = (n - |S|) |T|`` cells, ``k0`` passes on the
tests outside T out of ``n0 = (n - |S|)(m - |T|)``)::

    log B(|S| + a, n - |S| + 1) + log B(|T| + a, m - |T| + 1)
      + log B(k1 + 1, n1 - k1 + 1) + log B(k0 + 1, n0 - k0 + beta_0)

(plus the priors' normalisers, shared by every hypothesis).  The pick is the cluster with the
largest score; scores are log-probabilities (the raw probabilities under- and overflow
on 100 x 100 matrices).  Every pass of another candidate on a test the hypothesised
cluster fails costs about ``log(beta_0 / cells)``: with good tests the right behaviour
fails few tests that others pass, so B4 mostly follows the vote (the ``alpha_xy`` size
bonus below can still hand the pick to a popular mutant); with noisy tests a behaviour
that passes many tests but whose failed tests are passed by many others (it disagrees
with the crowd) loses to one the others agree with, as in dual agreement.  The
``alpha_xy`` terms add about ``log(alpha_xy / (n - |S|))`` per member and per passed
test: bigger clusters and more passed tests are preferred.

Cells a dynamic-scaling run left out (``Verdict.NOT_RUN``) count as failed, as in every
other built-in selector: dynamic scaling leaves out only candidates that can no longer
win, and leaving their cells out of one hypothesis' counts would make hypotheses with
fewer observed cells look *more* likely (less data to explain).

Options: ``beta_0``, ``alpha_xy`` (constructor keywords; the CLI has no per-selector
options, so set them with ``plugins.get_selector("b4", beta_0=1e5)`` or register a
variant from a plugin: ``register("b4-1e5", functools.partial(B4Selector, beta_0=1e5))``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..hookspecs import hookimpl
from ..model import OutcomeMatrix, Problem, Selection
from .base import pick_among
from .coderm import require_candidates
from .mathutil import betaln, laplace_log_integral, logsumexp

BETA_0 = 1e4
ALPHA_XY = 1e3


@dataclass
class Clusters:
    """Candidates grouped by identical pass-set, with the counts the models read.

    ``ids[i]``: cluster of candidate i; per cluster c: ``size``, ``passes`` (its
    pass-set, bool over tests).  ``col_pass``: per test, how many candidates pass it.
    """

    ids: np.ndarray
    size: np.ndarray
    passes: np.ndarray
    col_pass: np.ndarray

    @property
    def n(self) -> int:
        return int(self.ids.size)

    @property
    def m(self) -> int:
        return int(self.col_pass.size)

    def other_counts(self) -> tuple[np.ndarray, ...]:
        """Per cluster c, the cells of the *other* candidates: (passes on c's pass-set,
        cells there, passes on the tests c fails, cells there, |T| = tests c passes)."""
        p = self.passes.astype(float)
        t = p.sum(axis=1)
        others = self.n - self.size
        k1 = p @ self.col_pass - self.size * t
        k0 = (1.0 - p) @ self.col_pass
        return k1, others * t, k0, others * (self.m - t), t


def clusters_of(passed: np.ndarray) -> Clusters:
    """Group candidates by identical pass-set."""
    passed = np.asarray(passed, dtype=bool)
    n, m = passed.shape
    if m == 0:
        ids, first = np.zeros(n, dtype=int), np.array([0])
    else:
        _, first, ids = np.unique(passed, axis=0, return_index=True, return_inverse=True)
        ids = ids.ravel()
    return Clusters(ids=ids, size=np.bincount(ids).astype(float), passes=passed[first],
                    col_pass=passed.sum(axis=0).astype(float))


def b4_cluster_scores(cl: Clusters, beta_0: float = BETA_0, alpha_x: float = ALPHA_XY,
                      alpha_y: float | None = None) -> np.ndarray:
    """Log marginal likelihood of "cluster c is the correct behaviour and its pass-set
    the correct tests", per cluster (the full evidence, prior normalisers included, so
    it compares with :func:`none_log_evidence`).  ``alpha_y`` defaults to ``alpha_x``
    (B4 ties them as ``alpha_xy``)."""
    alpha_y = alpha_x if alpha_y is None else alpha_y
    k1, n1, k0, n0, t = cl.other_counts()
    n, m = cl.n, cl.m
    return (betaln(cl.size + alpha_x, n - cl.size + 1.0) - betaln(alpha_x, 1.0)
            + betaln(t + alpha_y, m - t + 1.0) - betaln(alpha_y, 1.0)
            + betaln(k1 + 1.0, n1 - k1 + 1.0)
            + betaln(k0 + 1.0, n0 - k0 + beta_0) - betaln(1.0, beta_0))


def none_log_evidence(cl: Clusters, beta_0: float = BETA_0, alpha_x: float = ALPHA_XY,
                      alpha_y: float | None = None) -> float:
    """Log marginal likelihood of "no candidate is correct" under the same priors.

    Then the tests' correctness is free; given the three rates the columns are
    independent (a column is a correct test passed at theta_1 or a wrong one passed at
    theta_0), so the evidence is a 3-D integral over (theta_y, theta_1, theta_0) of a
    product of per-column mixtures, done by Laplace's method in logit coordinates (the
    integrand is sharply peaked: it is a likelihood over every cell).
    """
    alpha_y = alpha_x if alpha_y is None else alpha_y
    c = cl.col_pass
    n = cl.n
    # all n candidates wrong, theta_x integrated: B(alpha_x, n + 1) / B(alpha_x, 1)
    x_part = float(betaln(alpha_x, n + 1.0) - betaln(alpha_x, 1.0))
    prior_a = np.array([alpha_y, 1.0, 1.0])
    prior_b = np.array([1.0, 1.0, beta_0])
    prior_norm = float(betaln(prior_a, prior_b).sum())

    def log_joint(z: np.ndarray) -> float:
        log_t = -np.logaddexp(0.0, -z)  # log sigmoid
        log_1mt = -np.logaddexp(0.0, z)
        ty, t1, t0 = log_t
        uy, u1, u0 = log_1mt
        col = np.logaddexp(ty + c * t1 + (n - c) * u1, uy + c * t0 + (n - c) * u0)
        # Beta priors in logit space include the Jacobian t (1 - t)
        return float(col.sum()) + float((prior_a * log_t + prior_b * log_1mt).sum()) \
            - prior_norm

    start = np.array([np.log(alpha_y), 0.0, -np.log(beta_0)])
    return x_part + laplace_log_integral(log_joint, start)


def cluster_posterior_to_candidates(cl: Clusters, log_scores: np.ndarray,
                                    log_none: float | None) -> tuple[np.ndarray, float]:
    """Normalise hypothesis log-scores: (per-candidate P(correct), P(none correct)).

    A candidate is correct exactly when its cluster is the correct one, so its
    probability is its cluster's posterior mass.
    """
    logs = log_scores if log_none is None else np.append(log_scores, log_none)
    post = np.exp(logs - logsumexp(logs))
    p_none = float(post[-1]) if log_none is not None else 0.0
    return post[: len(log_scores)][cl.ids], p_none


class B4Selector:
    """B4: the most probable correct cluster under Beta priors (see the module)."""

    name = "b4"
    cluster_weighted = True  # scores grow with the pass-set cluster (see scaling's pruning)

    def __init__(self, beta_0: float = BETA_0, alpha_xy: float = ALPHA_XY,
                 **options: Any) -> None:
        if options:
            raise TypeError(f"b4 selector options: beta_0, alpha_xy; got {sorted(options)}")
        self.beta_0, self.alpha_xy = float(beta_0), float(alpha_xy)
        if not (self.beta_0 > 0 and self.alpha_xy > 0):
            raise ValueError(f"b4 beta_0 and alpha_xy must be > 0, got {beta_0}, {alpha_xy}")

    def scores(self, problem: Problem, outcomes: OutcomeMatrix) -> tuple[Clusters, np.ndarray]:
        cl = clusters_of(require_candidates(problem, outcomes))
        return cl, b4_cluster_scores(cl, self.beta_0, self.alpha_xy)

    def none_evidence(self, cl: Clusters) -> float:
        return none_log_evidence(cl, self.beta_0, self.alpha_xy)

    def posterior(self, problem: Problem, outcomes: OutcomeMatrix
                  ) -> tuple[np.ndarray, float]:
        """(P(candidate i is correct) per candidate, P(no candidate is correct))."""
        cl, logs = self.scores(problem, outcomes)
        return cluster_posterior_to_candidates(cl, logs, self.none_evidence(cl))

    def select(self, problem: Problem, outcomes: OutcomeMatrix,
               rng: np.random.Generator) -> Selection:
        cl, logs = self.scores(problem, outcomes)
        per = logs[cl.ids]
        tied = np.flatnonzero(per >= per.max() - 1e-9 * max(1.0, abs(per.max())))
        return pick_among(outcomes.task_id, per, tied, rng, self.name,
                          beta_0=self.beta_0, alpha_xy=self.alpha_xy,
                          clusters=int(cl.size.size))


@hookimpl
def register_selectors(register):
    register("b4", B4Selector)
