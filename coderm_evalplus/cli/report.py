"""Printing a run for the terminal, and the ``report`` command (a saved run again).

Tables and plots themselves are :mod:`coderm_evalplus.report` (a library: the harness
APIs build reports without a terminal); this module decides what a command prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from ..hookspecs import hookimpl
from ..outdir import StagedDir
from ..report import PlotsUnavailable, load_report, print_report, render, write_json, write_plots


def print_run(result: Any, args: argparse.Namespace | None = None) -> None:
    """A finished run's report tables, then where its files went."""
    print_report(result.report)
    if result.out_dir is not None:
        print(f"wrote {result.out_dir}/: picks.jsonl, picks/, matrices.npz, report.json "
              f"(`coderm-evalplus report {result.out_dir}` prints and plots it again)")
    else:
        print("nothing written (give -o DIR to keep picks, matrices and report)")


def run_into(out: Path | None, runner: Any) -> Any:
    """Call ``runner(out_dir)`` writing into a staging folder next to ``out`` and swap it
    into place when the run finished (see :mod:`coderm_evalplus.outdir`); ``out`` None writes nothing."""
    if out is None:
        return runner(None)
    with StagedDir(out) as staged:
        result = runner(staged.path)
        result.out_dir = staged.commit()
    return result


def _cmd_report(args: argparse.Namespace) -> int:
    report = load_report(args.run_dir)
    run_dir = Path(args.run_dir)
    run_dir = run_dir if run_dir.is_dir() else run_dir.parent
    console = Console()
    render(report, console, problems=not args.no_problems, limit=args.limit)
    if args.json:
        console.print(f"report JSON: {write_json(report, args.json)}", soft_wrap=True)
    if args.no_plots:
        return 0
    try:
        paths = write_plots(report, args.plots or run_dir / "plots")
    except PlotsUnavailable as exc:
        if args.plots:  # asked for explicitly: that is an error
            raise
        print(f"coderm-evalplus: note: no plots written ({exc})", file=sys.stderr)
        return 0
    for path in paths:
        console.print(f"plot: {path}", soft_wrap=True)
    return 0


@hookimpl
def register_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="print a run's report tables and write its plots",
        description="Read RUN_DIR/report.json, print per-problem picks, the per-selector "
                    "summary, test quality and run cost, and write PNG plots.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run's output dir (or its report.json)")
    p.add_argument("--json", metavar="OUT", help="also write the report as JSON to OUT")
    p.add_argument("--plots", metavar="DIR",
                   help="directory for PNG plots (default: RUN_DIR/plots)")
    p.add_argument("--no-plots", action="store_true", help="print tables only")
    p.add_argument("--no-problems", action="store_true", help="skip the per-problem table")
    p.add_argument("--limit", type=int, default=0, metavar="N",
                   help="show at most N problems (0: all)")
    p.set_defaults(func=_cmd_report)
