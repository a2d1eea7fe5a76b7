"""candidates -> tests -> extract -> execute -> select -> grade -> report.

One function per stage, each taking and returning the records of :mod:`.model`, so a
harness (EvalPlus, LiveCodeBench, plain files) only has to build ``Problem`` s with
candidates and, after selection, grade the picks.  Every expensive stage is cached on disk
(test completions by the generator's cache, verdicts by the executor's content-addressed
cache), so a killed run resumes and a re-run with more tests executes only the new pairs.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from . import metrics
from .errors import InputError, UsageError
from .execute.base import Limits
from .execute.cache import default_cache_path
from .execute.runner import ExecutionStats, execute_problems
from .extract import extract_all
from .generate.request import build_requests
from .inputs.samples import write_samples
from .model import OutcomeMatrix, Problem, Selection
from .plugins import get_selector, get_test_generator, load_plugins, scaling_modes, selectors
from .seeding import task_rng
from .select.base import fit_selector

DEFAULT_COMPARE = ("first", "random", "coderm", "codet", "codet-sqrt", "b4", "robust")


@dataclass
class RunConfig:
    """Everything that decides a run's result (recorded in report.json)."""

    selector: str = "coderm"
    compare: Sequence[str] = DEFAULT_COMPARE
    sandbox: str = "local"
    sandbox_options: dict[str, Any] = field(default_factory=dict)
    jobs: int | None = None
    limits: Limits = field(default_factory=Limits)
    num_tests: int | None = None  # completions per task used (the paper's M)
    test_format: str = "auto"
    seed: int = 0
    cache_path: Path | None = field(default_factory=default_cache_path)
    progress: bool = True
    generator: str | None = None
    generator_options: dict[str, Any] = field(default_factory=dict)
    scaling: str = "fixed"  # "fixed", or a mode registered by register_scaling_modes
    test_budget: int | None = None
    prune: str = "none"  # dynamic scaling's candidate pruning (scaling.ScalingPolicy)

    def describe(self) -> dict[str, Any]:
        return {"selector": self.selector, "compare": list(self.compare),
                "sandbox": self.sandbox, "jobs": self.jobs, "seed": self.seed,
                "time_limit": self.limits.time_limit, "memory_mb": self.limits.memory_mb,
                "num_tests": self.num_tests, "test_format": self.test_format,
                "generator": self.generator, "scaling": self.scaling,
                "test_budget": self.test_budget, "prune": self.prune}


@dataclass
class RunResult:
    problems: list[Problem]
    matrices: dict[str, OutcomeMatrix]
    selections: dict[str, dict[str, Selection]]  # selector -> task -> Selection
    report: dict[str, Any]
    out_dir: Path | None = None

    def picks(self, selector: str | None = None) -> dict[str, str]:
        """task_id -> the picked candidate's full program."""
        name = selector or self.report["run"]["selector"]
        by_id = {p.task_id: p for p in self.problems}
        return {t: by_id[t].candidates[s.index].source
                for t, s in self.selections[name].items()}


def _notify(stage: str, stats: dict[str, Any]) -> None:
    load_plugins().hook.on_stage_done(stage=stage, stats=stats)


# ------------------------------------------------------------------------ stages

