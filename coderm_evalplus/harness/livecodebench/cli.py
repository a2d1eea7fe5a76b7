"""``coderm-evalplus livecodebench`` and LiveCodeBench's custom runner
(``hooks/livecodebench_runner.py``): argument parsing and LCB-style output files around
:func:`~coderm_evalplus.harness.run.run_harness`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...cli.options import add_run_options, config_from_args
from ...cli.report import print_run
from ...errors import CodermError, UsageError
from ...execute.base import STDIN_TIME_LIMIT
from ...hookspecs import hookimpl
from ...plugins import get_harness
from ..run import read_tests_for, run_harness
from .data import LCBProblem, write_custom_output
from .grader import GRADER_INSTALL, load_grader, output_rows, write_eval_files
from .harness import LCBRun
from .programs import original_code


def add_lcb_problem_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("LiveCodeBench")
    g.add_argument("--problems", default=None,
                   help="code_generation_lite rows as a local .json/.jsonl/.parquet file "
                        "(default: the hub, needs network)")
    g.add_argument("--release-version", "--release_version", dest="release_version",
                   default="release_v1", help="hub release when --problems is not given")
    g.add_argument("--start-date", "--start_date", dest="start_date", default=None,
                   help="keep problems whose contest_date >= this ISO date")
    g.add_argument("--end-date", "--end_date", dest="end_date", default=None,
                   help="keep problems whose contest_date <= this ISO date")
    g.add_argument("--timeout", type=int, default=6,
                   help="LCB grader: seconds per test case (default %(default)s)")
    g.add_argument("--num-process-evaluate", "--num_process_evaluate",
                   dest="num_process_evaluate", type=int, default=4,
                   help="LCB grader: processes (default %(default)s)")
    g.add_argument("--no-grade", action="store_true",
                   help="do not run LiveCodeBench's grader (only write the picks)")
    g.add_argument("--no-vanilla", action="store_true",
                   help="grade the picks only (no labels, no vanilla pass@1)")


def _run_from_args(args: argparse.Namespace, samples_path: str, out_dir: Path
                   ) -> tuple[dict[str, LCBProblem], LCBRun]:
    config = config_from_args(args)
    harness = get_harness("livecodebench", timeout=args.timeout,
                          processes=args.num_process_evaluate, grade=not args.no_grade,
                          vanilla=not args.no_vanilla)
    problems = harness.load_problems(samples=samples_path, problems=args.problems,
                                     release_version=args.release_version,
                                     start_date=args.start_date, end_date=args.end_date)
    completions = None if not args.tests else read_tests_for(args.tests, problems)
    done = run_harness(harness, config, problems=problems, completions=completions,
                       tests_source=args.tests or "generator", out_dir=out_dir)
    return harness.lcb, LCBRun.of(done)


def write_graded(run: LCBRun, lcb: dict[str, LCBProblem], picks_stem: Path,
                 samples_stem: Path) -> list[Path]:
    """LCB's ``_eval.json`` / ``_eval_all.json`` for the picks and (when labelled) for
    all samples, as LCB's evaluator names them after the stems."""
    written: list[Path] = []
    if run.picks_grade is not None:
        written += write_eval_files(picks_stem, lcb, {q: [c] for q, c in run.picks.items()},
                                    run.picks_grade)
    if run.vanilla is not None:
        codes = {p.task_id: [original_code(c) for c in p.candidates]
                 for p in run.result.problems}
        written += write_eval_files(samples_stem, lcb, codes, run.vanilla)
    return written


