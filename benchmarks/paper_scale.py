"""Paper scale, executed: 164 HumanEval+ tasks x 100 candidates x ~100 tests, run and
selected through the product's pipeline as a user would (default limits, no cache).

Issue 20's target is this whole workload executed and selected in under 10 minutes on 2
cores; before this script it was only extrapolated from the 40-task CodeT slice.

Workload (no network; data read in place from ``../shared/data``)
------------------------------------------------------------------
Tasks      the HumanEval+ problems in file order (``--tasks N``: the first N).
Candidates for the 40 tasks of the CodeT dev slice, CodeGen-16B's real samples (100 per
           task, file order).  For the others, 100 rows drawn as
           ``coderm_evalplus.synthetic`` draws them (the canonical solution with a
           probability ~ U(0.05, 0.6), else an AST mutant with a Zipf popularity): the
           mutants are synthetic's single-site mutants (off-by-one constants, flipped
           comparisons, swapped operators, and/or swapped, negated ifs, loops that stop /
           return after one pass) plus *dropped loop updates* (a statement assigning a
           name a ``while`` condition reads, replaced by ``pass``): real samples hang, and
           a hang is what costs an executor its time.  How often: every mutant is probed
           on the task's first 3 tests at a 0.25 s limit (the executor); where a task has
           probed hangs, each row is one of them with probability ``HANG_ROW_SHARE`` (2.6 %,
           the rate of hanging samples in the CodeT tasks that have any), the other rows
           are drawn from the other mutants.  (A first version let hanging mutants into
           the popularity draw: one became a task's most popular wrong sample, 20 % of
           its rows hanging on every test, far denser than any real task; that run was
           stopped after 15 min.)  Sampled programs are rarely
           identical text (CodeGen's 100 samples per task are 75 % distinct on the CodeT
           slice), so each drawn row is, with probability ``VARY``, given its own names
           (the entry point's locals renamed ``name_k``): another program for the
           executor's dedupe, the same behaviour.
Tests      ``assert f(*input) == expected`` on HumanEval+'s base inputs topped up with
           its plus inputs in file order (repr <= ``MAX_INPUT_REPR`` characters) to
           ``--tests``; expected = the canonical solution's output, computed in a
           resource-limited subprocess (``synthetic.behaviours``: 0.5 s per input);
           inputs whose output is an error, a timeout or no literal are skipped.  A seeded
           share ``--wrong-share`` (default 10 %) gets a wrong expected value of the same
           type (``synthetic._perturb``), as generated tests are partly wrong.
Labels     HumanEval's own ``check`` (``synthetic.label_problems``), for the accuracy
           column only.

Every random choice comes from ``numpy.random.default_rng([seed, task number])``, so a
task's rows do not depend on ``--tasks``.  The built workload is cached as JSON under
``--cache-dir`` (default: the system temp dir), keyed by the options and the data files'
sizes and times, so a second run only executes.

The run: ``pipeline.execute`` with ``RunConfig(jobs=--jobs, cache_path=None)`` (default
limits: 1 s of CPU per pair), then ``pipeline.select_all`` with codet, coderm and robust.
CPU is the children's rusage (servers and runners) plus this process's own.

    python benchmarks/paper_scale.py [--tasks 164] [--candidates 100] [--tests 100]
           [--seed 0] [--wrong-share 0.1] [--jobs 2] [--json OUT] [--cache-dir DIR]
           [--progress] [--rebuild] [--build-only] [--time-limit S] [--matrices OUT.npz]
           [--source all|codet|mutants] [--determinism]

``--determinism`` runs the (filtered) workload twice with no cache, as the machine is and
then with two CPU-bound processes per core, and lists every verdict and pick that differs:
``--source codet --determinism`` is the check that found pairs near the 1 s limit moving
with load on HumanEval+'s inputs (docs/results.md, *paper scale*).
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from coderm_evalplus.model import Candidate, Problem, UnitTest, Verdict

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HUMANEVAL = DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl"
CODET = DATA / "codet_humaneval_dev"
BUILDER_VERSION = 2  # bump when the workload's construction changes (invalidates caches)
MAX_INPUT_REPR = 1000
MAX_EXPECTED_REPR = 2000
MAX_MUTANTS = 40
VARY = 0.75
PROBE_LIMIT = 0.25  # seconds of CPU: a mutant slower than this on a first test "hangs"
PROBE_TESTS = 3
HANG_ROW_SHARE = 0.026
"""Per drawn row, where a task has a hanging mutant: on the CodeT slice's first 20 tasks
13 of CodeGen's 2,000 samples hang, all in 5 tasks (2.6 per 100 rows there; 25 % of
tasks); docs/results.md, session 7."""
SELECTORS = ("codet", "coderm", "robust")
CODET_SLICE_README = {"pairs": 459_000, "timeouts": 1_242}
"""The README's CodeT example (CodeT's generated asserts on the same 40 tasks' samples),
docs/results.md session 7: the hang rate this workload is compared with."""


# ------------------------------------------------------------------- candidates
class _Drop(ast.NodeTransformer):
    """Replaces one given statement node by ``pass``."""

    def __init__(self, target: ast.AST) -> None:
        self.target = target

    def visit(self, node: ast.AST) -> ast.AST:
        return ast.Pass() if node is self.target else self.generic_visit(node)


def drop_update_mutants(source: str) -> list[str]:
    """One program per statement inside a ``while`` loop that assigns a name the loop's
    condition reads, with that statement replaced by ``pass``: the loop that never
    advances, a common hang of sampled code (``i += 1`` forgotten)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    nodes = list(ast.walk(tree))
    sites = []
    for loop in nodes:
        if not isinstance(loop, ast.While):
            continue
        reads = {n.id for n in ast.walk(loop.test) if isinstance(n, ast.Name)}
        for stmt in (s for b in loop.body for s in ast.walk(b)):
            targets = ([stmt.target] if isinstance(stmt, ast.AugAssign) else
                       stmt.targets if isinstance(stmt, ast.Assign) else [])
            if any(isinstance(t, ast.Name) and t.id in reads for t in targets):
                sites.append(nodes.index(stmt))
    out: list[str] = []
    for pos in dict.fromkeys(sites):
        new = copy.deepcopy(tree)
        dropped = _Drop(list(ast.walk(new))[pos]).visit(new)
        text = ast.unparse(ast.fix_missing_locations(dropped))
        if text not in out:
            out.append(text)
    return out