def attach_tests(problems: Sequence[Problem], completions: Mapping[str, Sequence[str]],
                 *, num_tests: int | None = None, fmt: str = "auto",
                 formats: Mapping[str, str] | None = None,
                 source: object = "tests", recorded: bool = True) -> dict[str, Any]:
    """Extract tests from raw completions into each problem (first ``num_tests`` used).

    ``formats`` (task -> format recorded with the tests, e.g. "assert" for CodeT files)
    applies where ``fmt`` is "auto"; an explicit ``fmt`` wins.  ``recorded``: the
    completions come from a user's file, where not one usable test means a wrong file or
    format (an input error); completions a generator has just produced are the model's
    output, paid for already, so the run goes on (every candidate ties) with a one-line
    note on stderr instead of throwing the generation away.
    """
    started = time.monotonic()
    totals: dict[str, Any] = {"completions": 0, "tests": 0, "rejected": 0, "reasons": {}}
    for p in problems:
        if p.task_id not in completions:
            raise InputError(source, "no recorded tests for this task", task=p.task_id,
                             field="completions")
        raw = list(completions[p.task_id])
        if num_tests is not None:
            raw = raw[:num_tests]
        if not raw:
            raise InputError(source, "empty list of test completions", task=p.task_id,
                             field="completions")
        task_fmt = fmt if fmt != "auto" else (formats or {}).get(p.task_id, "auto")
        p.tests, p.rejections = extract_all(p, raw, task_fmt)
        totals["completions"] += len(raw)
        totals["tests"] += len(p.tests)
        totals["rejected"] += len(p.rejections)
        for r in p.rejections:
            totals["reasons"][r.reason] = totals["reasons"].get(r.reason, 0) + 1
    if problems and totals["tests"] == 0:
        # Every completion rejected: the "selection" would be a coin flip on empty
        # matrices, reported as a success. A task without any test is normal (CodeT's
        # files have some); a whole file without one is a wrong file or a wrong format.
        first = next(p for p in problems if p.rejections)
        why = first.rejections[0]
        detail = f" ({why.detail})" if why.detail else ""
        err = InputError(source, f"none of the {totals['completions']} test completions "
                         f"gives a usable test (first rejected: {why.reason}{detail}; "
                         f"--tests-format was {fmt})", task=first.task_id,
                         field="completions")
        if recorded:
            raise err
        print(f"coderm-evalplus: warning: {err} - every candidate ties", file=sys.stderr)
    totals["seconds"] = round(time.monotonic() - started, 3)
    _notify("extract", totals)
    return totals


def generate_completions(problems: Sequence[Problem], generator_spec: str, n: int,
                         options: Mapping[str, Any] | None = None,
                         progress: bool = True) -> dict[str, list[str]]:
    """Ask a registered test generator for ``n`` completions per problem."""
    gen = get_test_generator(generator_spec, **dict(options or {}))
    requests = build_requests(problems, n, load_plugins())
    started = time.monotonic()
    out = gen.generate(requests, progress=progress)
    _notify("generate", {"tasks": len(problems), "n": n,
                         "seconds": round(time.monotonic() - started, 3)})
    return out


def execute(problems: Sequence[Problem], config: RunConfig,
            stats: ExecutionStats | None = None) -> dict[str, OutcomeMatrix]:
    stats = stats if stats is not None else ExecutionStats()
    matrices = execute_problems(list(problems), sandbox=config.sandbox, jobs=config.jobs,
                                limits=config.limits, cache_path=config.cache_path,
                                progress=config.progress, stats=stats,
                                sandbox_options=config.sandbox_options)
    _notify("execute", stats.as_dict())
    return matrices


def select_all(problems: Sequence[Problem], matrices: Mapping[str, OutcomeMatrix],
               names: Sequence[str], seed: int) -> dict[str, dict[str, Selection]]:
    """Run each named selector on every problem (oracle only where labels exist)."""
    out: dict[str, dict[str, Selection]] = {}
    have_labels = all(p.labels is not None for p in problems)
    for name in names:
        if name == "oracle" and not have_labels:
            continue
        sel = get_selector(name)
        fit_selector(sel, problems, matrices)
        out[name] = {p.task_id: sel.select(p, matrices[p.task_id],
                                           task_rng(seed, p.task_id, name))
                     for p in problems}
    return out


# ------------------------------------------------------------------------ report

