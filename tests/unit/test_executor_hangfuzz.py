"""Soundness fuzz of the hang proofs (worker._ints_only_move, append-only sinks, remainders,
alternating passes): generated loops of the shapes the proofs accept.  Each loop that
ends - after 5x10^4..2x10^6 passes, with counters that come back, remainders a step does
not keep, lists read later or through an alias - must get its real verdict (PASS, with
the value the loop computes, checked in this process), never TIMEOUT; each endless
variant must be proved, i.e. be a TIMEOUT long before its limit.  Real fork servers,
real CPU limits."""

from __future__ import annotations

import gc
import mmap
import random
from pathlib import Path

import pytest
from worker_server import WorkerServer, private_output

from coderm_evalplus.execute import worker
from coderm_evalplus.model import Verdict

WORKER = Path(worker.__file__)
PASS, TIMEOUT = int(Verdict.PASS), int(Verdict.TIMEOUT)
LIMIT = 3.0  # s of CPU: an ending loop here needs < 0.5 s
MEMORY_MB = 8192  # room for an endless sink at twice its rate for a whole limit


def _fmt(template: str, args) -> str:
    """``template`` with its ``%d`` fields filled in order (other ``%`` are code)."""
    args = args if isinstance(args, tuple) else (args,)
    parts = template.split("%d")
    assert len(parts) == len(args) + 1
    return "".join(part + str(a) for part, a in zip(parts, args)) + parts[-1]


def _passes(rng: random.Random) -> int:
    return int(10 ** rng.uniform(4.7, 6.3))


