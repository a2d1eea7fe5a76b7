"""A unittest-class workload: the product's main input shape (CodeRM-8B writes one
``unittest.TestCase`` class per completion; the paper's executor gave each class a 1 s
alarm, and a class is one column of our matrix).

Built from real CodeT samples: each task's distinct valid asserts are grouped into
classes of 3-8 test methods (one assert per method, sizes cycling 3..8), plus
*large-input classes* written here for tasks where a correct candidate is O(n log n)
and takes ~0.1-0.5 s of CPU on the input (``LARGE``): the case a tight time limit gets
wrong.  Used by ``benchmarks/executor.py --workload unittest``.
"""

from __future__ import annotations

LARGE = {
    # maximum(arr, k): the k largest, sorted.  A sort of 10^6 ints, ~0.2-0.4 s of CPU.
    "HumanEval/120": '''
class TestLargeMaximum(unittest.TestCase):
    def test_million(self):
        arr = [(i * 7919) % 1000003 - 500000 for i in range(1000000)]
        got = maximum(arr, 5)
        self.assertEqual(got, sorted(heapq.nlargest(5, arr)))
''',
    # sort_array(arr): by number of ones, then value.  A keyed sort of 2 x 10^5 ints,
    # ~0.13 s (HumanEval+'s own cmp_to_key solution takes ~3.6 s: a TIMEOUT at 1 s too).
    "HumanEval/116": '''
class TestLargeSortArray(unittest.TestCase):
    def test_two_hundred_thousand(self):
        arr = list(range(200000, 0, -1))
        got = sort_array(arr)
        self.assertEqual(len(got), 200000)
        self.assertEqual(got[:4], [1, 2, 4, 8])
        self.assertEqual(got[-1], 196607)
''',
    # unique_digits(x): sorted elements with no even digit.  A filter + sort of 3 x 10^5.
    "HumanEval/104": '''
class TestLargeUniqueDigits(unittest.TestCase):
    def test_three_hundred_thousand(self):
        got = unique_digits(list(range(300000, 0, -1)))
        self.assertEqual(got[:5], [1, 3, 5, 7, 9])
        self.assertEqual((len(got), got[-1]), (7030, 199999))
''',
}
"""Task -> one large-input class (tests import what they need themselves: ``heapq``)."""

_HEADER = "import unittest\nimport heapq\n"


def _method(i: int, assert_source: str) -> str:
    body = "\n".join("        " + line for line in assert_source.strip().splitlines())
    return f"    def test_{i}(self):\n{body}\n"


def group_classes(task_id: str, asserts: list[str], max_classes: int) -> list[tuple[str, str]]:
    """(class_name, source) of classes holding 3, 4, ..., 8, 3, ... of ``asserts``."""
    slug = task_id.replace("/", "_")
    out, at, size = [], 0, 3
    while at < len(asserts) and len(out) < max_classes:
        chunk = asserts[at:at + size]
        if len(chunk) < 3:
            break
        name = f"Test{slug}_{len(out)}"
        methods = "".join(_method(i, a) for i, a in enumerate(chunk))
        out.append((name, f"{_HEADER}\n\nclass {name}(unittest.TestCase):\n{methods}"))
        at += size
        size = 3 if size == 8 else size + 1
    return out


def load_unittest_workload(n_tasks: int, max_classes: int, n_asserts: int = 60):
    """Problems whose tests are unittest classes: grouped CodeT asserts of the first
    ``n_tasks`` tasks with asserts (every candidate), plus every :data:`LARGE` class of
    a task among them (tasks of ``LARGE`` are always included)."""
    from executor import load_workload  # the assert workload of the same slice

    from coderm_evalplus.model import UnitTest

    problems = load_workload(10 ** 6, n_asserts)
    chosen = [p for i, p in enumerate(problems) if i < n_tasks or p.task_id in LARGE]
    for p in chosen:
        classes = group_classes(p.task_id, [t.source for t in p.tests], max_classes)
        if p.task_id in LARGE:
            src = _HEADER + LARGE[p.task_id]
            name = src.split("class ", 1)[1].split("(", 1)[0]
            classes.append((name, src))
        p.tests = [UnitTest(i, src, "unittest", name) for i, (name, src) in enumerate(classes)]
    return [p for p in chosen if p.tests]


def paper_code(program: str, test_source: str, class_name: str) -> str:
    """What the paper's executor runs for one (candidate, class) pair: program, class,
    then the class's tests; a failing or erroring test fails the pair."""
    return (f"{program}\n{test_source}\n"
            "import io as _io, unittest as _ut\n"
            f"_res = _ut.TextTestRunner(stream=_io.StringIO()).run("
            f"_ut.defaultTestLoader.loadTestsFromTestCase({class_name}))\n"
            "assert _res.wasSuccessful()\n")
