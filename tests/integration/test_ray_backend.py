"""The Ray sandbox on a real local Ray cluster: two nodes (a head and a worker node, each
offering one CPU) started with the ``ray`` CLI on 127.0.0.1, exactly as a user starts a
cluster.  Every test compares the Ray backend's outcome matrices with the local
executor's on the same problems: the backend may only change *where* pairs run.

Starting two Ray nodes costs ~45 s on the 2-core CI machine, so the cluster is shared by
the whole module and every test is kept to a few seconds of work.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from coderm_evalplus.errors import UsageError
from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem, UnitTest, Verdict

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'coderm-evalplus[ray]'")

pytestmark = pytest.mark.ray

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
LIMITS = Limits(time_limit=1.0)
# Token authentication (Ray >= 2.5x) is irrelevant on 127.0.0.1 and would make the CLI
# nodes and this driver disagree when a token file exists in ~/.ray.
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


# --------------------------------------------------------------------------- problems

GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
# a hang no hang proof ends early (a float that grows: its state never repeats within
# the limit and it is not an int moving away from an exit, the two proofs the worker
# has): each such pair costs its full limit, which keeps the actors busy long enough for
# the mid-run kills below
HANGS = "def add(a, b):\n    x = 0.5\n    while True:\n        x += 1.0\n"
KILLS_ITSELF = "import os\n\ndef add(a, b):\n    os._exit(3)\n"
RAISES = "def add(a, b):\n    raise ValueError('no')\n"
HANGS_AT_IMPORT = "import time\ntime.sleep(30)\n\ndef add(a, b):\n    return a + b\n"


def _unittest(index: int, body: str) -> UnitTest:
    src = (f"import unittest\n\nclass TestAdd{index}(unittest.TestCase):\n"
           f"    def test_it(self):\n        {body}\n")
    return UnitTest(index, src, "unittest", f"TestAdd{index}")


def verdict_kinds_problem(copies: int = 1) -> Problem:
    """One candidate per verdict kind (pass, fail, error, timeout, crash), ``copies`` times.

    Copies differ by a constant so the executor's dedupe keeps them apart (each copy is
    its own batch); the last candidate differs from the first by a comment only, so it is
    deduped and shares the first one's verdicts.
    """
    tests = [_unittest(0, "self.assertEqual(add(1, 2), 3)"),
             _unittest(1, "self.assertEqual(add(2, 2), 4)"),
             _unittest(2, "self.assertEqual(add(0, 0), 1)"),
             UnitTest(3, "assert add(5, 5) == 10", "assert")]
    sources = [GOOD, WRONG, HANGS, KILLS_ITSELF, RAISES, HANGS_AT_IMPORT]
    cands = [Candidate(len(sources) * k + i, f"{src}\nCOPY = {k}\n")
             for k in range(copies) for i, src in enumerate(sources)]
    cands.append(Candidate(len(cands), GOOD + "# a duplicate of the first: deduped\n"))
    return Problem("Synthetic/add", entry_point="add", candidates=cands, tests=tests)


def codet_problems(n_tasks: int = 3, n_candidates: int = 12, n_tests: int = 12
                   ) -> list[Problem]:
    """A small real slice: CodeGen-16B samples and CodeT's generated asserts."""
    from coderm_evalplus.extract import extract_all
    from coderm_evalplus.inputs.problem_sets import load_evalplus_problems
    from coderm_evalplus.inputs.recorded_tests import read_recorded_tests
    from coderm_evalplus.inputs.samples import read_samples

    root = DATA / "codet_humaneval_dev"
    if not root.is_dir():
        pytest.skip(f"shared data not found at {root}")
    problems = load_evalplus_problems("humaneval", DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl")
    ids = root / "task_ids.json"
    cands = read_samples(root / "codegen16B_code_solution.jsonl", problems, task_ids=ids)
    tests = read_recorded_tests(root / "codegen16B_test_case.jsonl", problems, task_ids=ids)
    out = []
    for tid in list(json.loads(ids.read_text()))[:n_tasks]:
        p = problems[tid]
        p.candidates = cands[tid][:n_candidates]
        extracted, _ = extract_all(p, tests[tid], fmt="assert")
        p.tests = extracted[:n_tests]
        out.append(p)
    return out


# --------------------------------------------------------------------------- cluster

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def ray_address():
    """A two-node Ray cluster on this machine (head + worker node, 1 CPU each)."""
    cli = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))
    if not Path(cli).exists():
        pytest.skip("the `ray` CLI is not on PATH")
    env = {**os.environ, **RAY_ENV}
    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)  # this process is the driver: same settings as the nodes
    port = _free_port()
    common = ["--num-cpus", "1", "--disable-usage-stats", "--node-ip-address", "127.0.0.1"]
    try:
        head = subprocess.Popen([cli, "start", "--head", "--port", str(port),
                                 "--include-dashboard", "false", "--include-log-monitor",
                                 "false", *common],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        # Start the worker node as soon as the head's GCS listens, not when the head's
        # agents are up: the two start-ups overlap (~45 s instead of ~70 s).
        if not _wait_port(port, 90):
            head.kill()
            pytest.fail(f"ray head did not listen on {port}: {head.communicate()[1][-500:]}")
        node = subprocess.Popen([cli, "start", "--address", f"127.0.0.1:{port}", *common],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        for name, proc in (("head", head), ("worker node", node)):
            _, err = proc.communicate(timeout=180)
            if proc.returncode != 0:
                pytest.fail(f"`ray start` ({name}) failed: {err[-800:]}")
        yield f"127.0.0.1:{port}"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([cli, "stop", "--force"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return [verdict_kinds_problem(copies=2), *codet_problems()]


@pytest.fixture(scope="module")
def local_verdicts(problems) -> dict[str, np.ndarray]:
    """The reference: the local executor's matrices for the same problems."""
    res = execute_problems(problems, sandbox="local", jobs=2, limits=LIMITS)
    kinds = {int(v) for v in np.unique(res["Synthetic/add"].verdicts)}
    assert kinds == {int(v) for v in Verdict if v != Verdict.NOT_RUN}
    return {k: v.verdicts for k, v in res.items()}


def _assert_same(ray_result, local: dict[str, np.ndarray]) -> None:
    assert set(ray_result) == set(local)
    for tid, verdicts in local.items():
        np.testing.assert_array_equal(ray_result[tid].verdicts, verdicts, err_msg=tid)


def _pids_with_args(*needles: str) -> list[int]:
    """Pids whose command line contains every needle (read from /proc, no width limit)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(n in args for n in needles):
            pids.append(int(d.name))
    return pids


# --------------------------------------------------------------------------- tests

def test_missing_ray_fake_import_gives_install_hint(monkeypatch):
    """Without Ray the sandbox fails with one line saying what to install (faked: ray
    is installed here, so its import is blocked)."""
    from coderm_evalplus.execute.ray import RayExecutor

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UsageError, match=r"pip install 'coderm-evalplus\[ray\]'"):
        RayExecutor(jobs=1)


def test_unknown_node_sandbox_is_a_usage_error_before_connecting():
    from coderm_evalplus.execute.ray import RayExecutor

    with pytest.raises(UsageError, match="unknown node sandbox 'nope'"):
        RayExecutor(node_sandbox="nope")
    with pytest.raises(UsageError, match="cannot run the ray sandbox"):
        RayExecutor(node_sandbox="ray")
    assert not ray.is_initialized()


def test_slot_runner_is_the_local_executor_on_its_node():
    """The actor body, called directly (no Ray): one batch gives the local verdicts."""
    from coderm_evalplus.execute.base import Batch, TestSpec
    from coderm_evalplus.execute.local import LocalExecutor
    from coderm_evalplus.execute.ray import SlotRunner

    p = verdict_kinds_problem()
    tests = [TestSpec(t.source, t.kind, t.class_name) for t in p.tests]
    limits = Limits(time_limit=0.5)
    runner = SlotRunner("local")
    try:
        with LocalExecutor(jobs=1) as local:
            for c in p.candidates[:5]:  # pass, fail, timeout, crash, error
                got, seconds, isolation = runner.run_batch(Batch(7, c.source, tests), limits)
                want: list[tuple[int, int]] = []
                local.run([Batch(7, c.source, tests)], limits,
                          lambda _b, pos, v, out=want: out.append((pos, v)))
                assert sorted(got) == sorted(want) and len(got) == len(tests)
                assert seconds > 0 and isolation is not None
    finally:
        runner.shutdown()


@pytest.mark.slow
def test_ray_sandbox_matches_local_on_two_nodes(ray_address, problems, local_verdicts,
                                                tmp_path):
    """The sandbox as the CLI builds it (``--sandbox ray --ray-address ADDR``): one actor
    per cluster CPU, spread over both nodes; same matrices as the local executor for every
    verdict kind and for real CodeT samples; same CodeRM picks; the driver's cache makes a
    re-run execute nothing; close() ends the connection it opened."""
    from coderm_evalplus.plugins import get_sandbox, get_selector

    ex = get_sandbox("ray", jobs=None, ray_address=ray_address)
    try:
        assert ex.jobs == 2  # the cluster's CPUs
        stats = ExecutionStats()
        cache = tmp_path / "verdicts.sqlite"
        result = execute_problems(problems, executor=ex, limits=LIMITS, cache_path=cache,
                                  stats=stats)
        _assert_same(result, local_verdicts)
        alive = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        assert len(alive) == 2 and set(ex.stats.nodes) == alive
        assert ex.stats.actors_lost == 0 and ex.stats.batches_resubmitted == 0
        assert ex.stats.pairs == stats.pairs_executed > 0
        assert stats.isolation and stats.isolation.get("network_blocked") is True
        assert ex.runtime_id.startswith("ray:local:python")

        selector = get_selector("coderm")
        for p in problems:
            got = selector.select(p, result[p.task_id], np.random.default_rng(0))
            want = selector.select(p, OutcomeMatrix(p.task_id, local_verdicts[p.task_id]),
                                   np.random.default_rng(0))
            assert (got.index, got.tied) == (want.index, want.tied)

        again = ExecutionStats()
        result2 = execute_problems(problems, executor=ex, limits=LIMITS, cache_path=cache,
                                   stats=again)
        _assert_same(result2, local_verdicts)
        assert again.pairs_executed == 0 and again.cache_hits == stats.pairs_distinct
    finally:
        ex.close()
    assert not ray.is_initialized()


@pytest.mark.slow
def test_killed_actor_mid_run_loses_nothing(ray_address, problems, local_verdicts):
    """ray.kill an actor while it holds unfinished batches: they are re-run on a new
    actor and the final matrix equals the local executor's."""
    from coderm_evalplus.execute.ray import RayExecutor

    killed = []
    with RayExecutor(ray_address=ray_address, jobs=2, in_flight=2) as ex:
        def kill_on_first_verdict(batches, limits, on_verdict):
            def spy(bid, pos, verdict):
                if not killed:
                    killed.append(ex.actors()[0])
                    ray.kill(killed[0], no_restart=True)
                on_verdict(bid, pos, verdict)
            return RayExecutor.run(ex, batches, limits, spy)

        ex.run = kill_on_first_verdict  # the runner's on_verdict, observed
        result = execute_problems(problems, executor=ex, limits=LIMITS)
        assert killed
        assert ex.stats.actors_lost == 1
        assert ex.stats.batches_resubmitted >= 1
        assert ex.stats.batches_abandoned == 0
        assert ex.stats.actors_started == 3  # two, then one replacement
    _assert_same(result, local_verdicts)


@pytest.mark.slow
def test_lost_node_mid_run_loses_nothing(ray_address, problems, local_verdicts):
    """SIGKILL the worker node's raylet (the node is gone, with its actor) once both
    actors are working: the batches it held run on the head's actor and the matrix equals
    the local one.  The replacement actor finds no free CPU and never starts (or starts
    on the dying node and is lost too): the run must not wait for it.  Runs last: the cluster has one node afterwards."""
    from coderm_evalplus.execute.ray import RayExecutor

    killed = []
    with RayExecutor(ray_address=ray_address, jobs=2) as ex:
        worker_node = [n["NodeID"] for n in ray.nodes()
                       if n["Alive"] and "node:__internal_head__" not in n["Resources"]]
        assert len(worker_node) == 1
        raylets = _pids_with_args("raylet", f"--node_id={worker_node[0]}")
        assert len(raylets) == 1, "cannot find the worker node's raylet process"

        def kill_node_when_both_work(batches, limits, on_verdict):
            def spy(bid, pos, verdict):
                if not killed and len(ex.stats.nodes) == 2:
                    os.kill(raylets[0], signal.SIGKILL)
                    killed.append(raylets[0])
                on_verdict(bid, pos, verdict)
            return RayExecutor.run(ex, batches, limits, spy)

        ex.run = kill_node_when_both_work
        result = execute_problems(problems, executor=ex, limits=LIMITS)
        assert killed
        # >= 1: a replacement actor Ray placed on the dying node before it saw the node
        # gone is lost too (seen in CI: 2 lost, 2 resubmitted); what matters is below
        assert ex.stats.actors_lost >= 1 and ex.stats.batches_resubmitted >= 1
        assert ex.stats.batches_abandoned == 0
    _assert_same(result, local_verdicts)
