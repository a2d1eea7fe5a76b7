"""Recorded tests (raw test-generator completions) -> ``dict[task_id, list[str]]``.

Our format, one JSON object per line::

    {"task_id": "HumanEval/0",              # required, str
     "completions": ["...", "..."],         # required, non-empty list of str: the raw
                                            #   model outputs, one per sampled test
     "model": "CodeRM-8B",                  # optional: what generated them
     "prompts": ["..."] or "...",           # optional: the message(s) sent
     "format": "unittest"}                  # optional: auto (default), unittest, assert
    # any other keys are kept in RecordedTask.extra and otherwise ignored

A task may appear on several lines: its completions are concatenated in file order
(appending a run's new tests is one ``>>``).  CodeT's ``test_case`` files are read as
they are: each sample continues a prompt ending with ``assert ``, so the completion
becomes ``"assert " + sample``.  Every generator backend writes this same format, so a
generation run can be replayed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Problem
from .codet import codet_rows, codet_task_ids, is_codet_row
from .jsonl import first_row, get_str, get_str_list, get_task_id, iter_jsonl, write_jsonl

TEST_FORMATS = ("auto", "recorded", "codet")


@dataclass
class RecordedTask:
    """The recorded test-generator output of one task (all its lines merged)."""

    task_id: str
    completions: list[str] = field(default_factory=list)
    model: str | None = None
    prompts: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    format: str = "auto"  # test format for extract.extract_all: auto, unittest, assert


def detect_tests_format(path: str | os.PathLike[str]) -> str:
    """``"codet"`` for CodeT ``{prompt, samples}`` lines, else ``"recorded"``."""
    row = first_row(Path(path))
    return "codet" if row is not None and is_codet_row(row) else "recorded"


def read_recorded_test_rows(path: str | os.PathLike[str],
                            problems: Mapping[str, Problem] | None = None,
                            fmt: str = "auto",
                            task_ids: Sequence[str] | str | os.PathLike[str] | None = None,
                            ) -> dict[str, RecordedTask]:
    """Recorded tests per task with their metadata (see the module docstring)."""
    if fmt not in TEST_FORMATS:
        raise ValueError(f"unknown tests format {fmt!r}")
    p = Path(path)
    if fmt == "auto":
        fmt = detect_tests_format(p)
    out: dict[str, RecordedTask] = {}
    if fmt == "codet":
        rows = codet_rows(p)
        tids = codet_task_ids(p, rows, problems, task_ids)
        for (lineno, row), tid in zip(rows, tids, strict=True):
            prompt = row["prompt"]
            # The prompt ends inside an assert: the sample is the rest of that statement.
            lead = "assert " if prompt.rstrip(" ").endswith("assert") else ""
            task = out.setdefault(tid, RecordedTask(tid, model="codet", format="assert"))
            task.completions.extend(lead + s for s in row["samples"])
            task.prompts.append(prompt)
            task.lines.append(lineno)
        return out
    for lineno, row in iter_jsonl(p):
        if is_codet_row(row):
            raise InputError(p, "CodeT line (prompt, samples) in a recorded tests file",
                             line=lineno, field="task_id")
        tid = get_task_id(p, lineno, row, problems)
        completions = get_str_list(p, lineno, row, "completions", tid)
        task = out.setdefault(tid, RecordedTask(tid))
        task.completions.extend(completions)
        task.lines.append(lineno)
        if "model" in row:
            task.model = get_str(p, lineno, row, "model", tid)
        if "prompts" in row:
            prompts = row["prompts"]
            if isinstance(prompts, str):
                prompts = [prompts]
            elif isinstance(prompts, list) and all(isinstance(x, (str, list, dict))
                                                   for x in prompts):
                pass
            else:
                raise InputError(p, "expected a string or a list", line=lineno, task=tid,
                                 field="prompts")
            task.prompts.extend(prompts)
        if "format" in row:
            task.format = get_str(p, lineno, row, "format", tid)
            if task.format not in ("auto", "unittest", "assert"):
                raise InputError(p, f"unknown test format {task.format!r} (auto, unittest, "
                                 "assert)", line=lineno, task=tid, field="format")
        for key, value in row.items():
            if key not in ("task_id", "completions", "model", "prompts", "format"):
                task.extra[key] = value
    return out


def read_recorded_tests(path: str | os.PathLike[str],
                        problems: Mapping[str, Problem] | None = None, fmt: str = "auto",
                        task_ids: Sequence[str] | str | os.PathLike[str] | None = None,
                        ) -> dict[str, list[str]]:
    """Raw test-generator completions per task (file order, lines of a task merged)."""
    rows = read_recorded_test_rows(path, problems, fmt, task_ids)
    return {tid: task.completions for tid, task in rows.items()}


def write_recorded_tests(path: str | os.PathLike[str],
                         rows: Mapping[str, Sequence[str]] | Iterable[Mapping[str, Any] | RecordedTask],
                         ) -> None:
    """Write recorded tests: ``{task_id: [completion, ...]}``, or rows (dicts with
    ``task_id`` and ``completions`` plus optional ``model`` / ``prompts``, or
    :class:`RecordedTask` s)."""
    def normalise() -> Iterator[dict[str, Any]]:
        if isinstance(rows, Mapping):
            for tid, comps in rows.items():
                yield {"task_id": tid, "completions": list(comps)}
            return
        for row in rows:
            if isinstance(row, RecordedTask):
                d: dict[str, Any] = {"task_id": row.task_id, "completions": row.completions}
                if row.model is not None:
                    d["model"] = row.model
                if row.prompts:
                    d["prompts"] = row.prompts
                if row.format != "auto":
                    d["format"] = row.format
                d.update(row.extra)
                yield d
            else:
                if "task_id" not in row or "completions" not in row:
                    raise ValueError("each row needs 'task_id' and 'completions'")
                yield dict(row)

    write_jsonl(path, normalise())


def load_tests_file(path: str | os.PathLike[str], problems: Mapping[str, Problem],
                    task_ids: Sequence[str] | str | os.PathLike[str] | None = None
                    ) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Recorded test completions per task and the test format recorded with them."""
    rows = read_recorded_test_rows(path, problems, task_ids=task_ids)
    return ({t: r.completions for t, r in rows.items()}, {t: r.format for t, r in rows.items()})
