"""``robust``: the recommended selector - B4's latent-correctness posterior with an
uninformative prior on how many samples are correct; label-free, per problem, every
constant fixed a priori.

The model is :mod:`coderm_evalplus.select.b4`'s (Chen et al., ASE 2024): the correct
candidates form one pass-set cluster whose pass-set is the set of correct tests; a wrong
candidate passes a correct test at an unknown rate (uniform prior) and a wrong test at
a rate with a ``Beta(1, beta_0)`` prior; the share of correct tests has a
``Beta(alpha_y, 1)`` prior and the share of correct candidates a ``Beta(alpha_x, 1)``
prior.  The pick is the most probable cluster (the Bayes decision for "pick a correct
candidate": a candidate is correct exactly when its cluster is);
:meth:`RobustSelector.posterior` gives each candidate's probability of being correct and
the probability that none is (Laplace's method over the rates).

Constants, each fixed before looking at any set, with its reason:

* ``alpha_x = 1`` - a *uniform* prior on the share of correct samples.  Best-of-N is
  used precisely because that share is unknown and often small (10 % on the CodeT
  slice, 90 % on easy synthetic tasks); B4's ``alpha_xy = 1e3`` says "almost every
  sample is correct", which is false for the policies selection is for, and acts as a
  per-member bonus of about ``log(1e3 / (n - |S|))`` nats that lets a popular near-miss
  mutant beat the behaviour that passes every (good) test.
* ``alpha_y = 1e3`` and ``beta_0 = 1e4`` - B4's published values (its replication
  command: ``alpha_xy = 1e3``, ``beta_0`` in 1e4 .. 1e6, 1e4 first).  They are beliefs
  about the test generator: its tests are meant to be right (``alpha_y``), and a wrong
  program rarely reproduces a wrong expected value (``beta_0``: each pass of another
  candidate on a test the hypothesised cluster fails costs about ``log(beta_0 /
  cells)`` nats - the vote's evidence, weighed against agreement).
* nothing is pooled over the run: a problem's pick reads its own matrix only, so which
  unrelated tasks share a run cannot move it.  (The previous ``robust`` switched between
  vote and dual agreement on a run-level test-consistency statistic with a threshold
  and a pseudo-test count grid-searched on the benchmark sets; both are gone.)

How these were chosen (only part of the sets looked at, alternatives tried and why
they lost - among them fitting the priors by marginal likelihood, which the misspecified
model answers with "few programs are right"): docs/results.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hookspecs import hookimpl
from ..model import OutcomeMatrix, Problem, Selection
from .b4 import (
    ALPHA_XY,
    BETA_0,
    B4Selector,
    Clusters,
    b4_cluster_scores,
    clusters_of,
    none_log_evidence,
)
from .coderm import require_candidates

ALPHA_X = 1.0  # uniform prior on the share of correct samples (see the module)
ALPHA_Y = ALPHA_XY  # B4's published prior on the share of correct tests
BETA_0_ROBUST = BETA_0  # B4's published prior on wrong programs passing wrong tests


class RobustSelector(B4Selector):
    """The recommended selector: B4's posterior with a uniform prior on the share of
    correct samples (see the module for every constant)."""

    name = "robust"

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError("robust selector takes no options (its constants are fixed a "
                            f"priori; b4 takes beta_0 and alpha_xy), got {sorted(options)}")
        super().__init__(beta_0=BETA_0_ROBUST, alpha_xy=ALPHA_Y)
        self.alpha_x, self.alpha_y = ALPHA_X, ALPHA_Y

    def scores(self, problem: Problem, outcomes: OutcomeMatrix) -> tuple[Clusters, np.ndarray]:
        cl = clusters_of(require_candidates(problem, outcomes))
        return cl, b4_cluster_scores(cl, self.beta_0, self.alpha_x, self.alpha_y)

    def none_evidence(self, cl: Clusters) -> float:
        return none_log_evidence(cl, self.beta_0, self.alpha_x, self.alpha_y)

    def posterior(self, problem: Problem, outcomes: OutcomeMatrix
                  ) -> tuple[np.ndarray, float]:
        """(P(candidate i is correct) per candidate, P(no candidate is correct))."""
        return super().posterior(problem, outcomes)

    def select(self, problem: Problem, outcomes: OutcomeMatrix,
               rng: np.random.Generator) -> Selection:
        sel = super().select(problem, outcomes, rng)
        sel.selector = self.name
        sel.meta.update(alpha_x=self.alpha_x, alpha_y=self.alpha_y)
        sel.meta.pop("alpha_xy", None)
        return sel


@hookimpl
def register_selectors(register):
    register("robust", RobustSelector)
