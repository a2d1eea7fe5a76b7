"""Verdict cache: content-addressed keys, buffered commits, reuse across runs."""

from __future__ import annotations

import sqlite3

from coderm_evalplus.execute import runner
from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.cache import VerdictCache
from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest, content_hash

PROGRAM = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
LIMITS = Limits(time_limit=1.0)


def _key(i: int) -> str:
    return content_hash("pair", str(i))


def _rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]


def test_put_get_roundtrip_and_persistence(tmp_path):
    path = tmp_path / "v.sqlite"
    cache = VerdictCache(path)
    for i in range(10):
        cache.put(_key(i), i % 5)
    cache.close()
    again = VerdictCache(path)
    got = again.get_many([_key(i) for i in range(12)])
    assert got == {_key(i): i % 5 for i in range(10)}
    assert len(again) == 10
    again.close()


def test_writes_are_buffered_then_committed_by_count(tmp_path):
    path = tmp_path / "v.sqlite"
    cache = VerdictCache(path, flush_every=5, flush_seconds=3600)
    for i in range(4):
        cache.put(_key(i), 0)
    assert _rows(path) == 0  # a kill now loses these four: the next run re-executes them
    cache.put(_key(4), 0)
    assert _rows(path) == 5
    cache.close()


def test_writes_are_committed_by_time(tmp_path):
    path = tmp_path / "v.sqlite"
    cache = VerdictCache(path, flush_every=10 ** 6, flush_seconds=0.0)
    cache.put(_key(1), 3)
    assert _rows(path) == 1
    cache.close()


def _problem(tests: list[str], programs=(PROGRAM, WRONG)) -> Problem:
    return Problem("t/0", entry_point="add",
                   candidates=[Candidate(i, s) for i, s in enumerate(programs)],
                   tests=[UnitTest(i, s, "assert") for i, s in enumerate(tests)])


def test_rerun_hits_cache_and_new_tests_only_run_new_pairs(tmp_path):
    path = tmp_path / "v.sqlite"
    tests = [f"assert add({i}, 1) == {i + 1}\n" for i in range(6)]
    first = ExecutionStats()
    m1 = execute_problems([_problem(tests)], jobs=1, limits=LIMITS, cache_path=path,
                          stats=first)
    assert (first.cache_hits, first.pairs_executed) == (0, 12)
    second = ExecutionStats()
    m2 = execute_problems([_problem(tests)], jobs=1, limits=LIMITS, cache_path=path,
                          stats=second)
    assert (second.cache_hits, second.pairs_executed) == (12, 0)
    assert m1["t/0"].verdicts.tolist() == m2["t/0"].verdicts.tolist()
    more = tests + ["assert add(10, 1) == 11\n", "assert add(0, 0) == 0\n"]
    third = ExecutionStats()
    m3 = execute_problems([_problem(more)], jobs=1, limits=LIMITS, cache_path=path,
                          stats=third)
    assert (third.cache_hits, third.pairs_executed) == (12, 4)
    assert m3["t/0"].verdicts[:, :6].tolist() == m1["t/0"].verdicts.tolist()
    assert m3["t/0"].verdicts[:, 6:].tolist() == [[0, 0], [1, 0]]


def test_key_ignores_formatting_but_not_limits_or_content(tmp_path):
    path = tmp_path / "v.sqlite"
    tests = ["assert add(1, 2) == 3\n"]
    execute_problems([_problem(tests)], jobs=1, limits=LIMITS, cache_path=path)
    # comments and layout are normalised away: same key
    reformatted = _problem(["assert add(1,  2) == 3  # same test\n"],
                           ("def add(a, b):\n    # comment\n    return a + b\n", WRONG))
    same = ExecutionStats()
    execute_problems([reformatted], jobs=1, limits=LIMITS, cache_path=path, stats=same)
    assert same.cache_hits == 2 and same.pairs_executed == 0
    # another time limit is another key
    other = ExecutionStats()
    execute_problems([_problem(tests)], jobs=1, limits=Limits(time_limit=2.0),
                     cache_path=path, stats=other)
    assert other.cache_hits == 0 and other.pairs_executed == 2
    # different content is a different key
    assert runner.test_key(UnitTest(0, "assert add(1, 2) == 3")) != \
        runner.test_key(UnitTest(0, "assert add(2, 1) == 3"))


def test_duplicates_run_once_and_count_back(tmp_path):
    tests = ["assert add(1, 2) == 3\n", "assert add(1,2)==3  # dup\n", "assert add(0, 0) == 1\n"]
    stats = ExecutionStats()
    out = execute_problems([_problem(tests, (PROGRAM, WRONG, PROGRAM + "\n\n"))], jobs=1,
                           limits=LIMITS, stats=stats)
    assert stats.pairs_total == 9 and stats.pairs_distinct == 4 and stats.pairs_executed == 4
    assert out["t/0"].verdicts.tolist() == [[0, 0, 1], [1, 1, 1], [0, 0, 1]]


def test_a_changed_worker_never_replays_old_verdicts(tmp_path, monkeypatch):
    """The worker defines what a verdict is: a run with a different worker.py (a fixed
    bug) must execute again, not read what the old worker cached."""
    from coderm_evalplus.execute import local

    path = tmp_path / "v.sqlite"
    prob = Problem("T/0", entry_point="add", candidates=[Candidate(0, PROGRAM)],
                   tests=[UnitTest(0, "assert add(1, 2) == 3", kind="assert")])
    first = ExecutionStats()
    execute_problems([prob], limits=LIMITS, cache_path=path, stats=first, jobs=1)
    again = ExecutionStats()
    execute_problems([prob], limits=LIMITS, cache_path=path, stats=again, jobs=1)
    assert (first.pairs_executed, again.cache_hits) == (1, 1)
    monkeypatch.setattr(local, "worker_digest", lambda: "0" * 64)
    changed = ExecutionStats()
    execute_problems([prob], limits=LIMITS, cache_path=path, stats=changed, jobs=1)
    assert (changed.cache_hits, changed.pairs_executed) == (0, 1)


def test_a_changed_timeout_policy_never_replays_old_verdicts(tmp_path, monkeypatch):
    """The timeout rule is part of every key by name (a Docker image's id need not change
    with the rule): verdicts judged under another policy run again."""
    path = tmp_path / "v.sqlite"
    prob = Problem("T/0", entry_point="add", candidates=[Candidate(0, PROGRAM)],
                   tests=[UnitTest(0, "assert add(1, 2) == 3", kind="assert")])
    execute_problems([prob], limits=LIMITS, cache_path=path, jobs=1)
    assert runner.TIMEOUT_POLICY in runner.verdict_key_context(LIMITS, "local")
    monkeypatch.setattr(runner, "TIMEOUT_POLICY", "an older rule")
    older = ExecutionStats()
    execute_problems([prob], limits=LIMITS, cache_path=path, stats=older, jobs=1)
    assert (older.cache_hits, older.pairs_executed) == (0, 1)
