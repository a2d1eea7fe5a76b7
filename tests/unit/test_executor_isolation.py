"""Runner reuse must not leak module state changed through aliases and parameters.

A runner runs one pair after another; it is restarted only after a pair that
:func:`may_touch_shared_state` flags (or that a runtime check catches).  A container
reached from an imported module (``copy.dispatch_table`` is copyreg's dict) and changed
through a helper's parameter or a local alias was seen by neither: the first of two
identical pairs passed, the second saw the first's change and failed, where a fresh
interpreter per pair (the semantics the executor promises) passes both.  Each case here
runs the same probe twice in one batch - the same runner unless it is flagged - through
the real executor, and expects what a fresh interpreter gives: PASS, PASS.
"""

from __future__ import annotations

import pytest

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.runner import execute_problems
from coderm_evalplus.execute.worker import may_touch_shared_state
from coderm_evalplus.model import Candidate, Problem, UnitTest, Verdict

# (candidate program, test probe): the probe returns how many times the shared counter
# was bumped, 1 in a fresh interpreter
LEAKS = {
    # the brief's case: an item store through a helper's parameter
    "item-store-via-parameter": (
        "import copy\n\n\ndef put(d, k, v):\n    d[k] = v\n\n\ndef bump():\n"
        "    put(copy.dispatch_table, 'n', copy.dispatch_table.get('n', 0) + 1)\n"
        "    return copy.dispatch_table['n']\n", "bump()"),
    # a mutator method called on the parameter
    "update-via-parameter": (
        "import copy\n\n\ndef put(d, k):\n    d.update({k: d.get(k, 0) + 1})\n\n\n"
        "def bump():\n    put(copy.dispatch_table, 'u')\n    return copy.dispatch_table['u']\n",
        "bump()"),
    # ``__setitem__`` through the parameter, called by name
    "dunder-setitem-via-parameter": (
        "import copy\n\n\ndef put(d, k):\n    d.__setitem__(k, d.get(k, 0) + 1)\n\n\n"
        "def bump():\n    put(copy.dispatch_table, 's')\n    return copy.dispatch_table['s']\n",
        "bump()"),
    # the helper's parameter captured by a nested function that does the store
    "nested-helper": (
        "import copy\n\n\ndef outer(d):\n    def inner(k):\n        d[k] = d.get(k, 0) + 1\n"
        "    inner('x')\n    return d['x']\n\n\ndef bump():\n"
        "    return outer(copy.dispatch_table)\n", "bump()"),
    # a local alias, no call at all (the gap the old docstring named)
    "local-alias": (
        "import copy\n\n\ndef bump():\n    t = copy.dispatch_table\n"
        "    t['a'] = t.get('a', 0) + 1\n    return t['a']\n", "bump()"),
    # the helper in the candidate, the module attribute handed over by the test
    "parameter-across-sources": (
        "def put(d, k):\n    d[k] = d.get(k, 0) + 1\n    return d[k]\n",
        "put(copy.dispatch_table, 'c')"),
    # setattr through a parameter (flagged by name before: stays flagged)
    "setattr-via-parameter": (
        "def put(o, k):\n    setattr(o, k, getattr(o, k, 0) + 1)\n"
        "\n\ndef bump():\n    import string\n    put(string, 'counter_x')\n"
        "    return string.counter_x\n", "bump()"),
    # an ABC (a class: passing it is allowed) registered through a parameter
    "register-via-parameter": (
        "import collections.abc\n\n\ndef reg(c, k):\n    c.register(k)\n\n\ndef bump():\n"
        "    n = 1 + issubclass(dict, collections.abc.Sequence)\n"
        "    reg(collections.abc.Sequence, dict)\n    return n\n", "bump()"),
    # a stdlib function that mutates its argument, handed the module's container
    "stdlib-mutator-via-argument": (
        "import copy\nimport operator\n\n\ndef bump():\n"
        "    operator.setitem(copy.dispatch_table, 'o', copy.dispatch_table.get('o', 0) + 1)\n"
        "    return copy.dispatch_table['o']\n", "bump()"),
}


