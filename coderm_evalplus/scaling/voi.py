"""Expected value of information of more tests, from a selector's own posterior.

Why: the jackknife change rate (``scaling.change_estimate``) asks "did the pick move when
the last tests arrived?", which cannot tell a problem whose pick moves because the right
behaviour is still being separated from a near-miss from one whose pick moves among
behaviours that are all wrong.  A selector with a probabilistic model (``b4``, and any
selector exposing ``posterior(problem, outcomes) -> (P(candidate i correct) per
candidate, P(no candidate correct))``) already knows the difference: mass spread over
two clusters is worth testing, mass on "nothing is correct" is not.

The value (knowledge-gradient style, per problem, labels never read)::

    V(k) = E[ acc_h(pick after k more tests) - acc_h(pick now) ]

``h`` is the hypothesis "behaviour cluster c is the correct one" (candidates with
identical pass-sets form a cluster; under every model here all correct candidates share
one pass-set), drawn from the posterior; ``acc_h(tie set)`` is the share of the tie in
cluster h (the tie-aware accuracy if h is true; 0 under "nothing correct", which
therefore adds nothing and is not simulated).  By the tower rule ``E[acc_h(pick')]`` is
the posterior correctness of the new pick after the k tests, so V is the expected gain in
the pick's posterior correctness.  It needs no posterior refit per simulation: the
selector is re-run on the matrix extended by k simulated columns and scored against the
sampled h.  Subtracting ``acc_h(pick now)`` under the *same* h is a control variate:
same expectation, no noise when the pick does not move.

Predictive of a new test under h = c: B4's model (a test is right or wrong, a correct
program passes exactly the right tests, a wrong one passes a right test at one rate and
a wrong test at another) with its priors, the posterior means given h:

* the test is right with probability ``(|T_c| + a) / (m + a + 1)`` (c's pass-set T_c
  are the right tests among the m seen; B4's ``Beta(alpha_xy, 1)`` prior: ``a`` =
  the model's ``alpha_xy``);
* a right test: c passes it; another cluster d passes it with probability
  ``(|T_d & T_c| + 1) / (|T_c| + 2)`` (how often d agreed with c on right tests - per
  behaviour where B4 pools: a wrong program is wrong on particular inputs);
* a wrong test: c fails it; d passes it with ``(|T_d - T_c| + 1) / (m - |T_c| + 1 + b)``
  (B4's ``Beta(1, beta_0)``: a wrong program rarely reproduces a wrong expected value;
  ``b`` = the model's ``beta_0``);
* a model without these attributes gets Laplace's rule (``a = b = 1``).  The priors must
  be the posterior's own: a predictive that lets wrong programs pass wrong tests more
  often than the posterior believes makes the selector's own later picks look worse
  than its current one (negative values, measured on a hand-made near tie);
* clusters are simulated whole and independently of each other given the test's
  correctness - except that a cluster holding several distinct programs may split: B4's
  model takes a pass-set cluster for one behaviour, which after 5 tests that everyone
  passes is exactly what is in doubt.  Per new test a cluster with >= 2 distinct
  programs splits with probability ``(s + 1) / (m + 2)`` (Laplace's rule of succession
  over the m tests seen, ``s`` of which split the cluster's lineage - the candidates that
  had agreed with it on every earlier test - see :func:`lineage_splits`); then each of its programs passes or fails on
  its own (even odds: nothing says which side a program falls on).  Under h = c a
  program of c that lands on the wrong side of a split (fails a right test or passes a
  wrong one) is not correct after all; ``acc_h`` counts the programs of c that stay
  correct over all simulated tests, for the new pick and the current one alike.

Cost: ``samples`` selector calls per lookahead (the longest lookahead's columns are
drawn once and its prefixes give the shorter ones: common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..model import OutcomeMatrix, Problem, Selection, Verdict

PosteriorFn = Callable[[Problem, OutcomeMatrix], tuple[np.ndarray, float]]
SelectFn = Callable[[Problem, OutcomeMatrix, np.random.Generator], Selection]


def posterior_of(selector: object) -> PosteriorFn | None:
    """The selector's ``posterior`` method, if it has one (a duck-typed capability)."""
    fn = getattr(selector, "posterior", None)
    return fn if callable(fn) else None


