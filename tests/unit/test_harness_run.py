"""run_harness: a harness registered through the ``register_harnesses`` hook is found by
name and driven label -> select -> grade picks -> report, on the embedded demo set."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from coderm_evalplus.errors import InputError
from coderm_evalplus.harness.base import BaseHarness
from coderm_evalplus.harness.run import run_harness
from coderm_evalplus.hookspecs import hookimpl
from coderm_evalplus.inputs.problems import load_demo
from coderm_evalplus.model import Problem
from coderm_evalplus.pipeline import RunConfig
from coderm_evalplus.plugins import harnesses, load_plugins

TASKS = 3


class RecordingHarness(BaseHarness):
    """Serves the first demo tasks; records which step ran when, and labels every
    candidate with the demo's labels only when asked to (they start unset)."""

    name = "recording"

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls
        problems, _, _ = load_demo()
        self.problems = problems[:TASKS]
        self.labels = {p.task_id: [c.label for c in p.candidates] for p in self.problems}
        for p in self.problems:
            for c in p.candidates:
                c.label = None
                c.source = "# wrapped\n" + c.source  # restore_sources takes this off

    def load_problems(self, **options: Any) -> list[Problem]:
        self.calls.append("load")
        return self.problems

    def prepare(self, problems: Sequence[Problem], work_dir: Path | None) -> None:
        self.calls.append("prepare")

    def label_candidates(self, problems: list[Problem], work_dir: Path | None) -> None:
        self.calls.append("label")
        for p in problems:
            for c, ok in zip(p.candidates, self.labels[p.task_id], strict=True):
                c.label = ok

    def close(self) -> None:
        self.calls.append("close")

    def restore_sources(self, problems: Sequence[Problem]) -> None:
        self.calls.append("restore")
        for p in problems:
            for c in p.candidates:
                c.source = c.source.removeprefix("# wrapped\n")

    def grade_picks(self, picks: Mapping[str, str], work_dir: Path | None) -> dict[str, Any]:
        self.calls.append("grade")
        return {"graded": sorted(picks), "wrapped": any("# wrapped" in s for s in picks.values())}

    def add_to_report(self, report: dict[str, Any], graded: Any) -> None:
        self.calls.append("report")
        report["recording"] = graded


class Plugin:
    @hookimpl
    def register_harnesses(self, register):
        register("recording", RecordingHarness)


@pytest.fixture
def plugin() -> Iterator[None]:
    pm = load_plugins()
    pm.register(Plugin(), name="test-recording-harness")
    try:
        yield
    finally:
        pm.unregister(name="test-recording-harness")


def config() -> RunConfig:
    return RunConfig(selector="coderm", compare=["first"], cache_path=None, progress=False,
                     jobs=2)


def demo_tests() -> tuple[dict[str, list[str]], dict[str, str]]:
    _, completions, formats = load_demo()
    return completions, formats


def test_a_registered_harness_runs_by_name_in_order(plugin: None, tmp_path: Path) -> None:
    assert "recording" in harnesses()
    calls: list[str] = []
    completions, formats = demo_tests()
    done = run_harness("recording", config(), harness_options={"calls": calls},
                       completions=completions, test_formats=formats, out_dir=tmp_path / "out")
    assert calls == ["load", "prepare", "label", "close", "restore", "grade", "report"]
    tasks = sorted(p.task_id for p in done.result.problems)
    assert len(tasks) == TASKS and done.graded == {"graded": tasks, "wrapped": False}
    assert done.picks == done.result.picks()
    # labels set by the harness reach the report's metrics; its section is in report.json
    assert done.result.report["summary"]["selected"] is not None
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written["recording"] == done.graded


def test_without_grading_the_report_still_gets_the_harness_section(plugin: None) -> None:
    calls: list[str] = []
    completions, formats = demo_tests()
    done = run_harness("recording", config(), harness_options={"calls": calls},
                       completions=completions, test_formats=formats, grade=False)
    assert "grade" not in calls and done.graded is None
    assert calls[-1] == "report" and done.result.report["recording"] is None


def test_close_runs_when_the_selection_stage_fails(plugin: None) -> None:
    calls: list[str] = []
    with pytest.raises(InputError, match="no recorded tests"):
        run_harness("recording", config(), harness_options={"calls": calls},
                    completions={"nope": ["assert True"]}, tests_source="t.jsonl")
    assert calls == ["load", "prepare", "close"]
