"""The hostile-candidate suite (tests/adversarial/cases.py), run in the Docker sandbox.

The cases are the ones the local sandbox's suite uses, plus two that only make sense in a
container (``EXTRA_CASES``).  Each hostile test runs in a batch between well-behaved probe
tests (which fail if anything the hostile test did leaked into them), and the probes run
again in the next batch of the same container.  Checks: the hostile pair gets a verdict
``case.allowed`` permits, every probe passes, the run continues, no candidate process is
left in any container, the host file, host listener and host environment stay out of
reach, and no container of the run is left afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coderm_evalplus.execute.base import Batch, Limits
from coderm_evalplus.execute.base import TestSpec as PairSpec
from coderm_evalplus.execute.docker import (
    DEFAULT_IMAGE,
    RUN_LABEL,
    DockerExecutor,
    unavailable_reason,
)
from coderm_evalplus.model import Verdict

IMAGE = os.environ.get("CODERM_SANDBOX_IMAGE", DEFAULT_IMAGE)
ORIGINAL = "original host content\n"


_REASON = unavailable_reason(IMAGE)
pytestmark = [pytest.mark.docker, pytest.mark.skipif(_REASON is not None, reason=_REASON or "")]

sys.path.insert(0, str(Path(__file__).parent))
from cases import (  # noqa: E402
    ANY,
    CASES_LIST,
    PROBES,
    PROGRAM,
    HostContext,
    HostileCase,
    unittest_source,
)

EXTRA_CASES = [
    HostileCase("daemon_escapes_group", unittest_source("""
        import os
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:
                    pass
            os._exit(0)
    """), ANY, why="a double-forked daemon in its own session must still be killed"),
    HostileCase("overwrite_worker_in_image", unittest_source("""
        with open("/opt/coderm/worker.py", "a") as f:
            f.write("pwned")
    """), why="read-only root filesystem; the runner code cannot be changed"),
]
CASES = [*CASES_LIST, *EXTRA_CASES]
PROBE_SPECS = [PairSpec(src + f"\n_probe = {k!r}\n", "unittest", "Hostile")
               for k, (_, src) in enumerate(PROBES)]
LIMITS = Limits(time_limit=1.0, memory_mb=1024)


@pytest.fixture(scope="module")
def hostile_run():
    tmp = Path(tempfile.mkdtemp(prefix="coderm-docker-hostile-"))
    host_file = tmp / "host_file.txt"
    host_file.write_text(ORIGINAL)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    ctx = HostContext(str(host_file), listener.getsockname()[1])
    os.environ[ctx.secret_name] = ctx.secret_value
    ex = DockerExecutor(jobs=2, image=IMAGE)
    got: dict[tuple[int, int], int] = {}
    leftovers: dict[str, list[list[str]]] = {}
    half = len(PROBE_SPECS) // 2
    try:
        batches = []
        for i, case in enumerate(CASES):
            program, spec = case.spec(ctx)
            batches.append(Batch(2 * i, program, [*PROBE_SPECS[:half], spec,
                                                  *PROBE_SPECS[half:]]))
            batches.append(Batch(2 * i + 1, PROGRAM, list(PROBE_SPECS)))
        ex.run(iter(batches), LIMITS, lambda b, p, v: got.__setitem__((b, p), v))
        for w in list(ex._workers.values()):
            top = subprocess.run(["docker", "top", w.name, "-o", "pid,user,stat,args"],
                                 capture_output=True, text=True, timeout=30).stdout
            leftovers[w.name] = [line.split()[1:] for line in top.strip().splitlines()[1:]]
        isolation = ex.isolation
    finally:
        ex.close()
        os.environ.pop(ctx.secret_name, None)
        listener.close()
    remaining = subprocess.run(["docker", "ps", "-aq", "--filter",
                                f"label={RUN_LABEL}={ex.run_id}"],
                               capture_output=True, text=True, timeout=30).stdout.split()
    yield {"verdicts": got, "leftovers": leftovers, "remaining": remaining, "half": half,
           "isolation": isolation, "host_file": host_file.read_text()}
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_docker_hostile_case_is_contained(hostile_run, index):
    case = CASES[index]
    v = hostile_run["verdicts"]
    half, n = hostile_run["half"], len(PROBE_SPECS)
    hostile = v[(2 * index, half)]
    assert hostile in case.allowed, f"{case.name}: verdict {hostile} not in {case.allowed}"
    before = [v[(2 * index, k)] for k in range(half)]
    after = [v[(2 * index, k)] for k in range(half + 1, n + 1)]
    next_batch = [v[(2 * index + 1, k)] for k in range(n)]
    assert before == [Verdict.PASS] * half, f"{case.name}: probes before it changed"
    assert after == [Verdict.PASS] * (n - half), f"{case.name}: leaked into later probes"
    assert next_batch == [Verdict.PASS] * n, f"{case.name}: leaked into the next batch"


def test_docker_hostile_run_leaves_no_process_file_or_container(hostile_run):
    assert hostile_run["host_file"] == ORIGINAL
    assert hostile_run["leftovers"]
    for name, procs in hostile_run["leftovers"].items():
        # root: tini (PID 1), the worker server and, once a runner has died, the server's
        # spare runner (forked ahead of need, still root, asleep until the next runner
        # death).  The sandbox uid: at most the worker's idle runner (kept for the next
        # batch), sleeping; no candidate process survives.
        root = [p for p in procs if p[0] == "root"]
        sandboxed = [p for p in procs if p[0] != "root"]
        assert 2 <= len(root) <= 3, procs
        assert any("docker-init" in " ".join(p) for p in root), procs
        workers = [p for p in root if "docker-init" not in " ".join(p)]
        assert len(workers) == len(root) - 1, procs
        assert all("worker.py" in " ".join(p) for p in workers), procs
        assert all(p[1].startswith("S") for p in workers), f"{name}: busy {workers}"
        assert len(sandboxed) <= 1, f"{name}: leftover candidate processes {sandboxed}"
        assert all(p[1].startswith("S") for p in sandboxed), f"{name}: busy {sandboxed}"
    assert hostile_run["remaining"] == []
    assert hostile_run["isolation"]["network_blocked"] is True
    assert hostile_run["isolation"]["uid_drop"] is True
