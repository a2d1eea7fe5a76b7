"""A pair's CPU budget covers the processes it starts, not only the runner's thread.

The server gives a pair that is still working at its deadline the rest of its CPU budget
(load must not turn a slow pass into a TIMEOUT), up to a wall-clock backstop of
30 x limit + 10 s.  It used to count only the runner's own thread, so a candidate whose
forked children took the cores from the runner that forked them (a fork bomb) waited for
the backstop: 40 s per pair at the default 1 s limit, 80 s for the two-test hostile run
of the session-12 note.  Here the runner lowers its own priority below its spinning
children, so its thread alone would need far longer than the backstop to use its budget:
the pair must be a TIMEOUT after about one limit of the children's CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from worker_server import WorkerServer

from coderm_evalplus.execute import worker
from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.runner import execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest, Verdict

LIMIT = 0.5
# children spin at normal priority; the runner drops to nice 19 and spins too, so the
# runner's thread gets ~1 % of a core and its own budget would take minutes
STARVED_BY_CHILDREN = textwrap.dedent("""
    import os

    def f():
        for _ in range(4):
            if os.fork() == 0:
                while True:
                    pass
        os.nice(19)
        while True:
            pass
""")
TESTS = ["assert f() == 1\n", "assert 1 + 1 == 2\n"]


def test_children_cpu_counts_without_a_uid_drop():
    """The worker server as a test process starts it: no uid drop, the runner's session
    is what identifies the pair's processes."""
    server = WorkerServer()
    try:
        reply, seconds = server.batch(STARVED_BY_CHILDREN, TESTS, LIMIT)
    finally:
        server.close()
    assert reply["v"] == [Verdict.TIMEOUT, Verdict.PASS], reply
    # the backstop would have taken 25 s; the children's 0.5 s of CPU take ~0.3 s of wall
    assert seconds < worker.wall_backstop(LIMIT) / 3, seconds


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs root")
def test_children_cpu_counts_with_the_uid_drop():
    """Through the executor as root: every process of the slot's uid is the pair's."""
    problem = Problem("Fork/0", "", "f",
                      candidates=[Candidate(0, STARVED_BY_CHILDREN),
                                  Candidate(1, "def f():\n    return 1\n")],
                      tests=[UnitTest(i, t, "assert") for i, t in enumerate(TESTS)])
    started = time.monotonic()
    verdicts = execute_problems([problem], jobs=1, limits=Limits(time_limit=LIMIT),
                                cache_path=None)["Fork/0"].verdicts
    seconds = time.monotonic() - started
    assert verdicts.tolist() == [[Verdict.TIMEOUT, Verdict.PASS],
                                 [Verdict.PASS, Verdict.PASS]]
    assert seconds < worker.wall_backstop(LIMIT) / 3, seconds


def _bare_sandbox() -> worker.Sandbox:
    """A Sandbox without its constructor's side effects (network namespace, work dir)."""
    box = object.__new__(worker.Sandbox)
    box.uid = None
    return box


def _spinner(cpu: float) -> subprocess.Popen:
    """A process in a session of its own whose child uses ``cpu`` seconds, then sleeps."""
    code = ("import os, time\n"
            "if os.fork() == 0:\n"
            f"    end = time.process_time() + {cpu}\n"
            "    while time.process_time() < end:\n"
            "        pass\n"
            "time.sleep(60)\n")
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_only_the_pairs_processes_are_charged():
    """``pair_processes_cpu`` sums the CPU of the runner's session except the runner,
    and only of processes started at or after the pair's start; another session's busy
    process is not the pair's."""
    before = time.monotonic()
    runner, other = _spinner(0.3), _spinner(0.6)
    try:
        box = _bare_sandbox()
        deadline = time.monotonic() + 30
        charged = 0.0
        while time.monotonic() < deadline:
            charged = box.pair_processes_cpu(runner.pid, before)
            if charged >= 0.28 and box.pair_processes_cpu(other.pid, before) >= 0.58:
                break
            time.sleep(0.05)
        time.sleep(0.1)  # both children asleep now: their CPU no longer moves
        charged = box.pair_processes_cpu(runner.pid, before)
        # (/proc counts in clock ticks: a tick of rounding either way)
        assert 0.25 <= charged < 0.5, charged
        assert 0.55 <= box.pair_processes_cpu(other.pid, before) < 0.8
        # a pair that starts now did not start that child: nothing is charged to it
        assert box.pair_processes_cpu(runner.pid, time.monotonic()) == 0.0
    finally:
        for proc in (runner, other):
            os.killpg(proc.pid, 9)
            proc.wait()