def _ending(rng: random.Random, shape: str) -> tuple[str, str]:
    """(program defining f, the call) of a loop that ends."""
    p = _passes(rng)
    step = rng.randint(1, 7)
    if shape == "sink_down":  # n != stop is met exactly: the remainder is right
        stop = rng.randint(-50, 50)
        return (_fmt("def f(n):\n    acc = [n]\n    while n != %d:\n        n = n - %d\n"
                "        acc.append(n)\n    return len(acc)\n", (stop, step)),
                f"f({stop + p * step})")
    if shape == "parity_until":  # ints move, a conditional update, a bound it reaches
        k = rng.randint(2, 5)
        return (_fmt("def f(n):\n    out = []\n    while n < %d:\n"
                "        n = (n + 1) if n % %d == %d else (n + %d)\n"
                "        out.append(n)\n    return n\n", (p * 2, k, rng.randrange(k), k)),
                f"f({rng.randint(0, 9)})")
    if shape == "parity_hits":  # n != lim with a step the remainder of lim allows
        k = rng.randint(2, 5)
        start = rng.randint(0, 20) * k
        return (_fmt("def f(n):\n    out = []\n    while n != %d:\n"
                "        n = (n + 1) if n % %d == 1 else (n + %d)\n"
                "        out.append(n)\n    return len(out)\n", (start + p * k, k, k)),
                f"f({start})")
    if shape == "mod_not_kept":  # n % k decides, but the step is not a multiple of k
        k = rng.randint(3, 9)
        s = rng.choice([x for x in range(1, 2 * k) if x % k])
        return (_fmt("def f(n):\n    c = 0\n    while True:\n        if n % %d == 0:\n"
                "            c += 1\n            if c > %d:\n                return n\n"
                "        n += %d\n", (k, max(p // k, 1), s)), f"f({rng.randint(1, 50)})")
    if shape == "mod_by_variable":  # a modulus that changes: not a literal
        return (_fmt("def f(n):\n    m = 2\n    while True:\n        if n % m == m - 1 and m > %d:\n"
                "            return m\n        m += 1\n        n += 2\n", min(p, 200000)),
                "f(3)")
    if shape == "alternating":  # period 2 with an exit the even passes reach
        lim = p + rng.randint(0, 9)
        return ("def f(x, y):\n    n = y\n    while True:\n        if n % 2 == 0:\n"
                "            if n >= x:\n                return n\n"
                "            else:\n                n = n + 1\n        else:\n"
                "            n = n + 1\n", f"f({lim}, {rng.randint(0, 9)})")
    if shape == "alternating_mixed":  # +3 then -1: net +2 a period, not monotone
        return (_fmt("def f(n):\n    while True:\n        if n % 2 == 0:\n            n += 3\n"
                "        else:\n            n -= 1\n        if n > %d:\n"
                "            return n\n", p), f"f({rng.randint(0, 9) * 2})")
    if shape == "k_minus_v":  # y - x != d is met exactly
        d = rng.randint(0, 5)
        x0 = rng.randint(0, 20)
        return (_fmt("def f(x, y):\n    while y - x != %d:\n        x += %d\n    return x\n", (d, step)), f"f({x0}, {x0 + d + p * step})")
    if shape == "sink_read":  # the list decides the exit: not a sink
        return (_fmt("def f(n):\n    acc = []\n    while True:\n        acc.append(n)\n"
                "        n += 1\n        if len(acc) > %d:\n            return n\n", p),
                f"f({rng.randint(0, 9)})")
    if shape == "sink_alias":  # appended through one name, read through another
        return (_fmt("def f(n):\n    acc = []\n    b = acc\n    while True:\n"
                "        acc.append(n)\n        if len(b) > %d:\n            return n\n", p), f"f({rng.randint(0, 9)})")
    if shape == "sink_nested_alias":  # the alias inside another list
        return (_fmt("def f(n):\n    acc = []\n    box = [acc]\n    while True:\n"
                "        acc.append(n)\n        if len(box[0]) > %d:\n"
                "            return n\n", p), f"f({rng.randint(0, 9)})")
    if shape == "sink_closure":  # read by a nested function: a cell, not a sink
        return (_fmt("def f(n):\n    acc = []\n    def size():\n        return len(acc)\n"
                "    while True:\n        acc.append(n)\n        if size() > %d:\n"
                "            return n\n", p), f"f({rng.randint(0, 9)})")
    if shape == "sink_global":  # a global list, read by another function
        return (_fmt("ACC = []\ndef size():\n    return len(ACC)\ndef f(n):\n    while True:\n"
                "        ACC.append(n)\n        if size() > %d:\n            return n\n", p),
                f"f({rng.randint(0, 9)})")
    if shape == "sink_outer_read":  # appended in an inner loop, read by the outer one
        return (_fmt("def f(n):\n    acc = []\n    while True:\n        k = 0\n"
                "        while k < 3:\n            acc.append(k)\n            k += 1\n"
                "        if len(acc) > %d:\n            return len(acc)\n", (3 * max(p // 3, 1))),
                "f(0)")
    if shape == "comes_back":  # a counter that comes back, a second one that exits
        lap = rng.randint(2, 50)
        return (_fmt("def f(n):\n    i = 0\n    c = 0\n    acc = []\n    while True:\n"
                "        i += 1\n        acc.append(i)\n        if i == %d:\n"
                "            i = 0\n            c += 1\n            if c > %d:\n"
                "                return c\n", (lap, max(p // lap, 1))), "f(0)")
    if shape == "repeat_then_exit":  # the same state but for a sink; a counter ends it
        return (_fmt("def f(n):\n    res = []\n    k = 1\n    t = 0\n    while k > 0:\n"
                "        res.append(k)\n        k = (k + 1) // 2\n        t += 1\n"
                "        if t > %d:\n            return t\n", p), "f(0)")
    if shape == "helper_ends":  # the update goes through a small function; a bound ends it
        k = rng.randint(2, 5)
        return (_fmt("def f(n):\n    def g(m):\n        if m % %d == 0:\n"
                     "            return m + 1\n        return m + %d\n    out = []\n"
                     "    while n < %d:\n        out.append(n)\n        n = g(n)\n"
                     "    return len(out)\n", (k, k, p)), f"f({rng.randint(0, 9)})")
    if shape == "helper_reads_global":  # the function reads a counter the loop moves
        return (_fmt("T = [0]\ndef g(m):\n    T[0] += 1\n    return m + 2\n"
                     "def f(n):\n    while T[0] < %d:\n        n = g(n)\n    return T[0]\n",
                     p), "f(0)")
    # anat5: text sinks, write-only ints, pure calls, any appended value, large heads
    if shape == "text_read":  # the string decides the exit: not a text sink
        return (_fmt("def f(n):\n    s = ''\n    while True:\n        s += 'ab'\n"
                     "        if len(s) >= %d:\n            return len(s)\n", 2 * p), "f(0)")
    if shape == "text_alias":  # appended through one name, read through another
        return (_fmt("def f(n):\n    s = ''\n    while True:\n        s = s + 'a'\n"
                     "        t = s\n        if len(t) > %d:\n            return n\n", min(p, 60000)),
                f"f({rng.randint(0, 9)})")
    if shape == "text_method":  # read by a method in the condition
        return (_fmt("def f(n):\n    s = ''\n    while s.find('x', %d) < 0:\n"
                     "        s = s + 'x'\n    return len(s)\n", min(p, 60000)), "f(0)")
    if shape == "text_closure":  # read by a nested function: a cell
        return (_fmt("def f(n):\n    s = ''\n    def size():\n        return len(s)\n"
                     "    while True:\n        s += 'a'\n        if size() > %d:\n"
                     "            return n\n", min(p, 60000)), f"f({rng.randint(0, 9)})")
    if shape == "text_counter":  # a real text sink, but a counter ends the loop
        return (_fmt("def f(n, k):\n    s = ''\n    while n < %d:\n        s = s + str(k)\n"
                     "        n += 1\n    return n\n", min(p, 200000)), f"f({rng.randint(0, 9)}, 7)")
    if shape == "written_read":  # the accumulator is read in the exit test
        return (_fmt("def f(k):\n    total = 0\n    while True:\n        total += k\n"
                     "        if total > %d:\n            return total\n", p * step),
                f"f({step})")
    if shape == "written_copied":  # read through a copy
        return (_fmt("def f(k):\n    total = 0\n    while True:\n        total += k % 10\n"
                     "        seen = total\n        if seen > %d:\n            return seen\n",
                     p * step), f"f({step})")
    if shape == "written_by_counter":  # the amount is a moved int
        return (_fmt("def f(i):\n    total = 0\n    while i < %d:\n        total += i\n"
                     "        i += 1\n    return total\n", p), f"f({rng.randint(0, 9)})")
    if shape == "str_of_range":  # str() shows the start of an empty range, which moves
        k = rng.randint(4, 9)
        return (_fmt("def f(k):\n    while str(range(k, 3)) != 'range(%d, 3)':\n"
                     "        k += 1\n    return k\n", k + p), f"f({k})")
    if shape == "math_of_counter":  # a pure call of a moved int
        r = int(p ** 0.5)
        return (_fmt("import math\ndef f(k):\n    while math.isqrt(k) < %d:\n        k += 1\n"
                     "    return k\n", r), f"f({rng.randint(0, 9)})")
    if shape == "int_of_counter":
        return (_fmt("def f(k):\n    while int(str(k)) != %d:\n        k += 1\n    return k\n",
                     p), "f(0)")
    if shape == "append_of_counter":  # a call of a moved int appended: refused
        return (_fmt("def f(k):\n    out = []\n    while True:\n        out.append(str(k))\n"
                     "        k += 1\n        if k > %d:\n            return k\n", p),
                f"f({rng.randint(0, 9)})")
    if shape == "large_inner_head":  # the inner head's state is too large (the outer
        # loop's sink is whole there): its line still counts, and it holds the exit
        return (_fmt("def f(c):\n    out = list(range(30000))\n    while True:\n"
                     "        k = 0\n        while k < 1:\n            if c >= %d:\n"
                     "                return c\n            k += 1\n        c += 1\n"
                     "        out.append(k)\n", p), f"f({rng.randint(0, 9)})")
    if shape == "is_true_exit":  # an identity test with True decides the exit
        return (_fmt("def f(k):\n    def done(m):\n        return m >= %d\n"
                     "    while done(k) is not True:\n        k += 1\n    return k\n", p),
                f"f({rng.randint(0, 9)})")
    if shape == "rotate_until_sorted":  # a rotation that reaches the sorted order late
        n = rng.randint(3, 6)
        return (_fmt("def f(arr):\n    c = 0\n    while (arr == sorted(arr)) is not True or c < %d:\n"
                     "        arr = arr[1:] + arr[:1]\n        c += 1\n    return c\n", min(p, 100000)),
                f"f({list(range(2, n + 1)) + [1]})")
    raise ValueError(shape)


ENDING_SHAPES = ["sink_down", "parity_until", "parity_hits", "mod_not_kept",
                 "mod_by_variable", "alternating", "alternating_mixed", "k_minus_v",
                 "sink_read", "sink_alias", "sink_nested_alias", "sink_closure",
                 "sink_global", "sink_outer_read", "comes_back", "repeat_then_exit",
                 "helper_ends", "helper_reads_global",
                 "text_read", "text_alias", "text_method", "text_closure", "text_counter",
                 "written_read", "written_copied", "written_by_counter", "str_of_range",
                 "math_of_counter", "int_of_counter", "append_of_counter", "large_inner_head",
                 "is_true_exit", "rotate_until_sorted"]


def _endless(rng: random.Random, shape: str) -> tuple[str, str]:
    """(program, call) of a loop that never ends, of a shape the proofs cover."""
    step = rng.randint(2, 7)
    if shape == "sink_down":  # the remainder never meets the stop
        stop = rng.randint(-50, 50)
        return (_fmt("def f(n):\n    acc = [n]\n    while n != %d:\n        n = n - %d\n"
                "        acc.append(n)\n    return len(acc)\n", (stop, step)),
                f"f({stop + rng.randint(1, 300) * step + rng.randint(1, step - 1)})")
    if shape == "parity":
        k = rng.randint(2, 5)
        return (_fmt("def f(n):\n    out = []\n    while n > 0:\n"
                "        n = (n + 1) if n % %d == 1 else (n + %d)\n"
                "        out.append(n)\n    return n\n", (k, k)), f"f({rng.randint(1, 30)})")
    if shape == "alternating":  # the even passes never meet the bound again
        return ("def f(x, y):\n    n = y\n    while True:\n        if n % 2 == 0:\n"
                "            if x <= n <= y:\n                return n\n"
                "            else:\n                n = n + 1\n        else:\n"
                "            n = n + 1\n", f"f({rng.randint(5, 9) * 2}, {rng.randint(1, 4) * 2 + 1})")
    if shape == "k_minus_v":
        d = rng.randint(0, 5)
        x0 = rng.randint(0, 20)
        return (_fmt("def f(x, y):\n    while y - x != %d:\n        x += %d\n    return x\n", (d, step)), f"f({x0}, {x0 + d + rng.randint(1, 300) * step + 1})")
    if shape == "helper":  # CodeT HumanEval/100#64: the counter moves through a function
        return ("def f(n):\n    def step(m):\n        if m % 2 == 1:\n            return m + 1\n"
                "        return m + 2\n    pile = []\n    level = n\n    while level > 0:\n"
                "        pile.append(level)\n        level = step(level)\n    return pile\n",
                f"f({rng.randint(1, 10 ** 4)})")
    if shape == "repeat_sink":
        return ("def f(n):\n    res = []\n    k = n\n    while k > 0:\n"
                "        res.append(k)\n        k = (k + 1) // 2\n    return res\n",
                f"f({rng.randint(1, 10 ** 6)})")
    # anat5 (the paper-scale workload's shapes: HumanEval/44, /122, /25, /123)
    if shape == "text_prepend":  # x reaches 0 and stays there; ret grows at the front
        return ("def f(x, base):\n    ret = ''\n    while x != -1:\n"
                "        ret = str(x % base) + ret\n        x //= base\n    return ret\n",
                f"f({rng.randint(1, 10 ** 6)}, {rng.randint(2, 9)})")
    if shape == "text_append":
        return ("def f(n, k):\n    s = ''\n    while n > 0:\n        s += str(k)\n"
                "    return s\n", f"f({rng.randint(1, 99)}, {rng.randint(0, 99)})")
    if shape == "written":  # j goes down and up again; total only written
        return ("def f(arr, k):\n    i, j = 0, len(arr) - 1\n    total = 0\n"
                "    while i < j:\n        num = arr[i] + arr[j]\n        if num >= 10:\n"
                "            total += num % 10\n            j -= 1\n        else:\n"
                "            total += num\n            j -= 1\n        if i >= k:\n"
                "            break\n        if j < k:\n            total += arr[j]\n"
                "            j += 1\n    return total\n",
                f"f({[rng.randint(10, 99) for _ in range(5)]}, 3)")
    if shape == "pure_math":  # i stays 1: n // 1, a 1 appended each pass
        return ("import math\ndef f(n):\n    fact = []\n    i = 1\n"
                "    while i <= int(math.sqrt(n) + 1):\n        if n % i == 0:\n"
                "            fact.append(i)\n            n //= i\n        else:\n"
                "            i += 1\n    return fact\n", f"f({rng.randint(2, 10 ** 6)})")
    if shape == "append_call":  # n is reset each pass; int(n) appended
        return ("def f(n):\n    out = []\n    n0 = n\n    while n != 1:\n        n = n0\n"
                "        while n % 2 == 0:\n            n = n / 2\n"
                "        out.append(int(n))\n        n = 3 * n + 1\n    return out\n",
                f"f({rng.randint(2, 10 ** 4) * 2})")
    if shape == "rotate_is":  # HumanEval/109#44: a rotation that never sorts the list
        return ("def f(arr):\n    def shift(arr, curr):\n        arr.insert(0, arr[-1])\n"
                "        arr.pop()\n        if curr != -1:\n            curr += 1\n"
                "        return arr, curr\n    def is_sorted(arr):\n"
                "        return all(arr[i] <= arr[i + 1] for i in range(len(arr) - 1))\n"
                "    curr = -1\n    while True:\n        arr, curr = shift(arr, curr)\n"
                "        if is_sorted(arr) is True:\n            break\n    return arr\n",
                f"f({[2, 1] + list(range(3, rng.randint(4, 9)))})")
    raise ValueError(shape)


ENDLESS_SHAPES = ["sink_down", "parity", "alternating", "k_minus_v", "repeat_sink", "helper",
                  "text_prepend", "text_append", "written", "pure_math", "append_call", "rotate_is"]


def _cases() -> list[tuple[str, str, str, bool]]:
    rng = random.Random(20)
    out = []
    for shape in ENDING_SHAPES:
        for i in range(4):
            program, call = _ending(rng, shape)
            out.append((f"ends-{shape}-{i}", program, call, False))
    for shape in ENDLESS_SHAPES:
        for i in range(2):
            program, call = _endless(rng, shape)
            out.append((f"endless-{shape}-{i}", program, call, True))
    return out


CASES = _cases()


class Server(WorkerServer):
    def run(self, program: str, test: str) -> tuple[int, float]:
        reply, wall = self.batch(program, [test], LIMIT, MEMORY_MB)
        return reply["v"][0], wall


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


@pytest.mark.parametrize("name, program, call, endless", CASES, ids=[c[0] for c in CASES])
def test_generated_loop_gets_its_real_verdict(server, monkeypatch, name, program, call,
                                             endless):
    """Endless: proved long before the limit.  Ending: PASS through the server, and no
    proof in-process either (where the watch starts early, so long loops are traced)."""
    assert worker.hang_provable(program)  # watched: the proofs are consulted
    if endless:
        verdict, wall = server.run(program, f"assert {call} == -1")
        assert verdict == TIMEOUT
        assert wall < LIMIT / 2  # proved: unproven it burns 3 s of CPU
        return
    ns: dict = {}
    exec(program, ns)  # the value the loop computes (it ends: no limit needed here)
    value = eval(call, ns)
    test = f"assert {call} == {value!r}"
    verdict, _ = server.run(program, test)
    assert verdict == PASS
    watch, got, asked = _in_process(program, test, monkeypatch)
    assert got == PASS and not watch.proved and not any(asked)


def _in_process(program: str, test: str, monkeypatch) -> tuple:
    """Run the pair in this process under a watch that starts after 2 ms of CPU, every
    answer of the int proof recorded: (the watch, the verdict, the answers).  In-process
    there is no address-space limit, so a sink proof would stop at its memory judgement:
    the int proof's own answers are what is checked."""
    asked: list[bool] = []
    judge = worker._ints_only_move

    def spy(*args):
        asked.append(judge(*args))
        return asked[-1]

    monkeypatch.setattr(worker, "_ints_only_move", spy)
    watch = worker.HangWatch(0.04, mmap.mmap(-1, 4096))
    ns = worker._fresh_namespace()
    codes = compile(program, "<candidate>", "exec"), compile(test, "<test>", "exec")
    with private_output():  # the watch reads the output offset, as in a runner
        gc.freeze()  # as the server before it forks a runner (see HangWatch._clean_heap)
        watch.start(0, ns, program, test)  # (its CPU timer runs from here)
        try:
            got = worker.run_pair(*codes, "assert", None, ns)
        finally:
            watch.stop()
            gc.unfreeze()
            monkeypatch.undo()
    return watch, got, asked


def test_the_proofs_are_consulted_on_most_ending_loops(monkeypatch):
    """Not vacuous: most ending loops run long enough to be traced mid-loop, and on most
    of those the int proof is asked (and says no: the per-case test above checks that)."""
    traced = asked = total = 0
    for _, program, call, endless in CASES:
        if endless:
            continue
        ns: dict = {}
        exec(program, ns)
        test = f"assert {call} == {eval(call, ns)!r}"
        watch, got, answers = _in_process(program, test, monkeypatch)
        assert got == PASS and not any(answers)
        total += 1
        traced += watch.states + watch.refused > 0
        asked += bool(answers)
    assert traced >= 0.5 * total and asked >= 0.3 * total, (traced, asked, total)


def test_the_fuzz_covers_long_loops():
    """The ending loops run 5x10^4..2x10^6 passes: far past the watch's window (so they are
    traced mid-loop and their states compared), and the endless ones cover every shape."""
    rng = random.Random(20)
    passes = [_passes(rng) for _ in range(200)]
    assert min(passes) >= 50_000 and max(passes) > 1_000_000
    assert {c[0].split("-")[1] for c in CASES if c[3]} == set(ENDLESS_SHAPES)