@dataclass(frozen=True)
class Belief:
    """A posterior over "which behaviour cluster is correct" for one problem."""

    ids: np.ndarray  # cluster of each candidate
    passes: np.ndarray  # clusters x tests, bool: each cluster's pass-set
    mass: np.ndarray  # P(cluster c is the correct behaviour)
    p_none: float  # P(no candidate is correct)
    right_prior: float = 1.0  # a of the tests' Beta(a, 1) prior (B4: alpha_xy)
    wrong_pass_prior: float = 1.0  # b of Beta(1, b), a wrong program on a wrong test

    def pick_correct(self, tied: Sequence[int] | np.ndarray) -> float:
        """Posterior probability that a uniform pick from ``tied`` is correct."""
        return float(self.mass[self.ids[np.asarray(tied, dtype=int)]].mean())

    def headroom(self, tied: Sequence[int] | np.ndarray) -> float:
        """An exact upper bound on V(k) for every k: no pick is correct with more than
        ``1 - p_none``, so no test can add more than that minus the current pick's."""
        return max(0.0, 1.0 - self.p_none - self.pick_correct(tied))


def model_priors(posterior: object) -> tuple[float, float]:
    """(a, b) of the predictive (module docstring) from the posterior's owner: its
    tests' prior ``alpha_y`` (B4: ``alpha_xy``, shared with the candidates') and
    ``beta_0`` when it has them, else 1 and 1."""
    owner = getattr(posterior, "__self__", posterior)
    tests = getattr(owner, "alpha_y", getattr(owner, "alpha_xy", 1.0))  # B4 shares one
    return float(tests), float(getattr(owner, "beta_0", 1.0))


def belief_of(passed: np.ndarray, p_candidates: np.ndarray, p_none: float,
              priors: tuple[float, float] = (1.0, 1.0)) -> Belief:
    """Group candidates into pass-set clusters and give each cluster the mean posterior
    of its members (for B4 every member already has the cluster's mass), normalised
    together with ``p_none`` (a selector whose candidate probabilities do not add up)."""
    passed = np.asarray(passed, dtype=bool)
    n, m = passed.shape
    p = np.clip(np.asarray(p_candidates, dtype=float), 0.0, 1.0)
    if len(p) != n:
        raise ValueError(f"posterior: {len(p)} probabilities for {n} candidates")
    if m == 0:
        ids, first = np.zeros(n, dtype=int), np.array([0])
    else:
        _, first, ids = np.unique(passed, axis=0, return_index=True, return_inverse=True)
        ids = ids.ravel()
    size = np.bincount(ids).astype(float)
    mass = np.bincount(ids, weights=p) / size
    none = min(1.0, max(0.0, float(p_none)))
    total = mass.sum()
    if total > 0:
        mass = mass / total * (1.0 - none)
    return Belief(ids=ids, passes=passed[first], mass=mass, p_none=none,
                  right_prior=priors[0], wrong_pass_prior=priors[1])


def predictive_rates(belief: Belief) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hypothesis c: P(new test right), and per other cluster d its pass rate on a
    right test (``[c, d]``) and on a wrong one (see the module docstring)."""
    p = belief.passes.astype(float)
    m = p.shape[1]
    t = p.sum(axis=1)
    both = p @ p.T  # [c, d]: tests both pass
    a, b = belief.right_prior, belief.wrong_pass_prior
    right = (t + a) / (m + a + 1.0)
    on_right = (both + 1.0) / (t[:, None] + 2.0)
    on_wrong = (t[None, :] - both + 1.0) / (m - t[:, None] + 1.0 + b)
    np.fill_diagonal(on_right, 1.0)
    np.fill_diagonal(on_wrong, 0.0)
    return right, on_right, on_wrong


def lineage_splits(passed: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Per cluster, how many of the revealed tests (in order) split its lineage: the
    candidates that agreed with the cluster on every earlier test were not unanimous on
    this one.  The problem's own evidence of how often a new test separates behaviours
    that looked alike."""
    passed = np.asarray(passed, dtype=bool)
    n, m = passed.shape
    n_clusters = int(ids.max()) + 1 if n else 0
    out = np.zeros(n_clusters)
    if m == 0:
        return out
    first = np.zeros(n_clusters, dtype=int)
    first[ids[::-1]] = np.arange(n)[::-1]
    for c in range(n_clusters):
        agree = passed == passed[first[c]][None, :]
        before = np.concatenate([np.ones((n, 1), bool),
                                 np.cumprod(agree, axis=1)[:, :-1].astype(bool)], axis=1)
        out[c] = float((before & ~agree).any(axis=0).sum())
    return out


