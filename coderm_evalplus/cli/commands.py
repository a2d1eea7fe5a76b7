"""Core sub-commands: ``select`` (files in, picks out), ``demo``, ``labels``, ``plugins``.

Harness commands (``evalplus``, ``livecodebench``), ``report``, ``regress`` and
``sandbox`` live in their own modules and register through the same
``register_commands`` hook.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .. import demo, plugins
from ..errors import UsageError
from ..execute.base import Limits
from ..hookspecs import hookimpl
from ..inputs.labels import write_labels
from ..inputs.problem_sets import load_problem_set
from ..inputs.problems import check_task_ids, load_demo, load_select_inputs
from ..inputs.samples import build_problems, detect_samples_format
from ..labels import LABEL_MEMORY_MB, LABEL_TIME_LIMIT, humaneval_labels
from ..outdir import check_out_dir, check_out_file, default_out_dir
from ..pipeline import run
from .options import add_cache_options, add_run_options, config_from_args, positive_int
from .report import print_run, run_into


def select_out_dir(args: argparse.Namespace) -> Path:
    """Where ``select`` writes: ``-o``, else ``<samples stem>.coderm-<selector>/`` next to
    the samples file, as ``coderm-evalplus evalplus`` does and as evalplus writes its
    ``*_eval_results.json`` next to the samples."""
    if args.out:
        return Path(args.out)
    return default_out_dir(Path(args.samples), args.selector)


def cmd_select(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    out = select_out_dir(args)
    check_out_dir(out, "-o" if args.out else "output folder (default; -o to choose)")
    inputs = load_select_inputs(args.samples, problems=args.problems, fmt=args.format,
                                task_ids=args.task_ids, labels=args.labels, tests=args.tests)
    result = run_into(out, lambda staging: run(
        inputs.problems, config, completions=inputs.completions, out_dir=staging,
        tests_source=args.tests or "generator", test_formats=inputs.formats))
    print_run(result, args)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out)
    problems, recorded, formats = load_demo()
    # with --generator: the demo's problems and candidates, the user's test generator
    completions = recorded if config.generator is None else None
    result = run_into(out, lambda staging: run(
        problems, config, completions=completions, out_dir=staging,
        tests_source=demo.tests_path() if completions else "generator",
        test_formats=formats if completions else None))
    print_run(result, args)
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    """Label every candidate with the benchmark's own tests, run in the sandbox."""
    check_out_file(Path(args.out))
    problem_set = load_problem_set(args.problems)
    if problem_set is None:
        raise UsageError("labels need the benchmark's tests: give --problems")
    fmt = args.format
    if fmt == "auto":
        fmt = detect_samples_format(args.samples)
    check_task_ids(args.task_ids, fmt)
    problems = build_problems(Path(args.samples), problem_set, fmt, args.task_ids)
    labels = humaneval_labels(problems, {t: p.meta.get("row", {}) for t, p in
                                         problem_set.items()},
                              limits=Limits(time_limit=args.time_limit,
                                            memory_mb=args.memory_mb), jobs=args.jobs,
                              sandbox=args.sandbox, progress=not args.no_progress,
                              cache_path=None if args.no_cache else Path(args.cache))
    write_labels(args.out, labels)
    n = sum(len(v) for v in labels.values())
    correct = sum(sum(v) for v in labels.values())
    print(f"wrote {args.out}: {len(labels)} tasks, {correct}/{n} candidates correct")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    pm = plugins.load_plugins()
    table = {
        "plugins": [name for name, _ in pm.list_name_plugin()],
        "selectors": sorted(plugins.selectors()),
        "sandboxes": sorted(plugins.sandboxes()),
        "test_generators": sorted(plugins.test_generators()),
        "harnesses": sorted(plugins.harnesses()),
    }
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    t = Table(title="coderm-evalplus plugins")
    t.add_column("kind")
    t.add_column("registered")
    for kind, names in table.items():
        t.add_row(kind, ", ".join(names))
    Console().print(t)
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser(
        "select", help="best-of-N selection from a samples file and recorded tests",
        description="Run every candidate against every test in a sandbox, pick one "
                    "candidate per task, write OUT/picks.jsonl (evalplus samples format), "
                    "OUT/matrices.npz and OUT/report.json.")
    p.add_argument("--samples", required=True,
                   help="evalplus samples JSONL (task_id + solution/completion), a samples "
                        "folder, or a CodeT code_solution file")
    p.add_argument("--tests", default=None,
                   help="recorded tests JSONL ({task_id, completions}) or a CodeT test_case file")
    p.add_argument("--format", default="auto", choices=["auto", "evalplus", "codet"],
                   help="samples format (default: detected)")
    p.add_argument("--problems", default=None,
                   help="benchmark: humaneval, mbpp, or a problems JSONL "
                        "(task_id, prompt, entry_point); needed for completion-style samples")
    p.add_argument("--task-ids", default=None,
                   help="JSON list of task ids, one per line of a CodeT file")
    p.add_argument("--labels", default=None,
                   help="per-candidate correctness: labels JSONL or evalplus *_eval_results.json")
    p.add_argument("-o", "--out", default=None, metavar="DIR",
                   help="output folder (default: SAMPLES.coderm-SELECTOR/ next to the "
                        "samples file); an earlier run there is replaced as a whole")
    add_run_options(p)
    p.set_defaults(func=cmd_select)

    d = subparsers.add_parser(
        "demo", help="run the selection stage on the embedded demo set",
        description="Run the selection stage on the embedded demo set (a dozen small "
        "problems with candidates, recorded tests and labels, shipped in the package) and "
        "print the report; nothing is written unless -o DIR is given.")
    d.add_argument("-o", "--out", default=None, metavar="DIR",
                   help="output folder (default: nothing is written); an earlier run "
                        "there is replaced as a whole")
    add_run_options(d)
    d.set_defaults(func=cmd_demo)

    lb = subparsers.add_parser(
        "labels", help="label candidates with the benchmark's own tests (sandboxed)",
        description="Run every candidate against the benchmark's own test (HumanEval's "
                    "check function, MBPP's asserts) in the sandbox and write one line per "
                    "task, {task_id, labels: [true/false per candidate]}, for select "
                    "--labels.  EvalPlus's plus tests are not run here: for those grade "
                    "with evalplus and pass its *_eval_results.json to --labels.")
    lb.add_argument("--samples", required=True,
                    help="the samples to label (same file and options as for select)")
    lb.add_argument("--problems", required=True,
                    help="humaneval, mbpp (offline: set HUMANEVAL_OVERRIDE_PATH / "
                         "MBPP_OVERRIDE_PATH), or a problems JSONL with a `test` field")
    lb.add_argument("--format", default="auto", choices=["auto", "evalplus", "codet"],
                    help="samples format (default: detected)")
    lb.add_argument("--task-ids", default=None,
                    help="JSON list of task ids, one per line of a CodeT file")
    lb.add_argument("-o", "--out", required=True, metavar="FILE",
                    help="labels JSONL to write (replaced if it exists)")
    lb.add_argument("--time-limit", type=float, default=LABEL_TIME_LIMIT,
                    help="CPU seconds per candidate for the whole check (default "
                         "%(default)s, as HumanEval's own harness)")
    lb.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                    help="parallel workers (default: CPUs)")
    lb.add_argument("--memory-mb", type=positive_int, default=LABEL_MEMORY_MB, metavar="MB",
                    help="memory limit of each sandboxed runner (default %(default)s)")
    lb.add_argument("--sandbox", default="local", help="local, docker, ray (default local)")
    add_cache_options(lb)
    lb.set_defaults(func=cmd_labels)

    pl = subparsers.add_parser("plugins", help="list registered plugins and what they provide")
    pl.add_argument("--json", action="store_true", help="print as JSON")
    pl.set_defaults(func=cmd_plugins)
