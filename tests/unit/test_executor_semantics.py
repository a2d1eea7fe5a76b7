"""The executor's verdicts equal a fresh interpreter per pair, even for pairs that leak.

The oracle runs every (candidate, test) pair in a brand new ``python -c`` process (stdin
from /dev/null, a fresh temp dir as cwd, the executor's scrubbed environment) and maps
its outcome to a verdict the way the Verdict enum defines it: AssertionError -> FAIL, any
other exception -> ERROR, a unittest class -> ERROR if any test errors, else FAIL if any
fails, ERROR when nothing ran (all skipped), killed at the timeout -> TIMEOUT, no verdict
written -> CRASH.  Slow but obviously right; the executor (long-lived runners, shared
namespaces reset per pair, probes, batches) must give the same matrix.

The pairs are written to leak: module state, builtins, candidate globals, mutable
default arguments, class attributes, random.seed, the recursion limit, cwd, environment,
sys.modules, stdio, threads that keep mutating after their test, files left in cwd, and
stdlib state reached without an attribute store (the static check's blind spots).
Hanging pairs sleep rather than spin so the oracle's waits do not starve the machine.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.local import scrubbed_env
from coderm_evalplus.execute.runner import execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest, Verdict

ORACLE_TIMEOUT = 3.0  # the oracle pays interpreter start-up; every pair here is fast or hangs
LIMITS = Limits(time_limit=1.0)

_ORACLE = r"""
import json, sys, unittest
program, test, kind, class_name, out = json.loads(sys.argv[1])
def verdict():
    ns = {"__name__": "solution"}
    try:
        exec(compile(program, "<candidate>", "exec"), ns)
        exec(compile(test, "<test>", "exec"), ns)
        if kind != "unittest":
            return 0
        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(ns[class_name]).run(result)
        if result.errors:
            return 2
        if result.failures or result.unexpectedSuccesses:
            return 1
        return 2 if result.testsRun == len(result.skipped) else 0
    except AssertionError:
        return 1
    except BaseException:
        return 2
v = verdict()
with open(out, "w") as f:
    f.write(str(v))
