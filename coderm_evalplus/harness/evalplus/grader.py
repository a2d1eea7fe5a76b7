"""evalplus's own grader, run on a samples file in a child process.

We never re-implement evalplus's checks: every label and every score comes from running
``evalplus.evaluate`` (0.3.1) on a samples file in a subprocess and reading the
``*_eval_results.json`` it writes.  Why a subprocess, and the pitfalls it works around:

* ``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH`` are read once, when
  ``evalplus.data`` is first imported: a child process gets them from its environment,
  so a subset run can point evalplus at a trimmed dataset file (evalplus asserts that
  the samples cover every task of its dataset file).
* An existing ``*_eval_results.json`` beside the samples is silently reused (and with
  ``--i_just_wanna_run`` evalplus asks on stdin): we delete it first and give the child
  no stdin.
* A watchdog thread keeps evalplus alive ~20 s after it has written its results: the
  child runs :func:`_grader_main`, which calls evalplus's own CLI entry and then leaves
  with ``os._exit`` once the result file is on disk.
* ``EVALPLUS_TIMEOUT_PER_TASK`` crashes 0.3.1: we drop it from the child's environment.
* HumanEval/32 fails for every solution in 0.3.1 (its ``find_zero`` special check):
  the HumanEval+ ceiling is 163/164 whatever the selector.  MBPP+'s canonical Mbpp/255
  needs ``EVALPLUS_MAX_MEMORY_BYTES=-1`` to pass its plus tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import RunError
from ...inputs.problem_sets import dataset_name

#: evalplus.evaluate parameters that only change *how* it grades (safe to pass on to
#: the grading of all candidates); anything else (``--model`` ...) would start codegen.
GRADER_FLAGS = ("base_only", "parallel", "test_details", "min_time_limit",
                "gt_time_limit_factor", "mini", "noextreme", "version")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SECTION = re.compile(r"^(?P<name>\S+?)(?P<plus>\+)? \((?P<what>base tests|base \+ extra tests)\)$")
_PASS = re.compile(r"^pass@(?P<k>\d+):\s*(?P<v>[0-9.]+)$")


def result_path_for(samples: str | os.PathLike[str]) -> Path:
    """Where evalplus 0.3.1 writes (and silently re-reads) its results for ``samples``."""
    s = Path(samples)
    if s.is_dir():
        return s / "eval_results.json"
    return Path(str(s).replace(".jsonl", "_eval_results.json"))


def parse_printed_scores(stdout: str) -> dict[str, float]:
    """The pass@k lines evalplus prints: ``{"base_pass@1": .., "plus_pass@1": ..}``
    (3 decimals, as printed)."""
    scores: dict[str, float] = {}
    section = None
    for raw in stdout.splitlines():
        line = _ANSI.sub("", raw).strip()
        m = _SECTION.match(line)
        if m:
            section = "plus" if m.group("what").startswith("base +") else "base"
            continue
        m = _PASS.match(line)
        if m and section:
            scores[f"{section}_pass@{m.group('k')}"] = float(m.group("v"))
    return scores


def scores_from_results(results: Mapping[str, Any], base_only: bool = False) -> dict[str, float]:
    """pass@1 recomputed from a results dict exactly as evalplus does (mean over tasks of
    the fraction of a task's samples that pass), unrounded."""
    evals = results["eval"]
    if not evals:
        return {}
    base = [sum(r["base_status"] == "pass" for r in rs) / len(rs) for rs in evals.values()]
    out = {"base_pass@1": sum(base) / len(base), "tasks": float(len(base))}
    if not base_only:
        plus = [sum(r["base_status"] == r.get("plus_status") == "pass" for r in rs) / len(rs)
                for rs in evals.values()]
        out["plus_pass@1"] = sum(plus) / len(plus)
    return out


@dataclass
class EvalPlusRun:
    """One finished ``evalplus.evaluate`` run."""

    samples: Path
    result_path: Path
    stdout: str
    printed: dict[str, float]
    scores: dict[str, float]
    results: dict[str, Any]
    seconds: float


def grader_env(env: Mapping[str, str] | None = None,
               overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ours (or ``env``), the dataset overrides, minus the
    variable that crashes 0.3.1."""
    out = dict(os.environ if env is None else env)
    out.update(overrides or {})
    out.pop("EVALPLUS_TIMEOUT_PER_TASK", None)
    out.setdefault("TOKENIZERS_PARALLELISM", "false")
    return out


class EvalPlusJob:
    """``evalplus.evaluate`` running in a child process; :meth:`wait` collects it.

    Started early so evalplus grades all candidates while our executor runs the tests.
    """

    def __init__(self, dataset: str, samples: str | os.PathLike[str], *,
                 extra_args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                 base_only: bool = False, log_path: str | os.PathLike[str] | None = None
                 ) -> None:
        self.dataset = dataset_name(dataset)
        self.samples = Path(samples)
        self.base_only = base_only
        self.result_path = result_path_for(self.samples)
        self.result_path.unlink(missing_ok=True)  # evalplus would silently reuse it
        self.log_path = Path(log_path) if log_path else self.result_path.with_suffix(".log")
        args = ["--dataset", self.dataset, "--samples", str(self.samples), *extra_args]
        if base_only and "--base_only" not in args and "--base-only" not in args:
            args.append("--base_only")
        self._log = self.log_path.open("w+", encoding="utf-8")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coderm_evalplus.harness.evalplus.grader", *args],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env=grader_env(env), start_new_session=True)

    def wait(self, timeout: float | None = None) -> EvalPlusRun:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RunError(f"evalplus.evaluate on {self.samples} did not finish within "
                           f"{timeout:.0f} s (log: {self.log_path})") from None
        self._log.seek(0)
        stdout = self._log.read()
        self._log.close()
        seconds = time.monotonic() - self.started
        if code != 0 or not self.result_path.is_file():
            tail = " | ".join(line for line in stdout.strip().splitlines()[-3:])
            raise RunError(f"evalplus.evaluate failed on {self.samples} (exit {code}; "
                           f"log {self.log_path}): {tail}")
        results = json.loads(self.result_path.read_text(encoding="utf-8"))
        return EvalPlusRun(self.samples, self.result_path, stdout,
                           parse_printed_scores(stdout),
                           scores_from_results(results, self.base_only), results, seconds)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._log.closed:
            self._log.close()


def run_evalplus(dataset: str, samples: str | os.PathLike[str], **kwargs: Any) -> EvalPlusRun:
    """Run evalplus's grader on ``samples`` and wait for it (see :class:`EvalPlusJob`)."""
    timeout = kwargs.pop("timeout", None)
    return EvalPlusJob(dataset, samples, **kwargs).wait(timeout)


def _grader_main(argv: list[str]) -> int:
    """Child entry: evalplus's own CLI (``fire`` over ``evaluate``), then leave at once so
    its 20 s watchdog thread does not hold the process (results are already on disk)."""
    code = 0
    try:
        from evalplus.evaluate import main

        sys.argv = ["evalplus.evaluate", *argv]
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def evalplus_summary(run: EvalPlusRun) -> dict[str, Any]:
    """What the report keeps of an evalplus run."""
    return {"samples": str(run.samples), "result_file": str(run.result_path),
            "printed": run.printed, "scores": run.scores, "seconds": round(run.seconds, 1)}


if __name__ == "__main__":  # the evalplus child process (see _grader_main)
    _grader_main(sys.argv[1:])
