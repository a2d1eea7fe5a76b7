"""Hang proofs (worker.HangWatch): a pair whose whole state repeats is a TIMEOUT at once;
nothing else may change verdict.  Real fork servers, real CPU limits."""

from __future__ import annotations

import gc
import json
import mmap
import sys
import time
from pathlib import Path

import pytest
from worker_server import WorkerServer, private_output

from coderm_evalplus.execute import worker
from coderm_evalplus.execute.worker import _loop_lines, hang_provable
from coderm_evalplus.model import Verdict

WORKER = Path(worker.__file__)
PASS, FAIL, ERROR, TIMEOUT = (int(Verdict.PASS), int(Verdict.FAIL), int(Verdict.ERROR),
                              int(Verdict.TIMEOUT))


class Server(WorkerServer):
    def run(self, program: str, tests: list[str], limit: float,
            memory_mb: int = 2048) -> tuple[list[int], float]:
        """Verdicts and wall seconds of one batch."""
        reply, wall = self.batch(program, tests, limit, memory_mb)
        return reply["v"], wall


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


CYCLE = "def f(x):\n    while True:\n        x = (x + 1) % 7\n    return x\n"
# grows a list that it reads: no state repeats, and that list is not an append-only sink
GROWS = ("def f(x):\n    xs = []\n    while True:\n        xs.append(x)\n"
         "        x = xs[-1]\n    return x\n")


def test_a_repeating_state_is_a_timeout_long_before_the_limit(server):
    verdicts, wall = server.run(CYCLE, ["assert f(1) == 2", "assert f(3) == 2"], limit=5.0)
    assert verdicts == [TIMEOUT, TIMEOUT]
    # unproven, each would take 5 s of CPU; a proof needs ~8 % of that per pair (the
    # second may even be inferred from the first): well under one limit of wall time
    # even on a loaded machine
    assert wall < 4.0


def test_a_repeating_state_inside_a_for_loop_is_proved(server):
    program = ("def f(xs):\n    ys = list(xs)\n    for i in range(len(ys)):\n"
               "        while ys[i] % 2 == 0:\n            ys[i] //= 2\n    return ys\n")
    verdicts, wall = server.run(program, ["assert f([4, 0, 3]) == [1, 0, 3]",
                                          "assert f([4, 3]) == [1, 3]"], limit=5.0)
    assert verdicts == [TIMEOUT, PASS]
    assert wall < 4.0


def test_a_growing_state_proves_nothing_and_times_out_at_the_limit(server):
    verdicts, wall = server.run(GROWS, ["assert f(1) == 2"], limit=0.6)
    assert verdicts == [TIMEOUT]
    assert wall >= 0.6  # it used its whole CPU budget


def test_a_watched_hang_that_is_not_proved_costs_one_limit_and_keeps_its_runner():
    """A traced pair cut at its limit is not run again (that burnt a second limit and
    then cost the runner); the next test runs on the same runner."""
    import resource

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = children_cpu()
    s = Server()
    s.bid += 1
    floats = "def f(x):\n    x = float(x)\n    while True:\n        x += 1.0\n    return x\n"
    msg = {"id": s.bid, "program": floats, "tests": [
        {"source": "assert f(1) == 2", "kind": "assert"},
        {"source": "assert f(5) == 2", "kind": "assert"}],
        "limits": {"time_limit": 0.5, "memory_mb": 2048, "max_output_bytes": 1 << 20,
                   "max_processes": 32}}
    s.proc.stdin.write(json.dumps(msg) + "\n")
    s.proc.stdin.flush()
    reply = json.loads(s.proc.stdout.readline())
    s.close()
    used = children_cpu() - before  # the server and every runner it reaped
    assert reply["v"] == [TIMEOUT, TIMEOUT]
    assert reply["r"] == 1  # one runner for both pairs: the first cut did not kill it
    assert 1.0 <= used < 1.6  # two limits of 0.5 s plus start-up; re-run: over 2 s


