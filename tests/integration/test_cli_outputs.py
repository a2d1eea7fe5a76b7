"""Where ``select`` / ``demo`` write, checked before any work; a run folder holds one run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from coderm_evalplus import demo

CLI = [sys.executable, "-m", "coderm_evalplus.cli"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=600)


def select_args(cache: Path, samples: Path | None = None) -> list[str]:
    return ["select", "--samples", str(samples or demo.samples_path()),
            "--tests", str(demo.tests_path()), "--problems", str(demo.problems_path()),
            "--labels", str(demo.labels_path()), "--no-progress", "--cache", str(cache)]


def test_out_is_an_existing_file_fails_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me\n")
    cache = tmp_path / "cache.sqlite"
    proc = run_cli(*select_args(cache), "-o", str(target))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0] and "file" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not cache.exists()  # nothing executed: the cache was never opened
    assert target.read_text() == "keep me\n"


def test_out_is_a_folder_of_other_files_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious\n")
    proc = run_cli(*select_args(tmp_path / "c.sqlite"), "-o", str(mine))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "not empty" in proc.stderr
    assert (mine / "notes.txt").read_text() == "precious\n"


def test_select_without_out_writes_next_to_the_samples_and_says_where(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    shutil.copy(demo.samples_path(), samples)
    proc = run_cli(*select_args(tmp_path / "c.sqlite", samples), "--selector", "codet")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "samples.coderm-codet"
    assert (out / "picks.jsonl").is_file() and (out / "report.json").is_file()
    assert f"wrote {out}" in " ".join(proc.stdout.split())


def test_demo_without_out_leaves_nothing_and_says_so(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.run([*CLI, "demo", "--no-progress", "--cache", str(tmp_path / "c")],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600, env={**__import__("os").environ, "TMPDIR": str(tmp)})
    assert proc.returncode == 0, proc.stderr
    assert "nothing written" in proc.stdout
    assert not any(p.name.startswith("coderm-demo") for p in tmp.iterdir())


def test_second_run_into_the_same_folder_replaces_the_first(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cache = tmp_path / "c.sqlite"
    first = run_cli(*select_args(cache), "--compare", "codet,first", "-o", str(out))
    assert first.returncode == 0, first.stderr
    assert (out / "picks" / "codet.jsonl").is_file()
    plots = run_cli("report", str(out), "--no-problems")
    assert plots.returncode == 0, plots.stderr
    assert list((out / "plots").glob("*.png"))
    second = run_cli(*select_args(cache), "--compare", "random", "-o", str(out))
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (out / "picks").iterdir()) == [
        "coderm.jsonl", "oracle.jsonl", "random.jsonl"]
    assert not (out / "plots").exists()  # the old report's plots went with it
    assert json.loads((out / "report.json").read_text())["run"]["compare"] == ["random"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_labels_out_that_cannot_be_a_file_fails_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    for out in (tmp_path, blocker / "labels.jsonl"):
        proc = run_cli("labels", "--samples", str(demo.samples_path()), "--problems",
                       "humaneval", "-o", str(out))
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and str(out) in proc.stderr
        assert "download" not in proc.stderr  # checked before the dataset is loaded
