"""Throughput of the Ray sandbox with 1 and 2 local Ray nodes next to the local executor.

Two workloads, each run by every backend through ``execute_problems`` (dedupe, batching,
no cache) with the same limits; every backend must give the same matrices:

* ``codet``: real CodeT samples (CodeGen-Mono-16B on HumanEval, ../shared/data/
  codet_humaneval_dev) x CodeT's generated asserts, ``--tasks`` x ``--candidates`` x
  ``--tests``: what a real run looks like (a few slow pairs dominate);
* ``tiny``: ``--tiny`` distinct one-line candidates with one passing test each, i.e.
  one batch = one trivial pair: the time per batch *is* the per-batch cost, so the Ray
  overhead per batch is the difference to the local executor's.

Backends: local with 1 and 2 slots; Ray with a head node (1 CPU) -> 1 slot, then with a
second worker node added (1 CPU) -> 2 slots, both nodes on this machine, started with the
``ray`` CLI (``ray stop --force`` at the end).  Actor start-up is excluded (a warm-up run
starts the actors), connection and cluster start-up too: they are paid once per run, not
per pair.  For Ray the script also prints the driver-measured overhead per batch:
(wall x slots - time the actors spent running batches) / batches.

On one 2-core machine the Ray nodes' own processes (GCS, raylets, agents) compete with
the sandboxes for the same cores, so read the 2-node row as a lower bound.

    python benchmarks/ray_backend.py [--tasks 8] [--candidates 20] [--tests 20]
        [--time-limit 1.0] [--tiny 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.local import LocalExecutor
from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
from coderm_evalplus.model import Candidate, Problem, UnitTest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def codet_workload(n_tasks: int, n_candidates: int, n_tests: int) -> list[Problem]:
    from coderm_evalplus.extract import extract_all
    from coderm_evalplus.inputs.problem_sets import load_evalplus_problems
    from coderm_evalplus.inputs.recorded_tests import read_recorded_tests
    from coderm_evalplus.inputs.samples import read_samples

    root = DATA / "codet_humaneval_dev"
    problems = load_evalplus_problems("humaneval",
                                      DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl")
    ids = root / "task_ids.json"
    cands = read_samples(root / "codegen16B_code_solution.jsonl", problems, task_ids=ids)
    tests = read_recorded_tests(root / "codegen16B_test_case.jsonl", problems, task_ids=ids)
    out = []
    for tid in json.loads(ids.read_text())[:n_tasks]:
        p = problems[tid]
        p.candidates = cands[tid][:n_candidates]
        extracted, _ = extract_all(p, tests[tid], fmt="assert")
        p.tests = extracted[:n_tests]
        out.append(p)
    return out


def tiny_workload(n: int) -> list[Problem]:
    cands = [Candidate(i, f"def f():\n    return {i}\n") for i in range(n)]
    return [Problem("tiny", entry_point="f", candidates=cands,
                    tests=[UnitTest(0, "assert isinstance(f(), int)", "assert")])]


# --------------------------------------------------------------------------- cluster

class LocalRayCluster:
    """Ray nodes on this machine via the ``ray`` CLI (1 CPU each)."""

    def __init__(self) -> None:
        self.cli = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))
        self.env = {**os.environ, **RAY_ENV}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.common = ["--num-cpus", "1", "--disable-usage-stats",
                       "--node-ip-address", "127.0.0.1"]

    def _start(self, args: list[str]) -> float:
        t = time.monotonic()
        proc = subprocess.run([self.cli, "start", *args, *self.common], env=self.env,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise SystemExit(f"ray start failed: {proc.stderr[-800:]}")
        return time.monotonic() - t

    def start_head(self) -> float:
        return self._start(["--head", "--port", str(self.port), "--include-dashboard",
                            "false", "--include-log-monitor", "false"])

    def add_node(self) -> float:
        return self._start(["--address", self.address])

    def stop(self) -> None:
        subprocess.run([self.cli, "stop", "--force"], env=self.env, capture_output=True,
                       timeout=180)


# --------------------------------------------------------------------------- measuring

def measure(name: str, executor, problems: list[Problem], limits: Limits) -> dict:
    """Run once (no cache); return wall time, pairs, batches and the matrices."""
    stats = ExecutionStats()
    ray_before = getattr(executor, "stats", None)
    busy0 = ray_before.busy_seconds if ray_before else 0.0
    batches0 = ray_before.batches if ray_before else 0
    t = time.monotonic()
    result = execute_problems(problems, executor=executor, limits=limits, stats=stats)
    wall = time.monotonic() - t
    row = {"backend": name, "slots": executor.jobs, "pairs": stats.pairs_executed,
           "wall_s": wall, "pairs_per_s": stats.pairs_executed / wall if wall else 0.0,
           "matrices": {k: v.verdicts for k, v in result.items()}}
    if ray_before is not None:
        rs = executor.stats
        batches = rs.batches - batches0
        busy = rs.busy_seconds - busy0
        row.update(batches=batches, overhead_ms_per_batch=1000 * max(
            0.0, wall * executor.jobs - busy) / max(1, batches),
            nodes=len({n for n in rs.nodes}))
    return row


def batches_of(problems: list[Problem]) -> int:
    """Batches the runner makes (distinct candidates x ceil(distinct tests / 64))."""
    from coderm_evalplus.execute.runner import BATCH_TESTS, _plan

    n = 0
    for p in problems:
        plan = _plan(p)
        n += len(plan.programs) * -(-len(plan.tests) // BATCH_TESTS) if plan.tests else 0
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--tests", type=int, default=20)
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--tiny", type=int, default=1000)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import ray

    from coderm_evalplus.execute.ray import RayExecutor

    limits = Limits(time_limit=args.time_limit)
    workloads = {"codet": codet_workload(args.tasks, args.candidates, args.tests),
                 "tiny": tiny_workload(args.tiny)}
    n_batches = {k: batches_of(v) for k, v in workloads.items()}
    rows: list[dict] = []

    def bench(name: str, executor) -> None:
        for wl, probs in workloads.items():
            row = measure(name, executor, probs, limits)
            row["workload"] = wl
            row.setdefault("batches", n_batches[wl])
            row["ms_per_batch"] = 1000 * row["wall_s"] / max(1, row["batches"])
            rows.append(row)
            print(f"  {name:<12} slots={row['slots']} {wl:<5} {row['wall_s']:7.2f} s "
                  f"{row['pairs_per_s']:8.1f} pairs/s", flush=True)

    for jobs in (1, 2):
        with LocalExecutor(jobs=jobs) as ex:
            bench("local", ex)

    os.environ.update(RAY_ENV)
    cluster = LocalRayCluster()
    startup: dict[str, float] = {}
    try:
        startup["head"] = cluster.start_head()
        t = time.monotonic()
        ray.init(address=cluster.address, log_to_driver=False)
        startup["connect"] = time.monotonic() - t
        for nodes in (1, 2):
            if nodes == 2:
                startup["second_node"] = cluster.add_node()
                while ray.cluster_resources().get("CPU", 0) < 2:
                    time.sleep(0.5)
            with RayExecutor() as ex:
                t = time.monotonic()
                measure("warm-up", ex, tiny_workload(4 * ex.jobs), limits)  # starts actors
                startup[f"actors_{nodes}_node"] = time.monotonic() - t
                bench(f"ray {nodes} node{'s' if nodes > 1 else ''}", ex)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.stop()

    # Every backend should agree with the local executor on every pair.  A pair whose run
    # time is close to the limit can flip between TIMEOUT and another verdict under load
    # (that happens between two local runs too), so differences are counted and shown.
    ref = {r["workload"]: r["matrices"] for r in rows
           if r["backend"] == "local" and r["slots"] == 1}
    for r in rows:
        diff = timeouts = 0
        for tid, m in r.pop("matrices").items():
            other = ref[r["workload"]][tid]
            differ = m != other
            diff += int(differ.sum())
            timeouts += int((differ & ((m == 3) | (other == 3))).sum())
        r["pairs_differing"], r["differing_by_timeout"] = diff, timeouts
        if diff > timeouts:
            print(f"ERROR: {r['backend']} ({r['slots']} slots) differs from local on "
                  f"{diff - timeouts} pairs not explained by a time-out", file=sys.stderr)

    print("\nstart-up (s): " + ", ".join(f"{k} {v:.1f}" for k, v in startup.items()))
    print(f"\n{'workload':<8} {'backend':<12} {'slots':>5} {'pairs':>6} {'batches':>7} "
          f"{'wall s':>7} {'pairs/s':>8} {'ms/batch':>8} {'vs local':>8} {'ovh ms/b':>8} "
          f"{'diff':>5}")
    local_rate = {(r["workload"], r["slots"]): r["pairs_per_s"] for r in rows
                  if r["backend"] == "local"}
    for r in rows:
        ratio = r["pairs_per_s"] / local_rate[(r["workload"], r["slots"])]
        ovh = f"{r['overhead_ms_per_batch']:8.1f}" if "overhead_ms_per_batch" in r else " " * 8
        print(f"{r['workload']:<8} {r['backend']:<12} {r['slots']:>5} {r['pairs']:>6} "
              f"{r['batches']:>7} {r['wall_s']:>7.2f} {r['pairs_per_s']:>8.1f} "
              f"{r['ms_per_batch']:>8.2f} {ratio:>7.2f}x {ovh} {r['pairs_differing']:>5}")
    tiny = {(r["backend"].split()[0], r["slots"]): r["ms_per_batch"] for r in rows
            if r["workload"] == "tiny"}
    for slots in (1, 2):
        if ("ray", slots) in tiny:
            print(f"tiny batches, {slots} slot(s): Ray adds "
                  f"{tiny[('ray', slots)] - tiny[('local', slots)]:.2f} ms of wall time per "
                  "batch over the local executor")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)},
                                         "startup_s": startup, "rows": rows}, indent=2))
    return 1 if any(r["pairs_differing"] > r["differing_by_timeout"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
