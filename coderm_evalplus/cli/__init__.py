"""``coderm-evalplus``: the command line (``main``, the parser).

Sub-commands are contributed through the ``register_commands`` hook, by built-in modules
(:mod:`.commands`, :mod:`.report`, :mod:`.regress`, each harness's ``cli`` module) and
plugins alike.  Library modules never import this package: the CLI sits on top.  Errors derived from :class:`CodermError` print as one line on stderr
(exit 2 for bad input, 1 for a failed run); no traceback for a user mistake.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ..errors import CodermError
from ..plugins import load_plugins


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes print one line, like every other error of the tool, ending with
    where to look (argparse's default repeats the whole usage block first).  Sub-command
    parsers inherit the class (``add_subparsers`` uses the parent's type)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def version() -> str:
    """The installed distribution's version (a source checkout without metadata says so)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("coderm-evalplus")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="coderm-evalplus",
        description="Unit-test reward selection (CodeRM / CodeT) for best-of-N code evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    pm = load_plugins()
    pm.hook.register_commands(subparsers=sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except CodermError as exc:
        print(f"coderm-evalplus: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("coderm-evalplus: interrupted", file=sys.stderr)
        return 130

