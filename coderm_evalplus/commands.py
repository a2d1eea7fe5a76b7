"""Core sub-commands: ``select`` (files in, picks out), ``demo``, ``plugins``.

Harness commands (``evalplus``, ``livecodebench``), ``report`` and ``sandbox`` live in
their own modules and register through the same ``register_commands`` hook.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
from pathlib import Path
from typing import Any

from .errors import InputError, UsageError
from .execute.base import DEFAULT_TIME_LIMIT, Limits
from .execute.cache import default_cache_path
from .hookspecs import hookimpl
from .labels import LABEL_MEMORY_MB, LABEL_TIME_LIMIT
from .model import Problem


def add_run_options(p: argparse.ArgumentParser, *, selector_default: str = "coderm",
                    time_limit_default: float = DEFAULT_TIME_LIMIT) -> None:
    """Options every command that runs the selection stage shares (a harness whose
    tests run longer passes its own ``time_limit_default``)."""
    g = p.add_argument_group("selection stage")
    g.add_argument("--selector", default=selector_default,
                   help="selector whose picks are written and graded (default %(default)s; "
                        "`coderm-evalplus plugins` lists them)")
    g.add_argument("--compare", default="first,random,coderm,codet,codet-sqrt,b4,robust",
                   help="comma-separated selectors also reported (default %(default)s)")
    g.add_argument("--num-tests", type=int, default=None, metavar="M",
                   help="test completions used per task (default: all recorded / 100 generated)")
    g.add_argument("--tests-format", default="auto", choices=["auto", "unittest", "assert"],
                   help="format of the test completions")
    g.add_argument("--generator", default=None,
                   help="test generator NAME[:TARGET], e.g. vllm:KAKA22/CodeRM-8B, "
                        "openai:http://127.0.0.1:8000/v1, transformers:/path/model.gguf")
    g.add_argument("--scaling", default="fixed", choices=["fixed", "dynamic"],
                   help="fixed: every test on every candidate; dynamic: spend tests where "
                        "they can still change the pick (default %(default)s)")
    g.add_argument("--test-budget", type=int, default=None,
                   help="total tests over the run for --scaling dynamic")
    g.add_argument("--prune", default="none", choices=["none", "exact", "bound"],
                   help="--scaling dynamic: run new tests only on candidates still in "
                        "contention (exact: never changes a vote's pick; bound: "
                        "probabilistic, fewer executions; default %(default)s)")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of tie-breaking and of sampling (default %(default)s)")
    e = p.add_argument_group("execution")
    e.add_argument("--sandbox", default="local", help="local, docker, ray (default local)")
    e.add_argument("--image", default=None, help="Docker image for --sandbox docker")
    e.add_argument("--ray-address", default=None, help="Ray cluster for --sandbox ray")
    e.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="parallel workers (default: CPUs)")
    e.add_argument("--time-limit", type=float, default=time_limit_default,
                   help="CPU seconds per (candidate, test) pair (default %(default)s)")
    e.add_argument("--memory-mb", type=positive_int, default=4096, metavar="MB",
                   help="memory limit of each sandboxed runner (default %(default)s)")
    add_cache_options(e)


def positive_int(text: str) -> int:
    """argparse type for counts that must be >= 1 (``--jobs 0`` would run nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_cache_options(g: Any) -> None:
    """--cache / --no-cache / --no-progress, shared by every command that executes."""
    g.add_argument("--cache", default=str(default_cache_path()), metavar="FILE",
                   help="verdict cache (SQLite), shared by every run that uses it "
                        "(default %(default)s)")
    g.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the verdict cache: run every pair again")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace) -> Any:
    from .pipeline import RunConfig

    if args.num_tests is not None and args.num_tests < 1:
        raise UsageError("--num-tests must be >= 1")
    if args.time_limit <= 0:
        raise UsageError("--time-limit must be > 0")
    if getattr(args, "prune", "none") != "none" and args.scaling != "dynamic":
        raise UsageError("--prune needs --scaling dynamic")
    sandbox_options: dict[str, Any] = {}
    if args.image:
        sandbox_options["image"] = args.image
    if args.ray_address:
        sandbox_options["ray_address"] = args.ray_address
    compare = [c.strip() for c in args.compare.split(",") if c.strip()]
    return RunConfig(
        selector=args.selector, compare=compare, sandbox=args.sandbox,
        sandbox_options=sandbox_options, jobs=args.jobs,
        limits=Limits(time_limit=args.time_limit, memory_mb=args.memory_mb),
        num_tests=args.num_tests, test_format=args.tests_format, seed=args.seed,
        cache_path=None if args.no_cache else Path(args.cache),
        progress=not args.no_progress, generator=args.generator,
        scaling=args.scaling, test_budget=args.test_budget,
        prune=getattr(args, "prune", "none"))


# ------------------------------------------------------------------------ problems

def infer_entry_point(task_id: str, sources: list[str]) -> str:
    """The function the tests call, when no benchmark is given: the most common name of
    the last top-level ``def`` across candidates (helpers usually come first)."""
    names: collections.Counter[str] = collections.Counter()
    for src in sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        defs = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        if defs:
            names[defs[-1]] += 1
    return names.most_common(1)[0][0] if names else ""


def load_problem_set(spec: str | None) -> dict[str, Problem] | None:
    """``humaneval`` / ``mbpp`` (evalplus datasets), a problems JSONL path, or None."""
    from .datasets import load_evalplus_problems, problem_from_row, read_problem_rows

    if spec is None:
        return None
    if spec.lower() in ("humaneval", "mbpp", "humaneval+", "mbpp+"):
        return load_evalplus_problems(spec.lower().rstrip("+"))
    path = Path(spec)
    if not path.exists():
        raise UsageError(f"--problems {spec!r}: not a dataset name (humaneval, mbpp) "
                         "nor an existing file")
    return {tid: problem_from_row(row) for tid, row in read_problem_rows(path).items()}


def build_problems(samples_path: Path, problem_set: dict[str, Problem] | None, fmt: str,
                   task_ids: str | None) -> list[Problem]:
    from .samples import read_samples

    candidates = read_samples(samples_path, problem_set, fmt=fmt, task_ids=task_ids)
    problems = []
    for tid, cands in candidates.items():
        if problem_set is not None:
            base = problem_set[tid]
            p = Problem(tid, base.prompt, base.entry_point, base.kind, meta=dict(base.meta))
        else:
            p = Problem(tid, entry_point=infer_entry_point(tid, [c.source for c in cands]))
        p.candidates = list(cands)
        problems.append(p)
    if not problems:
        raise InputError(samples_path, "no samples in file")
    return problems


def apply_labels(problems: list[Problem], labels_path: str | None) -> None:
    from .samples import attach_labels, load_labels

    if labels_path is None:
        return
    labels = load_labels(labels_path)
    attach_labels({p.task_id: p.candidates for p in problems}, labels, labels_path)


def load_tests_file(path: str, problems: dict[str, Problem],
                    task_ids: str | None = None) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Recorded test completions per task and the test format recorded with them."""
    from .samples import read_recorded_test_rows

    rows = read_recorded_test_rows(path, problems, task_ids=task_ids)
    return ({t: r.completions for t, r in rows.items()}, {t: r.format for t, r in rows.items()})


def print_run(result: Any, args: argparse.Namespace) -> None:
    from .report import print_report

    print_report(result.report)
    if result.out_dir is not None:
        print(f"wrote {result.out_dir}/: picks.jsonl, picks/, matrices.npz, report.json "
              f"(`coderm-evalplus report {result.out_dir}` prints and plots it again)")
    else:
        print("nothing written (give -o DIR to keep picks, matrices and report)")


def select_out_dir(args: argparse.Namespace) -> Path:
    """Where ``select`` writes: ``-o``, else ``<samples stem>.coderm-<selector>/`` next to
    the samples file, as ``coderm-evalplus evalplus`` does and as evalplus writes its
    ``*_eval_results.json`` next to the samples."""
    from .harness.evalplus import default_out_dir

    if args.out:
        return Path(args.out)
    return default_out_dir(Path(args.samples), args.selector)


def run_into(out: Path | None, runner: Any) -> Any:
    """Call ``runner(out_dir)`` writing into a staging folder next to ``out`` and swap it
    into place when the run finished (see :mod:`.outdir`); ``out`` None writes nothing."""
    from .outdir import StagedDir

    if out is None:
        return runner(None)
    with StagedDir(out) as staged:
        result = runner(staged.path)
        result.out_dir = staged.commit()
    return result


# ------------------------------------------------------------------------ commands

def cmd_select(args: argparse.Namespace) -> int:
    from .outdir import check_out_dir
    from .pipeline import run

    config = config_from_args(args)
    out = select_out_dir(args)
    check_out_dir(out, "-o" if args.out else "output folder (default; -o to choose)")
    problem_set = load_problem_set(args.problems or
                                   ("humaneval" if args.format == "codet" else None))
    if problem_set is None:
        from .samples import detect_samples_format

        if detect_samples_format(args.samples) == "codet" and not args.task_ids:
            problem_set = load_problem_set("humaneval")
    problems = build_problems(Path(args.samples), problem_set, args.format, args.task_ids)
    apply_labels(problems, args.labels)
    completions, formats = None, None
    if args.tests:
        completions, formats = load_tests_file(args.tests, problem_set or
                                               {p.task_id: p for p in problems}, args.task_ids)
    result = run_into(out, lambda staging: run(
        problems, config, completions=completions, out_dir=staging,
        tests_source=args.tests or "generator", test_formats=formats))
    print_run(result, args)
    return 0


def load_demo() -> tuple[list[Problem], dict[str, list[str]], dict[str, str]]:
    """The embedded demo set: labelled problems, recorded completions, their formats."""
    from . import demo

    problem_set = load_problem_set(str(demo.problems_path())) or {}
    problems = build_problems(demo.samples_path(), problem_set, "evalplus", None)
    apply_labels(problems, str(demo.labels_path()))
    completions, formats = load_tests_file(str(demo.tests_path()), problem_set)
    return problems, completions, formats


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo
    from .outdir import check_out_dir
    from .pipeline import run

    config = config_from_args(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out)
    problems, completions, formats = load_demo()
    result = run_into(out, lambda staging: run(
        problems, config, completions=completions, out_dir=staging,
        tests_source=demo.tests_path(), test_formats=formats))
    print_run(result, args)
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    """Label every candidate with the benchmark's own tests, run in the sandbox."""
    from .labels import humaneval_labels
    from .outdir import check_out_file
    from .samples import detect_samples_format, write_labels

    check_out_file(Path(args.out))
    problem_set = load_problem_set(args.problems)
    if problem_set is None:
        raise UsageError("labels need the benchmark's tests: give --problems")
    fmt = args.format
    if fmt == "auto":
        fmt = detect_samples_format(args.samples)
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
    from . import plugins

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
    from rich.console import Console
    from rich.table import Table

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

    d = subparsers.add_parser("demo", help="run the selection stage on the embedded demo set")
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