# States that repeat somewhere, but not as a whole in a frame that never returns: each
# of these ends, and must get its real verdict.
ENDS = {
    # the callee g's loop-head state recurs across calls; each call returns
    "callee": "def g():\n    i = 0\n    while i < 3:\n        i += 1\n    return i\n"
              "def f():\n    k = 0\n    while k < 1500000:\n        g()\n        k += 1\n"
              "    return k\n",
    # x cycles, but a global list grows: the globals are part of the state
    "global": "calls = [0]\ndef f():\n    x = 0\n    while True:\n        x = (x + 1) % 3\n"
              "        calls[0] += 1\n        if calls[0] > 2000000:\n            return x\n",
    # x cycles, but a closure cell counts up (the function's closure is state)
    "closure": "def f():\n    n = 0\n    def step():\n        nonlocal n\n        n += 1\n"
               "        return n > 1500000\n    x = 0\n    while True:\n"
               "        x = (x + 1) % 3\n        if step():\n            return x\n",
    # x cycles, but a default argument list (shared between calls) counts up
    "default": "def f(acc=[0]):\n    x = 0\n    while True:\n        x = (x + 1) % 3\n"
               "        acc[0] += 1\n        if acc[0] > 1500000:\n            return x\n",
}
# a for loop whose body's while state repeats at each of its passes: the for moves on
ENDS["for"] = ("def f():\n    t = 0\n    for k in [1] * 1500000:\n        x = 0\n"
               "        while x < 3:\n            x += k\n        t += 0\n    return x\n")
# ints that move but do end the loop: the monotone proof (worker._ints_only_move) must
# refuse each - a bound not yet passed, an index, a second counter still short of its bound
ENDS["counter"] = ("def f():\n    i = 0\n    while True:\n        i += 1\n"
                   "        if i > 12000000:\n            return i\n")
ENDS["index"] = ("def f():\n    xs = (0,) * 1000\n    i = -1001\n    try:\n"
                 "        while True:\n            i += 1\n"
                 "            for _ in range(5000):\n                pass\n"
                 "            xs[i]\n    except IndexError:\n        return i\n")
ENDS["slice"] = ("def f():\n    xs = [1, 2, 3]\n    r = 0\n    k = 0\n    while True:\n"
                 "        r += 1\n        k += 1\n"
                 "        if sum(xs[0:r + 1]) == 6 and k > 2000000:\n            return r\n")
ENDS["range"] = ("def f():\n    j = 0\n    t = 0\n    while t < 2000000:\n"
                 "        t += 1\n        for _ in range(j, 3):\n            pass\n"
                 "        j += 1\n    return j\n")
EXPECTED = {"for": "3", "callee": "1500000", "global": "2000001 % 3", "closure": "1500001 % 3",
            "default": "1500001 % 3", "counter": "12000001", "index": "2000000",
            "slice": "2000001", "range": "2000000"}
EXPECTED["index"] = "1000"


@pytest.mark.parametrize("name", sorted(ENDS))
def test_a_loop_that_ends_is_never_proved_endless(server, name):
    test = f"assert f() == {EXPECTED[name]}"
    wrong = f"assert f() == ({EXPECTED[name]}) + 1"
    verdicts, _ = server.run(ENDS[name], [test, wrong], limit=3.0)
    assert verdicts == [PASS, FAIL]


