"""``evalplus.evaluate --selector`` as a user types it, without building a venv: a launcher
named ``evalplus.evaluate`` runs this repo's .pth line through ``site.addsitedir`` (as
site-packages would at start-up) and then evalplus's own ``main``.

Covered (issue 21 item 7): samples for a subset of the dataset's tasks are graded (a
trimmed dataset file, said in one line) instead of failing in evalplus's "Missing
problems in samples" assertion after all the work; ``--help`` lists our flags.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_evalplus_data import FILES, evalplus_env, last_printed, needs_data, write_case

from coderm_evalplus.harness.evalplus.cli import pth

REPO = Path(__file__).resolve().parents[2]

LAUNCHER = """import site, sys
site.addsitedir({pth_dir!r})
from evalplus.evaluate import main
main()
"""


@pytest.fixture
def evaluate(tmp_path: Path) -> list[str]:
    """argv prefix running ``evalplus.evaluate`` with this repo's start-up hook."""
    pytest.importorskip("evalplus")
    pth_dir = tmp_path / "site"
    pth_dir.mkdir()
    (pth_dir / pth.PTH_NAME).write_text(pth.pth_text(), encoding="utf-8")  # the shipped file
    launcher = tmp_path / "bin" / "evalplus.evaluate"
    launcher.parent.mkdir()
    launcher.write_text(LAUNCHER.format(pth_dir=str(pth_dir)))
    return [sys.executable, str(launcher)]


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def test_help_mentions_our_flags(evaluate: list[str]) -> None:
    proc = subprocess.run([*evaluate, "--help"], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env=child_env(PAGER="cat"))
    assert proc.returncode in (0, 2), proc.stderr  # evalplus 0.3.1's --help exits 2
    text = proc.stdout + proc.stderr  # fire prints evaluate's help to stderr
    assert "--samples" in text  # evalplus's own help is still there
    assert "--selector NAME" in text and "--tests FILE" in text
    assert text.index("--samples") < text.index("--selector NAME")


@pytest.mark.parametrize("flag, value", [("--jobs", "0"), ("--tests-format", "yaml")])
def test_a_bad_value_of_our_flag_is_one_line(evaluate: list[str], tmp_path: Path, flag: str,
                                            value: str) -> None:
    """argparse used to print the usage block of our flags before its error."""
    proc = subprocess.run([*evaluate, "--dataset", "humaneval", "--samples",
                           str(tmp_path / "s.jsonl"), "--selector", "coderm", "--tests",
                           str(tmp_path / "t.jsonl"), flag, value], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, env=child_env())
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"evalplus.evaluate --selector: error: argument {flag}: ")
    assert lines[0].endswith("(see `evalplus.evaluate --help`)"), lines[0]


@needs_data
def test_subset_of_tasks_is_graded_on_a_trimmed_dataset(evaluate: list[str],
                                                         tmp_path: Path) -> None:
    case = write_case("humaneval", tmp_path / "case")
    assert len(case.tasks) < 164
    with evalplus_env(tmp_path / "xdg"):
        proc = subprocess.run(
            [*evaluate, "--dataset", "humaneval", "--samples", str(case.samples),
             "--selector", "coderm", "--tests", str(case.tests), "--no-cache"],
            capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
            env=child_env(HUMANEVAL_OVERRIDE_PATH=str(FILES["humaneval"])))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "Missing problems" not in output
    assert f"cover {len(case.tasks)} tasks" in output
    # the vote picks the canonical solution of every task: evalplus prints 100 / 100
    assert last_printed(proc.stdout) == {"base_pass@1": 1.0, "plus_pass@1": 1.0}
    report = json.loads((case.samples.with_name("samples.coderm-coderm") / "report.json")
                        .read_text())
    assert report["summary"]["tasks"] == len(case.tasks)
