"""LiveCodeBench's own grader (``codegen_metrics``) on code lists, and LCB's output files.

The grader (``lcb_runner`` or PyPI ``nvidia-livecodebench``'s ``livecodebench``) is
imported only when present.  It labels every sample (vanilla pass@1, and the labels the
report's metrics need) and grades the picks (the number a LiveCodeBench user reports).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import UsageError
from .data import LCBProblem

GRADER_INSTALL = "pip install --no-deps nvidia-livecodebench==26.3 numpy tqdm"


def load_grader() -> Callable[..., Any] | None:
    """LiveCodeBench's ``codegen_metrics`` (``lcb_runner`` or ``livecodebench``), or None."""
    for module in ("lcb_runner.evaluation", "livecodebench.evaluation"):
        try:
            mod = __import__(module, fromlist=["codegen_metrics"])
        except ImportError:
            continue
        fn = getattr(mod, "codegen_metrics", None)
        if fn is not None:
            return fn
    return None


@dataclass
class GradeResult:
    """LCB's verdicts for a set of code lists: its metrics and one bool per code."""

    pass_at_1: float
    graded: dict[str, list[bool]]
    metadata: dict[str, list[str]]
    metrics: dict[str, Any]


def _plain(obj: Any) -> Any:
    """numpy scalars / int keys -> JSON-friendly values (LCB returns np.float64)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return obj.item()
    return obj


def _fd_stream() -> Any:
    """A stderr with a real file descriptor: LCB's grader calls ``faulthandler.enable()``
    per test, which fails (and grades every code wrong) when ``sys.stderr`` is an
    in-memory stream (pytest's capsys, notebooks, some CLIs)."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return stream
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            continue
    return open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def grade_code_lists(problems: Mapping[str, LCBProblem], codes: Mapping[str, Sequence[str]],
                     *, timeout: int = 6, processes: int = 4,
                     grader: Callable[..., Any] | None = None) -> GradeResult:
    """Grade ``codes`` with LiveCodeBench's ``codegen_metrics``.

    Its constraints are handled here: every problem needs the same number of codes
    (shorter lists are padded with empty programs, whose verdicts are dropped), and a
    set of one problem crashes its stderr computation (an empty copy of the problem is
    added).  pass@1 is recomputed from the kept verdicts, so padding never counts.
    The grader prints progress: it goes to stderr, keeping our stdout clean.
    """
    grader = grader or load_grader()
    if grader is None:
        raise UsageError(f"LiveCodeBench's grader is not installed ({GRADER_INSTALL})")
    qids = sorted(codes, key=str)
    width = max(len(codes[q]) for q in qids)
    samples = [problems[q].evaluation_sample() for q in qids]
    generations = [list(codes[q]) + [""] * (width - len(codes[q])) for q in qids]
    if len(qids) == 1:
        samples.append(samples[0])
        generations.append([""] * width)
    stream = _fd_stream()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        metrics, results, metadata = grader(samples, generations, k_list=[1],
                                            num_process_evaluate=processes, timeout=timeout)
    graded: dict[str, list[bool]] = {}
    meta: dict[str, list[str]] = {}
    for i, q in enumerate(qids):
        n = len(codes[q])
        # LCB's own rule (extract_instance_results): every recorded test result > 0.
        graded[q] = [bool(all(v > 0 for v in r)) for r in results[i][:n]]
        meta[q] = list(metadata[i][:n])
    per_problem = [sum(g) / len(g) for g in graded.values()]
    metrics = _plain(metrics)
    metrics["pass@1"] = sum(per_problem) / len(per_problem)
    metrics.setdefault("detail", {})["pass@1"] = {str(i): v for i, v in enumerate(per_problem)}
    return GradeResult(metrics["pass@1"], graded, meta, metrics)


def output_rows(problems: Mapping[str, LCBProblem], codes: Mapping[str, Sequence[str]]
                ) -> list[dict[str, Any]]:
    """Rows like LCB's ``*_codegeneration_output.json`` (problem fields + code_list)."""
    rows = []
    for q in sorted(codes, key=str):
        p = problems[q]
        rows.append({"question_title": p.question_title, "question_content": p.question_content,
                     "platform": p.platform, "question_id": q,
                     "contest_id": p.row.get("contest_id", ""), "contest_date": p.contest_date,
                     "starter_code": p.starter_code, "difficulty": p.difficulty,
                     "output_list": list(codes[q]), "code_list": list(codes[q])})
    return rows


def eval_all_rows(problems: Mapping[str, LCBProblem], codes: Mapping[str, Sequence[str]],
                  result: GradeResult) -> list[dict[str, Any]]:
    """Rows like LCB's ``*_eval_all.json``: output rows + graded_list, pass@1, metadata."""
    rows = output_rows(problems, codes)
    for row in rows:
        graded = result.graded[row["question_id"]]
        row.update({"graded_list": graded, "pass@1": sum(graded) / len(graded),
                    "metadata": result.metadata.get(row["question_id"], [])})
    return rows


def write_eval_files(stem: Path, problems: Mapping[str, LCBProblem],
                     codes: Mapping[str, Sequence[str]], result: GradeResult) -> list[Path]:
    """``STEM_eval.json`` (LCB's metrics) and ``STEM_eval_all.json`` (per problem)."""
    eval_path = stem.with_name(stem.name + "_eval.json")
    all_path = stem.with_name(stem.name + "_eval_all.json")
    metrics = dict(result.metrics)
    metrics["pass@1"] = result.pass_at_1
    eval_path.write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    all_path.write_text(json.dumps(eval_all_rows(problems, codes, result), indent=1),
                        encoding="utf-8")
    return [eval_path, all_path]
