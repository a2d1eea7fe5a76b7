"""The Docker sandbox against a real daemon: same verdicts as local, recovery, cleanup.

Needs a running Docker daemon and the sandbox image (``sudo sandbox/setup_docker.sh``
builds both without a registry); otherwise every test here is skipped with the reason.
``CODERM_SANDBOX_IMAGE`` selects the image (default coderm-evalplus-sandbox:latest).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from coderm_evalplus.execute.base import Batch, Limits
from coderm_evalplus.execute.base import TestSpec as PairSpec
from coderm_evalplus.execute.docker import (
    DEFAULT_IMAGE,
    RUN_LABEL,
    DockerExecutor,
    unavailable_reason,
)
from coderm_evalplus.execute.local import LocalExecutor
from coderm_evalplus.model import Verdict

IMAGE = os.environ.get("CODERM_SANDBOX_IMAGE", DEFAULT_IMAGE)


_REASON = unavailable_reason(IMAGE)
pytestmark = [pytest.mark.docker, pytest.mark.skipif(_REASON is not None, reason=_REASON or "")]


def containers(run_id: str | None = None) -> list[str]:
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"],
                         capture_output=True, text=True, timeout=30).stdout
    return out.split()


def ut(body: str, name: str = "T") -> PairSpec:
    src = f"import unittest\nclass {name}(unittest.TestCase):\n" + textwrap.indent(
        textwrap.dedent(body).strip() + "\n", "    ")
    return PairSpec(src, "unittest", name)


GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
TESTS = [
    ut("def test_a(self):\n    self.assertEqual(add(1, 2), 3)"),                  # pass/fail
    ut("def test_b(self):\n    self.assertEqual(add(0, 0), 0)"),                  # pass both
    ut("def test_c(self):\n    raise ValueError('boom')"),                        # error
    ut("def test_d(self):\n    while True:\n        pass"),                       # timeout
    ut("def test_e(self):\n    import os\n    os._exit(3)"),                      # crash
    ut("def test_f(self):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)"),
    ut("def test_g(self):\n    print('x' * 100000)\n    self.assertTrue(add(2, 2) == 4)"),
    PairSpec("assert add(2, 3) == 5", "assert"),
    PairSpec("assert add(2, 3) == 6", "assert"),
    PairSpec("def broken(:\n", "assert"),                                          # syntax
]
PROGRAMS = [GOOD, WRONG, "def add(a, b:\n", "import sys\nsys.exit(1)\n",
            "while True:\n    pass\n", "raise RuntimeError('at import')\n"]
LIMITS = Limits(time_limit=0.5)


def run_all(executor, batches: list[Batch], limits: Limits = LIMITS) -> dict:
    got: dict[tuple[int, int], int] = {}

    def on_verdict(bid: int, pos: int, v: int) -> None:
        assert (bid, pos) not in got, "a pair was reported twice"
        got[(bid, pos)] = v

    executor.run(iter(batches), limits, on_verdict)
    return got


def mixed_batches() -> list[Batch]:
    return [Batch(i, p, list(TESTS)) for i, p in enumerate(PROGRAMS)]


@pytest.fixture(scope="module")
def local_verdicts() -> dict:
    with LocalExecutor(jobs=2) as ex:
        return run_all(ex, mixed_batches())


def test_docker_verdicts_equal_local_on_mixed_pairs(local_verdicts):
    ex = DockerExecutor(jobs=2, image=IMAGE)
    try:
        got = run_all(ex, mixed_batches())
        assert ex.isolation and ex.isolation["container"] and ex.isolation["network_blocked"]
        assert ex.isolation["uid_drop"] is True
    finally:
        ex.close()
    assert got == local_verdicts
    assert set(got.values()) == {Verdict.PASS, Verdict.FAIL, Verdict.ERROR, Verdict.TIMEOUT,
                                 Verdict.CRASH}
    assert got[(0, 0)] == Verdict.PASS and got[(1, 0)] == Verdict.FAIL
    assert got[(0, 3)] == Verdict.TIMEOUT and got[(0, 4)] == Verdict.CRASH
    assert containers(ex.run_id) == []


def test_docker_runtime_id_names_the_image_and_runner_uses_it():
    from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
    from coderm_evalplus.model import Candidate, Problem, UnitTest

    prob = Problem("t/0", candidates=[Candidate(0, GOOD), Candidate(1, WRONG),
                                      Candidate(2, GOOD)],
                   tests=[UnitTest(0, "assert add(1, 1) == 2", "assert"),
                          UnitTest(1, "assert add(1, 1) == 0", "assert")])
    stats = ExecutionStats()
    out = execute_problems([prob], sandbox="docker", jobs=1, limits=LIMITS, stats=stats,
                           sandbox_options={"image": IMAGE})
    assert out["t/0"].verdicts.tolist() == [[0, 1], [1, 0], [0, 1]]
    assert stats.isolation["container"] is True
    ex = DockerExecutor(jobs=1, image=IMAGE)
    try:
        assert ex.runtime_id.startswith("docker:sha256:")
    finally:
        ex.close()


def _first_container(ex: DockerExecutor, timeout: float = 60) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for w in list(ex._workers.values()):
            if hasattr(w, "info") and w.busy_since is not None:
                return w.name
        time.sleep(0.05)
    raise AssertionError("no container became busy")


def test_docker_killed_container_is_replaced_and_pairs_rerun(local_verdicts):
    """`docker kill` mid-batch: a new container runs the unfinished pairs, same verdicts."""
    ex = DockerExecutor(jobs=1, image=IMAGE)
    slow = [ut(f"def test_s(self):\n    import time\n    time.sleep(0.1)\n    "
               f"self.assertEqual(add({i}, 1), {i + 1})", f"S{i}") for i in range(20)]
    killer = threading.Thread(
        target=lambda: (time.sleep(0.3), subprocess.run(
            ["docker", "kill", _first_container(ex)], capture_output=True)), daemon=True)
    try:
        killer.start()
        got = run_all(ex, [Batch(0, GOOD, slow), Batch(1, WRONG, slow)], Limits(time_limit=2))
    finally:
        ex.close()
    assert ex.restarts >= 1
    assert [got[(0, i)] for i in range(20)] == [Verdict.PASS] * 20
    assert [got[(1, i)] for i in range(20)] == [Verdict.FAIL] * 20
    assert containers(ex.run_id) == []


def test_docker_hung_container_is_detected_by_watchdog_and_replaced():
    """A paused container (no output at all) is a hang: killed after hang_timeout, re-run."""
    ex = DockerExecutor(jobs=1, image=IMAGE, hang_timeout=3)
    slow = [ut(f"def test_s(self):\n    import time\n    time.sleep(0.1)\n    "
               f"self.assertEqual(add({i}, 1), {i + 1})", f"S{i}") for i in range(15)]
    paused: list[str] = []

    def pause() -> None:
        name = _first_container(ex)
        time.sleep(0.3)
        subprocess.run(["docker", "pause", name], capture_output=True)
        paused.append(name)

    threading.Thread(target=pause, daemon=True).start()
    started = time.monotonic()
    try:
        got = run_all(ex, [Batch(0, GOOD, slow)], Limits(time_limit=2))
    finally:
        ex.close()
    assert paused and ex.hangs >= 1
    assert [got[(0, i)] for i in range(15)] == [Verdict.PASS] * 15
    assert time.monotonic() - started < 40
    assert containers(ex.run_id) == []


SCRIPT = """
import sys, time, textwrap
from coderm_evalplus.execute.base import Batch, Limits
from coderm_evalplus.execute.base import TestSpec as PairSpec
from coderm_evalplus.execute.docker import DockerExecutor
ex = DockerExecutor(jobs=2, image=sys.argv[1], run_id=sys.argv[2])
hang = PairSpec("import unittest, time\\nclass T(unittest.TestCase):\\n"
                "    def test_x(self):\\n        time.sleep(1)\\n", "unittest", "T")