def _fraction(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def build_report(problems: Sequence[Problem], matrices: Mapping[str, OutcomeMatrix],
                 selections: Mapping[str, Mapping[str, Selection]], config: RunConfig,
                 exec_stats: ExecutionStats, extra: Mapping[str, Any] | None = None
                 ) -> dict[str, Any]:
    main = selections[config.selector]
    labelled = all(p.labels is not None for p in problems)
    # labelled guarantees every p.labels is set
    labels = cast(dict[str, np.ndarray],
                  {p.task_id: p.labels for p in problems} if labelled else {})
    rows = []
    for p in problems:
        s = main[p.task_id]
        lab = p.labels
        passed = matrices[p.task_id].passed
        rows.append({
            "task_id": p.task_id, "candidates": len(p.candidates), "tests": len(p.tests),
            "rejected": len(p.rejections), "pick": s.index, "tied": s.tied,
            "score": float(passed[s.index].sum()) if passed.size else 0.0,
            "pick_correct": bool(lab[s.index]) if lab is not None else None,
            "expected": s.expected_accuracy(lab),
            "vanilla": float(lab.mean()) if lab is not None else None,
            "scores": s.scores,
            # tests passed per candidate: one quantity for every selector (``scores``
            # is the selector's own ranking: cluster scores for codet, ...)
            "passed": [int(x) for x in passed.sum(axis=1)] if passed.size else
            [0] * len(p.candidates),
        })
    per_selector: dict[str, dict[str, float | None]] = {}
    for name, sels in selections.items():
        if labelled:
            per_selector[name] = {
                "selected": metrics.expected_accuracy(sels, labels),
                "selected_pick": metrics.picked_accuracy(sels, labels),
            }
    summary = {
        "tasks": len(problems),
        "vanilla_pass@1": metrics.vanilla_pass_at_1(list(labels.values())) if labelled else None,
        "selected": per_selector.get(config.selector, {}).get("selected"),
        "selected_pick": per_selector.get(config.selector, {}).get("selected_pick"),
        "oracle": per_selector.get("oracle", {}).get("selected"),
        "per_selector": per_selector,
    }
    test_quality = None
    if labelled and any(m.shape[1] for m in matrices.values()):
        test_quality = {
            "individual": metrics.individual_test_quality(
                {k: m for k, m in matrices.items() if m.shape[1]}, labels).as_dict(),
            "vote": metrics.vote_quality(main, labels).as_dict(),
        }
    report = {
        "run": config.describe(),
        "cost": {"pairs_total": exec_stats.pairs_total,
                 "pairs_distinct": exec_stats.pairs_distinct,
                 "pairs_executed": exec_stats.pairs_executed,
                 "cache_hits": exec_stats.cache_hits,
                 "pairs_per_second": round(exec_stats.pairs_per_second, 1),
                 "verdicts": exec_stats.verdicts, "isolation": exec_stats.isolation,
                 "seconds": {"execute": round(exec_stats.seconds, 3)}},
        "summary": summary,
        "test_quality": test_quality,
        "problems": rows,
    }
    if extra:
        report.update(extra)
    return report


def write_outputs(out_dir: Path, result: RunResult) -> None:
    """OUT/picks.jsonl (evalplus samples, one per task), picks/<selector>.jsonl,
    matrices.npz (+ matrices_index.json), report.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # Files of an earlier run into the same folder that this run would not overwrite
    # (picks of selectors not compared now, plots of the old report) must not survive.
    for stale in ("picks", "plots"):
        shutil.rmtree(out_dir / stale, ignore_errors=True)
    write_samples(out_dir / "picks.jsonl", result.picks())
    (out_dir / "picks").mkdir(exist_ok=True)
    for name in result.selections:
        write_samples(out_dir / "picks" / f"{name}.jsonl", result.picks(name))
    arrays = {f"m{i}": result.matrices[p.task_id].verdicts
              for i, p in enumerate(result.problems)}
    # numpy stub: **kwds could collide with allow_pickle: bool, so mypy rejects **dict
    np.savez_compressed(out_dir / "matrices.npz", **arrays)  # type: ignore[arg-type]
    index = [{"key": f"m{i}", "task_id": p.task_id,
              "tests": [{"origin": t.origin, "kind": t.kind} for t in p.tests],
              "labels": None if p.labels is None else [bool(x) for x in p.labels]}
             for i, p in enumerate(result.problems)]
    (out_dir / "matrices_index.json").write_text(json.dumps(index))
    (out_dir / "report.json").write_text(json.dumps(result.report, indent=1, default=str))
    result.out_dir = out_dir


def load_matrices(run_dir: Path) -> dict[str, OutcomeMatrix]:
    """Read back the outcome matrices written by :func:`write_outputs`."""
    index = json.loads((run_dir / "matrices_index.json").read_text())
    with np.load(run_dir / "matrices.npz") as data:
        return {row["task_id"]: OutcomeMatrix(row["task_id"], data[row["key"]])
                for row in index}


# ------------------------------------------------------------------------ the run

def run(problems: Sequence[Problem], config: RunConfig, *,
        completions: Mapping[str, Sequence[str]] | None = None,
        out_dir: Path | None = None,
        grade: Callable[[list[Problem]], None] | None = None,
        tests_source: object = "tests",
        test_formats: Mapping[str, str] | None = None) -> RunResult:
    """The whole selection stage.

    Tests come from ``completions`` (recorded) or ``config.generator``; ``grade`` (if
    given) sets candidate labels from the harness's official grader before reporting.
    """
    problems = list(problems)
    if not problems:
        raise UsageError("no problems to run")
    known = selectors()
    for option, names in (("--selector", [config.selector]), ("--compare", config.compare)):
        for name in names:
            if name not in known and name != "oracle":
                raise UsageError(f"{option}: unknown selector {name!r} (registered: "
                                 f"{', '.join(sorted(known))})")
    modes = scaling_modes()
    if config.scaling != "fixed" and config.scaling not in modes:
        names = ", ".join(["fixed", *sorted(modes)])
        raise UsageError(f"unknown scaling mode {config.scaling!r} (known: {names})")
    _notify("load", {"tasks": len(problems),
                     "candidates": sum(len(p.candidates) for p in problems)})
    for p in problems:
        if not p.candidates:
            raise InputError(tests_source, "task has no candidates", task=p.task_id,
                             field="candidates")
    if completions is None and config.generator is None:
        raise UsageError("no tests: give recorded tests (--tests) or a generator (--generator)")
    if completions is not None and config.generator is not None:
        # one of them would be ignored without a word
        raise UsageError(f"--tests {tests_source} and --generator {config.generator} both "
                         "given: the tests come from one of them")
    if config.scaling != "fixed":  # a mode registered through register_scaling_modes
        return modes[config.scaling](problems, config, completions=completions,
                                     out_dir=out_dir, grade=grade, tests_source=tests_source,
                                     test_formats=test_formats)
    if completions is None:
        completions = generate_completions(problems, config.generator or "",
                                           config.num_tests or 100,
                                           config.generator_options, config.progress)
    extract_stats = attach_tests(problems, completions, num_tests=config.num_tests,
                                 fmt=config.test_format, formats=test_formats,
                                 source=tests_source if config.generator is None
                                 else config.generator, recorded=config.generator is None)
    return finish(problems, config, out_dir=out_dir, grade=grade,
                  extra={"extraction": extract_stats})


def finish(problems: list[Problem], config: RunConfig, *, out_dir: Path | None,
           grade: Callable[[list[Problem]], None] | None,
           matrices: dict[str, OutcomeMatrix] | None = None,
           exec_stats: ExecutionStats | None = None,
           extra: dict[str, Any] | None = None) -> RunResult:
    """Execute (unless matrices are given), select, grade, report, write outputs."""
    exec_stats = exec_stats or ExecutionStats()
    if matrices is None:
        matrices = execute(problems, config, exec_stats)
    if grade is not None:
        grade(problems)
    names = list(dict.fromkeys([config.selector, *config.compare, "oracle"]))
    selections = select_all(problems, matrices, names, config.seed)
    _notify("select", {"selectors": list(selections)})
    report = build_report(problems, matrices, selections, config, exec_stats, extra)
    result = RunResult(problems, matrices, selections, report)
    if out_dir is not None:
        write_outputs(Path(out_dir), result)
    load_plugins().hook.on_run_finished(report=report)
    return result
