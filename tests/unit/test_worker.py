"""The fork server (execute/worker.py) through its JSON-lines protocol.

Each test starts a real server (``python -s -P worker.py``, with ``--uid`` as root) via
:class:`WorkerProcess`; timing assertions carry wide margins (the machine is shared).
"""

from __future__ import annotations

import os
import time

import pytest

from coderm_evalplus.execute.base import Batch, Limits
from coderm_evalplus.execute.base import TestSpec as Spec
from coderm_evalplus.execute.local import LocalExecutor, WorkerProcess, sandbox_uid
from coderm_evalplus.model import Verdict

ROOT = os.geteuid() == 0
GOOD = "def add(a, b):\n    return a + b\n"


def _assert(src: str) -> Spec:
    return Spec(src if src.endswith("\n") else src + "\n", "assert")


@pytest.fixture
def worker():
    ex = LocalExecutor(jobs=1)
    w = WorkerProcess(ex._argv(0))
    yield w
    w.close()


def _run(worker: WorkerProcess, program: str, tests: list[Spec], limits: Limits,
         bid: int = 0) -> list[int]:
    got = dict(worker.run(Batch(bid, program, tests), limits))
    return [got[i] for i in range(len(tests))]


def test_ready_line_reports_protocol_and_isolation(worker):
    info = worker.info
    assert info["ready"] is True and info["protocol"] == 1
    iso = info["isolation"]
    assert iso["root"] is ROOT
    if ROOT:
        assert iso["uid_drop"] and iso["netns"] and iso["network_blocked"]
        assert iso["interpreter_readable"] is True


def test_every_verdict_kind_in_one_batch(worker):
    tests = [_assert("assert add(1, 2) == 3"), _assert("assert add(1, 2) == 4"),
             _assert("raise KeyError"), _assert("while True:\n    pass"),
             _assert("import os\nos._exit(0)"), _assert("assert add(0, 0) == 0")]
    assert _run(worker, GOOD, tests, Limits(time_limit=0.5)) == [0, 1, 2, 3, 4, 0]


@pytest.mark.skipif(not ROOT, reason="the uid drop needs root")
def test_pairs_run_as_the_slot_uid_and_cannot_read_root_files(worker):
    uid = sandbox_uid(0)
    tests = [_assert(f"import os\nassert os.getuid() == {uid}"),
             _assert("open('/etc/shadow').read()"),
             _assert("import os\nassert not os.listdir('/root')")]
    assert _run(worker, GOOD, tests, Limits()) == [0, 2, 2]


def test_stdlib_imports_work_in_the_sandbox(worker):
    """As root the children drop to another uid; the interpreter (pyenv under a 0700
    /root here) must stay importable, as in a fresh interpreter."""
    mods = ["string", "hashlib", "datetime", "fractions", "decimal", "statistics",
            "unicodedata", "csv", "encodings.idna"]
    tests = [_assert(f"import {m}") for m in mods]
    assert _run(worker, GOOD, tests, Limits()) == [0] * len(mods)


def test_output_is_capped_and_the_next_pair_is_unaffected(worker):
    tests = [_assert("print('x' * (64 << 20))"), _assert("print('ok')\nassert add(1, 1) == 2")]
    assert _run(worker, GOOD, tests, Limits(time_limit=1.0, max_output_bytes=1 << 20)) == [2, 0]


def test_swallowed_alarm_still_times_out(worker):
    test = _assert("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                   "while True:\n    try:\n        while True:\n            pass\n"
                   "    except BaseException:\n        pass")
    started = time.monotonic()
    assert _run(worker, GOOD, [test, _assert("assert add(1, 1) == 2")],
                Limits(time_limit=0.5)) == [3, 0]
    assert time.monotonic() - started < 10  # one limit (+ a fork), never unbounded


def test_hanging_program_costs_one_limit_per_server_not_per_batch(worker):
    """The probe's verdict for a program that hangs alone is remembered across batches."""
    hang = "import time\nwhile True:\n    time.sleep(0.01)\n"
    tests = [_assert(f"assert add({i}, 0) == {i}") for i in range(4)]
    limits = Limits(time_limit=1.0)
    started = time.monotonic()
    for bid in range(10):  # 10 batches: 10 s if each one waited for the probe
        assert _run(worker, hang, tests, limits, bid) == [Verdict.TIMEOUT] * 4
    assert time.monotonic() - started < 6
    # other programs are unaffected, and another limit is probed again
    assert _run(worker, GOOD, tests, limits, 99) == [0] * 4
    assert _run(worker, hang, tests[:1], Limits(time_limit=0.3), 100) == [Verdict.TIMEOUT]


def test_failing_program_gives_the_run_pair_verdict_for_every_test(worker):
    tests = [_assert("pass"), _assert("assert add(1, 1) == 2")]
    assert _run(worker, GOOD + "assert add(1, 1) == 3\n", tests, Limits()) == [1, 1]
    assert _run(worker, GOOD + "raise ValueError\n", tests, Limits()) == [2, 2]
    assert _run(worker, "def add(a, b) return\n", tests, Limits()) == [2, 2]
    assert _run(worker, "import os\nos._exit(1)\n", tests, Limits()) == [4, 4]


def test_server_survives_its_runner_dying_between_batches(worker):
    tests = [_assert("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
             _assert("assert add(2, 2) == 4")]
    assert _run(worker, GOOD, tests, Limits(), 0) == [4, 0]
    assert _run(worker, GOOD, tests[1:], Limits(), 1) == [0]
    assert worker.proc.poll() is None
