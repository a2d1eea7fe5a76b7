"""The dataset file evalplus grades against, trimmed when the samples cover a subset.

evalplus 0.3.1 reads ``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH`` once, when
``evalplus.data`` is first imported, and asserts that the samples cover every task of
its dataset file: a subset run therefore points its evalplus children (and, for the
``--selector`` flag, the running evalplus) at a trimmed copy with the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ...errors import InputError
from ...inputs.problem_sets import (
    DATASETS,
    dataset_name,
    dataset_path,
    read_problem_rows,
    trim_dataset_file,
)


def source_dataset_file(dataset: str, dataset_file: str | os.PathLike[str] | None = None
                        ) -> Path:
    """The dataset file evalplus would grade against: ``dataset_file``, the override
    variable, else evalplus's own (downloaded and cached) release file."""
    p = dataset_path(dataset, dataset_file)
    if p is not None:
        if not p.is_file():
            raise InputError(p, "no such dataset file")
        return p
    import evalplus.data.humaneval as he
    import evalplus.data.mbpp as mb

    getter = {"humaneval": he._ready_human_eval_plus_path,
              "mbpp": mb._ready_mbpp_plus_path}[dataset_name(dataset)]
    return Path(getter())


def dataset_overrides(dataset: str, task_ids: Sequence[str], work_dir: Path,
                      dataset_file: str | os.PathLike[str] | None = None
                      ) -> tuple[dict[str, str], Path]:
    """Override variables for the evalplus children, and the dataset file they name.

    When the samples cover only some tasks, evalplus 0.3.1 asserts; we then write a
    trimmed copy of the dataset file (same bytes per task, so the same grading)."""
    name = dataset_name(dataset)
    var = DATASETS[name][0]
    src = source_dataset_file(name, dataset_file)
    rows = read_problem_rows(src)
    unknown = sorted(set(task_ids) - set(rows))
    if unknown:
        raise InputError(src, f"samples name tasks not in this dataset: {', '.join(unknown[:3])}",
                         field="task_id")
    if set(task_ids) == set(rows):
        return {var: str(src.resolve())}, src
    trimmed = trim_dataset_file(src, task_ids, work_dir / f"{name}-subset.jsonl")
    return {var: str(trimmed.resolve())}, trimmed
