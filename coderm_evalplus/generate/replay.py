"""Replay recorded test-generator completions, and write them in the same format.

Format (shared with :mod:`coderm_evalplus.samples`): one JSON object per line,
``{"task_id": str, "completions": [str, ...], "model": str, ...}``.  Every backend's
output can be saved with :func:`write_recorded`, so an expensive GPU run is replayed
later (regression runs, CPU-only machines) with ``--generator replay:FILE``.

Asking for more completions than recorded is not an error by default (dynamic scaling
may ask for more than a past run produced): a warning is logged once per task, the
recorded ones are returned, and :attr:`ReplayGenerator.shortfalls` lists the tasks so a
report can say so.  ``strict=True`` turns it into an :class:`InputError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..samples import read_recorded_test_rows, write_recorded_tests
from .base import GenerationRequest

log = logging.getLogger(__name__)


def write_recorded(path: str | Path, results: Mapping[str, list[str]], *,
                   model: str = "", extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``task_id -> completions`` as recorded-tests JSONL (atomic replace).

    Delegates to :func:`coderm_evalplus.samples.write_recorded_tests` so there is one
    writer of the format.
    """
    rows = []
    for task_id, completions in results.items():
        row: dict[str, Any] = {"task_id": task_id, "completions": list(completions),
                               "model": model}
        row.update(extra or {})
        rows.append(row)
    write_recorded_tests(path, rows)
    return Path(path)


def read_recorded(path: str | Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Read recorded tests: (task_id -> completions, task_id -> model).

    Uses :func:`coderm_evalplus.samples.read_recorded_test_rows` (one-line
    :class:`InputError` naming file, line and field for a bad row; a task on several
    lines has its completions concatenated in file order; CodeT files work too).
    """
    rows = read_recorded_test_rows(path)
    completions = {tid: list(task.completions) for tid, task in rows.items()}
    models = {tid: task.model for tid, task in rows.items() if task.model}
    return completions, models


class ReplayGenerator:
    """A "generator" that returns recorded completions (first ``n`` per task)."""

    name = "replay"

    def __init__(self, target: str | None, *, strict: bool = False, model: str | None = None,
                 **_ignored: Any) -> None:
        if not target:
            raise UsageError("replay generator needs a file: --generator replay:PATH")
        self.path = Path(target)
        #: Full rows (model, prompts, test ``format`` such as "assert" for CodeT files).
        self.rows = read_recorded_test_rows(self.path)
        self.recorded = {tid: list(t.completions) for tid, t in self.rows.items()}
        models = {tid: t.model for tid, t in self.rows.items() if t.model}
        self.model = model or next(iter(set(models.values())), "") or f"replay:{self.path.name}"
        self.strict = strict
        self.shortfalls: dict[str, tuple[int, int]] = {}

    def generate(self, requests: list[GenerationRequest], *,
                 progress: bool = True) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for req in requests:
            have = self.recorded.get(req.task_id)
            if have is None:
                raise InputError(self.path, "no recorded completions for this task",
                                 task=req.task_id, field="task_id")
            if req.n > len(have):
                if self.strict:
                    raise InputError(self.path, f"{req.n} completions asked, {len(have)} "
                                     "recorded", task=req.task_id, field="completions")
                if req.task_id not in self.shortfalls:
                    log.warning("%s: task %s: %d completions asked, only %d recorded; "
                                "using %d", self.path, req.task_id, req.n, len(have), len(have))
                self.shortfalls[req.task_id] = (req.n, len(have))
            out[req.task_id] = list(have[:req.n])
        return out

    def close(self) -> None:
        pass