"""


def oracle_verdict(program: str, test: UnitTest) -> int:
    """One pair in a brand new interpreter (the reference semantics)."""
    with tempfile.TemporaryDirectory() as cwd:
        out = os.path.join(tempfile.gettempdir(), f"oracle-{os.getpid()}-{random.random()}")
        arg = json.dumps([program, test.source, test.kind, test.class_name, out])
        try:
            subprocess.run([sys.executable, "-s", "-c", _ORACLE, arg], cwd=cwd,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=scrubbed_env(),
                           timeout=ORACLE_TIMEOUT, start_new_session=True)
        except subprocess.TimeoutExpired:
            return Verdict.TIMEOUT
        finally:
            pass
        try:
            with open(out) as f:
                return int(f.read())
        except (OSError, ValueError):
            return Verdict.CRASH
        finally:
            if os.path.exists(out):
                os.unlink(out)


def oracle_matrix(problem: Problem) -> list[list[int]]:
    pairs = [(c.source, t) for c in problem.candidates for t in problem.tests]
    with ThreadPoolExecutor(6) as pool:
        flat = list(pool.map(lambda p: int(oracle_verdict(*p)), pairs))
    n = len(problem.tests)
    return [flat[i:i + n] for i in range(0, len(flat), n)]


def _u(body: str, extra_methods: str = "") -> UnitTest:
    import textwrap

    src = ("import unittest\n\n\nclass T(unittest.TestCase):\n    def test_a(self):\n"
           + textwrap.indent(textwrap.dedent(body).strip() + "\n", " " * 8) + extra_methods)
    return UnitTest(0, src, "unittest", "T")


def _a(src: str) -> UnitTest:
    return UnitTest(0, src if src.endswith("\n") else src + "\n", "assert")


RNG_12345 = random.Random(12345).random()

LEAKY_CANDIDATES = [
    "def add(a, b):\n    return a + b\n",
    # candidate globals and a mutable default argument: fresh per pair
    "CALLS = []\n\n\ndef add(a, b, seen=[]):\n    seen.append(a)\n    CALLS.append(b)\n"
    "    assert len(seen) == 1, 'default list leaked'\n    return a + b\n",
    # class attribute accumulating across calls
    "class Acc:\n    total = 0\n\n\ndef add(a, b):\n    Acc.total += a + b\n    return Acc.total\n",
    "import random\nrandom.seed(0)\n\n\ndef add(a, b):\n    return a + b\n",
]

# (leaker, checker) pairs interleaved so checkers run right after leakers in the same
# runner, in the same batch and across batch boundaries (runner.BATCH_TESTS per batch;
# one test runs them with 3 tests per batch).
LEAKY_TESTS = [
    _a("assert add(1, 2) == 3"),
    _a("import math\nmath.pi = 3"), _a("import math\nassert math.pi > 3.14"),
    _a("import builtins\nbuiltins.abs = lambda x: 0"), _a("assert abs(-2) == 2"),
    _a("global add\nadd = lambda a, b: 0"), _a("assert add(2, 2) == 4"),
    _a("add(1, 1)\nassert len(globals().get('CALLS', [None])) == 1"),
    _a("assert add(1, 1) == 2\nassert add(2, 2) in (4, 6)"),
    _a("import random\nrandom.seed(12345)"),
    _a(f"import random\nassert random.random() != {RNG_12345!r}"),
    _a("import sys\nsys.setrecursionlimit(60)"),
    _a("def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nassert f(300) == 300"),
    _a("import os\nos.chdir('/')"), _a("import os\nassert os.getcwd() != '/'"),
    _a("import os\nos.environ['LEAKED'] = '1'"),
    _a("import os\nassert 'LEAKED' not in os.environ"),
    _a("import threading, time, math\n\n\ndef spoil():\n    for _ in range(400):\n"
       "        math.e = 0\n        time.sleep(0.005)\n\n\n"
       "threading.Thread(target=spoil, daemon=True).start()"),
    _a("import math, time\ntime.sleep(0.05)\nassert math.e > 2"),
    _a("open('leak.txt', 'w').write('x')"),
    _a("import os\nassert not os.path.exists('leak.txt')"),
    _a("import sys\nsys.modules['json'] = None"), _a("import json\nassert json.dumps(1) == '1'"),
    _a("import sys\nsys.stdout = None"), _a("print('ok')\nassert add(1, 2) == 3"),
    # the static check's former blind spots: state changed without an attribute store
    _a("import collections.abc\ncollections.abc.__all__.append('leak')"),
    _a("import collections.abc\nassert 'leak' not in collections.abc.__all__"),
    _a("import copy\ncopy._deepcopy_dispatch[int] = lambda x, memo: 0"),
    _a("import copy\nassert copy.deepcopy(5) == 5"),
    _u("self.assertEqual(add(2, 3), 5)"),
    _a("print('y' * 10 ** 6)\nassert add(2, 3) == 5"),
    _a("import sys\nassert sys.stdin.read() == ''"),
    _a("import string, hashlib, datetime, fractions\nassert string.digits"),
    _a("def g(x: NotDefined):\n    pass"),  # evaluated at the def: a NameError
]

MODULE_LEVEL_CANDIDATES = [
    "def add(a, b):\n    return a + b\n",
    "raise ValueError('boom')\n",
    "import time\nwhile True:\n    time.sleep(0.01)\n",
    "import os\nos._exit(3)\n",
    "def add(a, b) return a + b\n",  # syntax error
    "import sys\nsys.exit(0)\n",
    "def add(a, b):\n    return a + b\n\n\nadd(1, 2) + input()\n",  # reads stdin at import
    # a failing module-level assert: FAIL for every pair, as a fresh interpreter says
    "def add(a, b):\n    return a + b\n\n\nassert add(1, 1) == 3\n",
    # an annotation naming nothing: a NameError at the def in a fresh interpreter (no
    # ``from __future__ import annotations`` may leak into the candidate's compile)
    "def add(a: List[int], b: int) -> int:\n    return a + b\n",
    "print('x' * 100000)\n\n\ndef add(a, b):\n    return a - b\n",
]

UNITTEST_SHAPES = [
    _u("self.assertEqual(add(1, 2), 3)"),
    _u("self.assertEqual(add(1, 2), 4)", "\n    def test_b(self):\n        pass\n"),
    _u("raise KeyError('x')", "\n    def test_b(self):\n        self.fail()\n"),
    _u("self.skipTest('no')"),
    _u("self.skipTest('no')", "\n    def test_b(self):\n        self.assertTrue(add(0, 0) == 0)\n"),
    _u("import time\nwhile True:\n    time.sleep(0.01)"),
    _u("self.assertEqual(input(), '')"),
    UnitTest(0, "import unittest\nclass T(unittest.TestCase)\n    pass\n", "unittest", "T"),
]


_SLEEP_FOREVER = "import time\nwhile True:\n    time.sleep(0.01)"

# Timeouts followed by checkers: after a timeout the next pair runs in the spare runner
# that the server forked ahead of need (worker.Server); it must see what a fresh
# interpreter in a fresh temp dir sees: an empty cwd, no file of the killed pair.
AFTER_TIMEOUT_TESTS = [
    _a("import os\nassert os.listdir('.') == []"),
    _a("open('before_hang.txt', 'w').write('x')\n" + _SLEEP_FOREVER),
    _a("import os\nassert os.listdir('.') == []\nassert add(1, 2) == 3"),
    _a(_SLEEP_FOREVER),
    _a("print('z')\nassert add(0, 0) == 0"),
    _a("import os\nos.makedirs('d/e')\n" + _SLEEP_FOREVER),
    _a("import os\nassert not os.path.exists('d')\nassert add(2, 2) == 4"),
]

# A timed-out pair that left a process of its own session behind (root: the sandbox uid
# is swept by the next runner before it runs anything).  The first timeout makes the
# server keep a spare runner, so the stray's sweep is the spare's.
STRAY_PROCESS_TESTS = [
    _a(_SLEEP_FOREVER),
    _a("assert add(1, 2) == 3"),
    # writes 1.2 s after it started: after its parent pair timed out (LIMITS: 1 s) and
    # while the next pair (which looks at 1.5 s or later) still runs
    _a("import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 1.2; touch late.txt'], "
       "start_new_session=True)\n" + _SLEEP_FOREVER),
    _a("import os, time\ntime.sleep(0.5)\nassert not os.path.exists('late.txt')"),
    _a("assert add(1, 1) == 2"),
]


def _problem(task_id: str, programs: list[str], tests: list[UnitTest]) -> Problem:
    fresh = [UnitTest(i, t.source, t.kind, t.class_name) for i, t in enumerate(tests)]
    return Problem(task_id, entry_point="add",
                   candidates=[Candidate(i, s) for i, s in enumerate(programs)], tests=fresh)


def _compare(problem: Problem) -> None:
    ours = execute_problems([problem], jobs=2, limits=LIMITS)[problem.task_id].verdicts
    expected = oracle_matrix(problem)
    diffs = [(ci, ti, Verdict(expected[ci][ti]).name, Verdict(int(ours[ci, ti])).name)
             for ci in range(len(expected)) for ti in range(len(expected[ci]))
             if expected[ci][ti] != int(ours[ci, ti])]
    assert not diffs, f"(candidate, test, oracle, executor): {diffs}"


def test_leaky_pairs_match_fresh_interpreter_oracle():
    _compare(_problem("leaky", LEAKY_CANDIDATES, LEAKY_TESTS))


def test_leaky_pairs_match_oracle_across_batch_boundaries(monkeypatch):
    from coderm_evalplus.execute import runner

    monkeypatch.setattr(runner, "BATCH_TESTS", 3)  # leakers and checkers in different batches
    _compare(_problem("leaky-small-batches", LEAKY_CANDIDATES, LEAKY_TESTS))


def test_module_level_failures_and_unittest_shapes_match_oracle():
    _compare(_problem("shapes", MODULE_LEVEL_CANDIDATES, UNITTEST_SHAPES))


def test_pairs_after_timeouts_match_oracle():
    _compare(_problem("after-timeout", LEAKY_CANDIDATES[:1] + [
        "def add(a, b):\n    return a - b\n"], AFTER_TIMEOUT_TESTS))


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid sweep exists only as root")
def test_stray_process_of_a_timed_out_pair_is_swept():
    _compare(_problem("stray", LEAKY_CANDIDATES[:1], STRAY_PROCESS_TESTS))


def test_oracle_is_not_vacuous():
    """The oracle itself distinguishes every verdict (so agreement above means something)."""
    seen = {oracle_verdict(p, t) for p, t in [
        (LEAKY_CANDIDATES[0], _a("assert add(1, 2) == 3")),
        (MODULE_LEVEL_CANDIDATES[-1], _a("assert add(1, 2) == 3")),
        (MODULE_LEVEL_CANDIDATES[1], _a("pass")),
        (MODULE_LEVEL_CANDIDATES[2], _a("pass")),
        (MODULE_LEVEL_CANDIDATES[3], _a("pass")),
    ]}
    assert seen == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("source, flagged", [
    ("assert add(1, 2) == 3", False),
    ("x = [1]\nx[0] = 2\nassert x == [2]", False),
    ("import heapq\nh = []\nheapq.heappush(h, 1)", False),
    ("import math\nmath.pi = 3", True),
    ("import collections.abc\ncollections.abc.__all__.append('x')", True),
    ("import copy\ncopy._deepcopy_dispatch[int] = None", True),
    ("from re import _cache", True),
    ("from collections.abc import __all__ as A\nA.append('x')", True),
])
def test_static_check_flags_shared_state_changes(source, flagged):
    from coderm_evalplus.execute.worker import may_touch_shared_state

    assert may_touch_shared_state(source) is flagged