def _twice(program: str, probe: str) -> list[int]:
    """Verdicts of the same probe as two (differently written) tests, in one batch."""
    setup = "import copy\n" if "copy." in probe and "import copy" not in program else ""
    tests = [UnitTest(0, f"{setup}assert {probe} == 1\n", "assert"),
             UnitTest(1, f"{setup}assert ({probe}) == 1\nassert True\n", "assert")]
    problem = Problem("isolation", entry_point="bump", candidates=[Candidate(0, program)],
                      tests=tests)
    out = execute_problems([problem], jobs=1, limits=Limits(time_limit=1.0))
    return [Verdict(int(v)).name for v in out["isolation"].verdicts[0]]


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_two_pairs_in_one_runner_match_fresh_interpreters(name):
    program, probe = LEAKS[name]
    assert _twice(program, probe) == ["PASS", "PASS"], name


# The program and the test run in one namespace, but each source is checked alone: what
# one source binds, the other reads as a free name.  (program, test): the test passes in
# a fresh interpreter, and fails if it runs after itself in the same runner.
ACROSS = {
    # the candidate aliases the module's dict at module level; the test stores into it
    "module-level-alias-in-candidate": (
        "import copy\n\nT = copy.dispatch_table\n\n\ndef bump():\n    return 1\n",
        "T['m'] = T.get('m', 0) + 1\nassert T['m'] == 1\n"),
    # the test uses the candidate's import without importing: a free name
    "module-imported-by-the-candidate": (
        "import copy\n\n\ndef put(d, k):\n    d[k] = d.get(k, 0) + 1\n    return d[k]\n",
        "assert put(copy.dispatch_table, 'f') == 1\n"),
    # the candidate keeps the module's dict in an object; the test takes it out
    "alias-in-an-attribute": (
        "import copy\n\n\nclass H:\n    def __init__(self):\n"
        "        self.d = copy.dispatch_table\n",
        "d = H().d\nd['h'] = d.get('h', 0) + 1\nassert d['h'] == 1\n"),
    # the candidate imports the module's dict under a name; the test stores into it
    "name-imported-by-the-candidate": (
        "from copy import dispatch_table as T\n\n\ndef bump():\n    return 1\n",
        "T['i'] = T.get('i', 0) + 1\nassert T['i'] == 1\n"),
}


@pytest.mark.parametrize("name", sorted(ACROSS))
def test_what_one_source_binds_the_other_may_change(name):
    program, test = ACROSS[name]
    tests = [UnitTest(0, test, "assert"), UnitTest(1, test + "assert True\n", "assert")]
    problem = Problem("across", entry_point="bump", candidates=[Candidate(0, program)],
                      tests=tests)
    out = execute_problems([problem], jobs=1, limits=Limits(time_limit=1.0))
    assert [Verdict(int(v)).name for v in out["across"].verdicts[0]] == ["PASS", "PASS"]


