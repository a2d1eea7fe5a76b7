"""report.py: tables carry the numbers, JSON is strict, PNGs are real images of the
requested size, and the `report` sub-command works end to end on a run dir."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from coderm_evalplus import report as rp
from coderm_evalplus.cli import main
from coderm_evalplus.errors import InputError


def sample_report() -> dict:
    return {
        "run": {"selector": "coderm", "seed": 7, "sandbox": "local", "time_limit": 1.0,
                "num_tests": None, "samples": "S.jsonl", "tests": "T.jsonl"},
        "cost": {"pairs_total": 1200, "pairs_executed": 950, "cache_hits": 250,
                 "seconds": {"execute": 12.5, "generate": 0.0, "extract": 0.25}},
        "summary": {"tasks": 3, "vanilla_pass@1": 0.4296, "selected": 0.916667,
                    "selected_pick": 0.9, "oracle": 1.0,
                    "per_selector": {"coderm": {"selected": 0.916667, "selected_pick": 0.9},
                                     "codet": {"selected": 0.8123, "selected_pick": 0.75},
                                     "random": {"selected": 0.4296, "selected_pick": 0.5}}},
        "test_quality": {"individual": {"acc": 0.6964, "f1": 0.6363, "far": 0.1117,
                                        "frr": 0.3855},
                         "vote": {"acc": 0.8046, "f1": 0.8127, "far": 0.1648, "frr": 0.2271}},
        "problems": [
            {"task_id": "Demo/0", "candidates": 8, "tests": 7, "rejected": 1, "pick": 2,
             "tied": [0, 1, 2], "score": 7.0, "pick_correct": True, "expected": 1.0,
             "vanilla": 0.375, "scores": [7, 7, 7, 4, 4, 4, 4, 5]},
            {"task_id": "Demo/8", "candidates": 8, "tests": 6, "rejected": 1, "pick": 3,
             "tied": [2, 3, 4, 7], "score": 5, "pick_correct": False, "expected": 0.0,
             "vanilla": 0.375, "scores": [2, 2, 5, 5, 5, 3, 2, 5]},
            {"task_id": "Demo/99", "candidates": 3},  # a partial entry must still render
        ],
        "curves": {"tests": {"m": [1, 2, 4, 7], "mean": [0.55, 0.7, 0.85, 0.9167],
                             "lo": [0.45, 0.6, 0.78, 0.9], "hi": [0.65, 0.8, 0.92, 0.95]}},
        "grader": {"name": "labels-file", "pass@1": 0.9},
    }


def render_text(report: dict, **kw) -> str:
    console = Console(record=True, width=160, color_system=None)
    rp.render(report, console, **kw)
    return console.export_text()


def test_tables_show_every_number_as_percent_or_count() -> None:
    text = render_text(sample_report())
    # summary per selector, with shared vanilla / oracle
    for needle in ("coderm", "codet", "random", "42.96%", "91.67%", "90.00%", "81.23%",
                   "75.00%", "100.00%", "3 tasks"):
        assert needle in text, needle
    # test quality
    for needle in ("69.64%", "63.63%", "11.17%", "38.55%", "80.46%", "81.27%", "16.48%",
                   "22.71%"):
        assert needle in text, needle
    # cost: pairs, cache hits, seconds, throughput 950 / 12.5 = 76.0
    for needle in ("1200", "950", "250", "12.50", "0.00", "12.75", "76.0"):
        assert needle in text, needle
    # grader section
    assert "labels-file" in text


def test_problem_rows_have_pick_score_tie_and_label() -> None:
    text = render_text(sample_report())
    row0 = next(line for line in text.splitlines() if "Demo/0" in line)
    cells = row0.split()
    assert cells == ["Demo/0", "8", "7", "1", "2", "7", "3", "yes", "100.00%", "37.50%"]
    row8 = next(line for line in text.splitlines() if "Demo/8" in line)
    cells = row8.split()
    assert cells == ["Demo/8", "8", "6", "1", "3", "5", "4", "no", "0.00%", "37.50%"]
    row99 = next(line for line in text.splitlines() if "Demo/99" in line)
    assert row99.count(rp.DASH) == 8  # everything but task id and candidates unknown


def test_user_strings_are_not_read_as_rich_markup() -> None:
    report = sample_report()
    report["problems"][0]["task_id"] = "Task/[bold]1"
    report["run"]["samples"] = "runs/[red]x.jsonl"
    text = render_text(report)
    assert "Task/[bold]1" in text and "runs/[red]x.jsonl" in text
    assert "E[acc]" in text


def test_cost_table_reads_the_pipeline_extras() -> None:
    report = {"cost": {"pairs_total": 10, "pairs_distinct": 8, "pairs_executed": 6,
                       "cache_hits": 2, "pairs_per_second": 123.4,
                       "verdicts": {"PASS": 5, "TIMEOUT": 1},
                       "isolation": {"netns": True}, "seconds": {"execute": 0.5}}}
    console = Console(record=True, width=120, color_system=None)
    rp.print_report(report, console)
    text = console.export_text()
    for needle in ("distinct pairs", "123.4", "pass 5, timeout 1", "netns=True", "0.50"):
        assert needle in text, needle
    assert "12.0" not in text  # the recorded rate wins over executed / seconds


def test_missing_sections_are_skipped_not_fatal() -> None:
    text = render_text({"summary": {"tasks": 2, "vanilla_pass@1": 0.5, "selected": None}})
    assert "50.00%" in text and rp.DASH in text
    assert "Test quality" not in text and "Run cost" not in text
    assert render_text({}) == ""


def test_problem_limit_adds_a_caption() -> None:
    text = render_text(sample_report(), limit=1)
    assert "Demo/0" in text and "Demo/8" not in text
    assert "2 more problems not shown" in text


@pytest.mark.parametrize("value,expected", [
    (0.123456, "12.35%"), (1, "100.00%"), (None, rp.DASH), (float("nan"), rp.DASH),
    (True, rp.DASH), ("0.5", rp.DASH)])
def test_pct(value, expected) -> None:
    assert rp.pct(value) == expected


def test_write_json_is_strict_and_converts_numpy(tmp_path: Path) -> None:
    report = sample_report()
    report["summary"]["oracle"] = float("nan")
    report["problems"][0]["scores"] = np.array([7, 7, 4], dtype=np.int8)
    report["cost"]["pairs_total"] = np.int64(1200)
    report["run"]["samples"] = tmp_path / "S.jsonl"
    out = rp.write_json(report, tmp_path / "sub" / "report.json")
    text = out.read_text(encoding="utf-8")
    assert "NaN" not in text
    data = json.loads(text)
    assert data["summary"]["oracle"] is None
    assert data["problems"][0]["scores"] == [7, 7, 4]
    assert data["cost"]["pairs_total"] == 1200
    assert data["run"]["samples"] == str(tmp_path / "S.jsonl")
    assert list(out.parent.iterdir()) == [out]  # no temp file left behind


def test_load_report_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no report here"):
        rp.load_report(tmp_path)
    bad = tmp_path / "report.json"
    bad.write_text('{\n  "summary": {,\n}')
    with pytest.raises(InputError) as info:
        rp.load_report(tmp_path)
    assert str(info.value).startswith(f"{bad}:2: not valid JSON")
    assert "\n" not in str(info.value)
    bad.write_bytes(b'{"x": "\xff"}')
    with pytest.raises(InputError, match="not UTF-8"):
        rp.load_report(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="expected a JSON object"):
        rp.load_report(bad)


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.format == "PNG"
        pixels = np.asarray(img.convert("RGB"))
    return pixels


def test_plots_are_real_pngs_of_the_requested_size(tmp_path: Path) -> None:
    paths = rp.write_plots(sample_report(), tmp_path / "plots")
    assert [p.name for p in paths] == ["accuracy_vs_tests.png", "score_distribution.png"]
    for path in paths:
        pixels = _png(path)
        assert pixels.shape == (500, 800, 3)
        # something was drawn: many distinct colours, not a blank canvas
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20
    small = rp.plot_scores(sample_report(), tmp_path / "s.png", size=(4, 3), dpi=50)
    assert small is not None and _png(small).shape == (150, 200, 3)


def test_plots_skip_what_the_report_lacks(tmp_path: Path) -> None:
    report = sample_report()
    del report["curves"]
    for p in report["problems"]:
        p.pop("scores", None)
    paths = rp.write_plots(report, tmp_path)
    assert [p.name for p in paths] == ["score_distribution.png"]  # picks' scores only
    assert rp.write_plots({"summary": {}}, tmp_path / "none") == []
    assert rp.plot_curves({"curves": {"tests": {"m": [1, 2], "mean": [0.5]}}},
                          tmp_path / "c.png") is None  # inconsistent lengths


def test_fake_missing_matplotlib_gives_install_hint(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with pytest.raises(rp.PlotsUnavailable) as info:
        rp.write_plots(sample_report(), tmp_path)
    assert "pip install 'coderm-evalplus[plots]'" in str(info.value)
    run = tmp_path / "run"
    rp.write_json(sample_report(), run / "report.json")
    assert main(["report", str(run), "--plots", str(tmp_path / "p")]) == 1
    assert main(["report", str(run)]) == 0  # default plots: a note, tables still printed


def test_report_command_prints_tables_and_writes_json_and_plots(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    rp.write_json(sample_report(), run / "report.json")
    copy = tmp_path / "copy.json"
    assert main(["report", str(run), "--json", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "91.67%" in out and "Demo/8" in out and "80.46%" in out
    assert json.loads(copy.read_text())["summary"]["selected"] == pytest.approx(0.916667)
    for name in ("accuracy_vs_tests.png", "score_distribution.png"):
        assert _png(run / "plots" / name).shape == (500, 800, 3)


def test_report_command_bad_input_exits_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("coderm-evalplus: error: ") and "\n" not in err


def test_score_plot_uses_tests_passed_for_picks_and_candidates_alike() -> None:
    """codet's own scores are cluster size x tests passed (thousands); the plot must not
    put them on one axis with the picks' tests passed (issue 21 item 5)."""
    report = {"run": {"selector": "codet"}, "problems": [
        {"task_id": "T/0", "tests": 10, "score": 6.0, "scores": [6804, 12, 6804, 0],
         "passed": [6, 4, 6, 0]},
        {"task_id": "T/1", "tests": 4, "score": 4, "scores": [900, 900], "passed": [4, 4]},
        {"task_id": "T/2", "tests": 0, "score": 0, "scores": [0], "passed": [0]},  # no tests
    ]}
    picks, everyone = rp._passed_fractions(report)
    assert picks == [0.6, 1.0]
    assert everyone == [0.6, 0.4, 0.6, 0.0, 1.0, 1.0]
    del report["problems"][0]["passed"]  # an older report: picks only, never `scores`
    assert rp._passed_fractions(report)[1] == [1.0, 1.0]


def test_report_rows_carry_every_candidates_tests_passed() -> None:
    from coderm_evalplus.inputs.problems import load_demo
    from coderm_evalplus.pipeline import RunConfig, run

    problems, completions, formats = load_demo()
    config = RunConfig(selector="codet", compare=["codet"], cache_path=None, progress=False)
    result = run(problems, config, completions=completions, test_formats=formats)
    for row in result.report["problems"]:
        passed = result.matrices[row["task_id"]].passed.sum(axis=1).tolist()
        assert row["passed"] == passed
        assert row["score"] == passed[row["pick"]]
