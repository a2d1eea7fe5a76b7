"""Samples (candidate programs) -> ``dict[task_id, list[Candidate]]`` in file order.

* **evalplus**: JSON lines ``{"task_id", "solution"}`` (the full program) or
  ``{"task_id", "completion"}`` (appended to the problem's prompt, so it needs the
  problem set); ``solution`` wins when both are present, as in evalplus.  A directory
  in evalplus's folder layout (``TASK_ID_WITH_UNDERSCORES/N.py``) is read too.
* **codet**: CodeT's ``{prompt, samples}`` lines (no task ids; see :mod:`.codet`).

:func:`build_problems` turns them into problems, with the benchmark's prompt and entry
point when a problem set is given, else with the entry point guessed from the code.
"""

from __future__ import annotations

import ast
import collections
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Candidate, Problem
from .codet import codet_rows, codet_task_ids, is_codet_row, truncate_codet_sample
from .jsonl import first_row, get_str, get_task_id, iter_jsonl, write_jsonl

SAMPLE_FORMATS = ("auto", "evalplus", "codet")


def detect_samples_format(path: str | os.PathLike[str]) -> str:
    """``"codet"`` for CodeT ``{prompt, samples}`` lines, else ``"evalplus"``."""
    p = Path(path)
    if p.is_dir():
        return "evalplus"
    row = first_row(p)
    return "codet" if row is not None and is_codet_row(row) else "evalplus"


def read_samples(path: str | os.PathLike[str], problems: Mapping[str, Problem] | None = None,
                 fmt: str = "auto",
                 task_ids: Sequence[str] | str | os.PathLike[str] | None = None,
                 ) -> dict[str, list[Candidate]]:
    """Candidates per task, in file order (``Candidate.index`` = position in its task).

    ``problems`` is needed for ``completion`` lines and for CodeT files without a task
    id list; when given, unknown task ids are errors.  ``fmt``: auto, evalplus, codet.
    """
    if fmt not in SAMPLE_FORMATS:
        raise ValueError(f"unknown samples format {fmt!r}")
    p = Path(path)
    if fmt == "auto":
        fmt = detect_samples_format(p)
    out: dict[str, list[Candidate]] = {}
    if fmt == "codet":
        rows = codet_rows(p)
        tids = codet_task_ids(p, rows, problems, task_ids)
        for (lineno, row), tid in zip(rows, tids, strict=True):
            bucket = out.setdefault(tid, [])
            for k, sample in enumerate(row["samples"]):
                bucket.append(Candidate(index=len(bucket),
                                        source=row["prompt"] + truncate_codet_sample(sample),
                                        meta={"line": lineno, "sample": k}))
        return out
    if p.is_dir():
        return _read_sample_dir(p, problems)
    for lineno, row in iter_jsonl(p):
        if is_codet_row(row):
            raise InputError(p, "CodeT line (prompt, samples) in an evalplus samples file",
                             line=lineno, field="task_id")
        tid = get_task_id(p, lineno, row, problems)
        if "solution" in row:
            source = get_str(p, lineno, row, "solution", tid)
        elif "completion" in row:
            completion = get_str(p, lineno, row, "completion", tid)
            if problems is None:
                raise InputError(p, "a completion needs the problem's prompt: give the "
                                 "benchmark (--dataset)", line=lineno, task=tid,
                                 field="completion")
            source = problems[tid].prompt + completion
        else:
            raise InputError(p, "missing field (need 'solution' or 'completion')",
                             line=lineno, task=tid, field="solution")
        bucket = out.setdefault(tid, [])
        bucket.append(Candidate(index=len(bucket), source=source, meta={"line": lineno}))
    return out


def _read_sample_dir(root: Path, problems: Mapping[str, Problem] | None
                     ) -> dict[str, list[Candidate]]:
    """evalplus's folder layout: ``root/HumanEval_0/0.py`` (full programs)."""
    out: dict[str, list[Candidate]] = {}
    task_dirs = sorted(d for d in root.iterdir() if d.is_dir())
    if not any(next(d.glob("*.py"), None) for d in task_dirs):
        # a wrong folder (a run's output, a repo): its subfolders are not task ids
        raise InputError(root, "not an evalplus samples folder: no TASK_ID/N.py file "
                         "(e.g. HumanEval_0/0.py) in it", field="samples")
    for task_dir in task_dirs:
        tid = task_dir.name.replace("_", "/")
        if problems is not None and tid not in problems:
            raise InputError(task_dir, f"unknown task id {tid!r}", field="task_id")
        files = sorted(task_dir.glob("*.py"),
                       key=lambda f: (not f.stem.isdigit(), int(f.stem) if f.stem.isdigit() else 0,
                                      f.stem))
        bucket = out.setdefault(tid, [])
        for f in files:
            try:
                source = f.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                line = f.read_bytes()[: exc.start].count(b"\n") + 1
                raise InputError(f, "not valid UTF-8", line=line) from None
            bucket.append(Candidate(index=len(bucket), source=source, meta={"file": str(f)}))
    return out


def write_samples(path: str | os.PathLike[str], picks: Mapping[str, str] | Iterable[Mapping[str, Any]]
                  ) -> None:
    """An evalplus samples file ``{"task_id", "solution"}`` (e.g. one pick per task)."""
    if isinstance(picks, Mapping):
        rows: Iterable[Mapping[str, Any]] = ({"task_id": t, "solution": s}
                                              for t, s in picks.items())
    else:
        rows = picks
    write_jsonl(path, rows)


def infer_entry_point(task_id: str, sources: list[str]) -> str:
    """The function the tests call, when no benchmark is given: the most common name of
    the last top-level ``def`` across candidates (helpers usually come first)."""
    names: collections.Counter[str] = collections.Counter()
    for src in sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        defs = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        if defs:
            names[defs[-1]] += 1
    return names.most_common(1)[0][0] if names else ""


def build_problems(samples_path: str | os.PathLike[str],
                   problem_set: Mapping[str, Problem] | None, fmt: str = "auto",
                   task_ids: Sequence[str] | str | os.PathLike[str] | None = None
                   ) -> list[Problem]:
    """One problem per task of the samples file, its candidates attached: the problem
    set's prompt and entry point when given, else the entry point the code suggests."""
    candidates = read_samples(samples_path, problem_set, fmt=fmt, task_ids=task_ids)
    problems = []
    for tid, cands in candidates.items():
        if problem_set is not None:
            base = problem_set[tid]
            p = Problem(tid, base.prompt, base.entry_point, base.kind, meta=dict(base.meta))
        else:
            p = Problem(tid, entry_point=infer_entry_point(tid, [c.source for c in cands]))
        p.candidates = list(cands)
        problems.append(p)
    if not problems:
        raise InputError(samples_path, "no samples in file")
    return problems