def renamed(source: str, entry_point: str, tag: int) -> str:
    """``source`` with the entry point's local names (else its parameters: tests call it
    positionally) renamed ``name_tag``; unchanged when there is nothing safe to rename."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef)
               and n.name == entry_point), None)
    if fn is None or any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(fn)):
        return source
    outside = {n.id for s in tree.body if s is not fn for n in ast.walk(s)
               if isinstance(n, ast.Name)}
    outside |= {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    outside |= {(a.asname or a.name).split(".")[0] for s in tree.body
                if isinstance(s, (ast.Import, ast.ImportFrom)) for a in s.names}
    names = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)} - outside
    if not names:
        names = {a.arg for a in fn.args.posonlyargs + fn.args.args} - outside
    if not names:
        return source
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and n.id in names:
            n.id = f"{n.id}_{tag}"
        elif isinstance(n, ast.arg) and n.arg in names:
            n.arg = f"{n.arg}_{tag}"
    return ast.unparse(tree)


def mutant_pool(program: str, rng: np.random.Generator) -> list[str]:
    """synthetic's single-site mutants of ``program`` and its dropped loop updates."""
    from coderm_evalplus.synthetic import mutants

    hangs = drop_update_mutants(program)
    return [m for m in mutants(program, MAX_MUTANTS, rng) if m not in hangs] + hangs