batches = (Batch(i, "x = 1\\n", [hang] * 8) for i in range(1000))
print("started", flush=True)
try:
    ex.run(batches, Limits(time_limit=5), lambda *a: None)
finally:
    ex.close()
"""


def _as_from_a_terminal() -> None:
    """SIGINT as a run started from a terminal has it, where Ctrl-C sends it: pytest
    itself may run with SIGINT ignored (a shell without job control starts background
    commands so), and the run would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_docker_containers_removed_when_run_is_signalled(sig):
    run_id = f"sigtest-{sig.name.lower()}-{os.getpid()}"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, IMAGE, run_id],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_from_a_terminal)
    try:
        end = time.monotonic() + 60
        while len(containers(run_id)) < 2 and time.monotonic() < end:
            time.sleep(0.2)
        assert len(containers(run_id)) == 2, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.5)
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert containers(run_id) == []
    assert proc.returncode != 0


def test_docker_close_is_idempotent_and_leaves_nothing():
    ex = DockerExecutor(jobs=2, image=IMAGE)
    run_all(ex, [Batch(0, GOOD, TESTS[:2])])
    ex.close()
    ex.close()
    assert containers(ex.run_id) == []


@pytest.mark.slow
def test_docker_containers_go_away_after_sigkill_of_the_run():
    """No handler runs on SIGKILL: the workers see stdin close and exit (``--rm``)."""
    run_id = f"sigkill-{os.getpid()}"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, IMAGE, run_id],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 60
        while len(containers(run_id)) < 2 and time.monotonic() < end:
            time.sleep(0.2)
        assert len(containers(run_id)) == 2
        proc.kill()
        proc.wait(timeout=30)
        end = time.monotonic() + 60  # at most the batch in flight (8 x 1 s) + teardown
        while containers(run_id) and time.monotonic() < end:
            time.sleep(0.5)
        assert containers(run_id) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run(["docker", "rm", "-f", *containers(run_id)], capture_output=True)
