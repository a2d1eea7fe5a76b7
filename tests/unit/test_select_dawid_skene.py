"""dawid-skene: behaviours x tests latent classes, per-test rates integrated out."""

from __future__ import annotations

import math

import numpy as np
from grouped_matrix import build

from coderm_evalplus import plugins
from coderm_evalplus.model import OutcomeMatrix, Problem
from coderm_evalplus.select import dawid_skene as ds
from coderm_evalplus.select.coderm import CodeRMSelector
from coderm_evalplus.select.codet import CodeTSelector
from coderm_evalplus.select.dawid_skene import DawidSkeneSelector


def accuracy(selector, problem, matrix, labels) -> float:
    sel = selector.select(problem, matrix, np.random.default_rng(0))
    return float(np.mean([labels[i] for i in sel.tied]))


def test_noisy_asserts_agreement_like_pick():
    # 5 valid tests, 10 wrong ones each passed by one-off wrong samples only.  The vote
    # takes the one-off that passes 2 valid + 7 wrong = 9; the 6 copies of the correct
    # behaviour pass the 5 valid tests every other sample's tests disagree on: the
    # other rows predict its row as correct (each valid test is passed by the correct
    # class) far better than as wrong (no wrong row passes tests 3 to 5 together).
    p, m, lab = build([(6, "11111" "0000000000"), (1, "11000" "1111111000"),
                       (1, "10100" "0001111111"), (1, "01100" "1110000000"),
                       (1, "00000" "0000000000")])
    assert accuracy(CodeRMSelector(), p, m, lab) == 0.0
    assert accuracy(CodeTSelector(), p, m, lab) == 1.0
    assert accuracy(DawidSkeneSelector(), p, m, lab) == 1.0
    right = ds.fit(m.passed)["test_right"]
    assert (right[:5] > 0.5).all() and (right[5:] < 0.5).all()


def test_good_tests_vote_like_pick():
    # Good tests: C (3 copies) passes all 8, a mutant (4 copies) fails the last one.
    # CodeT's |S| x |T| prefers the mutant (4 x 7 > 3 x 8); here the mutant's failed
    # test is passed by C and by the wrong row 00111111, so as a right test it says
    # the mutant is wrong, and the pick is C, as the vote's.
    p, m, lab = build([(3, "11111111"), (4, "11111110"), (2, "11000000"),
                       (1, "00111111")])
    assert accuracy(CodeTSelector(), p, m, lab) == 0.0
    assert accuracy(CodeRMSelector(), p, m, lab) == 1.0
    assert accuracy(DawidSkeneSelector(), p, m, lab) == 1.0


def _betaln(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def test_behaviour_update_is_the_collapsed_conditional_by_hand():
    # 3 behaviours x 2 tests, a hard state: behaviour 0 (2 copies) correct, 1 and 2
    # wrong; test 0 right, test 1 wrong.  Behaviour 1's log-odds = logit(pi) + per test
    # [log P(its row | other correct rows) - log P(its row | other wrong rows)].
    E = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    w = np.array([2.0, 1.0, 3.0])
    q = np.array([1.0, 0.0, 0.0])
    r = np.array([1.0, 0.0])
    fit = ds._Fit(E, w, ds.PRIORS)
    got = fit.behaviour_logodds(q, r)[1]

    def pred(prior, k, n, passes):  # P(one more row passes / fails), rate integrated
        a, b = prior
        return _betaln(k + a + passes, n - k + b + (1 - passes)) - _betaln(k + a, n - k + b)

    pi = (1 + 1) / (3 + 2)
    P = ds.PRIORS
    # test 0 (right): other correct rows: 2 passes of 2; other wrong rows: 0 of 3
    # test 1 (wrong): other correct rows: 0 of 2; other wrong rows: 3 of 3
    want = (math.log(pi / (1 - pi))
            + pred(P["correct|right"], 2, 2, 1) - pred(P["wrong|right"], 0, 3, 1)
            + pred(P["correct|wrong"], 0, 2, 1) - pred(P["wrong|wrong"], 3, 3, 1))
    assert abs(got - want) < 1e-8


def test_no_tests_ties_everyone_and_registration():
    p, m, _ = build([(2, "1"), (1, "0")])
    empty = OutcomeMatrix("T/0", np.zeros((3, 0), dtype=np.int8))
    sel = plugins.get_selector("dawid-skene").select(
        Problem("T/0", candidates=p.candidates), empty, np.random.default_rng(0))
    assert sel.tied == [0, 1, 2]
    try:
        DawidSkeneSelector(beta=1)
    except TypeError as err:
        assert "no options" in str(err)
    else:
        raise AssertionError("unknown option accepted")
