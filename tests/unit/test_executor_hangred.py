"""Red-team cases for the hang proofs (worker.HangWatch): pairs that END inside their limit
(a PASS after 10^5..10^6 passes, or an ERROR when their output fills the cap) although
the state the watch compares at their loop heads repeats - because what decides the exit
lives where the snapshot did not look (a stdlib module's dict, a base class, a class
claiming a stdlib module, a decimal context, an ABC registry, the cyclic GC running a
finalizer) or because the pass writes output through a name the source-word check does
not know (``copyright()``, ``re.DEBUG``, a unittest runner, a fullwidth ``print``).
Each must get its real verdict, never a proved TIMEOUT.  Real fork servers, real CPU
limits; the real (untraced) run of each ends in well under a second of CPU."""

from __future__ import annotations

import pytest
from worker_server import WorkerServer

from coderm_evalplus.execute import worker
from coderm_evalplus.model import Verdict

PASS, ERROR, TIMEOUT = int(Verdict.PASS), int(Verdict.ERROR), int(Verdict.TIMEOUT)
LIMIT = 2.0  # s of CPU: the watch starts at 0.1 s, every case ends by ~0.6 s
P0 = "def f(x):\n    return x\n"
# a C call of ~0.3 s: the watch's timer goes off inside it, so tracing starts right
# before the loop (whose hidden state has only a few values: it ends after a pass or two)
SLOW = "sum(range(15 * 10 ** 6))"

CASES = [
    # (name, program, test, real verdict)
    ("base_class_attribute", P0, """
def make():
    class A:
        log = []
    class B(A):
        pass
    return B
B = make()
def g():
    while True:
        B.log.append(1)
        if len(B.log) > 3000000:
            return True
assert g()
""", PASS),
    ("class_claims_math", P0, """
class H:
    __module__ = "math"
    n = []
def g():
    while len(H.n) < 3000000:
        H.n.append(1)
    return True
assert g()
""", PASS),
    ("module_name_reassigned", P0, """
__name__ = "math"
class H:
    n = []
def g():
    while len(H.n) < 3000000:
        H.n.append(1)
    return True
assert g()
""", PASS),
    ("instance_claims_typing", P0, """
class C:
    __module__ = "typing"
    def __init__(self):
        self.n = 0
    def bump(self):
        self.n += 1
        return self.n
c = C()
def g():
    while c.bump() < 2000000:
        pass
    return True
assert g()
""", PASS),
    ("stdlib_module_dict", """
import copy
def put(d, k, v):
    d[k] = v
def f():
    while copy.dispatch_table.get('n', 0) < 1000000:
        put(copy.dispatch_table, 'n', copy.dispatch_table.get('n', 0) + 1)
    return 1
""", "assert f() == 1", PASS),
    ("decimal_context_flags", f"""
from decimal import getcontext, Decimal, Inexact
def f():
    {SLOW}
    while True:
        if getcontext().flags[Inexact]:
            return 1
        Decimal(1) / Decimal(3)
""", "assert f() == 1", PASS),
    ("abc_registry", f"""
from collections.abc import Sized
def reg(a, c):
    a.register(c)
def f():
    {SLOW}
    while True:
        if issubclass(int, Sized):
            return 1
        reg(Sized, int)
""", "assert f() == 1", PASS),
    ("generator_finalizer_in_gc", """
L = [0]
def gen(box):
    try:
        yield 1
    finally:
        L[0] += 1
def make():
    box = []
    g = gen(box)
    box.append(g)
    next(g)
def f():
    while L[0] < 500000:
        make()
    return 1
""", "assert f() == 1", PASS),
    ("del_in_gc", P0, """
class Node:
    count = [0]
    def __init__(self):
        self.me = self
    def __del__(self):
        self.count[0] += 1
def g():
    while True:
        Node()
        if Node.count[0] > 500000:
            return True
assert g()
""", PASS),
    ("literal_holds_an_instance", P0, """
import typing
class C:
    def __init__(self):
        self.n = 0
    def bump(self):
        self.n += 1
        return self.n
L = typing.Literal[C()]
def g():
    while L.__args__[0].bump() < 2000000:
        pass
    return True
assert g()
""", PASS),
    ("function_name_set_by_update_wrapper", f"""
import functools
def g():
    pass
def b():
    pass
def f():
    functools.update_wrapper(g, b, assigned=(), updated=())  # g.__wrapped__ = b
    {SLOW}
    while True:
        if g.__name__ == "b":
            return 1
        functools.update_wrapper(g, b, assigned=("__name__",), updated=())
""", "assert f() == 1", PASS),
    ("class_name_set_by_update_wrapper", P0, f"""
import functools
class C:
    pass
def b():
    pass
def g():
    functools.update_wrapper(C, b, assigned=(), updated=())  # C.__wrapped__ = b
    {SLOW}
    while True:
        if C.__name__ == "b":
            return True
        functools.update_wrapper(C, b, assigned=("__name__",), updated=())
assert g()
""", PASS),
    # the state repeats, but each pass leaves cyclic garbage (a function that refers to
    # itself): the heap moves, and with it the order of two new functions' addresses
    ("address_order_moved_by_garbage", """
def churn():
    def g():
        return g
    g()
def f():
    flips = 0
    while flips < 250000:
        churn()
        a = lambda: 0
        b = lambda: 1
        if repr(a) > repr(b):
            flips += 1
    return 1
""", "assert f() == 1", PASS),
    ("set_order_moved_by_garbage", """
def churn():
    def g():
        return g
    g()
def first():
    return next(iter({lambda: 0, lambda: 1}))()
def f():
    flips = 0
    while flips < 700000:
        churn()
        if first() == 1:
            flips += 1
    return 1
""", "assert f() == 1", PASS),
    # the int proof judged the statements whose first line fired a line event: this
    # ``if``'s first line holds no instruction (its test is on the next line), so the
    # exit it decides was never looked at
    ("if_test_on_a_continuation_line", """
def f(v):
    while True:
        v += 1
        if (
                v > 20000000):
            return v
""", "assert f(0) == 20000001", PASS),
    # not a proof: a traced pair that ends is run again untraced for its verdict, and the
    # output of the traced run was still in the file - 700 KB twice passed the 1 MB cap
    ("rerun_after_a_trace_starts_with_no_output", """
def f():
    print('x' * 700000)
    i = 0
    while i < 6000000:
        i += 1
    return 1
""", "assert f() == 1", PASS),
    # ``is`` between values is refused, but operator.is_ is the same comparison: equal
    # ints in every state, one of them a new object a few passes later
    ("operator_is_", f"""
import operator
def f():
    a = 10 ** 30
    b = c = d = e = a
    {SLOW}
    while True:
        if not operator.is_(a, b):
            return 1
        b, c, d, e = c, d, e, -(-a)
""", "assert f() == 1", PASS),
    # the int proof judges g(n) as the body of the def named g at g's first line: here g
    # is a lambda from that line (an annotation) renamed "g" by functools.update_wrapper
    ("inlined_function_is_another", """
import functools
def g(m: (lambda m: m + 1 if m < 12000000 else 0)): return m + 1
g = functools.update_wrapper(g.__annotations__['m'], g)
def f(n):
    while n > 0:
        n = g(n)
    return n
""", "assert f(1) == 0", PASS),
    ("fullwidth_print", "def f():\n    while True:\n        \uff50\uff52\uff49\uff4e\uff54('x')\n"
     "        sum(range(100))\n", "assert f() == 1", ERROR),
    ("copyright", "def f():\n    while True:\n        copyright()\n        sum(range(5000))\n",
     "assert f() == 1", ERROR),
    ("credits", "def f():\n    while True:\n        credits()\n        sum(range(5000))\n",
     "assert f() == 1", ERROR),
    ("re_debug", "import re\ndef f():\n    while True:\n        re.compile('a', re.DEBUG)\n",
     "assert f() == 1", ERROR),
    ("unittest_runner_writes", P0, """
import unittest
def g():
    while True:
        unittest.TextTestRunner().run(unittest.TestSuite())
assert g()
""", ERROR),
]


