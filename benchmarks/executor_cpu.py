"""Where the executor's CPU goes, per pair, on a slice of the CodeT assert workload.

Four measurements on the workload of ``executor.py`` (``--tasks`` x 100 candidates x the
first ``--tests`` asserts), all at the default limits, no cache, ``--jobs`` servers:

1. the whole run through ``execute_problems``: wall, CPU of the servers and runners
   (children rusage), CPU of this process (planning, batching, matrices);
2. the same distinct pairs as batches straight to the local executor, *without* the
   pairs that timed out in run 1: the CPU of ordinary pairs (run 1 minus this is what
   the hanging pairs cost, with their kills and replacement runners);
3. the timed-out pairs alone, one candidate at a time on a fresh server (whose start-up,
   ~0.15 s, is in each figure): which hangs cost what, with the number of distinct first
   calls (``hang_key``) among each candidate's timed-out tests;
4. the runner's work per ordinary pair, timed piece by piece in a forked child (no
   limits, output to /dev/null): the candidate program executed again, the test, the
   fingerprint (``_Baseline.intact``), the hang watch's timer, header and output flush.

``--worker PATH`` runs 1-3 through another worker.py (e.g. main's), to compare.

Run:  python benchmarks/executor_cpu.py --tasks 10 [--tests 50] [--jobs 2] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import resource
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from executor import load_workload  # noqa: E402

TIMEOUT = 3


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _distinct(problems, verdicts):
    """Per problem: its plan and, per distinct candidate, the distinct tests in batch
    order with the verdict run 1 gave each."""
    from coderm_evalplus.execute.runner import _call_order, _plan

    out = []
    for p in problems:
        plan = _plan(p)
        full = verdicts[p.task_id]
        row = {int(d): c for c, d in reversed(list(enumerate(plan.cand_rows)))}
        col = {int(d): t for t, d in reversed(list(enumerate(plan.test_cols)))}
        order = _call_order(plan.tests)
        tis = sorted(range(len(plan.tests)), key=order.__getitem__)
        for ci, program in enumerate(plan.programs):
            out.append((p.task_id, ci, program,
                        [(plan.tests[ti], int(full[row[ci], col[ti]])) for ti in tis]))
    return out


def _run_batches(batches, jobs: int, worker) -> dict:
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.local import LocalExecutor

    got: dict = {}
    started, cpu0 = time.monotonic(), _children_cpu()
    with LocalExecutor(jobs=jobs, worker=worker) as executor:
        executor.run(batches, Limits(), lambda b, i, v: got.__setitem__((b, i), v))
    return {"pairs": len(got), "wall_s": time.monotonic() - started,
            "cpu_s": _children_cpu() - cpu0, "verdicts": dict(Counter(got.values()))}


def _batches(rows, keep) -> list:
    from coderm_evalplus.execute.base import Batch
    from coderm_evalplus.execute.runner import BATCH_TESTS

    out = []
    for _, _, program, tests in rows:
        chosen = [t for t, v in tests if keep(v)]
        for s in range(0, len(chosen), BATCH_TESTS):
            out.append(Batch(len(out), program, chosen[s:s + BATCH_TESTS]))
    return out


def _runner_pieces(rows) -> dict:
    """Mean microseconds per ordinary pair of each piece of the runner's loop."""
    from coderm_evalplus.execute import worker as w

    pairs = [(program, t.source) for _, _, program, tests in rows
             if not w.may_touch_shared_state(program) and not w.warm_imports(program)
             for t, v in tests if v != TIMEOUT and not w.may_touch_shared_state(t.source)]
    r, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # candidate code runs here, never in the benchmark's own process
        try:
            os.close(r)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.chdir(tempfile.mkdtemp())
            codes: dict = {}
            shm = mmap.mmap(-1, 8192)
            watch = w.HangWatch(1.0, shm)
            base = w._Baseline(os.getcwd())
            acc = dict.fromkeys(("header", "namespace", "watch timer", "program again",
                                 "test", "output flush", "fingerprint"), 0.0)
            clock = time.perf_counter
            n = 0
            for program, test in pairs:
                pc = codes.setdefault(program, w._compile(program, "<candidate>"))
                tc = codes.setdefault(test, w._compile(test, "<test>"))
                if pc is None or tc is None:
                    continue
                t0 = clock()
                w._HDR.pack_into(shm, 0, 1, time.monotonic(), time.thread_time())
                t1 = clock()
                ns = w._fresh_namespace()
                t2 = clock()
                watch.start(1, ns, program, test)
                t3 = clock()
                t4 = t3
                try:
                    exec(pc, ns)
                    t4 = clock()
                    exec(tc, ns)
                except BaseException:  # noqa: BLE001 - a verdict, not our error
                    pass
                t5 = clock()
                watch.stop()
                t6 = clock()
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                except BaseException:  # noqa: BLE001
                    pass
                os.lseek(1, 0, os.SEEK_CUR)
                t7 = clock()
                base.intact()
                t8 = clock()
                for k, dt in zip(acc, (t1 - t0, t2 - t1, t3 - t2 + t6 - t5, t4 - t3, t5 - t4,
                                       t7 - t6, t8 - t7)):
                    acc[k] += dt
                n += 1
            os.write(wfd, json.dumps({"pairs": n, **{k: 1e6 * v / max(n, 1)
                                                     for k, v in acc.items()}}).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    os.waitpid(pid, 0)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    return json.loads(data)


def main(argv: list[str] | None = None) -> int:
    from coderm_evalplus.execute import worker as w
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.local import LocalExecutor
    from coderm_evalplus.execute.runner import ExecutionStats, execute_problems

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", type=int, default=10)
    ap.add_argument("--tests", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--worker", default=None, help="another worker.py for runs 1-3")
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args(argv)
    problems = load_workload(args.tasks, args.tests)
    report: dict = {"tasks": len(problems), "worker": args.worker or "this checkout's"}

    stats = ExecutionStats()
    started, cpu0, own0 = time.monotonic(), _children_cpu(), time.process_time()
    with LocalExecutor(jobs=args.jobs, worker=args.worker) as executor:
        mats = execute_problems(problems, executor=executor, limits=Limits(), stats=stats)
    report["whole"] = {"pairs": sum(m.verdicts.size for m in mats.values()),
                       "distinct": stats.pairs_distinct, "wall_s": time.monotonic() - started,
                       "cpu_s": _children_cpu() - cpu0,
                       "parent_cpu_s": time.process_time() - own0,
                       "verdicts": stats.verdicts, "timeouts_inferred": stats.timeouts_inferred}
    print("whole run:", report["whole"], file=sys.stderr, flush=True)
    rows = _distinct(problems, {p.task_id: mats[p.task_id].verdicts for p in problems})

    report["ordinary"] = _run_batches(_batches(rows, lambda v: v != TIMEOUT), args.jobs,
                                      args.worker)
    report["hang_cpu_s"] = report["whole"]["cpu_s"] - report["ordinary"]["cpu_s"]
    print("ordinary pairs only:", report["ordinary"], file=sys.stderr, flush=True)

    report["hangs"] = []
    for task_id, ci, program, tests in rows:
        hung = [t for t, v in tests if v == TIMEOUT]
        if not hung:
            continue
        one = [(task_id, ci, program, [(t, TIMEOUT) for t in hung])]
        res = _run_batches(_batches(one, lambda v: True), 1, args.worker)
        facts = w.source_facts(program)
        res.update(task=task_id, candidate=ci, timed_out_tests=len(hung),
                   first_calls=len({w.hang_key(t.source) for t in hung}),
                   watched=facts.provable, repeats=facts.repeats)
        report["hangs"].append(res)
        print("hangs:", res, file=sys.stderr, flush=True)

    report["runner_us_per_pair"] = _runner_pieces(rows)
    print("runner, us per ordinary pair:", report["runner_us_per_pair"], file=sys.stderr)
    print(json.dumps(report, indent=1))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