def hanging_mutants(problems: list[Problem], pools: dict[str, list[str]]
                    ) -> dict[str, set[int]]:
    """task -> positions in its pool of the mutants that time out at PROBE_LIMIT on one of
    the task's first PROBE_TESTS tests (the executor, one batch for every task)."""
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.runner import execute_problems

    probes = [Problem(p.task_id, p.prompt, p.entry_point, tests=p.tests[:PROBE_TESTS],
                      candidates=[Candidate(i, m) for i, m in enumerate(pools[p.task_id])])
              for p in problems if pools.get(p.task_id) and p.tests]
    matrices = execute_problems(probes, limits=Limits(time_limit=PROBE_LIMIT))
    return {t: set(np.flatnonzero((m.verdicts == Verdict.TIMEOUT).any(axis=1)).tolist())
            for t, m in matrices.items()}


def mutant_candidates(row: dict[str, Any], program: str, pool: list[str], hanging: set[int],
                      n: int, rng: np.random.Generator) -> list[Candidate]:
    """n rows: each a hanging mutant (uniformly) with probability HANG_ROW_SHARE where the
    task has one, else drawn like synthetic's rows from the other mutants (the canonical
    or a popular mutant); each given its own names with probability VARY.  meta:
    ``mutant`` (position in ``pool``, -1 = canonical), ``hanging`` (a probed hang)."""
    from coderm_evalplus.synthetic import _sample_candidates, _TaskPool

    ok = [i for i in range(len(pool)) if i not in hanging]
    hang = sorted(hanging)
    if ok:
        drawn = _sample_candidates(_TaskPool(row, program, [pool[i] for i in ok], [], [], []),
                                   n, rng).candidates
        which = [ok[c.meta["mutant"]] if c.meta["mutant"] >= 0 else -1 for c in drawn]
    else:
        which = [-1] * n
    out = []
    for i in range(n):
        if hang and rng.random() < HANG_ROW_SHARE:
            which[i] = hang[int(rng.integers(len(hang)))]
        source = program if which[i] < 0 else pool[which[i]]
        if rng.random() < VARY:
            source = renamed(source, row["entry_point"], i)
        out.append(Candidate(i, source, meta={"mutant": which[i],
                                              "hanging": which[i] in hanging}))
    return out


# ------------------------------------------------------------------------ tests
def task_tests(row: dict[str, Any], program: str, n_tests: int, wrong_share: float,
               rng: np.random.Generator) -> list[UnitTest]:
    """Up to ``n_tests`` asserts on HumanEval+ inputs, expected = the canonical output;
    a seeded ``wrong_share`` of them with a perturbed expected value."""
    from coderm_evalplus.synthetic import _perturb, _test_inputs, behaviours

    inputs = _test_inputs(row, min_tests=n_tests + 10, max_repr=MAX_INPUT_REPR)
    outs = behaviours([program], row["entry_point"], inputs)
    expected = outs[0] if outs else [None] * len(inputs)
    kept = [(a, e) for a, e in zip(inputs, expected, strict=True)
            if e is not None and len(e) <= MAX_EXPECTED_REPR][:n_tests]
    wrong = set(int(i) for i in rng.choice(len(kept), size=int(round(wrong_share * len(kept))),
                                           replace=False)) if kept else set()
    ep = row["entry_point"]
    return [UnitTest(j, f"assert {ep}(*{args}) == {_perturb(e) if j in wrong else e}\n",
                     kind="assert", meta={"wrong": j in wrong})
            for j, (args, e) in enumerate(kept)]


