"""The EvalPlus harness: candidates from evalplus samples, correctness labels and pick
scores from evalplus's *own* grader (:mod:`.grader`), and the Python API.

Three ways in, one path (:func:`coderm_evalplus.harness.run.run_harness`): the
``--selector`` flag on ``evalplus.evaluate`` (:mod:`.cli.selector_flag`),
``coderm-evalplus evalplus ...`` (:mod:`.cli`) and :func:`evaluate_with_selection`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import UsageError
from ...hookspecs import hookimpl
from ...inputs.labels import attach_labels, load_labels
from ...inputs.problem_sets import DATASETS, dataset_name, dataset_path, load_evalplus_problems
from ...inputs.samples import build_problems, write_samples
from ...model import Problem
from ...outdir import default_out_dir, default_picks_path
from ...pipeline import RunConfig
from ...plugins import get_harness
from ..base import BaseHarness
from ..run import read_tests_for, run_harness
from .data import dataset_overrides
from .grader import EvalPlusJob, EvalPlusRun, evalplus_summary, grader_env, run_evalplus


@dataclass
class EvalPlusHarness(BaseHarness):
    """Problems from an evalplus samples file; labels and pick scores from evalplus."""

    dataset: str = "humaneval"
    samples: Path | None = None
    dataset_file: Path | None = None
    base_only: bool = False
    grader_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    trim: bool = True
    picks_path: Path | None = None  # where the graded picks go (default WORK/picks.jsonl)
    notice: Callable[[str], None] | None = None  # told when a trimmed dataset is used
    name: str = "evalplus"
    label_run: EvalPlusRun | None = None
    picks_run: EvalPlusRun | None = None
    subset_file: str | None = None  # the trimmed dataset file, for a subset run
    _label_job: EvalPlusJob | None = None

    def problem_set(self) -> dict[str, Problem]:
        path = dataset_path(self.dataset, self.dataset_file)
        return load_evalplus_problems(self.dataset, path)

    def load_problems(self, **options: Any) -> list[Problem]:
        for key, value in options.items():
            setattr(self, key, value)
        if self.samples is None:
            raise UsageError("evalplus harness: no samples given")
        self.dataset = dataset_name(self.dataset)
        return build_problems(Path(self.samples), self.problem_set(), "evalplus", None)

    def prepare(self, problems: Sequence[Problem], work_dir: Path | None) -> None:
        """Point the evalplus children at the right dataset file (trimmed for a subset:
        unknown task ids fail here, before any selection work) and start grading every
        candidate while the tests run."""
        work = self._work(work_dir)
        work.mkdir(parents=True, exist_ok=True)
        self.trim_dataset(problems, work)
        self.start_labelling(problems, work)

    def trim_dataset(self, problems: Sequence[Problem], work_dir: Path) -> None:
        """Dataset overrides for the evalplus children (a trimmed copy for a subset)."""
        if not self.trim:
            return
        overrides, _ = dataset_overrides(self.dataset, [p.task_id for p in problems],
                                         work_dir, self.dataset_file)
        self.env.update(overrides)
        path = self.env.get(DATASETS[self.dataset][0])
        if path is None or not Path(path).is_relative_to(work_dir.resolve()):
            return  # the samples cover the whole dataset file: nothing trimmed
        self.subset_file = path
        if self.notice is not None:
            self.notice(f"coderm-evalplus: the samples cover {len(problems)} tasks, not the "
                        f"whole {self.dataset} dataset: evalplus grades against {path}")

    def start_labelling(self, problems: Sequence[Problem], work_dir: Path) -> EvalPlusJob:
        """Write every candidate (in order) as evalplus samples and start grading them."""
        work_dir.mkdir(parents=True, exist_ok=True)
        path = work_dir / "candidates.jsonl"
        write_samples(path, ({"task_id": p.task_id, "solution": c.source}
                             for p in problems for c in p.candidates))
        self._label_job = EvalPlusJob(self.dataset, path, extra_args=self.grader_args,
                                      env=grader_env(None, self.env), base_only=self.base_only)
        return self._label_job

    def label_candidates(self, problems: list[Problem], work_dir: Path | None) -> None:
        """Set ``Candidate.label``: evalplus's base and plus status both pass (base only
        with ``base_only``)."""
        job = self._label_job or self.start_labelling(problems, self._work(work_dir))
        self._label_job = None
        self.label_run = job.wait()
        labels = load_labels(self.label_run.result_path, base_only=self.base_only)
        attach_labels({p.task_id: p.candidates for p in problems}, labels,
                      self.label_run.result_path)

    def grade_picks(self, picks: Mapping[str, str], work_dir: Path | None,
                    path: Path | None = None) -> dict[str, Any]:
        """Grade one program per task with evalplus; its numbers are the score."""
        path = path or self.picks_path or self._work(work_dir) / "picks.jsonl"
        write_samples(path, picks)
        self.picks_run = run_evalplus(self.dataset, path, extra_args=self.grader_args,
                                      env=grader_env(None, self.env), base_only=self.base_only)
        return evalplus_summary(self.picks_run)

    def add_to_report(self, report: dict[str, Any], graded: Any) -> None:
        """evalplus's numbers for all samples (vanilla) and for the picks (selected)."""
        if graded is None or self.samples is None:
            return
        candidates = evalplus_summary(self.label_run) if self.label_run else None
        attach_evalplus_report(report, self.dataset, Path(self.samples), graded, candidates,
                               self.env)

    def close(self) -> None:
        if self._label_job is not None:
            self._label_job.kill()
            self._label_job = None

    @staticmethod
    def _work(work_dir: Path | None) -> Path:
        if work_dir is None:
            raise UsageError("evalplus harness: needs a work folder for evalplus's files")
        return Path(work_dir)


