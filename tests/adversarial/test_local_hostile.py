"""The hostile-candidate suite (tests/adversarial/cases.py) against the local sandbox.

Every hostile test becomes one column of a small matrix of well-behaved pairs (two
correct candidates, one wrong one; probe tests before and after it, some in the same
batch, some in the next).  The whole set runs twice through one executor: with the
hostile columns and without.  Checks: the hostile pair gets a verdict it is allowed to
get, every other cell equals the run without hostile code, every pair got a verdict (the
run continued), no process of the sandbox uids survives, the host file is untouched.

Runs as root (CI): children drop to a per-slot uid inside an empty network namespace.
Without root the uid drop and the netns do not exist, so the cases that rely on them
(writing host files, network, reading other processes' environ) are skipped, kill(-1)
is not run at all (it would reach every process of the user), and stray processes can
only be counted in our own process tree.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.local import LocalExecutor, sandbox_uid
from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest, Verdict

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES_LIST, PASS, PROBES, PROGRAM, HostContext  # noqa: E402

ROOT = os.geteuid() == 0
NEEDS_ROOT = {"write_outside_sandbox", "outbound_network", "host_env_secret"}
# Without a dedicated uid, kill(-1) would reach every process of the user running pytest.
UNSAFE_WITHOUT_ROOT = {"kill_everything"}
CASES = [c for c in CASES_LIST if ROOT or c.name not in UNSAFE_WITHOUT_ROOT]
JOBS = 2
LIMITS = Limits(time_limit=1.0, memory_mb=1024)
ORIGINAL = "original host content\n"
CANDIDATES = [PROGRAM, "def add(a, b):\n    total = a\n    total += b\n    return total\n",
              "def add(a, b):\n    return a - b\n"]  # the last one is wrong
HOSTILE_COLUMN = 3


def _probe_columns() -> list[UnitTest]:
    """Ten distinct probe tests (the executor dedupes identical sources)."""
    tests = []
    for copy in range(2):
        for _, source in PROBES:
            tests.append(UnitTest(len(tests), source + f"\n_copy = {copy}\n", "unittest",
                                  "Hostile"))
    return tests


def _problems(ctx: HostContext, with_hostile: bool) -> list[Problem]:
    problems = []
    for case in CASES:
        tests = _probe_columns()
        if with_hostile:
            _, test = case.render(ctx)
            tests.insert(HOSTILE_COLUMN, UnitTest(0, test, case.kind, case.class_name))
        for i, t in enumerate(tests):
            t.index = i
        problems.append(Problem(case.name, entry_point="add",
                                candidates=[Candidate(i, s) for i, s in enumerate(CANDIDATES)],
                                tests=tests))
    return problems


def _uids() -> set[int]:
    return {sandbox_uid(slot) for slot in range(JOBS)}


def _processes() -> list[dict]:
    """Every process on the machine: pid, ppid, uid, state (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            uid = os.stat(f"/proc/{entry}").st_uid
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        found.append({"pid": int(entry), "state": fields[0], "ppid": int(fields[1]),
                      "uid": uid})
    return found


def _descendants(pid: int) -> set[int]:
    procs = _processes()
    children: dict[int, list[int]] = {}
    for p in procs:
        children.setdefault(p["ppid"], []).append(p["pid"])
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _sandbox_processes() -> list[dict]:
    return [p for p in _processes() if p["uid"] in _uids()]


def _settled_sandbox_processes(seconds: float = 1.0) -> list[dict]:
    """The sandbox's processes once none is runnable, or as they are after ``seconds``.
    A runner that has just sent its reply can still be runnable ('R': waiting for a
    core on a busy machine, or freeing the pair's objects) for a moment; a candidate
    still computing stays 'R' for its whole limit and is caught by the assertion."""
    deadline = time.monotonic() + seconds
    while True:
        procs = _sandbox_processes()
        if all(p["state"] in "SI" for p in procs) or time.monotonic() > deadline:
            return procs
        time.sleep(0.05)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """A host file, a listener on 127.0.0.1, a secret in our env and in a helper's env."""
    base = tmp_path_factory.mktemp("host")
    host_file = base / "host_file.txt"
    host_file.write_text(ORIGINAL)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    ctx = HostContext(str(host_file), listener.getsockname()[1])
    os.environ[ctx.secret_name] = ctx.secret_value
    # /proc/<pid>/environ shows a process's initial environment: a helper started with
    # the secret gives a candidate something real to find if it can read other processes.
    helper = subprocess.Popen(["sleep", "300"], env=dict(os.environ))
    try:
        yield ctx, host_file
    finally:
        helper.kill()
        helper.wait()
        listener.close()
        os.environ.pop(ctx.secret_name, None)


@pytest.fixture(scope="module")
def runs(host):
    ctx, host_file = host
    before_tree = _descendants(os.getpid())
    assert not _sandbox_processes()
    ex = LocalExecutor(jobs=JOBS)
    stats = ExecutionStats()
    try:
        started = time.monotonic()
        hostile = execute_problems(_problems(ctx, True), executor=ex, limits=LIMITS,
                                   stats=stats)
        seconds = time.monotonic() - started
        idle = _settled_sandbox_processes()  # the executor is still open: idle runners only
        clean = execute_problems(_problems(ctx, False), executor=ex, limits=LIMITS)
        isolation = ex.isolation
    finally:
        ex.close()
    time.sleep(0.2)
    return {"hostile": hostile, "clean": clean, "idle": idle, "stats": stats,
            "seconds": seconds, "isolation": isolation, "before_tree": before_tree,
            "after_tree": _descendants(os.getpid()), "after_sandbox": _sandbox_processes(),
            "host_file": host_file}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_pair_is_contained(runs, case):
    if case.name in NEEDS_ROOT and not ROOT:
        pytest.skip("needs root: without it the sandbox has no uid drop / network namespace")
    matrix = runs["hostile"][case.name].verdicts
    column = matrix[:, HOSTILE_COLUMN]
    for row, verdict in enumerate(column):
        assert int(verdict) in case.allowed, (
            f"{case.name}: candidate {row} got {Verdict(int(verdict)).name}, allowed "
            f"{sorted(Verdict(v).name for v in case.allowed)}")
    if case.must_not_pass:
        assert (column != PASS).all()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_pair_changes_no_other_verdict(runs, case):
    hostile = runs["hostile"][case.name].verdicts
    clean = runs["clean"][case.name].verdicts
    others = hostile[:, [i for i in range(hostile.shape[1]) if i != HOSTILE_COLUMN]]
    assert others.tolist() == clean.tolist(), case.name


def test_reference_run_is_what_the_probes_expect(runs):
    """Without hostile code: correct candidates pass every probe; the wrong one fails
    only the probe that calls it (so the comparison above compares real verdicts)."""
    add_columns = [i for i, t in enumerate(_probe_columns()) if "add(2, 3)" in t.source]
    for name, matrix in runs["clean"].items():
        v = matrix.verdicts
        assert (v[:2] == PASS).all(), name
        for col in range(v.shape[1]):
            assert v[2, col] == (Verdict.FAIL if col in add_columns else PASS), name


def test_run_continues_and_leaves_no_process(runs):
    assert runs["stats"].pairs_total == len(CASES) * len(CANDIDATES) * 11
    # one idle runner per slot at most, asleep; nothing of a candidate is still running
    assert len(runs["idle"]) <= JOBS, runs["idle"]
    assert all(p["state"] in "SI" for p in runs["idle"]), runs["idle"]
    assert runs["after_sandbox"] == []
    assert runs["after_tree"] <= runs["before_tree"], "processes left in our tree"


def test_host_file_untouched(runs):
    path = runs["host_file"]
    assert path.read_text() == ORIGINAL


@pytest.mark.skipif(not ROOT, reason="isolation as root only")
def test_isolation_reported_as_root(runs):
    iso = runs["isolation"]
    assert iso["uid_drop"] is True and iso["netns"] is True and iso["network_blocked"] is True


def test_hostile_suite_is_quick(runs):
    # generous: the slow cases each cost one time limit per candidate, spread over JOBS
    assert runs["seconds"] < 90
