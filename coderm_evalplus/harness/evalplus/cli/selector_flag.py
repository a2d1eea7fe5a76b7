"""The run behind ``evalplus.evaluate --selector``: selection, then evalplus grades the picks.

:mod:`.pth` hands evalplus's ``evaluate`` call here (:func:`fire_evaluate`).  The
selection stage is :func:`~coderm_evalplus.harness.run.run_harness` with the EvalPlus
harness, like every other entry, except that the picks are not graded by a child
process: they are handed to evalplus's own ``evaluate`` in this process, *with the
user's other flags*, so evalplus itself prints the base and plus pass@1 of the picks
(the best-of-N score) and writes its usual result file for them.  Our report (vanilla
vs selected, per-task picks) goes to ``<samples stem>.coderm-<selector>/report.json``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ....cli.options import config_from_args
from ....errors import CodermError, UsageError
from ....inputs.problem_sets import DATASETS
from ....inputs.samples import write_samples
from ....outdir import default_out_dir, default_picks_path
from ....plugins import get_harness
from ....report import print_report
from ...run import read_tests_for, run_harness
from ..grader import EvalPlusRun, evalplus_summary, result_path_for, scores_from_results
from ..harness import attach_evalplus_report, format_comparison
from .argv import HELP, get_flag, grader_args, has_flag, has_selector, replace_samples, split_args


def fire_evaluate(original: Callable[..., Any], component: Any, command: Any, name: Any,
                  kw: dict[str, Any]) -> Any:
    """``fire.Fire(evaluate, ...)`` with our flags: help, or selection then grading."""
    argv = list(sys.argv[1:] if command is None else
                (command.split() if isinstance(command, str) else command))
    if not has_selector(argv) and any(a in ("--help", "-h") for a in argv):
        # evalplus's own help first (fire exits after it), then our flags, on the
        # same stream (fire 0.x prints evaluate's help to stderr, exit 2)
        try:
            return original(component, command, name, **kw)
        except SystemExit as exc:
            stream = sys.stdout if exc.code in (0, None) else sys.stderr
            stream.write(HELP)
            stream.flush()
            raise
    return run_with_selector(component, argv,
                             lambda cmd: original(component, cmd, name, **kw))


def run_with_selector(evaluate: Callable[..., Any], argv: Sequence[str],
                      fire: Callable[[list[str]], Any]) -> Any:
    """Selection, then evalplus's own ``evaluate`` on the picks (see module docstring)."""
    if not has_selector(argv):
        return fire(list(argv))
    try:
        picks_args, report = _select(argv)
    except CodermError as exc:
        print(f"evalplus.evaluate --selector: error: {exc}", file=sys.stderr)
        sys.stdout.flush()
        os._exit(exc.exit_code)
    dataset_file = report["_coderm"]["dataset_file"]
    if dataset_file is not None:
        _point_evalplus_at(report["_coderm"]["dataset"], dataset_file)
    print(f"coderm-evalplus: grading the picks with evalplus: {' '.join(picks_args)}",
          flush=True)
    out = fire(picks_args)
    _finish(report)
    # evalplus's watchdog thread would keep us ~20 s: results and report are written.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
    return out  # pragma: no cover


def _select(argv: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    ours, rest = split_args(argv)
    dataset = get_flag(rest, "dataset", position=0)
    samples = get_flag(rest, "samples", position=1)
    if dataset is None or samples is None:
        raise UsageError("--selector needs --dataset and --samples (sample with "
                         "evalplus.codegen first)")
    if ours.tests is None and ours.generator is None:
        raise UsageError("--selector needs recorded tests (--tests FILE) or a test "
                         "generator (--generator NAME[:TARGET])")
    config = config_from_args(ours)
    config.progress = config.progress and sys.stderr.isatty()
    base_only = has_flag(rest, "base_only")
    samples_p = Path(samples)
    out = Path(ours.coderm_out) if ours.coderm_out else default_out_dir(samples_p,
                                                                         config.selector)
    picks = default_picks_path(samples_p, config.selector)
    # Coverage is checked when the harness prepares: evalplus asserts "Missing problems
    # in samples" when the samples do not cover its whole dataset file, after all the
    # selection work.  For a subset the labelling child and (in _point_evalplus_at) the
    # final grading both read a trimmed copy of the dataset file (the same rows).
    harness = get_harness("evalplus", dataset=dataset, samples=samples_p, base_only=base_only,
                          grader_args=grader_args(rest), trim=True,
                          notice=lambda text: print(text, flush=True))
    problems = harness.load_problems()
    completions = None if ours.tests is None else read_tests_for(ours.tests, problems)
    done = run_harness(harness, config, problems=problems, completions=completions,
                       tests_source=ours.tests or "generator", out_dir=out,
                       work_dir=out / "evalplus", grade=False)
    write_samples(picks, done.picks)
    result_path_for(picks).unlink(missing_ok=True)  # never let evalplus reuse stale ones
    report = done.result.report
    print_report(report)
    report["_coderm"] = {"out": str(out), "picks": str(picks), "dataset": harness.dataset,
                         "samples": str(samples_p), "base_only": base_only,
                         "candidates": harness.label_run, "dataset_file": harness.subset_file}
    return replace_samples(rest, str(picks)), report


def _point_evalplus_at(dataset: str, path: str) -> None:
    """Make this process's evalplus read ``path`` as its dataset file.  evalplus reads
    its override variable once, when ``evalplus.data`` is imported (already done by
    ``evalplus.evaluate``), so the module global is set as well as the variable."""
    var = DATASETS[dataset][0]
    os.environ[var] = path
    setattr(importlib.import_module(f"evalplus.data.{dataset}"), var, path)


def _finish(report: dict[str, Any]) -> None:
    """Read evalplus's result file for the picks and complete our report."""
    meta = report.pop("_coderm")
    picks = Path(meta["picks"])
    rp = result_path_for(picks)
    results = json.loads(rp.read_text(encoding="utf-8"))
    run = EvalPlusRun(picks, rp, "", {}, scores_from_results(results, meta["base_only"]),
                      results, 0.0)
    cands: EvalPlusRun | None = meta["candidates"]
    attach_evalplus_report(report, meta["dataset"], Path(meta["samples"]),
                           evalplus_summary(run),
                           evalplus_summary(cands) if cands else None, {})
    out = Path(meta["out"])
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str))
    print(format_comparison(report))
    print(f"coderm-evalplus: picks {picks}, evalplus results {rp}, report {out}/report.json",
          flush=True)
