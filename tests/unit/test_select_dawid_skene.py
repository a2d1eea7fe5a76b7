"""dawid-skene: behaviours x tests latent classes, per-test rates integrated out."""

from __future__ import annotations

import math

import numpy as np
import pytest
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
    # 5 valid tests and 10 wrong ones.  Three correct programs (one sample each) pass
    # the valid tests; two also pass one ambiguous (wrong) test each.  One wrong sample
    # passes 3 valid + 8 wrong tests: the vote and CodeT (every cluster has one member)
    # take it.  Here the correct rows agree with each other on tests 1-5 and the wrong
    # rows pass those at varied rates, while tests 6-13 are passed by that one wrong
    # row only: they are fitted as wrong tests, it as wrong, the pick is a correct row.
    p, m, _ = build([(1, "11111" "0000000000"), (1, "11111" "0000000001"),
                     (1, "11111" "0000000010"), (1, "11100" "1111111100"),
                     (1, "11010" "0000000000"), (1, "10110" "0000000000"),
                     (1, "01101" "0000000000"), (1, "00000" "0000000000")])
    lab = [True, True, True, False, False, False, False, False]
    assert accuracy(CodeRMSelector(), p, m, lab) == 0.0
    assert accuracy(CodeTSelector(), p, m, lab) == 0.0
    assert accuracy(DawidSkeneSelector(), p, m, lab) == 1.0
    right = ds.fit(m.passed)["test_right"]
    assert (right[:5] > 0.5).all() and (right[5:] < 0.5).all()


def test_good_tests_vote_like_pick():
    # Good tests: C (3 copies) passes all 8, a mutant (4 copies) fails the last one.
    # CodeT's |S| x |T| prefers the mutant (4 x 7 > 3 x 8).  Here copies are no
    # evidence; the last test is passed by C and by the wrong row 00111111, so it is
    # fitted as right, a correct program fails a right test only by accident (1e-3),
    # the mutant is wrong, and the pick is C, as the vote's.
    p, m, lab = build([(3, "11111111"), (4, "11111110"), (2, "11000000"),
                       (1, "00111111")])
    assert accuracy(CodeTSelector(), p, m, lab) == 0.0
    assert accuracy(CodeRMSelector(), p, m, lab) == 1.0
    assert accuracy(DawidSkeneSelector(), p, m, lab) == 1.0


def _betaln(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def test_behaviour_update_is_the_collapsed_conditional_by_hand():
    # 3 behaviours x 2 tests, a hard state: behaviour 0 correct, 1 and 2 wrong; test 0
    # right, test 1 wrong.  Behaviour 1's log-odds = logit(pi) + per test
    # [log P(its row | other correct rows) - log P(its row | other wrong rows)]; one row
    # per behaviour whatever its copies (sizes 2, 1, 3 must not matter).
    E = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    w = np.array([2.0, 1.0, 3.0])
    q = np.array([1.0, 0.0, 0.0])
    r = np.array([1.0, 0.0])
    fit = ds._Fit(E, w, ds.PRIORS)
    got = fit.behaviour_logodds(q, r)[1]

    def pred(prior, k, n, passes):  # P(one more row passes / fails), rate integrated
        if isinstance(prior, float):  # a fixed rate
            return math.log(prior if passes else 1 - prior)
        a, b = prior
        return _betaln(k + a + passes, n - k + b + (1 - passes)) - _betaln(k + a, n - k + b)

    pi = (1 + 1) / (3 + 2)
    P = ds.PRIORS
    # test 0 (right): other correct rows: 1 pass of 1; other wrong rows: 0 of 1
    # test 1 (wrong): other correct rows: 0 of 1; other wrong rows: 1 of 1
    want = (math.log(pi / (1 - pi))
            + pred(P["correct|right"], 1, 1, 1) - pred(P["wrong|right"], 0, 1, 1)
            + pred(P["correct|wrong"], 0, 1, 1) - pred(P["wrong|wrong"], 1, 1, 1))
    assert abs(got - want) < 1e-8


def test_no_tests_ties_everyone_and_registration():
    p, m, _ = build([(2, "1"), (1, "0")])
    empty = OutcomeMatrix("T/0", np.zeros((3, 0), dtype=np.int8))
    sel = plugins.get_selector("dawid-skene").select(
        Problem("T/0", candidates=p.candidates), empty, np.random.default_rng(0))
    assert sel.tied == [0, 1, 2]
    with pytest.raises(TypeError, match="no options"):
        DawidSkeneSelector(beta=1)
