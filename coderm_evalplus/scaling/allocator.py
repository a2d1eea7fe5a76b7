"""Spend a test budget where more tests can still change the pick.

The paper (Ma et al., 2025) observes that extra tests pay off mostly on hard problems and
allocates a budget greedily with a trained difficulty classifier.  We need no classifier:
after a small first batch of tests per problem the run already knows a lot about each
problem, and what matters for allocation is not "hard" in the abstract but *whether the
next tests can still move this problem's pick*.

Gain.  The default, ``gain="bootstrap"`` (:mod:`.bootstrap`), ranks problems, for every
selector, by the expected change of the tie set under a Polya-urn predictive over the
problem's revealed tests, as the best change per test over k in (``batch``,
``lookahead`` x ``batch``) - one batch may be too few to flip a pick that four would.
``gain="balanced"`` lets that estimate decide only when a problem *stops* and gives the
next batch to the active problem with the fewest tests: the estimate separates settled
picks from contested ones but not contested problems with a correct candidate from
hopeless contests (their estimates overlap on the CodeT slice), so a greedy on it can pour
tests into hopeless contests.  It was better on the CodeT slice's design half and not on
the held-out sets, where problems are solvable and concentrating helps - so it is an
option, not the default (docs/results.md).  Both read no posterior, so a confidently
wrong one cannot hide where tests would move the pick; their stop is "stable" with
``value_threshold`` (the change bounds the accuracy change, so the argument below holds
for it too; ``stop_horizon="cap"`` asks it about every test up to the cap instead of
the lookahead), and they have no "decided" stop of their own (no headroom bound).
``informative=True`` counts the lookahead in tests that split the candidates and prices
it at the generated tests needed to get them (:mod:`.bootstrap`); ``floor="half"`` gives
every other grant to the active problem with the fewest tests (half of any budget is
then spread evenly, whatever the estimate says); ``weight="posterior"`` multiplies the
urn gain by ``1 - P(no candidate correct)`` from the selector's posterior.  All three are
options, not the default (measured: docs/results.md).
``gain="voi"``: a selector exposing ``posterior`` (``b4``, ``robust``;
:func:`.voi.posterior_of`) is ranked by the expected value of information (:mod:`.voi`)
over the same lookaheads; a selector without one falls back to the jackknife change
estimate (:mod:`.estimate`).

Allocation.  Every problem first gets ``initial`` tests (at most a quarter of its pool
when the pool size is known; the same cap applies to ``batch``).  Then, greedily, the
``round_size`` active problems with the largest expected gain each get ``batch`` more,
until the budget (total tests over the run) is spent or no problem is active.

Stops.  A problem stops when
- its test pool is exhausted (or ``max_tests`` reached), or
- no remaining test can change its pick ("decided"): exact for a pass-count vote that is
  not ``cluster_weighted`` (:func:`.estimate.vote_locked`); for "voi", when the pick is
  one program and ``1 - P(none) - P(pick correct)`` (an upper bound on every value of
  more tests) is below ``value_threshold``; or
- "stable": after ``min_tests`` tests (at most half a known pool) the estimate is below
  its threshold (``value_threshold`` for "voi", ``stop_threshold`` for the change).
Why ``value_threshold = 0.005``: a stopped problem forgoes at most that much of *its*
expected accuracy (under the model) from its next tests, and the run's accuracy is the
mean over problems, so stopping costs the run at most 0.5 points in expectation however
many problems stop; chosen before any measurement.  Why ``stop_threshold = 0.02``:
``change`` bounds the expected accuracy change of the next batch, so a stopped problem
forgoes at most ~2 points of its own accuracy per batch in expectation; with the novelty
floor this needs k >= 98 tests without a recent move.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model import OutcomeMatrix, Problem, Selection, Verdict
from ..seeding import task_rng
from .bootstrap import change_of_tests, informative_rate
from .contenders import bound_contenders, exact_contenders
from .estimate import Difficulty, change_estimate, estimate_difficulty, program_keys, vote_locked
from .policy import URN_GAINS, FitFn, ScalingPolicy, SelectFn
from .sources import TestSource
from .voi import PosteriorFn, belief_of, model_priors, posterior_of, value_of_tests


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


def _horizon(policy: ScalingPolicy, remaining: int | None, tests: int) -> int | None:
    """How many more tests the problem can still get: the pool's rest, capped by
    ``max_tests`` (None when neither is known, e.g. a generator without a cap yet)."""
    cap = None if policy.max_tests is None else max(0, policy.max_tests - tests)
    if remaining is None:
        return cap
    return remaining if cap is None else min(remaining, cap)


def _prune(state: ProblemState, policy: ScalingPolicy, remaining: int | None,
           cluster_weighted: bool = True) -> None:
    """Mark candidates out of contention (see :mod:`.contenders`)."""
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
                        task_rng(seed, p.task_id, f"voi{v.shape[1]}"), state.programs, rows)
    state.value = (values[0], values[1])
    state.change = max(0.0, values[1])
    state.gain = max(0.0, max(val / k for val, k in zip(values, ks, strict=True))) \
        * policy.batch


def _bootstrap_change(state: ProblemState, select: SelectFn, policy: ScalingPolicy,
                      seed: int, horizon: int | None,
                      posterior: PosteriorFn | None = None) -> None:
    """The urn family ("bootstrap", "balanced", "proportional"): as
    :func:`_value_of_tests`, with the expected change of the tie set under the urn
    predictive over the revealed tests (:mod:`.bootstrap`, variant ``policy.urn``) in
    place of the posterior's value."""
    p, v = state.problem, state.verdicts
    assert state.selection is not None
    tied = np.asarray(state.selection.tied, dtype=int)
    ks = [policy.batch, policy.batch * policy.lookahead]
    # informative lookahead: k informative tests cost about k / r generated ones
    rate = informative_rate(v) if policy.informative else 1.0
    if horizon is not None:
        ks = [max(1, min(k, math.floor(rate * horizon))) for k in ks]
    if policy.stop_horizon == "cap" and horizon is not None \
            and math.floor(rate * horizon) > ks[-1]:
        ks.append(math.floor(rate * horizon))  # every test the cap would still run
    costs = [k / rate if horizon is None else max(1, min(k / rate, horizon)) for k in ks]
    rows = None if state.alive is None or state.alive.all() else np.flatnonzero(state.alive)
    values = change_of_tests(p, v, select, tied, ks, policy.samples,
                             task_rng(seed, p.task_id, f"urn{v.shape[1]}"), rows,
                             None if policy.urn.startswith("ewens") else 1.0,
                             policy.urn.split("-")[1] if "-" in policy.urn else "coin",
                             state.programs, policy.informative)
    state.value = (values[0], values[1])
    state.change = max(0.0, values[-1])
    state.gain = max(0.0, max(val / c for val, c in zip(values[:2], costs[:2], strict=True))) \
        * policy.batch
    if posterior is not None and policy.weight == "posterior":
        _, p_none = posterior(p, OutcomeMatrix(p.task_id, v))
        state.gain *= 1.0 - float(p_none)  # a change among wrong behaviours gains nothing


