"""The robust selector on synthetic matrices with known right answers."""

from __future__ import annotations

import numpy as np
import pytest

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem
from coderm_evalplus.select.coderm import CodeRMSelector
from coderm_evalplus.select.codet import CodeTSelector
from coderm_evalplus.select.robust import RobustSelector


def build(groups: list[tuple[int, str]]) -> tuple[Problem, OutcomeMatrix, list[bool]]:
    """groups of (copies, pass pattern); the first group is the correct behaviour."""
    rows, labels = [], []
    for g, (copies, pattern) in enumerate(groups):
        for _ in range(copies):
            rows.append([0 if ch == "1" else 1 for ch in pattern])  # 0 = PASS
            labels.append(g == 0)
    cands = [Candidate(i, f"c{i}", label=lab) for i, lab in enumerate(labels)]
    return (Problem("T/0", candidates=cands),
            OutcomeMatrix("T/0", np.array(rows, dtype=np.int8)), labels)


def accuracy(selector, problem, matrix, labels) -> float:
    sel = selector.select(problem, matrix, np.random.default_rng(0))
    return float(np.mean([labels[i] for i in sel.tied]))


def test_popular_wrong_behaviour_passing_most_wrong_tests():
    # 5 valid tests and 10 wrong ones; 7 of the wrong ones encode the popular wrong
    # behaviour.  The correct behaviour (6 copies) passes the 5 valid tests; the popular
    # wrong one (2 copies) passes 2 valid + 7 wrong = 9; stragglers pass a few.  Tests
    # contradict each other (no behaviour passes more than 9 of 15): the vote is fooled,
    # dual agreement is not, and robust follows dual agreement.
    p, m, lab = build([(6, "11111" "0000000000"), (2, "11000" "1111111000"),
                       (1, "10000" "0000000111"), (1, "01100" "0000000000")])
    assert accuracy(CodeRMSelector(), p, m, lab) == 0.0
    assert accuracy(CodeTSelector(), p, m, lab) == 1.0
    sel = RobustSelector().select(p, m, np.random.default_rng(0))
    assert sel.tied == [0, 1, 2, 3, 4, 5]
    assert sel.meta["rule"] == "dual_agreement"
    assert sel.meta["consistency"] == pytest.approx(9 / 15)


def test_clean_tests_follow_the_vote_even_against_a_big_wrong_cluster():
    # Every test is right: the correct behaviour (2 copies) passes all 8, a popular
    # mutant (6 copies) passes 6.  |S| x |T| prefers the mutant (36 > 16); the tests are
    # fully consistent (q = 1), so robust trusts them like the vote does.
    p, m, lab = build([(2, "11111111"), (6, "11111100"), (2, "11000000")])
    assert accuracy(CodeTSelector(), p, m, lab) == 0.0
    assert accuracy(CodeRMSelector(), p, m, lab) == 1.0
    sel = RobustSelector().select(p, m, np.random.default_rng(0))
    assert sel.tied == [0, 1]
    assert sel.meta["rule"] == "vote"
    assert sel.meta["consistency"] == pytest.approx(1.0)


def test_uninformative_tests_are_ignored_and_zero_tests_tie_everything():
    p, m, _ = build([(2, "1110"), (3, "1100")])  # t0, t1 passed by all, t3 by none
    sel = RobustSelector().select(p, m, np.random.default_rng(0))
    # informative: only t2 -> q = 1 -> the cluster passing it wins
    assert sel.tied == [0, 1]
    p0 = Problem("T/1", candidates=[Candidate(i, "x") for i in range(3)])
    m0 = OutcomeMatrix("T/1", np.zeros((3, 0), dtype=np.int8))
    assert RobustSelector().select(p0, m0, np.random.default_rng(0)).tied == [0, 1, 2]


def test_robust_is_deterministic_for_a_seed_and_reports_ties():
    p, m, _ = build([(2, "1100"), (2, "0011")])  # symmetric: both clusters tie
    picks = [RobustSelector().select(p, m, np.random.default_rng(s)) for s in range(20)]
    assert all(s.tied == [0, 1, 2, 3] for s in picks)
    assert len({s.index for s in picks}) > 1
    again = [RobustSelector().select(p, m, np.random.default_rng(s)).index for s in range(20)]
    assert again == [s.index for s in picks]


def test_zero_candidates_and_bad_options():
    with pytest.raises(ValueError, match="no candidates"):
        RobustSelector().select(Problem("T/2"), OutcomeMatrix("T/2", np.zeros((0, 2), np.int8)),
                                np.random.default_rng(0))
    with pytest.raises(ValueError):
        RobustSelector(threshold=1.5)
    with pytest.raises(ValueError):
        RobustSelector(pseudo_tests=-1)
    with pytest.raises(TypeError):
        RobustSelector(bogus=1)


def _run(groups_by_task: dict[str, list[tuple[int, str]]]):
    problems, matrices = [], {}
    for tid, groups in groups_by_task.items():
        p, m, _ = build(groups)
        p.task_id = m.task_id = tid
        problems.append(p)
        matrices[tid] = m
    return problems, matrices


def test_fit_lets_the_run_judge_a_problem_with_few_tests():
    # Problem "small": two informative tests, both passed by a popular mutant (q = 1 by
    # luck); the right behaviour (2 copies) passes one.  Alone it looks clean -> vote.
    small = [(2, "10"), (6, "11"), (2, "01")]
    # A run whose other problems have contradicting tests (q = 0.5 each) pulls it to
    # dual agreement; a run of clean problems keeps the vote.
    noisy = {f"N/{i}": [(3, "1100"), (3, "0011")] for i in range(6)}
    clean = {f"C/{i}": [(3, "1111"), (3, "1100")] for i in range(6)}
    for others, rule in ((noisy, "dual_agreement"), (clean, "vote")):
        problems, matrices = _run({"small": small, **others})
        sel = RobustSelector()
        assert sel.select(problems[0], matrices["small"],
                          np.random.default_rng(0)).meta["rule"] == "vote"
        sel.fit(problems, matrices)
        got = sel.select(problems[0], matrices["small"], np.random.default_rng(0))
        assert got.meta["rule"] == rule, others
        assert got.meta["run_consistency"] == pytest.approx(
            1.0 if others is clean else (2 + 6 * 2) / (2 + 6 * 4))


def test_pipeline_fits_run_level_selectors_before_selecting():
    from coderm_evalplus.pipeline import select_all

    small = [(2, "10"), (6, "11"), (2, "01")]
    noisy = {f"N/{i}": [(3, "1100"), (3, "0011")] for i in range(6)}
    problems, matrices = _run({"small": small, **noisy})
    out = select_all(problems, matrices, ["robust"], seed=0)
    assert out["robust"]["small"].meta["rule"] == "dual_agreement"
    assert out["robust"]["small"].tied == [2, 3, 4, 5, 6, 7]
