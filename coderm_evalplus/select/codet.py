"""CodeT dual agreement (Chen et al., 2022).

Candidates are clustered by identical pass-set (the exact set of tests they pass).  A
cluster's score is ``|S| ** size_power * |T|``: S its candidates (duplicates of a sample
count, as in CodeT where every sample is a row), T the tests its pass-set contains.  The
pick comes from the best cluster; when several clusters tie on the best score, the union
of those clusters is the tie.  ``size_power=1`` is the paper's |S| x |T| (the default);
``size_power=0.5`` is the sqrt(|S|) x |T| variant that DESIGN.md section 6 measures.

Unlike the plain vote, agreement among *candidates* is rewarded: a wrong behaviour that
passes many (wrong) tests but is shared by few samples loses to a popular behaviour.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hookspecs import hookimpl
from ..model import OutcomeMatrix, Problem, Selection
from .base import pick_among
from .coderm import pass_set_ids, require_candidates


def codet_tie(passed: np.ndarray, size_power: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(per-candidate cluster score, tied indices) of dual agreement."""
    ids, sizes = pass_set_ids(passed)
    n_tests = passed.sum(axis=1)  # constant within a cluster
    scores = sizes[ids].astype(float) ** size_power * n_tests
    best = scores.max()
    # exact arithmetic for the default power; isclose for fractional powers
    tied = np.flatnonzero(np.isclose(scores, best, rtol=1e-12, atol=0.0)) if best > 0 \
        else np.flatnonzero(scores == best)
    return scores, tied


class CodeTSelector:
    """Dual agreement: best |S|^p x |T| cluster of identical pass-sets."""

    name = "codet"
    cluster_weighted = True  # scores grow with the pass-set cluster (see scaling's pruning)

    def __init__(self, size_power: float = 1.0, **options: Any) -> None:
        if options:
            raise TypeError(f"codet selector options: size_power; got {sorted(options)}")
        self.size_power = float(size_power)
        if not self.size_power > 0:
            raise ValueError(f"codet size_power must be > 0, got {size_power}")

    def select(self, problem: Problem, outcomes: OutcomeMatrix,
               rng: np.random.Generator) -> Selection:
        passed = require_candidates(problem, outcomes)
        scores, tied = codet_tie(passed, self.size_power)
        return pick_among(outcomes.task_id, scores, tied, rng, self.name,
                          size_power=self.size_power, tests=int(passed.shape[1]))


class CodeTSqrtSelector(CodeTSelector):
    """sqrt(|S|) x |T|: the cluster-size damped variant (B4's and DESIGN.md's baseline)."""

    name = "codet-sqrt"

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError(f"codet-sqrt selector takes no options, got {sorted(options)}")
        super().__init__(size_power=0.5)


@hookimpl
def register_selectors(register):
    register("codet", CodeTSelector)
    register("codet-sqrt", CodeTSqrtSelector)