def _update(state: ProblemState, select: SelectFn, policy: ScalingPolicy, seed: int,
            remaining: int | None, cluster_weighted: bool = True,
            posterior: PosteriorFn | None = None) -> None:
    """Re-select and re-estimate one problem after new tests arrived."""
    p, v = state.problem, state.verdicts
    tid = p.task_id
    state.selection = select(p, OutcomeMatrix(tid, v), task_rng(seed, tid, f"select{v.shape[1]}"))
    _prune(state, policy, remaining, cluster_weighted)
    tied = np.asarray(state.selection.tied, dtype=int)
    passed = v == Verdict.PASS
    if state.difficulty is None:
        state.difficulty = estimate_difficulty(passed, tied)
    if state.resumed is not None:  # spend_all's second phase
        horizon = _horizon(policy, remaining, state.tests)
        if policy.resume == "gain" and policy.gain in URN_GAINS:
            _bootstrap_change(state, select, policy, seed, horizon)
        else:  # fewest tests first
            state.gain = 1.0 / (1 + state.tests)
        state.stopped = "exhausted" if remaining == 0 else "cap" if horizon == 0 else None
        return
    if policy.gain in URN_GAINS:
        _bootstrap_change(state, select, policy, seed, _horizon(policy, remaining, state.tests),
                          posterior)
        if policy.gain == "balanced":  # the estimate only stops; fewest tests first
            state.gain = 1.0 / (1 + state.tests)
        elif policy.gain == "proportional":  # water-filling: tests in proportion to it
            # (measured and not kept: docs/results.md)
            state.gain = state.gain / (state.tests + policy.batch)
        if policy.cost == "pairs":  # expected gain per execution, not per test
            state.gain /= max(1, state.contenders) / max(1, len(state.programs))
        _stop(state, policy, remaining, cluster_weighted, passed, value_rule=True)
        return
    if policy.gain == "voi" and posterior is not None:
        _value_of_tests(state, select, posterior, policy, seed,
                        _horizon(policy, remaining, state.tests))
        if policy.cost == "pairs":  # expected gain per execution, not per test
            state.gain /= max(1, state.contenders) / max(1, len(state.programs))
        _stop(state, policy, remaining, cluster_weighted, passed, value_rule=True)
        return
    state.change = max(change_estimate(p, v, select, tied, policy.batch, policy.resamples,
                                       task_rng(seed, tid, f"jackknife{v.shape[1]}")),
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
    rounds = 0
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
        if policy.floor == "half" and rounds % 2:  # the floor's turn: fewest tests first
            active.sort(key=lambda s: s.tests)
        else:
            active.sort(key=lambda s: -s.gain)  # stable: ties keep problem order
        rounds += 1
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