# Loops that never end although their state never repeats: ints move away from every
# exit (CodeT candidates of HumanEval/102 and /114 whose hangs cost ~45 % of the CPU of
# the executor benchmark before these proofs).
MOVES = {
    "past_bound": ("def f(x, y):\n    n = y\n    while True:\n        if x <= n <= y:\n"
                   "            return n\n        n = n + 1\n", "assert f(9, 4) == -1"),
    "slice_saturated": ("def f(nums):\n    min_sum = nums[0]\n    left = 0\n    right = 0\n"
                        "    while True:\n        if sum(nums[left:right + 1]) >= min_sum:\n"
                        "            right += 1\n        else:\n"
                        "            min_sum = sum(nums[left:right + 1]) - nums[left]\n"
                        "            left += 1\n        if left > right:\n            break\n"
                        "    return min_sum\n", "assert f([1, 1, 1]) == 1"),
    "empty_range": ("def f(nums):\n    total = 0\n    for j in range(len(nums)):\n"
                    "        total = total + nums[j]\n        while total >= 0:\n"
                    "            best = total\n            total = 0\n"
                    "            for i in range(j, len(nums)):\n"
                    "                total = total + nums[i]\n            j = j + 1\n"
                    "        return best\n", "assert f([1, 2]) == 1"),
    "steps_over": ("def f(v):\n    while v != 10:\n        v += 3\n    return v\n",
                   "assert f(0) == 10"),
    # CodeT HumanEval/100 and /102 candidates (issue 20, session 9): a list only appended
    # to (a sink), a remainder that a shift by 2 keeps, alternating passes, print
    "sink_moves": ("def f(n):\n    level = [n]\n    while n != 1:\n        n = n - 2\n"
                   "        level.append(n)\n    return level\n", "assert f(8) == [8]"),
    "sink_parity": ("def f(n):\n    stones = [n]\n    while n > 0:\n"
                    "        n = (n + 1) if n % 2 == 1 else (n + 2)\n"
                    "        stones.append(n)\n    return stones\n", "assert f(3) == [3]"),
    "sink_repeats": ("def f(n):\n    res = []\n    k = n\n    while k > 0:\n"
                     "        res.append(k)\n        k = (k + 1) // 2\n    return res\n",
                     "assert f(7) == [7]"),
    "prints_elsewhere": ("def f(x, y):\n    while x < 0 or x > y:\n        print('no', y)\n"
                         "        x, y = y, x\n    while y - x != 1:\n        if x % 2 != 0:\n"
                         "            x += 1\n        else:\n            x += 2\n    return x\n",
                         "assert f(10, 20) == 1"),
    "helper": ("def f(n):\n    def get_number_of_stones(n):\n        if n % 2 == 1:\n"
               "            return n + 1\n        return n + 2\n    pile = []\n    level = n\n"
               "    while level > 0:\n        pile.append(level)\n"
               "        level = get_number_of_stones(level)\n    return pile\n",
               "assert f(3) == [3]"),
    "alternating": ("def f(x, y):\n    n = y\n    while True:\n        if n % 2 == 0:\n"
                    "            if x <= n <= y:\n                return n\n"
                    "            else:\n                n = n + 1\n        else:\n"
                    "            n = n + 1\n", "assert f(10, 15) == 1"),
}


@pytest.mark.parametrize("name", sorted(MOVES))
def test_ints_moving_away_from_every_exit_are_proved_endless(server, name):
    program, test = MOVES[name]
    # the sinks grow ~0.6 GB per second of CPU: an address space of 8 GB leaves room for
    # twice that rate over the whole limit (HangWatch._judge_growth)
    verdicts, wall = server.run(program, [test], limit=2.0, memory_mb=8192)
    assert verdicts == [TIMEOUT]
    assert wall < 1.6  # unproven: 2 s of CPU
    if ".append(" in program:
        return  # in-process there is no address-space limit: a sink proves nothing
    watch = worker.HangWatch(1.0, mmap.mmap(-1, 4096))  # in-process: it is the proof
    _run_in_watch(watch, program, test)
    assert watch.proved

@pytest.mark.parametrize("limit, memory_mb", [(5.0, 700), (2.0, 400)])
def test_a_sink_that_would_run_out_of_memory_keeps_the_verdict_of_a_real_run(
        limit, memory_mb):
    """An append-only list that grows past the memory limit long before the time limit
    (~0.6 GB per second of CPU): the real run ends in a MemoryError (ERROR), so the
    endless loop must not be 'proved' a TIMEOUT; the same program unwatched (``import
    random`` makes it unprovable) gives the verdict a run without proofs gives.  A fresh
    server each (a runner that had a MemoryError may keep its address space mapped)."""
    program, test = MOVES["sink_moves"]
    unwatched = "import random\n" + program
    assert not hang_provable(unwatched)
    got = []
    for source in (program, unwatched):
        s = Server()
        try:
            got.append(s.run(source, [test], limit=limit, memory_mb=memory_mb)[0])
        finally:
            s.close()
    assert got == [[ERROR], [ERROR]]


