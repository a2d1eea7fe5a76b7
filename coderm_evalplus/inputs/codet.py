"""CodeT's files: ``{prompt, samples}`` lines, for samples and for test cases alike.

CodeT lines carry no task id: :func:`match_codet_prompt` finds each line's task by the
function its prompt defines (for test files the ``# check the correctness of NAME``
line), breaking ties between problems with the same entry point (HumanEval has six
such names) by prompt similarity; a JSON list of task ids, one per line, can be given
instead (CodeT's dev slice ships ``task_ids.json``).  Samples are cut where CodeT cut
them (:data:`CODET_STOP_WORDS`).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Problem
from .jsonl import get_str, get_str_list, iter_jsonl, read_json

#: Where CodeT cut a sampled completion (a new top-level statement starts).
CODET_STOP_WORDS = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")

_CHECK_RE = re.compile(r"#\s*check the correctness of\s+([A-Za-z_]\w*)")
_DEF_RE = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.M)


def is_codet_row(row: Mapping[str, Any]) -> bool:
    """A CodeT line: ``prompt`` + ``samples`` and no ``task_id``."""
    return "prompt" in row and "samples" in row and "task_id" not in row


def load_task_id_list(path: str | os.PathLike[str]) -> list[str]:
    """A JSON list of task ids (CodeT's ``task_ids.json``): line k of a CodeT file is
    task ``ids[k]``."""
    p = Path(path)
    data = read_json(p)
    if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
        raise InputError(p, "expected a JSON list of task id strings")
    return data


def codet_function_names(prompt: str) -> list[str]:
    """Names the prompt is about, most specific first: the name in CodeT's
    ``# check the correctness of NAME`` line, then top-level defs, last def first
    (HumanEval prompts put helpers before the entry point)."""
    names = _CHECK_RE.findall(prompt)[-1:]
    for name in reversed(_DEF_RE.findall(prompt)):
        if name not in names:
            names.append(name)
    return names


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def match_codet_prompt(prompt: str, problems: Mapping[str, Problem],
                       by_entry: Mapping[str, list[str]] | None = None) -> str | None:
    """Task id of the problem a CodeT prompt was made from, or None.

    The first name from :func:`codet_function_names` that is some problem's entry point
    decides the candidates; several problems with that entry point are told apart by
    prompt text similarity (CodeT's prompts drop the doctests or add a test header, so
    the match is fuzzy, never exact)."""
    if by_entry is None:
        by_entry = by_entry_point(problems)
    for name in codet_function_names(prompt):
        tasks = by_entry.get(name)
        if not tasks:
            continue
        if len(tasks) == 1:
            return tasks[0]
        return max(tasks, key=lambda t: _similarity(prompt, problems[t].prompt))
    return None


def by_entry_point(problems: Mapping[str, Problem]) -> dict[str, list[str]]:
    by_entry: dict[str, list[str]] = {}
    for tid, prob in problems.items():
        by_entry.setdefault(prob.entry_point, []).append(tid)
    return by_entry


def codet_task_ids(path: Path, rows: Sequence[tuple[int, Mapping[str, Any]]],
                   problems: Mapping[str, Problem] | None,
                   task_ids: Sequence[str] | str | os.PathLike[str] | None) -> list[str]:
    """Task id of each CodeT line: from the id list when given (checked against the
    prompts when problems are known too), else by matching prompts to problems."""
    prompts = [get_str(path, n, row, "prompt") for n, row in rows]
    if task_ids is not None:
        ids_path = None
        if isinstance(task_ids, (str, os.PathLike)):
            ids_path = Path(task_ids)
            task_ids = load_task_id_list(ids_path)
        ids = list(task_ids)
        if len(ids) < len(rows):
            where = ids_path or "task id list"
            raise InputError(where, f"has {len(ids)} task ids but {path} has {len(rows)} "
                             "lines")
        out = []
        for (lineno, _), prompt, tid in zip(rows, prompts, ids, strict=False):
            if problems is not None:
                if tid not in problems:
                    raise InputError(ids_path or path, f"unknown task id {tid!r}",
                                     line=lineno, field="task_id")
                entry = problems[tid].entry_point
                if entry and entry not in codet_function_names(prompt):
                    raise InputError(path, f"task id list says {tid} (entry point {entry!r}) "
                                     "but the prompt is about "
                                     f"{', '.join(codet_function_names(prompt)) or 'no function'}",
                                     line=lineno, field="prompt")
            out.append(tid)
        return out
    if problems is None:
        raise InputError(path, "CodeT lines carry no task id: give the benchmark "
                         "(--dataset) or a task id list", line=rows[0][0] if rows else None)
    by_entry = by_entry_point(problems)
    out = []
    for (lineno, _), prompt in zip(rows, prompts, strict=True):
        matched = match_codet_prompt(prompt, problems, by_entry)
        if matched is None:
            names = ", ".join(codet_function_names(prompt)) or "no function"
            raise InputError(path, f"no problem of the benchmark matches this prompt "
                             f"(it defines {names})", line=lineno, field="prompt")
        out.append(matched)
    return out


def truncate_codet_sample(sample: str) -> str:
    """Cut a sampled completion where CodeT did: at the first top-level ``class``,
    ``def``, comment, ``if`` or ``print`` (the model went on past the function)."""
    cut = len(sample)
    for stop in CODET_STOP_WORDS:
        k = sample.find(stop)
        if k != -1:
            cut = min(cut, k)
    return sample[:cut]


def codet_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = list(iter_jsonl(path))
    for lineno, row in rows:
        if "task_id" in row:
            raise InputError(path, "mixes CodeT lines (prompt, samples) with task_id lines",
                             line=lineno, field="task_id")
        get_str(path, lineno, row, "prompt")
        get_str_list(path, lineno, row, "samples")
    return rows