def print_lcb_summary(run: LCBRun, *, out: Any = None) -> None:
    """One block: pass@1 of the picks next to vanilla pass@1, both from LCB's grader."""
    out = out or sys.stdout
    sel = run.result.report["run"]["selector"]
    if not run.grader_available:
        why = (f"LiveCodeBench grader not installed ({GRADER_INSTALL})"
               if load_grader() is None else "grading skipped (--no-grade)")
        print(f"{why}: picks written, not graded", file=out)
        return
    tasks = len(run.picks)
    line = f"LiveCodeBench ({tasks} problems, graded by LiveCodeBench's codegen_metrics): "
    parts = []
    if run.picks_grade is not None:
        parts.append(f"pass@1 of {sel} picks {100 * run.picks_grade.pass_at_1:.2f}")
    if run.vanilla is not None:
        parts.append(f"vanilla pass@1 of all samples {100 * run.vanilla.pass_at_1:.2f}")
    print(line + ", ".join(parts), file=out)


def cmd_livecodebench(args: argparse.Namespace) -> int:
    out = Path(args.out)
    lcb, run = _run_from_args(args, args.samples, out)
    write_custom_output(out / "selected.json", {q: [c] for q, c in run.picks.items()})
    write_graded(run, lcb, out / "selected", out / "samples")
    print_run(run.result, args)
    print_lcb_summary(run)
    print(f"wrote {out}/selected.json (LCB custom-output file, one code per question)")
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser(
        "livecodebench", help="best-of-N selection on LiveCodeBench custom outputs",
        description="Pick one code per question from an LCB custom-output file "
                    "([{question_id, code_list}]) by running generated or recorded unit "
                    "tests; write OUT/selected.json (LCB custom-output file) and grade it "
                    "with LiveCodeBench's own grader next to vanilla pass@1.")
    p.add_argument("--samples", required=True, help="LCB custom-output file")
    p.add_argument("--tests", default=None,
                   help="recorded tests JSONL ({task_id: question_id, completions})")
    p.add_argument("-o", "--out", required=True, help="output directory")
    add_lcb_problem_options(p)
    add_run_options(p, time_limit_default=STDIN_TIME_LIMIT)
    p.set_defaults(func=cmd_livecodebench)


# --------------------------------------------------------------------------- custom runner

def custom_runner_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="livecodebench_runner",
        description="LiveCodeBench's custom evaluator with coderm-evalplus selection in "
                    "front: reads --custom_output_file, picks one code per question, "
                    "writes <file>_<selector>_codegeneration_output.json with its _eval.json "
                    "and _eval_all.json (and the vanilla files for all samples), as "
                    "`python -m lcb_runner.runner.custom_evaluator` would.")
    p.add_argument("--custom_output_file", "--custom-output-file", dest="custom_output_file",
                   required=True, help="LCB custom-output file [{question_id, code_list}]")
    p.add_argument("--scenario", default="codegeneration", choices=["codegeneration"])
    p.add_argument("--tests", default=None, help="recorded tests JSONL")
    add_lcb_problem_options(p)
    add_run_options(p, time_limit_default=STDIN_TIME_LIMIT)
    return p


def custom_runner_main(argv: Sequence[str] | None = None) -> int:
    """Entry of hooks/livecodebench_runner.py (errors as one line, exit 2 / 1)."""
    args = custom_runner_parser().parse_args(argv)
    try:
        return _custom_runner(args)
    except CodermError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _custom_runner(args: argparse.Namespace) -> int:
    src = Path(args.custom_output_file)
    if src.suffix != ".json":
        raise UsageError("--custom_output_file must end in .json (as LCB's evaluator expects)")
    base = src.with_suffix("")
    out_dir = base.parent / f"{base.name}_coderm"
    lcb, run = _run_from_args(args, str(src), out_dir)
    selector = run.result.report["run"]["selector"]
    picks = {q: [c] for q, c in run.picks.items()}
    stem = base.parent / f"{base.name}_{selector}_codegeneration_output"
    stem.with_suffix(".json").write_text(json.dumps(output_rows(lcb, picks), indent=1),
                                         encoding="utf-8")
    written = [stem.with_suffix(".json")]
    written += write_graded(run, lcb, stem, base.parent / f"{base.name}_codegeneration_output")
    print_lcb_summary(run)
    for path in written:
        print(f"wrote {path}")
    print(f"wrote {out_dir}/ (report.json, matrices.npz, picks.jsonl)")
    return 0
