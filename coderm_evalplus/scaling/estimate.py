"""What one problem's revealed pass matrix says about its pick (never its labels).

``change_estimate`` - the jackknife change rate.  Take random subsets holding all but the
last ``d = min(batch, k // 2)`` of the ``k`` revealed tests, run the run's own selector on
each, and average the Jaccard distance between that tie set and the tie set on all ``k``
tests.  It answers "how much did the pick move when the last few tests arrived?", which
under diminishing returns over-estimates how much the next batch will move it (safe for
stopping).  Why this quantity: a problem's tie-aware accuracy changes by at most the
Jaccard distance between its old and new tie sets (|acc(A) - acc(B)| <= 1 - J(A, B)), so
``change`` bounds the expected accuracy change of the next batch; it uses the selector
actually configured (coderm, codet, b4, robust, a plugin) and nothing else.
The jackknife cannot see a kind of test that has not shown up yet (after 5 tests that
every candidate fails alike it says 0), so the allocator floors it by a
rule-of-succession term, ``novelty / (k + 2)`` (Laplace: no change seen in k tests still
leaves ~1/(k+2) chance per test), which decays with evidence instead of trusting 5 tests.

``Difficulty`` - agreement features, reported and used to bucket problems (the paper's
quintile view): share of the largest pass-set cluster (agreement), vote margin between
the tie and the best other candidate (per test), normalised entropy of the pass-set
clusters and the spread of pass rates.  ``score`` averages (1 - agreement, 1 - margin,
entropy, spread): 0 when every candidate behaves alike, near 1 when they split into many
close groups.  How well it predicts where later tests help: docs/results.md.

``vote_locked`` - the exact stop for a pass-count vote: no remaining test can change it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..execute.runner import normalise_source
from ..model import OutcomeMatrix, Problem
from .policy import SelectFn


@dataclass(frozen=True)
class Difficulty:
    """Agreement features of one problem's revealed pass matrix; all in [0, 1]."""

    tests: int
    agreement: float  # share of candidates in the largest pass-set cluster
    margin: float  # (score of the tie - best score outside it) / tests; 1 when all tie
    entropy: float  # entropy of the pass-set clusters / log(candidates)
    spread: float  # 2 x std of the candidates' pass rates
    pass_sets: int  # number of distinct pass-sets
    score: float  # mean of (1 - agreement, 1 - margin, entropy, spread)


def estimate_difficulty(passed: np.ndarray, tied: Sequence[int] | np.ndarray) -> Difficulty:
    """The agreement features of a boolean candidates x tests matrix and a tie set."""
    n, k = passed.shape
    if n == 0:
        raise ValueError("estimate_difficulty: no candidates")
    if k == 0:
        return Difficulty(0, 1.0, 0.0, 0.0, 0.0, 1, 0.5)
    _, counts = np.unique(passed, axis=0, return_counts=True)
    agreement = float(counts.max() / n)
    probs = counts / n
    entropy = float(-(probs * np.log(probs)).sum() / math.log(n)) if n > 1 else 0.0
    scores = passed.sum(axis=1)
    in_tie = np.zeros(n, dtype=bool)
    in_tie[np.asarray(tied, dtype=int)] = True
    if in_tie.all():
        margin = 1.0
    else:
        margin = float((scores[in_tie].max() - scores[~in_tie].max()) / k)
        margin = min(1.0, max(0.0, margin))
    spread = float(min(1.0, 2.0 * np.std(scores / k)))
    score = (1 - agreement + 1 - margin + entropy + spread) / 4
    return Difficulty(k, agreement, margin, entropy, spread, int(len(counts)), float(score))


def _mask(tied: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[np.asarray(tied, dtype=int)] = True
    return m


def jaccard_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - |a & b| / |a | b| of two boolean masks (bounds the change of tie accuracy)."""
    union = np.count_nonzero(a | b)
    return 0.0 if union == 0 else 1.0 - np.count_nonzero(a & b) / union


def change_estimate(problem: Problem, verdicts: np.ndarray, select: SelectFn,
                    tied: np.ndarray, batch: int, resamples: int,
                    rng: np.random.Generator) -> float:
    """Jackknife change rate of the pick (module docstring); 1.0 below 2 tests."""
    n, k = verdicts.shape
    if k < 2:
        return 1.0
    drop = max(1, min(batch, k // 2))
    keep = k - drop
    full = _mask(tied, n)
    total = 0.0
    for _ in range(resamples):
        cols = np.sort(rng.choice(k, size=keep, replace=False))
        sel = select(problem, OutcomeMatrix(problem.task_id, verdicts[:, cols]), rng)
        total += jaccard_distance(_mask(sel.tied, n), full)
    return total / resamples


@functools.lru_cache(maxsize=1 << 16)
def _normalised(source: str) -> str:
    return normalise_source(source)


def program_keys(problem: Problem) -> np.ndarray:
    """One id per distinct candidate program (normalised source), for the exact stop
    and the pruning floors (copies of one program never split)."""
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(_normalised(c.source), len(ids))
                     for c in problem.candidates], dtype=np.int64)


def vote_locked(passed: np.ndarray, scores: Sequence[float], programs: np.ndarray,
                remaining: int | None) -> bool:
    """True when no remaining test can change a pass-count vote's pick.

    Applies only when the selector's scores are the pass counts (otherwise False).  The
    top-score group can neither gain a member (the best outsider trails by more than the
    tests left) nor split (its members are copies of one program).
    """
    if remaining is None or passed.shape[1] == 0:
        return False
    counts = passed.sum(axis=1)
    if len(scores) != len(counts) or not np.array_equal(np.asarray(scores, float), counts):
        return False
    top = counts.max()
    group = counts == top
    if len(np.unique(programs[group])) != 1:
        return False
    if group.all():
        return True
    return bool(top - counts[~group].max() > remaining)
