"""Candidates that draw random numbers get the same verdicts on every run.

A fresh interpreter seeds ``random`` (and numpy's global generator) from the OS, so an
unseeded candidate's verdicts would change from run to run (HumanEval/39's samples call
``random.randint``).  The executor seeds both before every pair whose sources mention
``random`` (``worker._seed_rngs``): the verdicts are those of a fresh interpreter that drew
seed 0.  Every test here would fail with the OS's seeds with probability close to 1.
"""

from __future__ import annotations

import random

import pytest

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.runner import execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest, Verdict

LIMITS = Limits(time_limit=1.0)
SEED0_FIRST = random.Random(0).random()
COIN = "import random\n\ndef f():\n    return random.random() < 0.5\n"


def _problem(programs: list[str], tests: list[str]) -> Problem:
    return Problem("Rng/0", "", "f",
                   candidates=[Candidate(i, p) for i, p in enumerate(programs)],
                   tests=[UnitTest(i, t, "assert") for i, t in enumerate(tests)])


def _run(problem: Problem):
    return execute_problems([problem], jobs=2, limits=LIMITS,
                            cache_path=None)[problem.task_id].verdicts


def test_every_pair_starts_from_the_same_seed():
    """The first draw of every pair is seed 0's first draw, in the candidate's module
    code, in a later test of the same runner, and after a pair that drew many numbers."""
    programs = ["import random\n\ndef f():\n    return random.random()\n",
                "import random as r\nFIRST = r.random()\n\ndef f():\n    return FIRST\n",
                "from random import random as draw\n\ndef f():\n    return draw()\n"]
    tests = [f"assert f() == {SEED0_FIRST!r}\n",
             "import random\n[random.random() for _ in range(1000)]\n",
             f"assert f() == {SEED0_FIRST!r}\n"]
    verdicts = _run(_problem(programs, tests))
    assert verdicts.tolist() == [[Verdict.PASS] * 3] * 3


def test_a_coin_flip_candidate_gets_the_same_verdicts_on_every_run():
    """Forty pairs whose verdicts are coin flips, run three times without a cache:
    identical matrices (with the OS's seeds: equal with probability 2 ** -80)."""
    tests = [f"assert f() or {i} < 0\n" for i in range(20)]
    problem = _problem([COIN, COIN.replace("f()", "f( )")], tests)
    first = _run(problem)
    assert {int(v) for v in first.ravel()} <= {Verdict.PASS, Verdict.FAIL}
    for _ in range(2):
        assert _run(problem).tolist() == first.tolist()


def test_numpy_global_generator_is_seeded_too():
    np = pytest.importorskip("numpy")
    expected = float(np.random.RandomState(0).random_sample())
    program = "import numpy as np\n\ndef f():\n    return float(np.random.rand())\n"
    tests = [f"assert f() == {expected!r}\n", f"assert f() == {expected!r}, 'again'\n"]
    verdicts = _run(_problem([program], tests))
    assert verdicts.tolist() == [[Verdict.PASS, Verdict.PASS]]
