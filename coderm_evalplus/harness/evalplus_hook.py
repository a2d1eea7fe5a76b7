"""The start-up hook that gives ``evalplus.evaluate`` a ``--selector`` flag.

evalplus 0.3.1 has no plugin mechanism and its ``fire`` CLI rejects unknown flags, so
we attach from outside: the wheel puts ``coderm_evalplus_hook.pth`` in site-packages
(see ``hooks/``).  Its single line imports this module only when the command line holds
``--selector``, inside a ``try`` (a broken hook never breaks Python start-up).
:func:`activate` then checks that the program really is ``evalplus.evaluate`` (the
console script, or ``python -m evalplus.evaluate``) and wraps ``fire.Fire`` as soon as
``fire`` is imported.  The wrapper:

1. takes our options (``--selector``, ``--tests``, ``--generator``, ``--num-tests``,
   ``--sandbox`` and the other run options of ``coderm-evalplus``) out of the arguments;
2. runs the selection stage on ``--samples`` (labels from evalplus's grader, run on all
   candidates in a child process);
3. writes the picks to ``<samples stem>.coderm-<selector>.jsonl`` and hands them to
   evalplus's own ``evaluate`` *with the user's other flags*, so evalplus itself prints
   the base and plus pass@1 of the picks (the best-of-N score) and writes its usual
   result file for them;
4. writes our report (vanilla vs selected, per-task picks) to
   ``<samples stem>.coderm-<selector>/report.json``.

Without ``--selector`` nothing of ours is imported and evalplus runs as before.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import os
import sys
import sysconfig
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PTH_NAME = "coderm_evalplus_hook.pth"
PROGRAM = "evalplus.evaluate"

#: The .pth line (kept identical to hooks/coderm_evalplus_hook.pth; a test checks).
PTH_LINE = (
    "import sys; exec(\"try:\\n if any(a in ('--selector', '--help', '-h') or "
    "a.startswith('--selector=') for a in sys.argv[1:]):\\n"
    "  import coderm_evalplus.harness.evalplus_hook as _h; "
    "_h.activate()\\nexcept Exception as _e:\\n sys.stderr.write("
    "'coderm-evalplus: --selector hook disabled: %r\\\\n' % (_e,))\")\n"
)

_active = False


# ------------------------------------------------------------------ detection

def is_evalplus_evaluate(argv: Sequence[str] | None = None,
                         orig_argv: Sequence[str] | None = None) -> bool:
    """True when this process is ``evalplus.evaluate``: its console script
    (``argv[0]`` is ``.../evalplus.evaluate``), ``python -m evalplus.evaluate`` (while
    site runs, ``argv[0]`` is ``-m`` and ``orig_argv`` names the module) or
    ``python .../evalplus/evaluate.py``."""
    argv = list(sys.argv if argv is None else argv)
    orig = list(getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv)
    if not argv:
        return False
    first = argv[0]
    if os.path.basename(first) in (PROGRAM, PROGRAM + ".exe", PROGRAM + "-script.py"):
        return True
    if first == "-m":
        return any(a == "-m" and b == PROGRAM for a, b in zip(orig, orig[1:]))
    return first.replace(os.sep, "/").endswith("evalplus/evaluate.py")


def activate() -> None:
    """Called from the .pth line: wrap ``fire.Fire`` once ``fire`` is imported."""
    global _active
    if _active or not is_evalplus_evaluate():
        return
    _active = True
    if "fire" in sys.modules:
        _patch_fire(sys.modules["fire"])
    else:
        sys.meta_path.insert(0, _FireFinder())


class _FireFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for ``fire`` it wraps the real loader so that, once the
    module has run, its ``Fire`` is ours (evalplus does ``from fire import Fire`` at
    call time, so patching the attribute is enough)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "fire":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            _patch_fire(module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def _patch_fire(module: Any) -> None:
    original = module.Fire
    if getattr(original, "_coderm_wrapped", False):
        return

    def Fire(component: Any = None, command: Any = None, name: Any = None, **kw: Any) -> Any:
        if getattr(component, "__name__", None) != "evaluate":
            return original(component, command, name, **kw)
        argv = list(sys.argv[1:] if command is None else
                    (command.split() if isinstance(command, str) else command))
        if not _has_selector(argv) and any(a in ("--help", "-h") for a in argv):
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

    Fire._coderm_wrapped = True  # type: ignore[attr-defined]
    module.Fire = Fire
    if hasattr(module, "core"):
        module.core.Fire = Fire


# ------------------------------------------------------------------ arguments

HELP = """
coderm-evalplus adds best-of-N selection before grading (this start-up hook):
  --selector NAME        pick one sample per task with NAME (coderm, codet, robust,
                         random, first; `coderm-evalplus plugins` lists them) and
                         grade only the picks: the pass@1 printed is best-of-N
  --tests FILE           recorded unit tests, one JSON line per task:
                         {"task_id", "completions": [...]}
  --generator NAME[:T]   generate the tests instead (vllm:KAKA22/CodeRM-8B,
                         openai:http://HOST:8000/v1, ...)
  --num-tests M, --sandbox local|docker|ray, --time-limit S, --jobs N, ...:
                         every run option of `coderm-evalplus evalplus --help`
Samples may cover a subset of the tasks: a trimmed dataset file is written for
evalplus.  Our report goes to SAMPLES.coderm-SELECTOR/report.json.
"""


def _has_selector(argv: Sequence[str]) -> bool:
    return any(a == "--selector" or a.startswith("--selector=") for a in argv)


def build_parser() -> argparse.ArgumentParser:
    """Our options only (evalplus's are left for ``fire``)."""
    from ..commands import add_run_options

    p = argparse.ArgumentParser(prog="evalplus.evaluate --selector", add_help=False,
                                allow_abbrev=False)
    p.add_argument("--tests", default=None)
    p.add_argument("--coderm-out", default=None,
                   help="report directory (default <samples stem>.coderm-<selector>/)")
    add_run_options(p)
    return p


def split_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """(our options, evalplus's arguments in their original order)."""
    ours, rest = build_parser().parse_known_args(list(argv))
    return ours, rest


def get_flag(args: Sequence[str], name: str, position: int | None = None) -> str | None:
    """Value of a ``fire`` flag (``--name v``, ``--name=v``, hyphen or underscore), or of
    the ``position``-th positional argument."""
    names = {f"--{name}", f"--{name.replace('_', '-')}"}
    positional = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in names and i + 1 < len(args):
            return args[i + 1]
        if "=" in a and a.split("=", 1)[0] in names:
            return a.split("=", 1)[1]
        if a.startswith("--"):
            i += 2 if "=" not in a and i + 1 < len(args) and not args[i + 1].startswith("--") \
                else 1
            continue
        positional.append(a)
        i += 1
    if position is not None and position < len(positional):
        return positional[position]
    return None


def has_flag(args: Sequence[str], name: str) -> bool:
    names = {f"--{name}", f"--{name.replace('_', '-')}"}
    return any(a in names or a.split("=", 1)[0] in names for a in args)


def replace_samples(args: Sequence[str], new: str) -> list[str]:
    """The same arguments with the samples path swapped (flag or second positional)."""
    out = list(args)
    for i, a in enumerate(out):
        if a in ("--samples",) and i + 1 < len(out):
            out[i + 1] = new
            return out
        if a.startswith("--samples="):
            out[i] = f"--samples={new}"
            return out
    old = get_flag(out, "samples", position=1)
    if old is not None and old in out:
        out[out.index(old)] = new
        return out
    return [*out, "--samples", new]


def grader_args(args: Sequence[str]) -> list[str]:
    """The user's flags that change how evalplus grades (passed to the grading of all
    candidates); ``--i_just_wanna_run`` and codegen options are not."""
    from .evalplus import GRADER_FLAGS

    out: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        key = a[2:].split("=", 1)[0].replace("-", "_") if a.startswith("--") else None
        takes_value = (key is not None and "=" not in a and i + 1 < len(args)
                       and not args[i + 1].startswith("--"))
        if key in GRADER_FLAGS:
            out.append(a)
            if takes_value and key not in ("base_only", "test_details", "mini", "noextreme"):
                out.append(args[i + 1])
                i += 1
        i += 1
    return out


# ------------------------------------------------------------------ the run

def run_with_selector(evaluate: Callable[..., Any], argv: Sequence[str],
                      fire: Callable[[list[str]], Any]) -> Any:
    """Selection, then evalplus's own ``evaluate`` on the picks (see module docstring)."""
    if not _has_selector(argv):
        return fire(list(argv))
    from ..errors import CodermError

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
    from ..commands import config_from_args
    from ..errors import UsageError
    from ..report import print_report
    from .evalplus import (
        EvalPlusHarness,
        default_out_dir,
        default_picks_path,
        result_path_for,
    )

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
    harness = EvalPlusHarness(dataset=dataset, samples=samples_p, base_only=base_only,
                              grader_args=grader_args(rest), trim=True)
    problems = harness.load_problems()
    completions = None
    if ours.tests is not None:
        from ..samples import read_recorded_tests

        completions = read_recorded_tests(ours.tests, {p.task_id: p for p in problems})
    work = out / "evalplus"
    work.mkdir(parents=True, exist_ok=True)
    # Coverage first: evalplus asserts "Missing problems in samples" when the samples
    # do not cover its whole dataset file, after all the selection work.  For a subset
    # the labelling child and (in _point_evalplus_at) the final grading both read a
    # trimmed copy of the dataset file (the same rows, so the same grading).
    dataset_file = _subset_dataset_file(harness, problems, work)
    harness.start_labelling(problems, work)
    from ..pipeline import run

    try:
        result = run(problems, config, completions=completions, out_dir=out,
                     grade=lambda ps: harness.label_candidates(ps, work),
                     tests_source=ours.tests or "generator")
    finally:
        harness.close()
    from ..samples import write_samples

    write_samples(picks, result.picks())
    result_path_for(picks).unlink(missing_ok=True)  # never let evalplus reuse stale ones
    print_report(result.report)
    report = result.report
    report["_coderm"] = {"out": str(out), "picks": str(picks), "dataset": harness.dataset,
                         "samples": str(samples_p), "base_only": base_only,
                         "candidates": harness.label_run, "dataset_file": dataset_file}
    return replace_samples(rest, str(picks)), report


def _subset_dataset_file(harness: Any, problems: Sequence[Any], work: Path) -> str | None:
    """The trimmed dataset file when the samples cover only some tasks (else None),
    after pointing the harness's evalplus children at it; says so in one line."""
    from ..datasets import DATASETS

    harness.prepare(problems, work)  # unknown task ids: a one-line InputError here
    path = harness.env.get(DATASETS[harness.dataset][0])
    if path is None or not Path(path).is_relative_to(work.resolve()):
        return None  # the samples cover the whole dataset file: nothing trimmed
    print(f"coderm-evalplus: the samples cover {len(problems)} tasks, not the whole "
          f"{harness.dataset} dataset: evalplus grades against {path}", flush=True)
    return path


def _point_evalplus_at(dataset: str, path: str) -> None:
    """Make this process's evalplus read ``path`` as its dataset file.  evalplus reads
    its override variable once, when ``evalplus.data`` is imported (already done by
    ``evalplus.evaluate``), so the module global is set as well as the variable."""
    import importlib

    from ..datasets import DATASETS

    var = DATASETS[dataset][0]
    os.environ[var] = path
    setattr(importlib.import_module(f"evalplus.data.{dataset}"), var, path)


def _finish(report: dict[str, Any]) -> None:
    """Read evalplus's result file for the picks and complete our report."""
    import json

    from .evalplus import (
        EvalPlusRun,
        attach_evalplus_report,
        evalplus_summary,
        format_comparison,
        result_path_for,
        scores_from_results,
    )

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


# ------------------------------------------------------------------ installing the .pth

def _site_dir(site_packages: str | os.PathLike[str] | None) -> Path:
    return Path(site_packages) if site_packages else Path(sysconfig.get_paths()["purelib"])


def install_pth(site_packages: str | os.PathLike[str] | None = None) -> Path:
    """Write the .pth (for editable installs, where the wheel's copy is not installed)."""
    path = _site_dir(site_packages) / PTH_NAME
    path.write_text(PTH_LINE, encoding="utf-8")
    return path


def uninstall_pth(site_packages: str | os.PathLike[str] | None = None) -> Path | None:
    path = _site_dir(site_packages) / PTH_NAME
    if path.exists():
        path.unlink()
        return path
    return None


def installed_pth(site_packages: str | os.PathLike[str] | None = None) -> Path | None:
    path = _site_dir(site_packages) / PTH_NAME
    return path if path.exists() else None
