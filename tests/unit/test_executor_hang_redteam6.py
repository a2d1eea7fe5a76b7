"""Red-team of the hang proofs' anat5 rules (text sinks, write-only ints, pure calls and
any appended value where no moved int reaches, a too-large state at one loop head): pairs
whose loops fit those shapes but END within the limit - a MemoryError, an exception, an
exit - must get the verdict a run without proofs gives, never an early TIMEOUT.  Each
case is a hole the rules had (see docs/results.md, "red-team of the anat5 rules"); real
fork servers, real CPU and memory limits."""

from __future__ import annotations

from worker_server import WorkerServer

from coderm_evalplus.execute import worker
from coderm_evalplus.model import Verdict

ERROR, TIMEOUT = int(Verdict.ERROR), int(Verdict.TIMEOUT)


def _verdict(program: str, test: str, limit: float, memory_mb: int) -> int:
    """The verdict of one pair on a fresh server (a runner that had a MemoryError may
    keep its address space)."""
    s = WorkerServer()
    try:
        return s.batch(program, [test], limit, memory_mb)[0]["v"][0]
    finally:
        s.close()


# Each pass appends one new 1 MB string, then 300 zeros, then spends most of its time in
# one C call (sum over a range) - where the profiling timer mostly fires.  The growth
# judge sized the items by the last 256 appended: zeros, so it saw 18 bytes an item while
# each pass adds 1 MB, and proved a loop that runs out of 800 MB after ~2 s of CPU.
LAST_ITEMS = ("def f(x, n, k, m):\n    out = []\n    while x != -1:\n"
              "        out.append('x' * n)\n        for i in range(k):\n"
              "            out.append(0)\n        t = sum(range(m))\n        x //= 2\n"
              "    return out\n", "assert f(5, 1000000, 300, 150000) == []")


def test_a_large_item_before_many_small_ones_is_counted():
    """Three runs: where the timer fires is chance (unfixed, ~2 in 3 runs were proved)."""
    program, test = LAST_ITEMS
    assert worker.hang_provable(program)
    # a 6 s limit: the real run's MemoryError (~2 s of CPU) must not be overtaken by the cut
    # when CI's load stretches its page-fault time; a wrong proof still gives TIMEOUT early
    assert [_verdict(program, test, 6.0, 800) for _ in range(3)] == [ERROR] * 3


# A text sink ``s += p`` in a warm function (called 9 times first: its code is quickened,
# so CPython appends in place, ~500 MB/s here).  The watch reads the frame's locals (a
# snapshot that holds ``s``), so the next append had to copy all of ``s`` (~160 MB, ~75
# ms): the growth window measured that one copy and almost no growth, and a loop that
# runs out of 1000 MB at ~2.5 s of CPU was proved (TIMEOUT at 0.4 s wall).
WARM_TEXT = ("def f(x, n, k, m):\n    s = 'a' * n\n    p = 'b' * k\n    while x != -1:\n"
             "        s += p\n        t = sum(range(m))\n        x //= 2\n    return s\n",
             "for _ in range(9): f(-1, 0, 1, 1)\nassert f(5, 90000000, 8000, 1000) == ''")


def test_an_in_place_text_sink_is_measured_after_the_copy_the_watch_forces():
    program, test = WARM_TEXT
    assert worker.hang_provable(program) and worker.hang_provable(test, test=True)
    assert [_verdict(program, test, 6.0, 1000) for _ in range(2)] == [ERROR] * 2  # see above


# The same warm ``s += p`` loop, but ``s`` is read (``len(s)``): no text sink, no proof -
# yet the trace window left the frame's locals snapshot referring to one old copy of the
# ~160 MB string, in the way of its in-place growth: the rest of the run took 1.5 times
# the CPU, and a pair that runs out of 900 MB at ~2 s of CPU (ERROR) was cut at its 3 s
# limit (TIMEOUT).
PINNED = ("def f(x, n, k, m, c):\n    s = 'a' * n\n    p = 'b' * k\n    while x != -1:\n"
          "        s += p\n        t = sum(range(m))\n        x //= 2\n"
          "        c.append(len(s))\n    return s\n",
          "for _ in range(9): f(-1, 0, 1, 1, [])\n"
          "assert f(5, 90000000, 8000, 1000, []) == ''")


def test_a_traced_pair_is_not_slowed_by_the_snapshot_the_trace_left():
    program, test = PINNED
    assert worker.hang_provable(program) and worker.hang_provable(test, test=True)
    assert _verdict(program, test, 3.0, 900) == ERROR
