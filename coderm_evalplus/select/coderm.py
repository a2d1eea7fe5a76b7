"""The CodeRM selection rule (Ma et al., 2025): majority vote with a consistency tie-break.

Score = number of tests a candidate passes.  Among the top scorers, the rule prefers the
candidates whose *pass-set* (the exact set of tests passed) is the most common among
those top scorers: two candidates that pass the same tests behave alike on everything
the tests probe, so a larger group of look-alikes is more likely to be the right
behaviour.  Whatever is still tied stays in ``Selection.tied`` (the tie-aware expected
accuracy is reported over it) and one member is picked with the seeded ``rng``.

Kept exactly as the paper defines it; the recommended selector for tests of unknown
quality is :mod:`coderm_evalplus.select.robust`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hookspecs import hookimpl
from ..model import OutcomeMatrix, Problem, Selection
from .base import pick_among


def require_candidates(problem: Problem, outcomes: OutcomeMatrix) -> np.ndarray:
    """The boolean pass matrix, or a clear error when there is nothing to select from.

    Zero candidates is a caller bug or an empty samples file (nothing can be picked);
    zero tests is legal: every rule then ties every candidate.
    """
    passed = np.asarray(outcomes.passed, dtype=bool)
    if passed.ndim != 2:
        raise ValueError(f"task {outcomes.task_id}: outcome matrix must be 2-D, "
                         f"got shape {passed.shape}")
    if passed.shape[0] == 0:
        raise ValueError(f"task {outcomes.task_id}: no candidates to select from")
    if problem.candidates and len(problem.candidates) != passed.shape[0]:
        raise ValueError(f"task {outcomes.task_id}: {len(problem.candidates)} candidates "
                         f"but the outcome matrix has {passed.shape[0]} rows")
    return passed


def pass_set_ids(passed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by identical pass-set: (group id per row, size of each group).

    Works with zero columns (every row then has the empty pass-set, one group).
    """
    if passed.shape[1] == 0:
        return np.zeros(passed.shape[0], dtype=int), np.array([passed.shape[0]])
    _, inverse, counts = np.unique(passed, axis=0, return_inverse=True, return_counts=True)
    return inverse.ravel(), counts


def coderm_tie(passed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, tied indices) of the CodeRM rule on a boolean pass matrix."""
    scores = passed.sum(axis=1)
    top = np.flatnonzero(scores == scores.max())
    ids, _ = pass_set_ids(passed[top])
    freq = np.bincount(ids)[ids]  # how many top scorers share each one's pass-set
    return scores, top[freq == freq.max()]


class CodeRMSelector:
    """Majority vote (tests passed) + most common pass-set among the top scorers."""

    name = "coderm"
    cluster_weighted = False  # scores are pass counts (dynamic scaling's pruning reads it)

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError(f"coderm selector takes no options, got {sorted(options)}")

    def select(self, problem: Problem, outcomes: OutcomeMatrix,
               rng: np.random.Generator) -> Selection:
        passed = require_candidates(problem, outcomes)
        scores, tied = coderm_tie(passed)
        return pick_among(outcomes.task_id, scores, tied, rng, self.name,
                          top_score=int(scores.max()), tests=int(passed.shape[1]))


@hookimpl
def register_selectors(register):
    register("coderm", CodeRMSelector)
