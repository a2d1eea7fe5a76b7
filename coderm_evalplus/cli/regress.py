"""``coderm-evalplus regress``: replay the regression sets, print scores, fail on drift.

The sets and the comparison are :mod:`coderm_evalplus.regression` (a library, so tests
and benchmarks replay sets without the CLI); this module prints and sets the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..errors import UsageError
from ..hookspecs import hookimpl
from ..regression import SELECTORS, SETS, Context, compare, run_sets
from .options import positive_int


def print_diff(rows: list[tuple[str, ...]]) -> None:
    table = Table(title="regression drift")
    for col in ("set", "selector", "what", "expected", "actual"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console(stderr=True).print(table)


def print_scores(actual: dict[str, Any]) -> None:
    table = Table(title="regression scores (tie-aware accuracy)")
    # fold, not "…": at 80 columns "codet…" was both the codet_dev set and codet-sqrt
    table.add_column("set", overflow="fold")
    for name in SELECTORS:  # a hyphenated name on two lines, not cut inside a word
        table.add_column(name.replace("-", "-\n"), justify="right", overflow="fold")
    for set_name, res in actual.items():
        table.add_row(set_name, *[f"{100 * res[s]['score']:.2f}" if s in res else "-"
                                  for s in SELECTORS])
    Console().print(table)


def cmd_regress(args: argparse.Namespace) -> int:
    path = Path(args.expected)
    if not args.update and not path.is_file():  # before minutes of replaying
        raise UsageError(f"--expected {path}: no such file (the repository's is "
                         "regression/expected.json: run from the repository root or give "
                         "its path; --update writes a new one)")
    ctx = Context(shared=Path(args.shared), jobs=args.jobs)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    actual = run_sets(wanted, ctx, lambda name: print(
        f"regression set {name}: skipped (data not found under {ctx.shared})",
        file=sys.stderr))
    print_scores(actual)
    if args.update:
        previous = json.loads(path.read_text()) if path.exists() else {}
        previous.update(actual)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(previous, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")
        return 0
    expected = json.loads(path.read_text())
    rows = compare({k: v for k, v in expected.items() if k in actual}, actual)
    if rows:
        print_diff(rows)
        return 1
    print(f"no drift in {len(actual)} set(s)")
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("regress", help="replay recorded runs; fail on score/pick drift")
    p.add_argument("--expected", default="regression/expected.json",
                   help="the expected scores and picks (default: regression/expected.json, "
                   "the repository's when run from its root)")
    p.add_argument("--update", action="store_true", help="rewrite the expected results")
    p.add_argument("--sets", default=",".join(SETS),
                   help="comma-separated (default: all): " + ", ".join(SETS))
    p.add_argument("--shared", default=os.environ.get(
        "CODERM_SHARED", str(Path.cwd().parent / "shared")),
        help="the shared data folder (default: $CODERM_SHARED or ../shared)")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="parallel workers (default: CPUs)")
    p.set_defaults(func=cmd_regress)
