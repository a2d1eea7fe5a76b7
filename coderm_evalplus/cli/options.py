"""Options shared by every command that runs the selection stage, and what they mean.

``coderm-evalplus select``, ``demo``, ``evalplus``, ``livecodebench``, the
``evalplus.evaluate --selector`` flag and LiveCodeBench's custom runner take the same run
options, so they are declared once here and turned into a :class:`RunConfig` by
:func:`config_from_args`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..execute.base import DEFAULT_TIME_LIMIT, Limits
from ..execute.cache import default_cache_path
from ..pipeline import RunConfig


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
    # no argparse choices: modes are plugins (register_scaling_modes); the pipeline
    # rejects an unknown one with the list of registered modes
    g.add_argument("--scaling", default="fixed", metavar="MODE",
                   help="fixed: every test on every candidate; dynamic: spend tests where "
                        "they can still change the pick; or a plugin's mode "
                        "(default %(default)s)")
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


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run configuration the options of :func:`add_run_options` describe."""
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
