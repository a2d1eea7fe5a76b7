"""The allocator's knobs, in one frozen record that the report copies verbatim.

Why one record: a dynamic run's result depends on every knob, so the report must say
which were in force; keeping them in a dataclass (``asdict``) makes that automatic.
What each knob does is explained where it acts (:mod:`.allocator` for grants and stops,
:mod:`.contenders` for pruning, :mod:`.voi` for the value of information).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..model import OutcomeMatrix, Problem, Selection

PRUNE_RULES = ("none", "exact", "bound")
SelectFn = Callable[[Problem, OutcomeMatrix, np.random.Generator], Selection]
FitFn = Callable[[Sequence[Problem], Mapping[str, OutcomeMatrix]], None]


# the gains that rank (or stop) problems by the urn's change estimate (.bootstrap)
URN_GAINS = ("bootstrap", "balanced", "proportional")


@dataclass(frozen=True)
class ScalingPolicy:
    """Knobs of the allocator (recorded in the report)."""

    initial: int = 5  # tests every problem gets first
    batch: int = 5  # tests per greedy grant
    stop_threshold: float = 0.02  # stop when the estimated change of the pick is below
    min_tests: int = 10  # no probabilistic stop before this many tests
    resamples: int = 16  # jackknife subsets per estimate
    round_size: int = 1  # problems granted per round (>1 batches executor / generator calls)
    gain: str = "bootstrap"  # "bootstrap" (chance the pick changes under a Polya-urn
    # predictive over the revealed tests, see .bootstrap), "balanced" (that estimate only
    # stops a problem; the active ones get tests fewest-first), "proportional" (greedy on
    # it over the tests spent), "voi" (expected value of
    # information from the selector's posterior; "change" for selectors without one),
    # "change", "weighted" (change x difficulty), "difficulty", "uniform" (fewest tests
    # first: fixed-M growing in step)
    samples: int = 24  # "voi"/"bootstrap": Monte-Carlo draws per estimate
    lookahead: int = 4  # "voi"/"bootstrap": the longest lookahead, in batches (the stop's)
    value_threshold: float = 0.005  # "voi"/"bootstrap": stop when the lookahead's value
    # (or expected change) is below
    novelty: float = 2.0  # floor novelty / (k + 2) on the change estimate (0: none)
    prune: str = "none"  # candidate pruning: "none", "exact", "bound" (see .contenders)
    delta: float = 0.002  # "bound": error probability of one pruning decision
    prune_after: int = 10  # "bound": no probabilistic pruning before this many tests
    max_tests: int | None = None  # per-problem cap (None: the pool / generator cap)
    spend_all: bool = False  # when every problem has stopped early and budget is left,
    # resume them fewest-tests-first (a stop then only orders the spending)
    urn: str = "fixed"  # "bootstrap" family: the urn's novel weight and novel column -
    # "fixed" (alpha 1, fair coin per cluster), "ewens" (alpha estimated, coin),
    # "ewens-rate" (alpha estimated, each cluster at its pass rate)
    stop_horizon: str = "lookahead"  # the bootstrap family's stop reads the change over
    # "lookahead" batches, or over every test the "cap" (pool / max_tests) would still run
    resume: str = "fewest"  # spend_all's second phase: "fewest" tests first, or by the
    # urn "gain" (the bootstrap family; the stop then only marks where it settled)
    cost: str = "tests"  # greedy ranks gain per "tests" or per "pairs" (contenders)
    informative: bool = False  # the urn family: look ahead in *informative* tests (the
    # urn copies only revealed columns that split the candidates), priced at k / r
    # generated tests, r the problem's Laplace rate of informative tests (.bootstrap)
    floor: str = "none"  # "half": every other grant goes to the active problem with the
    # fewest tests (an any-time floor: about half of any budget is spread evenly)
    weight: str = "none"  # "posterior": the urn gain times 1 - P(no candidate correct)
    # from the selector's posterior (a change among wrong behaviours is worth nothing)

    def __post_init__(self) -> None:
        if self.initial < 1 or self.batch < 1 or self.round_size < 1:
            raise ValueError("scaling policy: initial, batch and round_size must be >= 1")
        if self.resamples < 1 or self.min_tests < 0 or self.stop_threshold < 0:
            raise ValueError("scaling policy: resamples >= 1, min_tests >= 0, "
                             "stop_threshold >= 0")
        if self.gain not in (*URN_GAINS, "voi", "weighted", "change", "difficulty",
                             "uniform"):
            raise ValueError(f"scaling policy: unknown gain {self.gain!r}")
        if self.prune not in PRUNE_RULES:
            raise ValueError(f"scaling policy: unknown prune rule {self.prune!r} "
                             f"(one of {', '.join(PRUNE_RULES)})")
        if self.urn not in ("fixed", "ewens", "ewens-rate", "ewens-split"):
            raise ValueError(f"scaling policy: unknown urn {self.urn!r}")
        if self.stop_horizon not in ("lookahead", "cap") or self.resume not in ("fewest",
                                                                                "gain"):
            raise ValueError("scaling policy: stop_horizon is lookahead or cap, resume "
                             "fewest or gain")
        if self.floor not in ("none", "half") or self.weight not in ("none", "posterior"):
            raise ValueError("scaling policy: floor is none or half, weight none or "
                             "posterior")
        if self.cost not in ("tests", "pairs"):
            raise ValueError(f"scaling policy: unknown cost {self.cost!r}")
        if not 0 < self.delta < 1 or self.prune_after < 1:
            raise ValueError("scaling policy: 0 < delta < 1 and prune_after >= 1")
        if self.samples < 1 or self.lookahead < 1 or self.value_threshold < 0:
            raise ValueError("scaling policy: samples >= 1, lookahead >= 1, "
                             "value_threshold >= 0")
        if self.max_tests is not None and self.max_tests < 1:
            raise ValueError("scaling policy: max_tests must be >= 1")
