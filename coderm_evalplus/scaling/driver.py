"""``--scaling dynamic``: the pipeline's run with the allocator choosing the tests.

Registered as a built-in plugin through the ``register_scaling_modes`` hook, so the
pipeline finds it by name and never imports :mod:`coderm_evalplus.scaling` (which needs
the pipeline's stages: the dependency points one way only).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import pipeline
from ..errors import UsageError
from ..execute.runner import ExecutionStats
from ..extract import extract_all
from ..hookspecs import hookimpl
from ..model import OutcomeMatrix, Problem, UnitTest
from ..plugins import get_selector
from .allocator import allocate
from .policy import ScalingPolicy
from .report import scaling_report
from .sources import GeneratorSource, ReplaySource


def run_dynamic(problems: Sequence[Problem], config: Any, *,
                completions: Mapping[str, Sequence[str]] | None = None,
                out_dir: Path | None = None,
                grade: Callable[[list[Problem]], None] | None = None,
                tests_source: object = "tests",
                test_formats: Mapping[str, str] | None = None,
                policy: ScalingPolicy | None = None) -> Any:
    """``pipeline.run`` with ``--scaling dynamic``: allocate ``config.test_budget`` tests
    (default: every available test, early stop deciding), then finish the run as usual.

    Labels (``grade``) are computed only after allocation: they never steer it.
    """
    problems = list(problems)
    if config.selector == "oracle":
        raise UsageError("--scaling dynamic needs a selector that does not read labels")
    selector = get_selector(config.selector)
    stats = ExecutionStats()
    policy = policy or ScalingPolicy(round_size=max(1, math.ceil(len(problems) / 4)),
                                     prune=getattr(config, "prune", "none"))

    def run_tests(jobs: list[Problem]) -> dict[str, OutcomeMatrix]:
        return pipeline.execute(jobs, config, stats)

    extra: dict[str, Any] = {}
    if completions is not None:
        extra["extraction"] = pipeline.attach_tests(
            problems, completions, num_tests=config.num_tests, fmt=config.test_format,
            formats=test_formats, source=tests_source)
        pools = {p.task_id: list(p.tests) for p in problems}
        source: ReplaySource = ReplaySource(problems, pools, run_tests)
        default_budget = sum(len(v) for v in pools.values())
    else:
        cap = config.num_tests or 100
        fmt = config.test_format

        def generate(ps: list[Problem], n: int) -> dict[str, list[str]]:
            return pipeline.generate_completions(ps, config.generator or "", n,
                                                 config.generator_options, config.progress)

        def extract(p: Problem, raw: list[str]) -> list[UnitTest]:
            task_fmt = fmt if fmt != "auto" else (test_formats or {}).get(p.task_id, "auto")
            return extract_all(p, raw, task_fmt)[0]

        source = GeneratorSource(problems, generate, extract, cap, policy.batch, run_tests)
        default_budget = cap * len(problems)
    budget = config.test_budget if config.test_budget is not None else default_budget
    allocation = allocate(problems, source, selector.select, budget=budget, policy=policy,
                          seed=config.seed, fit=getattr(selector, "fit", None))
    for p in problems:
        p.tests = [replace(t, index=j) for j, t in enumerate(source.revealed[p.task_id])]
    if grade is not None:
        grade(problems)
    extra.update(scaling_report(allocation, selector.select, config.seed,
                                fit=getattr(selector, "fit", None)))
    # the GPU cost: completions a generator was asked for (recorded tests: those drawn)
    extra["scaling"]["tests_generated"] = source.generated()
    return pipeline.finish(problems, config, out_dir=out_dir, grade=None,
                           matrices=allocation.matrices(), exec_stats=stats, extra=extra)


@hookimpl
def register_scaling_modes(register):
    register("dynamic", run_dynamic)
