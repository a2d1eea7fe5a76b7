"""The arguments of ``evalplus.evaluate --selector``: ours taken out, evalplus's kept.

evalplus's ``fire`` CLI accepts ``--name v``, ``--name=v``, hyphens or underscores and
positionals; these helpers read and rewrite its arguments the same way, so the user's
own flags reach evalplus unchanged.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from ....cli.options import add_run_options
from ..grader import GRADER_FLAGS

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


def has_selector(argv: Sequence[str]) -> bool:
    return any(a == "--selector" or a.startswith("--selector=") for a in argv)


class _OneLineParser(argparse.ArgumentParser):
    """A bad value of one of our flags is one line, as every other error of the tool
    (argparse's default prints the whole usage block of our flags first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `evalplus.evaluate --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """Our options only (evalplus's are left for ``fire``)."""
    p = _OneLineParser(prog="evalplus.evaluate --selector", add_help=False,
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