def value_of_tests(problem: Problem, verdicts: np.ndarray, belief: Belief, select: SelectFn,
               tied: Sequence[int] | np.ndarray, lookaheads: Sequence[int], samples: int,
               rng: np.random.Generator, programs: np.ndarray | None = None,
               rows: np.ndarray | None = None) -> list[float]:
    """V(k) for every k in ``lookaheads`` (module docstring), by Monte Carlo over
    ``samples`` hypotheses drawn systematically from the posterior (each cluster gets
    its share of the draws, so a near-certain problem is not left to luck).

    ``programs``: one id per distinct program (``scaling.program_keys``; default: every
    candidate its own program) - what a cluster can split into.
    ``rows``: the candidates new tests would run on (contenders); the others get
    ``NOT_RUN`` in the simulated columns, as the allocator would give them.
    """
    k_max = max(lookaheads, default=0)
    alive_mass = 1.0 - belief.p_none
    if k_max <= 0 or alive_mass <= 0 or belief.mass.sum() <= 0:
        return [0.0 for _ in lookaheads]
    n = verdicts.shape[0]
    now = np.asarray(tied, dtype=int)
    right, on_right, on_wrong = predictive_rates(belief)
    cum = np.cumsum(belief.mass / belief.mass.sum())
    draws = np.searchsorted(cum, (np.arange(samples) + rng.random()) / samples,
                            side="right")
    draws = np.minimum(draws, len(cum) - 1)
    programs = np.arange(n) if programs is None else np.asarray(programs)
    _, programs = np.unique(programs, return_inverse=True)
    programs = programs.ravel()
    n_prog, n_clusters = int(programs.max()) + 1 if n else 0, len(cum)
    distinct = np.array([len(np.unique(programs[belief.ids == d])) for d in range(n_clusters)])
    m = verdicts.shape[1]
    splits = lineage_splits(verdicts == Verdict.PASS, belief.ids)
    hazard = np.repeat((np.where(distinct > 1, splits + 1.0, 0.0) / (m + 2.0))[:, None],
                       k_max, axis=1)
    gains = np.zeros(len(lookaheads))
    for c in draws:
        is_right = rng.random(k_max) < right[c]
        u = rng.random((n_clusters, k_max))
        passes = np.where(is_right[None, :], u < on_right[c][:, None],
                          u < on_wrong[c][:, None])
        passes[c] = is_right
        split = rng.random((n_clusters, k_max)) < hazard
        own = rng.random((n_prog, k_max)) < 0.5
        cand_split = split[belief.ids]
        outcome = np.where(cand_split, own[programs], passes[belief.ids])
        # the programs of c that stay correct: on every split column of c, the right side
        correct = (belief.ids == c) & ~(cand_split & (outcome != is_right[None, :])).any(axis=1)
        cols = np.where(outcome, Verdict.PASS, Verdict.FAIL).astype(np.int8)
        if rows is not None:
            out = np.ones(n, dtype=bool)
            out[rows] = False
            cols[out] = Verdict.NOT_RUN
        base = float(np.mean(correct[now]))
        for j, k in enumerate(lookaheads):
            if k <= 0:
                continue
            grown = np.concatenate([verdicts, cols[:, :k]], axis=1)
            sel = select(problem, OutcomeMatrix(problem.task_id, grown), rng)
            gains[j] += float(np.mean(correct[np.asarray(sel.tied, dtype=int)])) - base
    return [float(g) * alive_mass / samples for g in gains]
