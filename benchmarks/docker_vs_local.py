"""Throughput of the Docker sandbox vs the local executor, same workload, one run.

Workload: real CodeT samples (CodeGen-Mono-16B on HumanEval, ../shared/data/
codet_humaneval_dev): the first ``--tasks`` tasks x 100 completions (prompt + completion
cut at CodeT's stop words) x up to ``--tests`` distinct compiling asserts that mention
the entry point.  Both executors run through ``execute_problems`` (dedupe, batching) with
the same limits and job count and no cache; the script checks that they agree on every
pair, then prints pairs/s of each and the ratio (target: docker within 2x of local).
Container start-up is included in the docker time (it is part of a run).

    python benchmarks/docker_vs_local.py [--tasks 6] [--tests 30] [--time-limit 1.0]
        [--jobs N] [--image coderm-evalplus-sandbox:latest]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path

import numpy as np

from coderm_evalplus.execute.base import Limits, default_jobs
from coderm_evalplus.execute.docker import DEFAULT_IMAGE, DockerExecutor
from coderm_evalplus.execute.local import LocalExecutor
from coderm_evalplus.execute.runner import ExecutionStats, execute_problems
from coderm_evalplus.inputs.codet import codet_function_names, truncate_codet_sample
from coderm_evalplus.model import Candidate, Problem, UnitTest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "codet_humaneval_dev"


def _asserts(text: str, entry: str) -> list[str]:
    out = []
    for piece in text.split("assert ")[1:]:
        stmt = "assert " + piece.strip()
        if entry not in stmt:
            continue
        try:
            ast.parse(stmt)
        except SyntaxError:
            continue
        out.append(stmt)
    return out


def load_workload(data: Path, n_tasks: int, n_tests: int) -> list[Problem]:
    sol_rows = [json.loads(x) for x in (data / "codegen16B_code_solution.jsonl").open()]
    test_rows = [json.loads(x) for x in (data / "codegen16B_test_case.jsonl").open()]
    task_ids = json.loads((data / "task_ids.json").read_text())
    problems = []
    for k in range(min(n_tasks, len(sol_rows))):
        prompt = sol_rows[k]["prompt"]
        entry = codet_function_names(test_rows[k]["prompt"])[0]
        cands = [Candidate(i, prompt + truncate_codet_sample(s))
                 for i, s in enumerate(sol_rows[k]["samples"])]
        seen: dict[str, None] = {}
        for sample in test_rows[k]["samples"]:
            for stmt in _asserts("assert " + sample, entry):
                seen.setdefault(stmt)
        tests = [UnitTest(j, s, "assert") for j, s in enumerate(list(seen)[:n_tests])]
        if tests:
            problems.append(Problem(task_ids[k], prompt, entry, candidates=cands, tests=tests))
    return problems


def timed(executor, problems: list[Problem], limits: Limits) -> tuple[float, ExecutionStats,
                                                                          dict]:
    stats = ExecutionStats()
    started = time.monotonic()
    out = execute_problems(problems, executor=executor, limits=limits, stats=stats)
    return time.monotonic() - started, stats, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--tasks", type=int, default=6)
    ap.add_argument("--tests", type=int, default=30)
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=default_jobs())
    ap.add_argument("--image", default=DEFAULT_IMAGE)
    args = ap.parse_args(argv)

    problems = load_workload(args.data, args.tasks, args.tests)
    limits = Limits(time_limit=args.time_limit)
    pairs = sum(len(p.candidates) * len(p.tests) for p in problems)
    print(f"workload: {len(problems)} CodeT tasks, {pairs} pairs sampled, "
          f"time limit {args.time_limit} s, jobs {args.jobs}")

    setup = time.monotonic()
    docker = DockerExecutor(jobs=args.jobs, image=args.image)  # fails fast if stale/missing
    setup = time.monotonic() - setup
    try:
        with LocalExecutor(jobs=args.jobs) as local:
            t_local, s_local, out_local = timed(local, problems, limits)
        t_docker, s_docker, out_docker = timed(docker, problems, limits)
    finally:
        docker.close()

    same = all(np.array_equal(out_local[t].verdicts, out_docker[t].verdicts) for t in out_local)
    executed = s_local.pairs_executed
    print(f"distinct pairs executed: {executed} (of {s_local.pairs_total} sampled); "
          f"verdicts of sampled pairs {s_local.verdicts}")
    print(f"local : {t_local:7.2f} s  {executed / t_local:8.1f} pairs/s")
    print(f"docker: {t_docker:7.2f} s  {executed / t_docker:8.1f} pairs/s  "
          f"(image check {setup:.2f} s, containers started inside the run)")
    ratio = t_docker / t_local
    print(f"docker / local time ratio: {ratio:.2f}x  (target <= 2x: "
          f"{'met' if ratio <= 2 else 'NOT met'})")
    print(f"same verdicts on every pair: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