def test_the_probes_really_leak_without_a_restart():
    """Run in one namespace, twice, each probe sees its first run's change: so the
    PASS, PASS above comes from the runner being restarted, not from a dull probe."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for name, (program, probe) in LEAKS.items():
        r, w = ctx.Pipe(duplex=False)

        def child(program=program, probe=probe, w=w):
            ns: dict = {"__name__": "solution"}
            exec("import copy\n" + program, ns)
            w.send([eval(probe, ns), eval(probe, ns)])

        p = ctx.Process(target=child)
        p.start()
        got = r.recv()
        p.join()
        assert got == [1, 2], (name, got)


def test_a_stdio_stream_closed_through_a_parameter_does_not_reach_the_next_pair():
    """Streams are inert to the static check (passing ``sys.stderr`` to ``print`` is
    everywhere); closing one is what the runtime check (:class:`_Baseline`) sees."""
    tests = [UnitTest(0, "import sys\n\n\ndef done(f):\n    f.close()\n\n\ndone(sys.stdout)\n",
                      "assert"),
             UnitTest(1, "print('hi')\nassert bump() == 1\n", "assert"),
             UnitTest(2, "import sys\nsys.stderr.close()\n", "assert"),
             UnitTest(3, "import sys\nprint('x', file=sys.stderr)\nassert bump() == 1\n",
                      "assert")]
    problem = Problem("stdio", entry_point="bump",
                      candidates=[Candidate(0, "def bump():\n    return 1\n")], tests=tests)
    out = execute_problems([problem], jobs=1, limits=Limits(time_limit=1.0))
    assert [Verdict(int(v)).name for v in out["stdio"].verdicts[0]] == ["PASS"] * 4


@pytest.mark.parametrize("source", [
    # helpers handed local containers, module functions, immutable module constants
    "import math\n\n\ndef add(acc, x):\n    acc.append(x)\n\n\ndef f(xs):\n    out = []\n"
    "    for x in xs:\n        add(out, math.sqrt(x) + math.pi)\n    return out\n",
    "from collections import Counter, defaultdict\nfrom typing import List\n\n\n"
    "def tally(d: dict, k):\n    d[k] += 1\n\n\ndef f(words: List[str]):\n"
    "    d = defaultdict(int)\n    for w in words:\n        tally(d, w)\n"
    "    return Counter(d).most_common(1)\n",
    "import string\nimport re\n\n\ndef keep(s, allowed):\n    return [c for c in s if c in allowed]"
    "\n\n\ndef f(s):\n    return keep(re.sub(r'\\s', '', s), string.ascii_letters + string.digits)\n",
    "import heapq\nimport copy\n\n\ndef f(xs):\n    h = copy.copy(xs)\n    heapq.heapify(h)\n"
    "    h.append(0)\n    return heapq.nsmallest(2, h)\n",
    "import sys\n\n\ndef main():\n    input = sys.stdin.readline\n    n = int(input())\n"
    "    print(n, file=sys.stderr)\n    sys.stdout.write(str(sys.maxsize > n))\n",
])
def test_ordinary_helpers_are_not_flagged(source):
    """Local containers passed to helpers, module functions and constants: a runner
    restart after every such pair would cost the executor its speed for nothing."""
    assert not may_touch_shared_state(source)


@pytest.mark.parametrize("source", [
    "import copy\nget = copy.dispatch_table.get\nget('k').append(1)",  # accessor alias
    "import sys\nfor hook in sys.path_hooks:\n    hook.cache.clear()\n",  # a loop's items
    "import copy\n\n\ndef table():\n    return copy.dispatch_table\n",  # returned
    "import copy\n\n\ndef f(d=copy.dispatch_table):\n    d['k'] = 1\n",  # a default
    "import copy\nf = lambda: copy.dispatch_table\n",  # a lambda's value
    "import copy\nholder = {'t': copy.dispatch_table}\nholder['t']['k'] = 1\n",  # in a dict
    "import copy\nclass C:\n    t = copy.dispatch_table\n\n    def m(self):\n"
    "        self.t['k'] = 1\n",  # a class attribute read through self
    "import sys\nt = sys.argv\nt += ['x']\n",  # in-place through an alias
    "import copy\n\n\nclass Eq:\n    def __eq__(self, o):\n        o['k'] = 1\n\n\n"
    "Eq() == copy.dispatch_table\n",  # an operand a user __eq__ receives
    "from mimetypes import *\nput(types_map, 'k', 1)\n",  # a star import (if loaded)
    "from some_module_not_loaded_here import *\nput(thing, 'k', 1)\n",  # unseen names
])
def test_escapes_are_flagged(source):
    if "mimetypes" in source:
        import mimetypes  # noqa: F401  (resolution only sees modules already loaded)
    assert may_touch_shared_state(source)


def test_each_source_alone_is_clean_but_the_pair_is_not():
    """What the server combines per pair (worker.pair_touches_shared_state)."""
    from coderm_evalplus.execute.worker import pair_touches_shared_state, shared_state_facts

    def pair(program: str, test: str) -> tuple[bool, bool, bool]:
        p, t = shared_state_facts(program), shared_state_facts(test)
        return p.touches, t.touches, pair_touches_shared_state(p, t)

    # the name the candidate imports the dict as, stored into by the test
    assert pair("from copy import dispatch_table as T\n", "T['k'] = 1\n") == \
        (False, False, True)
    # a loaded module's name bound to another module: the test read it as math
    assert pair("import copy as math\n", "x = [math.pi]\nx.append(1)\n") == \
        (False, False, True)
    # ordinary: the test relies on the candidate's imports of modules and classes
    assert pair("import math\nfrom collections import Counter\nfrom typing import List\n",
                "assert f(math.pi) == Counter('ab')\nassert sorted(g([1])) == [1]\n") == \
        (False, False, False)
