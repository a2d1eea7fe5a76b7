"""``coderm-evalplus labels``: right labels under HumanEval's own 3 s limit (not 10 s),
and nothing but ``-o`` is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "coderm_evalplus.cli"]
ROOT = Path(__file__).resolve().parents[2]

PROBLEM = {"task_id": "T/0", "prompt": "def double(x):\n", "entry_point": "double",
           "test": "def check(candidate):\n    assert candidate(2) == 4\n"
                   "    assert candidate(-1) == -2\n"}
SOLUTIONS = ["def double(x):\n    return 2 * x\n",
             "def double(x):\n    return x + 2\n",
             "def double(x):\n    while True:\n        x += 1\n",
             # right, but after 2.5 s of CPU per call (5 s for the check): over HumanEval's
             # 3 s limit, under the 10 s labels used to allow
             "import time\n\ndef double(x):\n    t = time.process_time()\n"
             "    while time.process_time() - t < 2.5:\n        pass\n    return 2 * x\n"]


def test_labels_are_right_cheap_on_a_hang_and_write_only_the_output(tmp_path: Path) -> None:
    inputs, cwd = tmp_path / "inputs", tmp_path / "cwd"
    inputs.mkdir()
    cwd.mkdir()
    (inputs / "problems.jsonl").write_text(json.dumps(PROBLEM) + "\n")
    (inputs / "samples.jsonl").write_text("".join(
        json.dumps({"task_id": "T/0", "solution": s}) + "\n" for s in SOLUTIONS))
    out = tmp_path / "labels.jsonl"
    proc = subprocess.run(
        [*CLI, "labels", "--samples", str(inputs / "samples.jsonl"), "--problems",
         str(inputs / "problems.jsonl"), "--no-cache", "--no-progress", "--jobs", "1",
         "-o", str(out)],
        capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL, timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    # a candidate is cut after 3 s of CPU for the whole check, as HumanEval's own
    # harness does (timeout=3.0); the 10 s every hanging candidate used to get was most
    # of a labels run's time
    assert json.loads(out.read_text()) == {"task_id": "T/0",
                                           "labels": [True, False, False, False]}
    assert list(cwd.iterdir()) == []
