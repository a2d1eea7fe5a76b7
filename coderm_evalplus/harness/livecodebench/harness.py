"""The LiveCodeBench :class:`~coderm_evalplus.harness.base.Harness` and the Python API.

Labels and pick grades come from LiveCodeBench's own grader (:mod:`.grader`) when it is
installed; without it (or with ``grade=False``) the picks are still made and written,
just not graded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import UsageError
from ...generate.prompt import build_prompt
from ...hookspecs import hookimpl
from ...model import Candidate, Problem
from ...pipeline import RunConfig, RunResult
from ...plugins import get_harness
from ..base import BaseHarness
from ..run import HarnessRun, run_harness
from .data import LCBProblem, load_lcb_problems, read_custom_output
from .grader import GradeResult, grade_code_lists, load_grader, write_eval_files
from .programs import build_problems, original_code


class LiveCodeBenchHarness(BaseHarness):
    """Problems from a custom-output file; labels and pick grades from LiveCodeBench.

    ``grade`` False never runs the grader; ``vanilla`` False grades the picks only (no
    labels, no vanilla pass@1).  ``lcb`` gives the problems when they are already read.
    """

    name = "livecodebench"

    def __init__(self, timeout: int = 6, processes: int = 4, *,
                 lcb: Mapping[str, LCBProblem] | None = None, grade: bool = True,
                 vanilla: bool = True, grader: Callable[..., Any] | None = None) -> None:
        self.timeout, self.processes = timeout, processes
        self.lcb: dict[str, LCBProblem] = dict(lcb or {})
        self.grade, self.vanilla = grade, vanilla
        self._grader = grader
        self.vanilla_grade: GradeResult | None = None
        self.picks_grade: GradeResult | None = None

    @property
    def grader(self) -> Callable[..., Any] | None:
        """LiveCodeBench's ``codegen_metrics``; None when grading is off or it is not
        installed."""
        if self._grader is None and self.grade:
            self._grader = load_grader()
        return self._grader

    def load_problems(self, **options: Any) -> list[Problem]:
        """Options: ``samples`` (custom-output file, required), ``problems`` (local path;
        else the hub), ``release_version``, ``start_date``, ``end_date``."""
        samples_path = options.get("samples")
        if samples_path is None:
            raise UsageError("livecodebench: give the custom-output file (samples)")
        self.lcb = load_lcb_problems(options.get("problems"),
                                     release_version=options.get("release_version") or
                                     "release_v1",
                                     start_date=options.get("start_date"),
                                     end_date=options.get("end_date"))
        samples = read_custom_output(samples_path, self.lcb)
        return build_problems(self.lcb, samples)

    def label_candidates(self, problems: list[Problem], work_dir: Path | None = None
                         ) -> GradeResult | None:
        """Label every candidate with LCB's verdict; return the grading (vanilla pass@1).
        Nothing is labelled when the grader is off, not installed or ``vanilla`` False."""
        grader = self.grader
        if grader is None or not self.vanilla:
            return None
        codes = {p.task_id: [original_code(c) for c in p.candidates] for p in problems}
        result = grade_code_lists(self.lcb, codes, timeout=self.timeout,
                                  processes=self.processes, grader=grader)
        for p in problems:
            for c, ok in zip(p.candidates, result.graded[p.task_id]):
                c.label = ok
        if work_dir is not None:
            write_eval_files(Path(work_dir) / "samples", self.lcb, codes, result)
        self.vanilla_grade = result
        return result

    def restore_sources(self, problems: Sequence[Problem]) -> None:
        """Picks and pipeline outputs carry the sampled code, not the execution program."""
        for p in problems:
            for c in p.candidates:
                c.source = original_code(c)

    def grade_picks(self, picks: Mapping[str, str], work_dir: Path | None = None
                    ) -> dict[str, Any] | None:
        """Grade one code per question (original code, not the execution program)."""
        grader = self.grader
        if grader is None:
            return None
        codes = {q: [code] for q, code in picks.items()}
        result = grade_code_lists(self.lcb, codes, timeout=self.timeout,
                                  processes=self.processes, grader=grader)
        if work_dir is not None:
            write_eval_files(Path(work_dir) / "selected", self.lcb, codes, result)
        self.picks_grade = result
        return {"pass@1": result.pass_at_1,
                "graded": {q: g[0] for q, g in result.graded.items()}}

    def add_to_report(self, report: dict[str, Any], graded: Any) -> None:
        picks, vanilla = self.picks_grade, self.vanilla_grade
        report["livecodebench"] = {
            "grader": "livecodebench" if self.grader is not None else None,
            "picks_pass@1": picks.pass_at_1 if picks else None,
            "vanilla_pass@1": vanilla.pass_at_1 if vanilla else None,
            "picks_graded": picks.graded if picks else None}


@hookimpl
def register_harnesses(register):
    register("livecodebench", LiveCodeBenchHarness)


@hookimpl
def build_test_prompt(problem, candidate):
    """Show the test generator the sampled code, not our execution program.

    Only for problems this harness built (``meta["harness"]``); the prompt itself is the
    default CodeRM prompt (method -> function, stdin program -> ``solve`` wrapper).
    """
    if problem.meta.get("harness") != "livecodebench" or candidate is None \
            or "code" not in candidate.meta:
        return None
    shown = Candidate(candidate.index, original_code(candidate), meta=dict(candidate.meta))
    return build_prompt(problem, shown)


# --------------------------------------------------------------------------- the API

@dataclass
class LCBRun:
    """What a LiveCodeBench run produced: picks (original codes) and LCB's grades."""

    result: RunResult
    picks: dict[str, str]
    vanilla: GradeResult | None
    picks_grade: GradeResult | None
    grader_available: bool

    @classmethod
    def of(cls, done: HarnessRun) -> LCBRun:
        h = done.harness
        return cls(done.result, done.picks, getattr(h, "vanilla_grade", None),
                   getattr(h, "picks_grade", None), getattr(h, "grader", None) is not None)


def run_livecodebench(lcb: Mapping[str, LCBProblem], samples: Mapping[str, Sequence[str]],
                      config: RunConfig, *, completions: Mapping[str, Sequence[str]] | None,
                      out_dir: Path | None, tests_source: object = "tests",
                      grade: bool = True, vanilla: bool = True, timeout: int = 6,
                      processes: int = 4) -> LCBRun:
    """Selection stage + LCB grading of all samples (labels, vanilla) and of the picks."""
    harness = get_harness("livecodebench", timeout=timeout, processes=processes, lcb=lcb,
                          grade=grade, vanilla=vanilla)
    done = run_harness(harness, config, problems=build_problems(lcb, samples),
                       completions=completions, tests_source=tests_source, out_dir=out_dir)
    return LCBRun.of(done)