# --------------------------------------------------------------------- workload
def build(n_tasks: int | None, n_candidates: int, n_tests: int, seed: int,
          wrong_share: float, task_ids: list[str] | None = None,
          label: bool = True) -> list[Problem]:
    """The workload's problems (labelled unless ``label`` is false); ``meta["source"]``
    says "codet" (real samples) or "mutants"."""
    from coderm_evalplus.inputs.problem_sets import load_evalplus_problems
    from coderm_evalplus.inputs.samples import read_samples
    from coderm_evalplus.synthetic import _read_rows, label_problems

    rows = _read_rows(HUMANEVAL)
    ids = task_ids if task_ids is not None else list(rows)[:n_tasks]
    unknown = [t for t in ids if t not in rows]
    if unknown:
        raise SystemExit(f"{HUMANEVAL}: no task {unknown[0]!r} (field task_id)")
    samples = read_samples(CODET / "codegen16B_code_solution.jsonl",
                           load_evalplus_problems("humaneval", HUMANEVAL), "codet",
                           CODET / "task_ids.json")
    problems, pools = [], {}
    for tid in ids:
        row = rows[tid]
        rng = np.random.default_rng([seed, int(tid.rsplit("/", 1)[1])])
        program = row["prompt"] + row["canonical_solution"]
        tests = task_tests(row, program, n_tests, wrong_share, rng)
        if tid in samples:
            cands, source = [replace(c, meta={}) for c in samples[tid][:n_candidates]], "codet"
        else:
            cands, source = [], "mutants"
            pools[tid] = mutant_pool(program, rng)
        problems.append(Problem(tid, row["prompt"], row["entry_point"], candidates=cands,
                                tests=tests, meta={"source": source}))
    hanging = hanging_mutants(problems, pools)
    for p in problems:
        if p.meta["source"] == "mutants":
            row = rows[p.task_id]
            # a second stream, so the rows do not depend on how many probes hung
            rng = np.random.default_rng([seed, int(p.task_id.rsplit("/", 1)[1]), 1])
            p.candidates = mutant_candidates(row, row["prompt"] + row["canonical_solution"],
                                             pools[p.task_id], hanging.get(p.task_id, set()),
                                             n_candidates, rng)
    if label:
        problems = label_problems(problems, {t: rows[t] for t in ids}, cache_path=None)
    return problems


