"""The hang proofs' anat5 rules (text sinks, write-only ints, values no moved int reaches,
states too large at one loop head): which names count as text sinks, and that a proof
whose sink would exhaust the memory limit before the time limit leaves the verdict to the
real run (an ERROR), as the append-only lists' rule does.  The generated loops that end or
not are in test_executor_hangfuzz.py."""

from __future__ import annotations

import ast

import pytest
from worker_server import WorkerServer

from coderm_evalplus.execute import worker
from coderm_evalplus.model import Verdict

ERROR = int(Verdict.ERROR)


def _text_sinks(source: str) -> tuple[str, ...]:
    tree = ast.parse(source)
    loop = next(n for n in ast.walk(tree) if isinstance(n, ast.While))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    ns: dict = {}
    exec(compile(tree, "<x>", "exec"), ns)
    return worker._loop_text_sinks(loop, ns[fn.name].__code__)


@pytest.mark.parametrize("body, sinks", [
    ("s = str(x % 3) + s", ("s",)),
    ("s = s + 'ab'", ("s",)),
    ("s += str(x)", ("s",)),
    ("s = s + s", ()),  # reads itself (and doubles)
    ("s += s", ()),
    ("s = s + 'a'\n        t = s", ()),  # an alias reads it
    ("s = s + s[-1:]", ()),  # a slice of it
    ("s = (s + 'a') + 'b'", ()),  # only the plain forms
    ("s = s * 2", ()),
    ("s = s + 'a'\n        if len(s) > 9: return s", ()),
])
def test_text_sinks_are_only_grown_never_read(body, sinks):
    source = f"def f(x):\n    s = ''\n    while x:\n        {body}\n    return s\n"
    assert _text_sinks(source) == sinks


def test_a_text_sink_seen_by_a_nested_function_is_not_one():
    source = ("def f(x):\n    s = ''\n    def g():\n        return s\n    while x:\n"
              "        s = s + 'a'\n    return g()\n")
    assert _text_sinks(source) == ()


# endless loops whose sink grows fast: a list of new 2 KB strings passes 400 MB within a
# fraction of a second of CPU, so the real run ends in a MemoryError (ERROR) long before
# its 2 s limit; a text sink of 1 MB pieces is copied at each growth (quadratic), so it
# stays under 400 MB for the whole limit: a TIMEOUT.  A proof may give neither other
# verdict.  (Not tested here: at 200 MB the text loop ends in a MemoryError when traced but
# runs to the limit untraced, with main's worker as well - the traced window's locals
# snapshot holds an old copy; see docs/results.md, anat5.)
GROWING = {
    "text": ("def f(x):\n    s = ''\n    piece = 'x' * (1 << 20)\n    while x != -1:\n"
             "        s += piece\n        x //= 2\n    return s\n", "assert f(5) == ''",
             int(Verdict.TIMEOUT)),
    "new_items": ("def f(x):\n    out = []\n    while x != -1:\n"
                  "        out.append(str(x) * 2048)\n        x //= 2\n    return out\n",
                  "assert f(5) == []", ERROR),
}


@pytest.mark.parametrize("name", sorted(GROWING))
def test_a_growing_sink_keeps_the_verdict_of_a_real_run(name):
    """Watched (the proof is found, then its growth judged) and unwatched (``import
    random`` makes it unprovable): the same verdict, the one a run without proofs gives.
    A fresh server each (a runner that had a MemoryError may keep its address space)."""
    program, test, expected = GROWING[name]
    unwatched = "import random\n" + program
    assert worker.hang_provable(program) and not worker.hang_provable(unwatched)
    got = []
    for source in (program, unwatched):
        s = WorkerServer()
        try:
            got.append(s.batch(source, [test], 2.0, 400)[0]["v"])
        finally:
            s.close()
    assert got == [[expected], [expected]]


def test_the_same_shapes_with_room_are_proved():
    """Non-vacuity of the test above: with memory to spare (a slowly growing text sink,
    new small items) the same loops are proved - a TIMEOUT long before the limit."""
    s = WorkerServer()
    try:
        for program, test in (
                ("def f(x):\n    s = ''\n    while x != -1:\n        s = str(x % 3) + s\n"
                 "        x //= 3\n    return s\n", "assert f(5) == ''"),
                ("def f(x):\n    out = []\n    while x != -1:\n"
                 "        out.append(str(x))\n        x //= 2\n    return out\n",
                 "assert f(5) == []")):
            reply, wall = s.batch(program, [test], 3.0, 4096)
            assert reply["v"] == [int(Verdict.TIMEOUT)]
            assert wall < 1.5  # proved: unproven it burns 3 s of CPU
    finally:
        s.close()