def _run_in_watch(watch: worker.HangWatch, program: str, test: str) -> int:
    """Run one pair in-process (the runner's own mechanics) under ``watch``: its verdict.
    The objects this process made so far are frozen out of the GC, as the server's are
    when it forks a runner (pytest's own classes must not count as the pair's, see
    HangWatch._clean_heap)."""
    ns = worker._fresh_namespace()
    codes = compile(program, "<candidate>", "exec"), compile(test, "<test>", "exec")
    with private_output():
        gc.freeze()
        watch.start(0, ns, program, test)  # (its CPU timer runs from here)
        try:
            return worker.run_pair(*codes, "assert", None, ns)
        finally:
            watch.stop()
            gc.unfreeze()


def _run_watched(cls: type, name: str) -> tuple:
    """Run the ending loop ``name`` under a hang watch of class ``cls``: (the watch, the
    pair's verdict)."""
    watch = cls(1.0, mmap.mmap(-1, 4096))
    return watch, _run_in_watch(watch, ENDS[name], f"assert f() == {EXPECTED[name]}")



@pytest.mark.parametrize("name", ["counter", "index", "range", "slice"])
def test_moving_ints_that_end_their_loop_are_judged_and_refused(monkeypatch, name):
    """The int-moving proof is consulted on these ending loops (their heads' states differ
    only in moving ints) and says no every time."""
    asked = []
    judge = worker._ints_only_move

    def spy(*args):
        asked.append(judge(*args))
        return asked[-1]

    monkeypatch.setattr(worker, "_ints_only_move", spy)
    watch, verdict = _run_watched(worker.HangWatch, name)
    assert verdict == PASS and not watch.proved
    assert len(asked) >= 2 and not any(asked)


class _ForgetsNothingAtForHeaders(worker.HangWatch):
    def _loops(self, filename):
        return super()._loops(filename)[0], frozenset()


@pytest.mark.parametrize("name", sorted(ENDS))
def test_each_ending_loop_is_watched_and_not_proved(name):
    """In-process: the programs above really run past the watch's start and have their
    states taken (so the test above is not vacuous); the for loop would be 'proved'
    endless if the watch did not forget a frame's states at its for headers."""
    for cls in (worker.HangWatch, _ForgetsNothingAtForHeaders):
        watch, verdict = _run_watched(cls, name)
        if cls is worker.HangWatch:
            assert watch.traced and watch.states > 0 and not watch.proved
            assert verdict == PASS
        elif name == "for":
            assert watch.proved  # the reset is what keeps this proof out


@pytest.mark.parametrize("program", [
    "import random\ndef f(x):\n    while True:\n        x = random.randint(0, 1)\n",
    "import time\ndef f(x):\n    while True:\n        x = int(time.time()) % 1\n",
])
def test_a_nondeterministic_loop_is_not_watched_and_runs_to_the_limit(server, program):
    assert not hang_provable(program)
    verdicts, wall = server.run(program, ["assert f(1) == 2"], limit=0.5)
    assert verdicts == [TIMEOUT]
    assert wall >= 0.5


def _loop_seconds(n: int) -> float:
    started = time.thread_time()
    i = 0
    while i < n:
        i += 1
    return time.thread_time() - started


