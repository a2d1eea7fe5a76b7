"""Timeout inference, cutting timed-out pairs, warm imports and the CPU-time budget of
the fork server.

Each test drives a real ``worker.py`` server process (``python -I worker.py``) over its
JSON-lines protocol, as the local, Docker and Ray sandboxes do.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from worker_server import WorkerServer

from coderm_evalplus.execute import worker
from coderm_evalplus.execute.worker import hang_key, program_repeats, warm_imports
from coderm_evalplus.model import Verdict

WORKER = Path(worker.__file__)
PASS, FAIL, TIMEOUT = int(Verdict.PASS), int(Verdict.FAIL), int(Verdict.TIMEOUT)


class Server(WorkerServer):
    def run(self, program: str, tests: list[str], limit: float) -> dict:
        return self.batch(program, tests, limit)[0]


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


HANGS_ON_5 = "def f(n):\n    while n == 5:\n        pass\n    return n\n"
SAME_CALL = ["assert f(5) == 1\n", "assert f(1) == 1\n", "assert f(5) == 2, 'msg'\n",
             "assert not f(5)\n", "assert f(5) in [5]\n"]


@pytest.mark.parametrize("source, keyed", [
    ("assert f(1) == 2\n", True),
    ("assert f([1, 2], k=(3,)) != None, 'm'\n", True),
    ("assert not f(-1)\n", True),
    ("assert f(1)\n", True),
    ("assert [2, 1] == f(4)\n", True),  # the literal is built first, then the call
    ("assert g(1) == f(4)\n", False),
    ("assert f(1) in [1]\n", False),  # `in` may iterate a generator the call returned
    ("assert f(x) == 1\n", False),  # argument not a literal
    ("assert f(1) == [0] * 10 ** 9\n", False),  # time spent after the call
    ("assert abs(f(1) - 2) < 1e-6\n", False),  # a second call
    ("assert f(1) == 2\nassert f(2) == 3\n", False),
    ("assert f(1) == g(2)\n", False),
    ("x = f(1)\n", False),
    ("assert f(1) == (\n", False),  # syntax error
])
def test_hang_key_only_for_tests_whose_time_goes_into_one_call(source, keyed):
    assert (hang_key(source) is not None) is keyed


def test_source_facts_answers_every_question_from_one_parse():
    from coderm_evalplus.execute.worker import (
        hang_provable,
        may_touch_shared_state,
        shared_state_facts,
        source_facts,
    )

    for source in (HANGS_ON_5, "import numpy as np\nimport os\nos.environ['x'] = '1'\n",
                   "assert [1] == f(2)\n", "class A:\n    pass\n", "def (:\n",
                   "from copy import dispatch_table as T\nassert math.pi > 3\n"):
        facts = source_facts(source)
        shared = shared_state_facts(source)
        assert facts == (may_touch_shared_state(source), program_repeats(source),
                         hang_key(source), tuple(warm_imports(source)),
                         hang_provable(source), hang_provable(source, test=True),
                         shared.assumes, shared.rebinds)
    assert source_facts("import numpy.linalg\n").warm == ("numpy.linalg",)


def test_hang_key_is_the_call_not_the_expected_value():
    assert hang_key("assert f(5) == 1") == hang_key("assert f(5) == 2, 'x'") \
        == hang_key("assert not f(5)")
    assert hang_key("assert f(5) == 1") != hang_key("assert f(6) == 1")


@pytest.mark.parametrize("program, repeats", [
    ("import math\nfrom collections import Counter\ndef f(x):\n    return x\n", True),
    ("import random\ndef f(x):\n    return random.random()\n", False),
    ("import time\ndef f(x):\n    return time.time()\n", False),
    ("class A:\n    def __eq__(self, o):\n        while True: pass\n", False),
    ("def f(x):\n    return id(x)\n", False),
    ("from . import x\n", False),
    ("def f(x) return\n", False),
])
def test_program_repeats(program, repeats):
    assert program_repeats(program) is repeats


def test_same_first_call_after_a_timeout_is_inferred_not_run(server):
    reply = server.run(HANGS_ON_5, SAME_CALL, 0.3)
    assert reply["v"] == [TIMEOUT, PASS, TIMEOUT, TIMEOUT, TIMEOUT]
    assert reply["t"] == 2  # tests 3 and 4; `in` has no key, so it ran (and timed out)
    # a later batch of the same candidate gets the inference at once
    again = server.run(HANGS_ON_5, ["assert f(5) == 7\n", "assert f(2) == 2\n"], 0.3)
    assert again["v"] == [TIMEOUT, PASS] and again["t"] == 1
    # other limits: nothing is known
    other = server.run(HANGS_ON_5, ["assert f(5) == 7\n"], 0.2)
    assert other["v"] == [TIMEOUT] and other["t"] == 0


def test_no_inference_for_a_program_that_may_not_repeat_itself(server):
    program = "import random\n" + HANGS_ON_5
    reply = server.run(program, SAME_CALL, 0.3)
    assert reply["v"] == [TIMEOUT, PASS, TIMEOUT, TIMEOUT, TIMEOUT]
    assert reply["t"] == 0


def test_inference_never_crosses_candidates(server):
    server.run(HANGS_ON_5, ["assert f(5) == 1\n"], 0.3)
    fine = "def f(n):\n    return n\n"
    reply = server.run(fine, ["assert f(5) == 5\n", "assert f(5) == 1\n"], 0.3)
    assert reply["v"] == [PASS, FAIL] and reply["t"] == 0


def test_warm_imports_names_numpy_and_its_submodules():
    src = "import numpy as np\nfrom numpy.linalg import norm\nimport os\nimport pandas\n"
    assert warm_imports(src) == ["numpy", "numpy.linalg", "numpy.linalg.norm", "pandas"]
    assert warm_imports("import os, math\nimport requests\n") == []


def test_numpy_import_does_not_count_against_a_short_limit(server):
    pytest.importorskip("numpy")
    program = "import numpy as np\n\ndef f(n):\n    return int(np.int64(n) + 1)\n"
    # importing numpy takes ~130 ms; the server imports it once, before the runner forks
    reply = server.run(program, ["assert f(1) == 2\n", "assert f(2) == 4\n"], 0.05)
    assert reply["v"] == [PASS, FAIL]


def test_sleeping_pair_is_cut_at_the_wall_clock_limit(server):
    program = "import time\n\ndef f(s):\n    time.sleep(s)\n    return s\n"
    assert server.run(program, ["assert f(0.05) == 0.05\n"], 0.3)["v"] == [PASS]
    started = time.monotonic()
    assert server.run(program, ["assert f(30) == 30\n"], 0.3)["v"] == [TIMEOUT]
    # sleeping is not starvation: no CPU-budget extension, one limit (plus the set-up)
    assert time.monotonic() - started < 0.3 + 0.9


def test_starved_busy_pair_gets_its_cpu_budget(server):
    """A busy pair the machine keeps off the CPU (three spinning hogs per core) still gets
    its CPU time: needing 0.4 s of CPU, it passes a 0.5 s limit although it needs ~1.4 s
    of wall time (backstop 2.25 s); a pair needing 5 s of CPU still times out."""
    import multiprocessing
    import os

    hogs = [multiprocessing.Process(target=_spin, daemon=True)
            for _ in range(3 * (os.cpu_count() or 1))]
    for h in hogs:
        h.start()
    try:
        program = ("import time\n\ndef f(n):\n    t = time.thread_time()\n"
                   "    while time.thread_time() - t < n:\n        pass\n    return n\n")
        reply = server.run(program, ["assert f(0.4) == 0.4\n", "assert f(5) == 5\n"], 0.5)
        assert reply["v"] == [PASS, TIMEOUT]
    finally:
        for h in hogs:
            h.kill()


def _spin() -> None:
    while True:
        pass


def test_execution_stats_count_inferred_timeouts():
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
    from coderm_evalplus.model import Candidate, Problem, UnitTest

    problem = Problem(task_id="t/0", prompt="", entry_point="f",
                      candidates=[Candidate(index=0, source=HANGS_ON_5)],
                      tests=[UnitTest(index=i, source=s, kind="assert")
                             for i, s in enumerate(SAME_CALL)])
    stats = ExecutionStats()
    mats = execute_problems([problem], jobs=1, limits=Limits(time_limit=0.3), stats=stats)
    assert mats["t/0"].verdicts.tolist() == [[TIMEOUT, PASS, TIMEOUT, TIMEOUT, TIMEOUT]]
    assert stats.timeouts_inferred == 2


# ------------------------------------------------------------------ cutting a timed-out pair

# the hang grows its state (k), so no hang proof ends it early: the cut has to happen
SWALLOWS = ("def f(n):\n    k = 0\n    while True:\n        try:\n            while n == 5:\n"
            "                k += 1\n            return n\n        except BaseException:\n"
            "            pass\n")


def test_timed_out_pair_is_cut_and_its_runner_goes_on(server):
    """No fork after a timeout: the runner abandons the pair and runs the next ones."""
    server.run(HANGS_ON_5, ["assert f(1) == 1\n"], 0.2)  # the runner exists now
    reply = server.run(HANGS_ON_5, ["assert f(1) == 1\n", "assert f(5) == 5\n",
                                    "assert f(2) == 2\n", "assert f(3) == 0\n",
                                    "assert f(6) == 6\n"], 0.2)
    assert reply["v"] == [PASS, TIMEOUT, PASS, FAIL, PASS]
    assert reply["r"] == 0


def test_pair_that_swallows_the_cut_is_killed_and_the_rest_still_run(server):
    reply = server.run(SWALLOWS, ["assert f(1) == 1\n", "assert f(5) == 5\n",
                                  "assert f(2) == 2\n", "assert f(3) == 0\n"], 0.2)
    assert reply["v"] == [PASS, TIMEOUT, PASS, FAIL]
    assert reply["r"] >= 2  # the first runner, and one after the kill


def test_same_first_call_later_in_the_message_ends_the_runner_instead(server):
    """A cut runner would run the later same-call test; a fresh one skips it unrun."""
    reply = server.run(HANGS_ON_5, ["assert f(5) == 5\n", "assert f(1) == 1\n",
                                    "assert f(5) == 1\n"], 0.2)
    assert reply["v"] == [TIMEOUT, PASS, TIMEOUT]
    assert reply["t"] == 1


def test_cut_during_a_new_import_leaves_no_half_module_for_later_pairs(server):
    """A pair cut after it imported something new may have been cut mid-import: its
    runner exits, so later pairs see the modules a fresh runner would."""
    program = ("def f(n):\n    import xml.dom.minidom\n    while n == 5:\n        pass\n"
               "    return n\n")
    server.run(HANGS_ON_5, ["assert f(1) == 1\n"], 0.2)  # a runner without minidom
    reply = server.run(program, ["assert f(5) == 5\n", "assert f(2) == 2\n"], 0.2)
    assert reply["v"] == [TIMEOUT, PASS]
    assert reply["r"] >= 1
