"""The recommended selector: B4's posterior at the published priors, per problem only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from grouped_matrix import build

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem
from coderm_evalplus.select.b4 import B4Selector
from coderm_evalplus.select.coderm import CodeRMSelector
from coderm_evalplus.select.codet import CodeTSelector
from coderm_evalplus.select.robust import RobustSelector


def accuracy(selector, problem, matrix, labels) -> float:
    sel = selector.select(problem, matrix, np.random.default_rng(0))
    return float(np.mean([labels[i] for i in sel.tied]))


def test_noisy_tests_robust_dissents_from_the_vote():
    # 5 valid tests and 10 wrong ones; the popular wrong behaviour passes 2 valid + 7
    # wrong = 9, the correct one (6 copies) the 5 valid: the vote is fooled, robust is not
    p, m, lab = build([(6, "11111" "0000000000"), (2, "11000" "1111111000"),
                       (1, "10000" "0000000111"), (1, "01100" "0000000000")])
    assert accuracy(CodeRMSelector(), p, m, lab) == 0.0
    assert accuracy(RobustSelector(), p, m, lab) == 1.0


def test_good_tests_robust_follows_the_vote_where_dual_agreement_fails():
    p, m, lab = build([(3, "11111111"), (5, "11111100"), (2, "11000000")])
    assert accuracy(CodeTSelector(), p, m, lab) == 0.0
    assert accuracy(CodeRMSelector(), p, m, lab) == 1.0
    assert accuracy(RobustSelector(), p, m, lab) == 1.0


def betaln(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def robust_by_hand(n: int, m: int, size: int, t: int, k1: int, n1: int, k0: int, n0: int
                   ) -> float:
    """B4's evidence with a uniform prior on the share of correct samples (alpha_x = 1),
    alpha_y = 1e3, beta_0 = 1e4, from hand-counted cells (shared constants dropped)."""
    return (betaln(size + 1, n - size + 1) + betaln(t + 1e3, m - t + 1)
            + betaln(k1 + 1, n1 - k1 + 1) + betaln(k0 + 1, n0 - k0 + 1e4))


def test_a_uniform_prior_on_correct_samples_keeps_a_popular_mutant_out():
    # Good tests.  C (2 copies) passes all 8, mutant W (6 copies) 6, Z (2 copies) 2.
    # B4's alpha_xy = 1e3 rewards W's 4 extra members more than C's 2 extra tests and W
    # wins; with alpha_x = 1 the members earn nothing a priori and C wins, as the vote.
    p, m, lab = build([(2, "11111111"), (6, "11111100"), (2, "11000000")])
    c = robust_by_hand(10, 8, 2, 8, 40, 64, 0, 0)  # others: 6*6 + 2*2 of 8 x 8 cells
    w = robust_by_hand(10, 8, 6, 6, 16, 24, 4, 8)  # C, Z: 2*6 + 2*2 of 4 x 6; C 2 x 2
    assert c > w
    sel = RobustSelector().select(p, m, np.random.default_rng(0))
    assert sel.tied == [0, 1]
    assert sel.scores[0] - sel.scores[2] == pytest.approx(c - w, rel=1e-9)
    assert accuracy(B4Selector(), p, m, lab) == 0.0
    assert accuracy(CodeRMSelector(), p, m, lab) == 1.0
    probs, none = RobustSelector().posterior(p, m)
    assert probs.shape == (10,) and 0.0 <= none <= 1.0
    assert probs[0] == probs[1] > 0.5


def test_a_pick_does_not_depend_on_the_other_tasks_of_the_run():
    from coderm_evalplus.pipeline import select_all

    small = [(2, "10"), (6, "11"), (2, "01")]
    noisy = {f"N/{i}": [(3, "1100"), (3, "0011")] for i in range(6)}
    clean = {f"C/{i}": [(3, "1111"), (3, "1100")] for i in range(6)}
    picks = []
    for others in ({}, noisy, clean):
        problems, matrices = [], {}
        for tid, groups in {"small": small, **others}.items():
            p, m, _ = build(groups, tid)
            problems.append(p)
            matrices[tid] = m
        out = select_all(problems, matrices, ["robust"], seed=0)
        picks.append(out["robust"]["small"].tied)
    assert picks[0] == picks[1] == picks[2]


def test_ties_are_reported_and_seeded():
    p, m, _ = build([(2, "1100"), (2, "0011")])  # symmetric: both clusters tie
    picks = [RobustSelector().select(p, m, np.random.default_rng(s)) for s in range(20)]
    assert all(s.tied == [0, 1, 2, 3] for s in picks)
    assert len({s.index for s in picks}) > 1
    again = [RobustSelector().select(p, m, np.random.default_rng(s)).index for s in range(20)]
    assert again == [s.index for s in picks]


def test_zero_candidates_zero_tests_and_options():
    with pytest.raises(ValueError, match="no candidates"):
        RobustSelector().select(Problem("T/2"), OutcomeMatrix("T/2", np.zeros((0, 2), np.int8)),
                                np.random.default_rng(0))
    with pytest.raises(TypeError):
        RobustSelector(threshold=0.7)
    p0 = Problem("T/1", candidates=[Candidate(i, "x") for i in range(3)])
    m0 = OutcomeMatrix("T/1", np.zeros((3, 0), dtype=np.int8))
    assert RobustSelector().select(p0, m0, np.random.default_rng(0)).tied == [0, 1, 2]