def _cache_file(cache_dir: Path, opts: dict[str, Any]) -> Path:
    stamp = [(str(p), p.stat().st_size, int(p.stat().st_mtime))
             for p in (HUMANEVAL, CODET / "codegen16B_code_solution.jsonl")]
    key = hashlib.sha256(json.dumps([BUILDER_VERSION, opts, stamp],
                                    sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / f"paper_scale-{key}.json"


def _dump(problems: list[Problem]) -> dict[str, Any]:
    return {"problems": [
        {"task_id": p.task_id, "prompt": p.prompt, "entry_point": p.entry_point,
         "meta": p.meta,
         "candidates": [[c.source, c.label, c.meta] for c in p.candidates],
         "tests": [[t.source, t.meta] for t in p.tests]} for p in problems]}


def _load(data: dict[str, Any]) -> list[Problem]:
    return [Problem(d["task_id"], d["prompt"], d["entry_point"], meta=d["meta"],
                    candidates=[Candidate(i, s, lab, m)
                                for i, (s, lab, m) in enumerate(d["candidates"])],
                    tests=[UnitTest(j, s, "assert", meta=m)
                           for j, (s, m) in enumerate(d["tests"])])
            for d in data["problems"]]


def workload(args: argparse.Namespace) -> tuple[list[Problem], dict[str, Any]]:
    """The built workload, from the cache file when an identical build exists."""
    opts = {"tasks": args.tasks, "candidates": args.candidates, "tests": args.tests,
            "seed": args.seed, "wrong_share": args.wrong_share}
    path = _cache_file(Path(args.cache_dir), opts)
    started = time.monotonic()
    if path.exists() and not args.rebuild:
        problems = _load(json.loads(path.read_text()))
        how = "cached"
    else:
        problems = build(args.tasks, args.candidates, args.tests, args.seed, args.wrong_share)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(_dump(problems)))
        tmp.replace(path)
        how = "built"
    return problems, {"file": str(path), "how": how,
                      "seconds": round(time.monotonic() - started, 1)}


# -------------------------------------------------------------------------- run
def _cpu() -> tuple[float, float]:
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return ch.ru_utime + ch.ru_stime, me.ru_utime + me.ru_stime


def _distinct_rows(p: Problem) -> list[int]:
    from coderm_evalplus.execute.runner import normalise_source

    first: dict[str, int] = {}
    for c in p.candidates:
        first.setdefault(normalise_source(c.source), c.index)
    return sorted(first.values())


def run(problems: list[Problem], jobs: int, seed: int,
        matrices_out: dict[str, Any] | None = None, progress: bool = False,
        time_limit: float | None = None,
        selections_out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute every pair (the pipeline's execute stage, no cache, default limits) and
    select with SELECTORS; wall time, CPU and counts (the matrices into ``matrices_out``
    and the picks into ``selections_out`` when given)."""
    from coderm_evalplus.execute.base import Limits
    from coderm_evalplus.execute.runner import ExecutionStats
    from coderm_evalplus.pipeline import RunConfig, execute, select_all

    config = RunConfig(jobs=jobs, cache_path=None, progress=progress, seed=seed,
                       limits=Limits() if time_limit is None else Limits(time_limit=time_limit))
    stats = ExecutionStats()
    load_before = os.getloadavg()
    cpu0 = _cpu()
    t0 = time.monotonic()
    matrices = execute(problems, config, stats)
    t1 = time.monotonic()
    selections = select_all(problems, matrices, SELECTORS, seed)
    t2 = time.monotonic()
    cpu1 = _cpu()
    load_after = os.getloadavg()
    if matrices_out is not None:
        matrices_out.update(matrices)
    if selections_out is not None:
        selections_out.update(selections)

    groups: dict[str, dict[str, int]] = {}
    distinct_timeouts = 0
    for p in problems:
        v = matrices[p.task_id].verdicts
        g = groups.setdefault(p.meta.get("source", "?"), {
            "tasks": 0, "pairs": 0, "timeouts": 0, "hanging_candidates": 0,
            "tasks_with_hangs": 0})
        hung = (v == Verdict.TIMEOUT).sum(axis=1)
        g["tasks"] += 1
        g["pairs"] += int(v.size)
        g["timeouts"] += int(hung.sum())
        g["hanging_candidates"] += int((hung > 0).sum())
        g["tasks_with_hangs"] += int(hung.any())
        distinct_timeouts += int((v[_distinct_rows(p)] == Verdict.TIMEOUT).sum())
    by_task = sorted(((int((matrices[p.task_id].verdicts == Verdict.TIMEOUT).sum()),
                       int((matrices[p.task_id].verdicts == Verdict.TIMEOUT).any(axis=1).sum()),
                       p.task_id, p.meta.get("source", "?")) for p in problems), reverse=True)
    for g in groups.values():
        g["timeout_rate_pct"] = round(100 * g["timeouts"] / max(g["pairs"], 1), 3)
    accuracy: dict[str, float] = {}
    if all(p.labels is not None for p in problems):
        accuracy["vanilla pass@1"] = 100 * float(np.mean([p.labels.mean() for p in problems]))
        for name in SELECTORS:
            accuracy[name] = 100 * float(np.mean([
                selections[name][p.task_id].expected_accuracy(p.labels) for p in problems]))
        accuracy["oracle (any correct)"] = 100 * float(np.mean([p.labels.any()
                                                               for p in problems]))
    wall = t2 - t0
    return {
        "tasks": len(problems),
        "candidates": sum(len(p.candidates) for p in problems),
        "tests": sum(len(p.tests) for p in problems),
        "wrong_tests": sum(bool(t.meta.get("wrong")) for p in problems for t in p.tests),
        "pairs": stats.pairs_total, "distinct_pairs": stats.pairs_distinct,
        "distinct_candidates": stats.candidates_distinct,
        "pairs_executed": stats.pairs_executed,
        "wall_s": round(wall, 1), "execute_s": round(t1 - t0, 1),
        "select_s": round(t2 - t1, 1),
        "cpu_children_s": round(cpu1[0] - cpu0[0], 1), "cpu_self_s": round(cpu1[1] - cpu0[1], 1),
        "cpu_s": round(sum(cpu1) - sum(cpu0), 1),
        "pairs_per_s": round(stats.pairs_total / wall, 1),
        "executed_pairs_per_s": round(stats.pairs_executed / (t1 - t0), 1),
        "verdicts": stats.verdicts, "timeouts": stats.verdicts.get("timeout", 0),
        "distinct_timeouts": distinct_timeouts, "timeouts_inferred": stats.timeouts_inferred,
        "groups": groups, "accuracy_pct": accuracy,
        "most_timeouts": [{"task": t, "source": src, "timeouts": n, "candidates": c}
                          for n, c, t, src in by_task[:15] if n],
        "time_limit": config.limits.time_limit,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "jobs": jobs, "cpus": os.cpu_count(),
    }


def determinism(problems: list[Problem], jobs: int, seed: int, progress: bool = False,
                time_limit: float | None = None) -> dict[str, Any]:
    """The same problems executed twice with no cache: first as the machine is, then with
    two CPU-bound processes per core (``execute.load.busy_cores``).  Counts the verdicts
    and the picks (SELECTORS) that differ, with every differing pair listed.

    Why here and not only in ``executor.py``: CodeT's asserts are small, so none of its
    pairs ends near the 1 s limit and its 0 differing verdicts cannot show what load does
    to a pair that needs ~1 s; HumanEval+'s larger inputs give such pairs."""
    from coderm_evalplus.execute.load import busy_cores

    names = {v.value: v.name for v in Verdict}
    runs = []
    for loaded in (False, True):
        mats: dict[str, Any] = {}
        picks: dict[str, Any] = {}
        if loaded:
            with busy_cores(per_core=2, cores=jobs):
                report = run(problems, jobs, seed, mats, progress, time_limit, picks)
        else:
            report = run(problems, jobs, seed, mats, progress, time_limit, picks)
        runs.append((report, mats, picks))
    (quiet, qm, qp), (busy, lm, lp) = runs
    moved = [{"task": p.task_id, "candidate": int(c), "test": int(t),
              "quiet": names[int(qm[p.task_id].verdicts[c, t])],
              "loaded": names[int(lm[p.task_id].verdicts[c, t])]}
             for p in problems
             for c, t in zip(*(qm[p.task_id].verdicts != lm[p.task_id].verdicts).nonzero())]
    return {
        "pairs": quiet["pairs"],
        "quiet": {k: quiet[k] for k in ("wall_s", "cpu_s", "timeouts", "load_before",
                                        "load_after")},
        "loaded": {k: busy[k] for k in ("wall_s", "cpu_s", "timeouts", "load_before",
                                        "load_after")},
        "differing_verdicts": len(moved), "moved": moved,
        "differing_picks": {n: sum(qp[n][p.task_id].index != lp[n][p.task_id].index
                                   for p in problems) for n in SELECTORS},
    }


def print_determinism(d: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=max(Console().width, 110))
    t = Table(title=f"determinism: {d['pairs']:,} pairs, no cache, quiet vs every core "
                    "busy (2 burners per core)")
    for col in ("", "quiet", "loaded"):
        t.add_column(col, justify="right" if col else "left")
    for key, label in (("wall_s", "wall s"), ("cpu_s", "CPU s"), ("timeouts", "TIMEOUT")):
        t.add_row(label, f"{d['quiet'][key]:,}", f"{d['loaded'][key]:,}")
    t.add_row("load average before -> after",
              f"{d['quiet']['load_before'][0]} -> {d['quiet']['load_after'][0]}",
              f"{d['loaded']['load_before'][0]} -> {d['loaded']['load_after'][0]}")
    con.print(t)
    picks = ", ".join(f"{n} {k}" for n, k in d["differing_picks"].items())
    con.print(f"differing verdicts: {d['differing_verdicts']:,}; differing picks: {picks}")
    for m in d["moved"][:30]:
        con.print(f"  {m['task']} candidate {m['candidate']} test {m['test']}: "
                  f"{m['quiet']} -> {m['loaded']}")


def print_report(r: dict[str, Any], build_info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=max(Console().width, 110))
    t = Table(title=f"paper scale, executed ({r['tasks']} tasks, jobs={r['jobs']}, "
                    f"{r['time_limit']} s per pair, no cache)")
    t.add_column("")
    t.add_column("value", justify="right")
    rows = [
        ("workload", f"{build_info['how']} in {build_info['seconds']} s ({build_info['file']})"),
        ("candidates / tests", f"{r['candidates']:,} / {r['tests']:,} "
                               f"({r['wrong_tests']:,} wrong)"),
        ("pairs (distinct)", f"{r['pairs']:,} ({r['distinct_pairs']:,}; "
                             f"{r['distinct_candidates']:,} distinct candidates)"),
        ("wall: execute + select", f"{r['wall_s']} s = {r['execute_s']} + {r['select_s']}"),
        ("CPU: servers+runners / this process", f"{r['cpu_s']} s = {r['cpu_children_s']} + "
                                                f"{r['cpu_self_s']}"),
        ("pairs/s (all pairs / wall)", f"{r['pairs_per_s']:,}"),
        ("executed pairs/s (execute stage)", f"{r['executed_pairs_per_s']:,}"),
        ("TIMEOUT pairs (distinct; inferred)", f"{r['timeouts']:,} ({r['distinct_timeouts']:,};"
                                               f" {r['timeouts_inferred']:,})"),
        ("load average before -> after", f"{r['load_before'][0]} -> {r['load_after'][0]}"),
    ]
    for name, g in sorted(r["groups"].items()):
        rows.append((f"hangs, {name} tasks", f"{g['timeouts']:,} of {g['pairs']:,} pairs "
                     f"({g['timeout_rate_pct']} %), {g['hanging_candidates']} candidates, "
                     f"{g['tasks_with_hangs']} of {g['tasks']} tasks"))
    ref = CODET_SLICE_README
    rows.append(("hangs, README CodeT example (ref.)", f"{ref['timeouts']:,} of "
                 f"{ref['pairs']:,} pairs ({100 * ref['timeouts'] / ref['pairs']:.3f} %)"))
    for name, acc in r["accuracy_pct"].items():
        rows.append((f"accuracy: {name}", f"{acc:.2f} %"))
    for k, v in rows:
        t.add_row(k, v)
    con.print(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=164)
    ap.add_argument("--candidates", type=int, default=100)
    ap.add_argument("--tests", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--wrong-share", type=float, default=0.1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                        "coderm-paper-scale"))
    ap.add_argument("--rebuild", action="store_true", help="build even if cached")
    ap.add_argument("--build-only", action="store_true", help="build (or load) and stop")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds per pair (default: the product's default); a smaller one "
                         "finds where the timeouts are, cheaply")
    ap.add_argument("--progress", action="store_true",
                    help="the executor's progress bar (the full run takes half an hour)")
    ap.add_argument("--source", choices=("all", "codet", "mutants"), default="all",
                    help="run only the tasks with CodeGen's real samples (codet) or only "
                         "the mutant tasks")
    ap.add_argument("--determinism", action="store_true",
                    help="run twice, quiet then with every core busy, and count the "
                         "verdicts and picks that differ (instead of the single run)")
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--matrices", metavar="OUT_NPZ",
                    help="also save every task's verdict matrix (to compare two runs pair "
                         "by pair, e.g. two workers)")
    args = ap.parse_args(argv)
    for path in (HUMANEVAL, CODET):
        if not path.exists():
            print(f"{path} not found", file=sys.stderr)
            return 2
    problems, info = workload(args)
    print(f"workload {info['how']} in {info['seconds']} s: {info['file']}", flush=True)
    if args.build_only:
        return 0
    if args.source != "all":
        problems = [p for p in problems if p.meta.get("source") == args.source]
    if args.determinism:
        det = determinism(problems, args.jobs, args.seed, args.progress, args.time_limit)
        det["build"] = info
        det["options"] = {k: v for k, v in vars(args).items() if k != "json"}
        print_determinism(det)
        if args.json:
            Path(args.json).write_text(json.dumps(det, indent=1))
        return 0
    matrices: dict[str, Any] = {}
    report = run(problems, args.jobs, args.seed, progress=args.progress,
                 time_limit=args.time_limit, matrices_out=matrices)
    if args.matrices:
        np.savez_compressed(args.matrices, **{t.replace("/", "_"): m.verdicts
                                              for t, m in matrices.items()})
    report["build"] = info
    report["options"] = {k: v for k, v in vars(args).items() if k != "json"}
    print_report(report, info)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
