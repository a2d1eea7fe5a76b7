"""What a selector is: a rule that picks one candidate per problem from its outcomes.

A selector never reads candidate labels (only ``oracle`` does, and says so).  Ties are
never broken silently: ``Selection.tied`` lists every candidate the rule cannot separate
and the pick among them is made with the seeded ``rng`` the pipeline passes in, so reports
can give the tie-aware expected accuracy and a run is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from ..model import OutcomeMatrix, Problem, Selection


class Selector(Protocol):
    name: str

    def select(self, problem: Problem, outcomes: OutcomeMatrix,
               rng: np.random.Generator) -> Selection:
        """Pick one candidate of ``problem`` given its outcome matrix."""
        ...


def fit_selector(selector: object, problems: Sequence[Problem],
                 matrices: Mapping[str, OutcomeMatrix]) -> None:
    """Let a selector look at the whole run before it selects, if it wants to.

    A selector may define ``fit(problems, matrices)`` to estimate run-level statistics
    (e.g. an empirical-Bayes prior pooled over the run; a plugin doing so should say what
    it pools, since a problem's pick then depends on the other tasks of the run).  The
    built-ins have no ``fit``: they are per-problem rules.
    """
    fit = getattr(selector, "fit", None)
    if callable(fit):
        fit(problems, matrices)


def pick_among(task_id: str, scores: np.ndarray, tied: np.ndarray, rng: np.random.Generator,
               selector: str, **meta: object) -> Selection:
    """Build a Selection: seeded uniform pick among ``tied`` (indices of candidates)."""
    tied_list = [int(i) for i in np.asarray(tied).ravel()]
    if not tied_list:
        tied_list = list(range(len(scores)))
    index = tied_list[int(rng.integers(len(tied_list)))] if len(tied_list) > 1 else tied_list[0]
    return Selection(task_id=task_id, index=index, tied=tied_list,
                     scores=[float(s) for s in scores], selector=selector, meta=dict(meta))
