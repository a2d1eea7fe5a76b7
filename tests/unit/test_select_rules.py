"""Hand-built outcome matrices where each selection rule's answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from coderm_evalplus import plugins
from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem, Verdict
from coderm_evalplus.select.baselines import FirstSelector, OracleSelector, RandomSelector
from coderm_evalplus.select.coderm import CodeRMSelector
from coderm_evalplus.select.codet import CodeTSelector


def make(rows: list[str], labels: list[bool] | None = None,
         task: str = "T/0") -> tuple[Problem, OutcomeMatrix]:
    """Rows like "1101": 1 = PASS, 0 = FAIL; x = TIMEOUT, e = ERROR (not passing)."""
    code = {"1": Verdict.PASS, "0": Verdict.FAIL, "x": Verdict.TIMEOUT, "e": Verdict.ERROR}
    n_tests = len(rows[0]) if rows else 0
    v = np.array([[code[ch] for ch in r] for r in rows], dtype=np.int8).reshape(len(rows),
                                                                                n_tests)
    cands = [Candidate(index=i, source=f"c{i}",
                       label=None if labels is None else labels[i]) for i in range(len(rows))]
    return Problem(task_id=task, candidates=cands), OutcomeMatrix(task, v)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------ coderm
def test_coderm_unique_top_scorer():
    p, m = make(["1100", "1110", "0001", "1000"])
    s = CodeRMSelector().select(p, m, rng())
    assert s.index == 1 and s.tied == [1]
    assert s.scores == [2.0, 3.0, 1.0, 1.0]
    assert s.selector == "coderm"


def test_coderm_consistency_tie_break_prefers_most_common_pass_set():
    # candidates 0, 2, 3 and 1 all pass 2 tests; pass-set {t0,t1} is shared by 0 and 3,
    # {t1,t2} by 1 only, {t2,t3} by 2 only -> tie {0, 3}
    p, m = make(["1100", "0110", "0011", "1100", "1000"])
    s = CodeRMSelector().select(p, m, rng())
    assert s.tied == [0, 3]
    assert s.index in (0, 3)


def test_coderm_non_pass_verdicts_do_not_count():
    p, m = make(["1x1", "111", "1e1"])
    s = CodeRMSelector().select(p, m, rng())
    assert s.tied == [1]


def test_coderm_duplicates_count_in_consistency():
    # the top score 2 is reached by pass-sets A={t0,t1} (3 duplicate rows) and B={t1,t2}
    # (1 row); the duplicates win the tie-break
    p, m = make(["011", "110", "110", "110", "001"])
    s = CodeRMSelector().select(p, m, rng())
    assert s.tied == [1, 2, 3]


def test_coderm_remaining_tie_is_reported_and_pick_is_seeded():
    p, m = make(["110", "101", "011", "000"])
    sels = [CodeRMSelector().select(p, m, rng(seed)) for seed in range(30)]
    assert all(s.tied == [0, 1, 2] for s in sels)
    assert {s.index for s in sels} == {0, 1, 2}
    again = [CodeRMSelector().select(p, m, rng(seed)).index for seed in range(30)]
    assert again == [s.index for s in sels]


def test_zero_tests_ties_everything():
    p, m = make(["", "", ""])
    for sel in (CodeRMSelector(), CodeTSelector(), CodeTSelector(size_power=0.5)):
        assert sel.select(p, m, rng()).tied == [0, 1, 2]


@pytest.mark.parametrize("selector", [CodeRMSelector(), CodeTSelector(), RandomSelector(),
                                      FirstSelector(), OracleSelector()])
def test_zero_candidates_is_a_clear_error(selector):
    p = Problem(task_id="T/9")
    m = OutcomeMatrix("T/9", np.zeros((0, 4), dtype=np.int8))
    with pytest.raises(ValueError, match="T/9: no candidates"):
        selector.select(p, m, rng())


def test_row_count_mismatch_is_an_error():
    p, _ = make(["11", "10"])
    m = OutcomeMatrix("T/0", np.zeros((3, 2), dtype=np.int8))
    with pytest.raises(ValueError, match="2 candidates but the outcome matrix has 3 rows"):
        CodeRMSelector().select(p, m, rng())


# ------------------------------------------------------------------------------- codet
def test_codet_cluster_arithmetic():
    # clusters: A = {0,1,2} passing 1 test -> 3*1 = 3; B = {3} passing 2 tests -> 1*2 = 2;
    # C = {4, 5} passing 3 tests -> 2*3 = 6 (best); D = {6} passing 0 -> 0
    p, m = make(["1000", "1000", "1000", "0110", "1011", "1011", "0000"])
    s = CodeTSelector().select(p, m, rng())
    assert s.scores == [3.0, 3.0, 3.0, 2.0, 6.0, 6.0, 0.0]
    assert s.tied == [4, 5]


def test_codet_differs_from_vote_when_popular_cluster_passes_fewer_tests():
    # a lone candidate passes 3 tests; a cluster of 4 passes 2: vote picks the loner,
    # dual agreement picks the cluster (4*2 = 8 > 1*3)
    rows = ["1110", "1001", "1001", "1001", "1001"]
    p, m = make(rows)
    assert CodeRMSelector().select(p, m, rng()).tied == [0]
    assert CodeTSelector().select(p, m, rng()).tied == [1, 2, 3, 4]


def test_codet_tied_clusters_form_a_union():
    # {0,1} x 3 tests = 6 and {2,3,4} x 2 tests = 6 -> union
    p, m = make(["1110", "1110", "0011", "0011", "0011", "1000"])
    assert CodeTSelector().select(p, m, rng()).tied == [0, 1, 2, 3, 4]


def test_codet_sqrt_size_option():
    # |S| x |T|: 4*1 = 4 beats 1*3 = 3; sqrt(|S|) x |T|: 2*1 = 2 loses to 1*3 = 3
    p, m = make(["1000", "1000", "1000", "1000", "0111"])
    assert CodeTSelector().select(p, m, rng()).tied == [0, 1, 2, 3]
    s = CodeTSelector(size_power=0.5).select(p, m, rng())
    assert s.tied == [4]
    assert s.scores[0] == pytest.approx(2.0)


def test_codet_rejects_bad_options():
    with pytest.raises(ValueError):
        CodeTSelector(size_power=0)
    with pytest.raises(TypeError):
        CodeTSelector(bogus=1)


# --------------------------------------------------------------------------- baselines
def test_random_ties_everyone_and_is_seeded():
    p, m = make(["11", "00", "10"])
    s = RandomSelector().select(p, m, rng(3))
    assert s.tied == [0, 1, 2]
    assert s.index == RandomSelector().select(p, m, rng(3)).index


def test_first_takes_candidate_zero():
    p, m = make(["00", "11", "11"])
    s = FirstSelector().select(p, m, rng())
    assert s.index == 0 and s.tied == [0]


def test_oracle_ties_correct_candidates():
    p, m = make(["00", "11", "10", "01"], labels=[False, True, False, True])
    s = OracleSelector().select(p, m, rng())
    assert s.tied == [1, 3]
    assert s.meta["reads_labels"] is True
    assert OracleSelector.reads_labels


def test_oracle_without_correct_candidates_ties_all():
    p, m = make(["00", "11"], labels=[False, False])
    assert OracleSelector().select(p, m, rng()).tied == [0, 1]


def test_oracle_needs_labels():
    p, m = make(["00", "11"])
    with pytest.raises(ValueError, match="needs a correctness label"):
        OracleSelector().select(p, m, rng())


# ----------------------------------------------------------------------------- plugins
def test_builtin_selectors_are_registered_through_the_hook(monkeypatch):
    monkeypatch.setenv("CODERM_EVALPLUS_LOAD_PLUGINS", "")
    table = plugins.selectors()
    for name in ("coderm", "codet", "codet-sqrt", "b4", "random", "first", "oracle", "robust"):
        assert name in table
    sel = plugins.get_selector("codet", size_power=0.5)
    assert isinstance(sel, CodeTSelector) and sel.size_power == 0.5