def test_a_traced_pair_that_ends_is_run_again_with_a_fresh_budget(server):
    # a pair that needs ~60 % of its limit: watched at 5 %, traced for 3 %, then it ends
    # and is run again untraced with a fresh budget - PASS.  Were the budget not renewed
    # for the rerun, the two runs together would need ~120 %.
    n = 2_000_000
    per_iter = min(_loop_seconds(n) for _ in range(3)) / n
    limit = 1.0
    target = int(0.6 * limit / per_iter)
    program = f"def f():\n    i = 0\n    while i < {target}:\n        i += 1\n    return i\n"
    verdicts, _ = server.run(program, [f"assert f() == {target}"], limit=limit)
    assert verdicts == [PASS]


def test_the_watch_window_is_not_charged():
    # in-process (the runner's own mechanics): the header that the server reads the
    # pair's budget from moves forward by the traced window's wall and CPU seconds
    shm = mmap.mmap(-1, 4096)
    watch = worker.HangWatch(0.5, shm)
    program = "def f():\n    i = 0\n    while i < 3000000:\n        i += 1\n    return i\n"
    test = "assert f() == 3000000"
    worker._HDR.pack_into(shm, 0, 0, 100.0, 1.0)
    verdict = _run_in_watch(watch, program, test)
    assert verdict == PASS and watch.traced and not watch.proved
    assert sys.gettrace() is None
    pos, wall, cpu = worker._HDR.unpack_from(shm, 0)
    assert pos == 0 and wall - 100.0 == pytest.approx(watch.t_wall) and watch.t_wall > 0
    assert cpu - 1.0 == pytest.approx(watch.t_cpu) and watch.t_cpu >= 0.5 * 0.03 * 0.9


def test_a_pair_disturbed_by_tracing_is_judged_untraced(server):
    # recursion near the limit while the watch traces: if the trace function's frames made
    # it a RecursionError, the rerun untraced gives the real verdict
    program = ("def deep(n):\n    return 0 if n == 0 else 1 + deep(n - 1)\n"
               "def f():\n    i = 0\n    while i < 3000000:\n        i += 1\n"
               "        if i % 50000 == 0:\n            try:\n                deep(975)\n"
               "            except RecursionError:\n                return 'disturbed'\n"
               "    return 'ok'\n")
    verdicts, _ = server.run(program, ["assert f() == 'ok'"], limit=20.0)
    assert verdicts == [PASS]


@pytest.mark.parametrize("source, provable", [
    (CYCLE, True),
    ("from typing import List\nimport math\ndef f(x: List[int]):\n    return math.gcd(*x)\n",
     True),
    # watched: only passes that print nothing can be proved (HangWatch.prints)
    ("def f(x):\n    print(x)\n", True),
    ("def f(x):\n    return __builtins__\n", False),
    ("import sys\ndef f(x):\n    return sys.getrecursionlimit()\n", False),
    ("def f(x):\n    return x is 5\n", False),  # identity of equal values differs
    ("def f(x):\n    return x is None\n", True),
    ("def f(x):\n    return g(x) is True\n", True),  # one True: decided by the value
    ("def f(x):\n    return g(x) is not None\n", True),
    ("def f(x):\n    return g(x) is x\n", False),
    ("def f(x):\n    return x is y is None\n", False),
    ("class A:\n    pass\n", False),
])
def test_hang_provable(source, provable):
    assert hang_provable(source) is provable


def test_loop_heads_are_while_bodies_outside_with_and_handlers():
    source = ("def f(x):\n"            # 1
              "    while x:\n"         # 2
              "        x -= 1\n"       # 3  head
              "    for i in x:\n"      # 4  a for header: the watch forgets states here
              "        while i:\n"     # 5
              "            i -= 1\n"   # 6  head (the for iterator moves only at line 4)
              "    try:\n"             # 7
              "        while x:\n"     # 8
              "            x = [y for y in x]\n"  # 9 a comprehension's own loop
              "    except ValueError:\n"  # 10
              "        while x:\n"     # 11
              "            x -= 1\n"   # 12 inside a handler: the exception is on the stack
              "    with x:\n"          # 13
              "        while x:\n"     # 14
              "            x -= 1\n")  # 15 inside a with: its exit is on the stack
    assert _loop_lines(source) == (frozenset({3, 6}), frozenset({4}))
