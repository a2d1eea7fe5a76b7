"""Dynamic test scaling: spend a test budget where more tests can still change the pick.

One module per concern: :mod:`.policy` (the knobs), :mod:`.estimate` (what a problem's
revealed matrix says), :mod:`.bootstrap` (the default allocation estimate: the chance
more tests change the pick, from the revealed tests), :mod:`.voi` (value of information
from a selector's posterior), :mod:`.contenders` (candidate pruning), :mod:`.sources`
(where tests come from),
:mod:`.allocator` (grants and stops), :mod:`.report` (the report section) and
:mod:`.driver` (the ``dynamic`` scaling mode the pipeline finds through the
``register_scaling_modes`` hook).  Measured results: docs/results.md.
"""

from .allocator import Allocation, ProblemState, allocate
from .contenders import bound_contenders, exact_contenders, kl_bound
from .driver import run_dynamic
from .estimate import (
    Difficulty,
    change_estimate,
    estimate_difficulty,
    jaccard_distance,
    program_keys,
    vote_locked,
)
from .policy import PRUNE_RULES, FitFn, ScalingPolicy, SelectFn
from .report import best_allocation, difficulty_buckets, scaling_report, tie_accuracy
from .sources import GeneratorSource, MatrixSource, ReplaySource, TestSource

__all__ = [
    "PRUNE_RULES", "Allocation", "Difficulty", "FitFn", "GeneratorSource", "MatrixSource",
    "ProblemState", "ReplaySource", "ScalingPolicy", "SelectFn", "TestSource", "allocate",
    "best_allocation", "bound_contenders", "change_estimate", "difficulty_buckets",
    "estimate_difficulty", "exact_contenders", "jaccard_distance", "kl_bound",
    "program_keys", "run_dynamic", "scaling_report", "tie_accuracy", "vote_locked",
]