@hookimpl
def register_harnesses(register):
    register("evalplus", EvalPlusHarness)


# ------------------------------------------------------------------ the API

@dataclass
class EvalPlusResult:
    """The selection run plus evalplus's numbers for all samples and for the picks."""

    run: Any  # pipeline.RunResult
    report: dict[str, Any]
    picks_path: Path
    picks: dict[str, Any]
    candidates: dict[str, Any] | None

    @property
    def selected_plus(self) -> float | None:
        return self.picks["scores"].get("plus_pass@1")


def evaluate_with_selection(dataset: str, samples: str | os.PathLike[str],
                            tests: str | os.PathLike[str] | None = None,
                            generator: str | None = None, selector: str = "coderm", *,
                            config: RunConfig | None = None,
                            out_dir: str | os.PathLike[str] | None = None,
                            picks_path: str | os.PathLike[str] | None = None,
                            dataset_file: str | os.PathLike[str] | None = None,
                            base_only: bool = False, grader_args: Sequence[str] = (),
                            trim: bool = True, echo: bool = False, **config_kwargs: Any
                            ) -> EvalPlusResult:
    """Select one candidate per task from evalplus ``samples`` and grade the picks with
    evalplus: the returned ``picks`` scores are evalplus's best-of-N numbers.

    Tests come from ``tests`` (recorded completions JSONL) or ``generator``
    (``name[:target]``).  ``config`` is a :class:`~coderm_evalplus.pipeline.RunConfig`
    (else one is built from ``selector`` and ``config_kwargs``).  Outputs go to
    ``out_dir`` (default ``<samples stem>.coderm-<selector>/``); the picks file given to
    evalplus is ``picks_path`` (default ``<samples stem>.coderm-<selector>.jsonl``).
    """
    if config is None:
        config = RunConfig(selector=selector, generator=generator, **config_kwargs)
    elif generator is not None:
        config.generator = generator
    samples_p = Path(samples)
    out = Path(out_dir) if out_dir else default_out_dir(samples_p, config.selector)
    picks_p = Path(picks_path) if picks_path else default_picks_path(samples_p, config.selector)
    harness = get_harness("evalplus", dataset=dataset, samples=samples_p,
                          dataset_file=Path(dataset_file) if dataset_file else None,
                          base_only=base_only, grader_args=list(grader_args), trim=trim,
                          picks_path=picks_p)
    problems = harness.load_problems()
    completions = None if tests is None else read_tests_for(tests, problems, require_all=True)
    done = run_harness(harness, config, problems=problems, completions=completions,
                       tests_source=tests or "generator", out_dir=out,
                       work_dir=out / "evalplus")
    if echo:
        sys.stdout.write(harness.picks_run.stdout if harness.picks_run else "")
    report = done.result.report
    return EvalPlusResult(done.result, report, picks_p, done.graded,
                          report["evalplus"]["candidates"])


def attach_evalplus_report(report: dict[str, Any], dataset: str, samples: Path,
                           picks: Mapping[str, Any], candidates: Mapping[str, Any] | None,
                           env: Mapping[str, str]) -> None:
    """Add evalplus's own numbers (all samples = vanilla, picks = selected) to the report."""
    var = DATASETS[dataset_name(dataset)][0]
    summary = report.get("summary", {})
    report["evalplus"] = {
        "dataset": dataset_name(dataset),
        "dataset_file": env.get(var) or os.environ.get(var),
        "samples": str(samples),
        "candidates": dict(candidates) if candidates else None,
        "picks": dict(picks),
        "vanilla_plus_pass@1": (candidates or {}).get("scores", {}).get("plus_pass@1"),
        "selected_plus_pass@1": picks["scores"].get("plus_pass@1"),
        "selected_base_pass@1": picks["scores"].get("base_pass@1"),
        "report_selected_pick": summary.get("selected_pick"),
        "note": ("evalplus 0.3.1 fails HumanEval/32 for every solution: the HumanEval+ "
                 "ceiling is 163/164" if dataset_name(dataset) == "humaneval" else
                 "MBPP+ Mbpp/255 needs EVALPLUS_MAX_MEMORY_BYTES=-1 for its canonical "
                 "solution to pass"),
    }


def format_comparison(report: Mapping[str, Any]) -> str:
    """One line: evalplus's vanilla vs selected pass@1 for the run's selector."""
    ev = report.get("evalplus") or {}
    sel = report.get("run", {}).get("selector")
    name = ev.get("dataset", "evalplus")

    def f(x: Any) -> str:
        return "n/a" if x is None else f"{x:.4f}"

    key = "plus" if ev.get("selected_plus_pass@1") is not None else "base"
    vanilla = (ev.get("candidates") or {}).get("scores", {}).get(f"{key}_pass@1")
    selected = ev.get(f"selected_{key}_pass@1")
    label = f"{name}+" if key == "plus" else f"{name} (base)"
    return (f"coderm-evalplus: {label} pass@1 (evalplus): vanilla {f(vanilla)} -> "
            f"selected by {sel} {f(selected)}")