@pytest.fixture
def server():
    # a fresh server each: a runner that ran a case with a __del__ class still holds it
    # (cyclic garbage) and would refuse every later proof (HangWatch._clean_heap)
    s = WorkerServer()
    yield s
    s.close()


@pytest.mark.parametrize("name, program, test, real", CASES, ids=[c[0] for c in CASES])
def test_a_pair_that_ends_is_never_proved_endless(server, name, program, test, real):
    reply, _ = server.batch(program, [test], LIMIT)
    assert reply["v"] == [real]


# Cases the static gate refuses now: a module's dict changed through a helper's parameter
# and an ABC registered through one leaked into the next pair in the runner (iso7:
# tests/unit/test_executor_isolation.py), so such a program is unsafe, runs in a runner
# of its own and is never watched.
GATED_NOW = frozenset({"stdlib_module_dict", "abc_registry"})


def test_the_cases_are_watched():
    """Not vacuous: every case passes the static gate the proofs had (so it was the
    runtime snapshot that had to see through it) - or is refused by the gate now."""
    for name, program, test, *_ in CASES + MEMORY_CASES:
        assert worker.may_touch_shared_state(program) is (name in GATED_NOW), name
        assert not worker.may_touch_shared_state(test), name


# An append-only sink whose growth the proof judges to fit the memory limit for a whole
# time limit more (HangWatch._judge_growth): each pass appends a 250 KB int and then a
# small one; the judgement sized the items by the last one appended (0: nothing), so it
# found room where the real run ends in a MemoryError (ERROR) after ~0.9 s.
MEMORY_CASES = [
    ("sink_big_item_then_small", """
def f():
    acc = []
    while True:
        t = 1 << 2000000
        acc.append(t)
        acc.append(0)
""", "assert f() == 1", 1024, ERROR),
]


@pytest.mark.parametrize("name, program, test, memory_mb, real", MEMORY_CASES,
                         ids=[c[0] for c in MEMORY_CASES])
def test_a_sink_that_runs_out_of_memory_is_never_proved_endless(server, name, program, test,
                                                               memory_mb, real):
    # 3 x LIMIT: the real MemoryError (~0.9 s of CPU) must not be overtaken by the cut when
    # load stretches its page faults (CI saw a TIMEOUT once); a wrong proof is still early
    reply, _ = server.batch(program, [test], 3 * LIMIT, memory_mb)
    assert reply["v"] == [real]
