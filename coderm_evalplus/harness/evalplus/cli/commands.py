"""``coderm-evalplus evalplus`` (select, then grade with evalplus) and
``coderm-evalplus evalplus-hook`` (install / remove the ``--selector`` start-up patch)."""

from __future__ import annotations

import argparse

from ....cli.options import add_run_options, config_from_args
from ....errors import UsageError
from ....hookspecs import hookimpl
from ....report import print_report
from ..harness import evaluate_with_selection, format_comparison
from . import pth


def cmd_evalplus(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.tests is None and args.generator is None:
        raise UsageError("give recorded tests (--tests) or a test generator (--generator)")
    res = evaluate_with_selection(
        args.dataset, args.samples, tests=args.tests, config=config, out_dir=args.out,
        picks_path=args.picks, dataset_file=args.dataset_file, base_only=args.base_only,
        grader_args=(["--parallel", str(args.parallel)] if args.parallel else []),
        echo=True)
    print_report(res.report)
    print(format_comparison(res.report))
    print(f"coderm-evalplus: picks {res.picks_path}, evalplus results "
          f"{res.picks['result_file']}, report {res.run.out_dir}/report.json")
    return 0


def cmd_hook(args: argparse.Namespace) -> int:
    if args.action == "install":
        print(f"installed {pth.install_pth(args.site_packages)}")
    elif args.action == "uninstall":
        removed = pth.uninstall_pth(args.site_packages)
        print(f"removed {removed}" if removed else "no hook file installed")
    else:
        path = pth.installed_pth(args.site_packages)
        print(f"installed: {path}" if path else "not installed")
        return 0 if path else 1
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser(
        "evalplus", help="best-of-N on HumanEval+ / MBPP+: select, then grade with evalplus",
        description="Select one candidate per task from an evalplus samples file, grade the "
                    "picks with evalplus's own grader (the printed base/plus pass@1 is the "
                    "best-of-N score) and report vanilla vs selected. Same as "
                    "`evalplus.evaluate ... --selector NAME`.")
    p.add_argument("--dataset", required=True, help="humaneval or mbpp")
    p.add_argument("--samples", required=True, help="evalplus samples JSONL or folder")
    p.add_argument("--tests", default=None, help="recorded tests JSONL ({task_id, completions})")
    p.add_argument("--dataset-file", default=None,
                   help="dataset JSONL to grade against (default: $HUMANEVAL_OVERRIDE_PATH / "
                        "$MBPP_OVERRIDE_PATH, else evalplus's download)")
    p.add_argument("--base-only", action="store_true", help="correct = base tests pass")
    p.add_argument("--parallel", type=int, default=None, help="evalplus grader workers")
    p.add_argument("--picks", default=None,
                   help="picks samples file (default <samples stem>.coderm-<selector>.jsonl)")
    p.add_argument("-o", "--out", default=None,
                   help="output dir (default <samples stem>.coderm-<selector>/)")
    add_run_options(p)
    p.set_defaults(func=cmd_evalplus)

    h = subparsers.add_parser(
        "evalplus-hook", help="install / remove / check the evalplus.evaluate --selector hook",
        description="A wheel install (`pip install coderm-evalplus`) puts the start-up hook "
                    "in site-packages by itself; use this after an editable install or to "
                    "remove it.")
    h.add_argument("action", choices=["install", "uninstall", "status"])
    h.add_argument("--site-packages", default=None,
                   help="target directory (default: this interpreter's purelib)")
    h.set_defaults(func=cmd_hook)
