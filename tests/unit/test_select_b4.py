"""B4 on small matrices whose hypotheses' counts are worked out by hand below."""

from __future__ import annotations

import math

import numpy as np
import pytest
from grouped_matrix import build

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem
from coderm_evalplus.plugins import get_selector
from coderm_evalplus.select.b4 import B4Selector
from coderm_evalplus.select.coderm import CodeRMSelector
from coderm_evalplus.select.codet import CodeTSelector


def betaln(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def b4_by_hand(n: int, m: int, size: int, t: int, k1: int, n1: int, k0: int, n0: int,
               beta_0: float = 1e4, alpha: float = 1e3) -> float:
    """The paper's log marginal likelihood for one hypothesis, from hand-counted cells."""
    return (betaln(size + alpha, n - size + 1) + betaln(t + alpha, m - t + 1)
            + betaln(k1 + 1, n1 - k1 + 1) + betaln(k0 + 1, n0 - k0 + beta_0))


def tied_labels(selector, problem, matrix, labels) -> float:
    sel = selector.select(problem, matrix, np.random.default_rng(0))
    return float(np.mean([labels[i] for i in sel.tied]))


def test_good_tests_b4_follows_the_vote_against_a_popular_mutant():
    # Every test right.  C (3 copies) passes all 8; mutant W (5 copies) passes 6; Z (2
    # copies) passes 2.  CodeT prefers W (5 x 6 > 3 x 8); the vote picks C.
    p, m, lab = build([(3, "11111111"), (5, "11111100"), (2, "11000000")])
    # hypothesis C: T = all 8; the 7 others pass 5*6 + 2*2 = 34 of 56 cells; no failed test
    c = b4_by_hand(10, 8, 3, 8, 34, 56, 0, 0)
    # hypothesis W: T = first 6; others C*3, Z*2 pass 3*6 + 2*2 = 22 of 30 there, and
    # C's 3 x 2 passes of the 10 cells on the 2 tests W fails
    w = b4_by_hand(10, 8, 5, 6, 22, 30, 6, 10)
    # hypothesis Z: T = first 2; the 8 others pass all 16 cells; on the other 6 tests
    # C passes 3 x 6, W 5 x 4: 38 of 48
    z = b4_by_hand(10, 8, 2, 2, 16, 16, 38, 48)
    assert c > w and c > z
    sel = B4Selector().select(p, m, np.random.default_rng(0))
    assert sel.tied == [0, 1, 2]
    assert np.isfinite(sel.scores[0])
    assert sel.scores[0] - sel.scores[3] == pytest.approx(c - w, rel=1e-9)
    assert sel.scores[0] - sel.scores[8] == pytest.approx(c - z, rel=1e-9)
    assert tied_labels(CodeTSelector(), p, m, lab) == 0.0
    assert tied_labels(CodeRMSelector(), p, m, lab) == 1.0


def test_noisy_tests_b4_dissents_from_the_vote_like_dual_agreement():
    # 5 valid tests, 10 wrong ones; C (6 copies) passes the 5 valid; the popular wrong W
    # (2 copies) passes 2 valid + 7 wrong = 9; stragglers S1 (3 wrong), S2 (1 valid).
    p, m, lab = build([(6, "11111" "0000000000"), (2, "11000" "1111111000"),
                       (1, "10000" "0000000111"), (1, "01100" "0000000000")])
    # hypothesis C: T = 5 valid; others W, W, S1, S2 pass 2*2 + 1 + 2 = 7 of 20 cells
    # there; on the 10 wrong tests W 2*7 + S1 3 = 17 of 40
    c = b4_by_hand(10, 15, 6, 5, 7, 20, 17, 40)
    # hypothesis W: T = v1 v2 w1..w7 (9); others C*6, S1, S2 pass 6*2 + 1 + 1 = 14 of 72;
    # on the 6 tests W fails C passes 3 each (18), S1 3, S2 1: 22 of 48
    w = b4_by_hand(10, 15, 2, 9, 14, 72, 22, 48)
    assert c > w
    sel = B4Selector().select(p, m, np.random.default_rng(0))
    assert sel.tied == [0, 1, 2, 3, 4, 5]
    assert sel.scores[0] - sel.scores[6] == pytest.approx(c - w, rel=1e-9)
    assert tied_labels(CodeRMSelector(), p, m, lab) == 0.0
    assert tied_labels(CodeTSelector(), p, m, lab) == 1.0


def test_beta_0_moves_the_pick_between_the_regimes():
    # A big cluster B (5 copies) passes 3 tests; a lone A passes 6, and the 3 tests B
    # fails are passed by A only.  beta_0 = 1 (wrong tests as easy to pass as right ones)
    # lets cluster size win; a large beta_0 makes "B is correct" pay for A passing three
    # tests that would then be wrong, and A wins.
    p, m, _ = build([(1, "111111"), (5, "111000")])
    # hyp A: others (5 B rows) pass 3 of A's 6 tests each: k1 = 15 of 30; nothing failed
    # hyp B: others (A) pass B's 3 tests (3 of 3) and the 3 B fails (3 of 3)
    for beta_0 in (1.0, 1e4, 1e6):
        a = b4_by_hand(6, 6, 1, 6, 15, 30, 0, 0, beta_0)
        b = b4_by_hand(6, 6, 5, 3, 3, 3, 3, 3, beta_0)
        sel = B4Selector(beta_0=beta_0).select(p, m, np.random.default_rng(0))
        assert sel.tied == ([0] if a > b else [1, 2, 3, 4, 5])
    assert b4_by_hand(6, 6, 1, 6, 15, 30, 0, 0, 1e6) > b4_by_hand(6, 6, 5, 3, 3, 3, 3, 3, 1e6)
    assert b4_by_hand(6, 6, 1, 6, 15, 30, 0, 0, 1.0) < b4_by_hand(6, 6, 5, 3, 3, 3, 3, 3, 1.0)


def test_posterior_is_a_distribution_and_log_space_survives_big_matrices():
    rng = np.random.default_rng(3)
    v = np.where(rng.random((200, 300)) < 0.5, 0, 1).astype(np.int8)
    v[:50] = np.where(np.arange(300) < 240, 0, 1)
    n = v.shape[0]
    p = Problem("B/0", candidates=[Candidate(i, "x") for i in range(n)])
    om = OutcomeMatrix("B/0", v)
    sel = B4Selector()
    pick = sel.select(p, om, np.random.default_rng(0))
    assert np.all(np.isfinite(pick.scores)) and pick.tied == list(range(50))
    probs, none = sel.posterior(p, om)
    assert probs.shape == (n,) and 0.0 <= none <= 1.0
    # members of one cluster share one probability; clusters + none sum to one
    from coderm_evalplus.select.b4 import clusters_of
    cl = clusters_of(om.passed)
    per_cluster = np.array([probs[cl.ids == c][0] for c in range(cl.size.size)])
    assert per_cluster.sum() + none == pytest.approx(1.0)
    assert probs[0] > 0.99


def test_options_and_registration():
    assert get_selector("b4", beta_0=1e5).beta_0 == 1e5
    assert get_selector("codet-sqrt").size_power == 0.5
    with pytest.raises(TypeError):
        get_selector("b4", bogus=1)
    with pytest.raises(ValueError):
        B4Selector(beta_0=0)
    with pytest.raises(ValueError, match="no candidates"):
        B4Selector().select(Problem("T/2"), OutcomeMatrix("T/2", np.zeros((0, 2), np.int8)),
                            np.random.default_rng(0))
    p0 = Problem("T/1", candidates=[Candidate(i, "x") for i in range(3)])
    m0 = OutcomeMatrix("T/1", np.zeros((3, 0), dtype=np.int8))
    assert B4Selector().select(p0, m0, np.random.default_rng(0)).tied == [0, 1, 2]
