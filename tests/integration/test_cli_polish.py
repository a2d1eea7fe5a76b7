"""What a new user meets at the command line's edges (issue 21 item 8): --version, help
for every option, tables that fit 80 columns when piped, an honest progress bar,
one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from coderm_evalplus import demo
from coderm_evalplus.cli import build_parser

CLI = [sys.executable, "-m", "coderm_evalplus.cli"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"coderm-evalplus \d+\.\d+\S*\n", proc.stdout), proc.stdout


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command", ["select", "labels", "demo", "regress"])
def test_every_option_has_help(command: str) -> None:
    missing = [a.option_strings[-1] for a in _subparser(command)._actions
               if a.option_strings and not a.help]
    assert missing == []


@pytest.mark.parametrize("args", [["demo", "--jobs", "0"],
                                  ["select", "--samples", "x", "--jobs", "-2"],
                                  ["labels", "--samples", "x", "--problems", "humaneval",
                                   "-o", "y", "--jobs", "0"]])
def test_jobs_below_one_is_one_line_exit_2(args: list[str]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--jobs" in lines[0] and ">= 1" in lines[0], proc.stderr


def test_unterminated_string_error_reads_once(tmp_path: Path) -> None:
    bad = tmp_path / "samples.jsonl"
    bad.write_text('{"task_id": "T/0", "solution": "def f(\n')
    proc = run_cli("select", "--samples", str(bad), "--tests", str(demo.tests_path()),
                   "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert "\n" not in line and f"{bad}:1" in line and "column" in line, line
    assert "at at" not in line


def wide_report() -> dict:
    """A CodeT-sized report: HumanEval ids, 100 candidates, thousands of tests."""
    problems = [{"task_id": f"HumanEval/{100 + i}", "candidates": 100, "tests": 1234,
                 "rejected": 321, "pick": 99, "tied": list(range(100)), "score": 1234.0,
                 "pick_correct": i % 2 == 0, "expected": 0.123456, "vanilla": 1.0,
                 "passed": [1234] * 100} for i in range(3)]
    per = {name: {"selected": 0.2496, "selected_pick": 0.25}
           for name in ("first", "random", "coderm", "codet", "robust", "fewest-failures")}
    return {"run": {"selector": "codet", "compare": list(per)},
            "cost": {"pairs_total": 405446, "pairs_distinct": 283255,
                     "pairs_executed": 283255, "cache_hits": 0,
                     "seconds": {"execute": 34.2},
                     "verdicts": {"PASS": 100000, "FAIL": 183255, "ERROR": 122191,
                                  "TIMEOUT": 0, "CRASH": 0},
                     "isolation": {"root": True, "uid_drop": True, "netns": True,
                                   "workdir": "/tmp/coderm-sbx-j2wmg4uf"}},
            "summary": {"tasks": 3, "vanilla_pass@1": 0.1082, "selected": 0.2496,
                        "selected_pick": 0.25, "oracle": 0.575, "per_selector": per},
            "test_quality": {"individual": {"acc": 0.5, "f1": 0.5, "far": 0.5, "frr": 0.5},
                             "vote": {"acc": 0.5, "f1": 0.5, "far": 0.5, "frr": 0.5}},
            "problems": problems}


def test_tables_fit_80_columns_when_piped(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.json").write_text(json.dumps(wide_report()))
    proc = run_cli("report", str(run), "--no-plots", env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in proc.stdout and "..." not in proc.stdout
    for needle in ("passed", "E[acc]", "vanilla", "HumanEval/101", "1234", "12.35%",
                   "fewest-failures", "283255", "coderm-sbx-j2wmg4uf"):
        assert needle in proc.stdout.replace("\n", ""), needle


def test_without_labels_the_summary_says_how_to_get_them(tmp_path: Path) -> None:
    report = wide_report()
    report["summary"] = {"tasks": 3, "per_selector": {}}
    report["test_quality"] = None
    for p in report["problems"]:
        p.update(pick_correct=None, expected=None, vanilla=None)
    (tmp_path / "report.json").write_text(json.dumps(report))
    proc = run_cli("report", str(tmp_path), "--no-plots", env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(proc.stdout.split())
    assert "--labels" in flat and "coderm-evalplus labels" in flat
    assert "E[acc]" not in flat  # no all-dash label columns


def test_fully_cached_run_prints_no_zero_rate(tmp_path: Path) -> None:
    report = wide_report()
    report["cost"].update(pairs_executed=0, cache_hits=283255)
    (tmp_path / "report.json").write_text(json.dumps(report))
    proc = run_cli("report", str(tmp_path), "--no-plots", "--no-problems")
    assert proc.returncode == 0, proc.stderr
    rate = next(line for line in proc.stdout.splitlines() if "pairs / second" in line)
    assert "0.0" not in rate and "cache" in rate


def _run_in_pty(args: list[str]) -> str:
    """stdout/stderr of the CLI on a pseudo-terminal, so the progress bar is live."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    proc = subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=600)
    os.close(leader)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    return b"".join(chunks).decode(errors="replace")


def test_progress_total_is_never_a_guess(tmp_path: Path) -> None:
    """Duplicated candidates run once: 10 copies x 3 distinct programs x 4 tests is 120
    pairs but 12 to run.  The bar must never show 120 (or any total it later shrinks
    from), and no ETA."""
    programs = ["def f(x):\n    return x\n", "def f(x):\n    return -x\n",
                "def f(x):\n    return 0\n"]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "T/0", "solution": p}) + "\n"
                               for p in programs * 10))
    tests = tmp_path / "tests.jsonl"
    tests.write_text(json.dumps({"task_id": "T/0", "format": "assert", "completions": [
        f"assert f({i}) == {i}" for i in range(4)]}) + "\n")
    out = _run_in_pty(["select", "--samples", str(samples), "--tests", str(tests),
                       "--no-cache", "-o", str(tmp_path / "run")])
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)  # colours, cursor moves
    totals = set(re.findall(r"\b\d+/(\d+|\?)", text))
    assert totals and totals <= {"?", "12"}, totals
    assert "eta" not in text.lower()


def test_regress_scores_table_never_elides_a_name() -> None:
    """At 80 columns "codet…" stood for both the codet_dev set and codet-sqrt."""
    repo = Path(__file__).resolve().parents[2]
    proc = run_cli("regress", "--sets", "demo", "--expected",
                   str(repo / "regression" / "expected.json"), env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout and "codet-" in proc.stdout and "sqrt" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
