"""Benchmark problems (HumanEval+ / MBPP+ or a problems JSONL), without the network.

EvalPlus ships HumanEval+ / MBPP+ as JSON lines (``task_id``, ``prompt``,
``entry_point``, ``canonical_solution``, ``base_input``, ``plus_input``, ``atol``, and
HumanEval's ``test`` / MBPP's ``assertion``).  We read such a file directly when given a
path or when evalplus's own override variables name one, and only otherwise ask
evalplus's loader (which may download).  Reading the file ourselves keeps a test run
offline and lets a subset run use a trimmed file: evalplus refuses samples that do not
cover every task of its dataset file, so :func:`trim_dataset_file` writes the subset.

Note: rows read from a file are raw JSON; evalplus's MBPP+ loader additionally turns
some inputs into tuples / complex numbers (``mbpp_deserialize_inputs``).  We never run
``base_input`` / ``plus_input`` ourselves (the official grader does), so the raw rows
are enough here.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError, RunError, UsageError
from ..model import Problem
from .jsonl import iter_jsonl

#: dataset name -> (evalplus override variable, evalplus loader function name)
DATASETS: dict[str, tuple[str, str]] = {
    "humaneval": ("HUMANEVAL_OVERRIDE_PATH", "get_human_eval_plus"),
    "mbpp": ("MBPP_OVERRIDE_PATH", "get_mbpp_plus"),
}
_ALIASES = {"humaneval+": "humaneval", "humanevalplus": "humaneval", "he": "humaneval",
            "mbpp+": "mbpp", "mbppplus": "mbpp"}


def dataset_name(name: str) -> str:
    """Canonical dataset name (``humaneval`` / ``mbpp``) for the spellings users type."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise UsageError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)})")
    return key


def dataset_path(dataset: str, path: str | os.PathLike[str] | None = None) -> Path | None:
    """The file to read: ``path``, else evalplus's override variable, else None."""
    if path is not None:
        return Path(path)
    env = os.environ.get(DATASETS[dataset_name(dataset)][0])
    return Path(env) if env else None


def read_problem_rows(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Raw rows by task id from an evalplus-style JSONL (``.gz`` too), checked for the
    fields every consumer needs."""
    p = Path(path)
    rows: dict[str, dict[str, Any]] = {}
    for lineno, row in iter_jsonl(p):
        for name in ("task_id", "prompt", "entry_point"):
            if not isinstance(row.get(name), str):
                what = "missing field" if name not in row else "expected a string"
                raise InputError(p, what, line=lineno, task=row.get("task_id")
                                 if isinstance(row.get("task_id"), str) else None, field=name)
        if row["task_id"] in rows:
            raise InputError(p, "duplicate task id", line=lineno, task=row["task_id"],
                             field="task_id")
        rows[row["task_id"]] = row
    if not rows:
        raise InputError(p, "no problems in the file")
    return rows


def problem_from_row(row: dict[str, Any]) -> Problem:
    """A :class:`Problem` (no candidates yet) keeping the raw row in ``meta["row"]``."""
    return Problem(task_id=row["task_id"], prompt=row["prompt"],
                   entry_point=row["entry_point"], kind="function", meta={"row": row})


def load_evalplus_problems(dataset: str, path: str | os.PathLike[str] | None = None
                           ) -> dict[str, Problem]:
    """HumanEval+ or MBPP+ problems by task id (file order).

    ``path`` (or ``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH``) is read directly;
    without either, evalplus's loader is imported lazily and may download the release.
    """
    name = dataset_name(dataset)
    p = dataset_path(name, path)
    if p is not None:
        rows = read_problem_rows(p)
    else:
        import evalplus.data as evalplus_data  # lazy: reads its env vars at import

        try:
            rows = getattr(evalplus_data, DATASETS[name][1])()
        except OSError as exc:  # urllib's URLError is an OSError: offline machine
            var = "HUMANEVAL_OVERRIDE_PATH" if name == "humaneval" else "MBPP_OVERRIDE_PATH"
            raise RunError(f"could not download the {name} dataset ({exc}); offline, set "
                           f"{var} to a local copy of the release file") from None
    return {tid: problem_from_row(row) for tid, row in rows.items()}


def trim_dataset_file(src: str | os.PathLike[str], task_ids: Iterable[str],
                      dst: str | os.PathLike[str]) -> Path:
    """Write the lines of ``src`` whose task is in ``task_ids`` to ``dst``, bytes
    unchanged and in ``src`` order, so evalplus grades a subset run (its samples must
    cover every task of the dataset file).  Unknown ids are an error."""
    s, d = Path(src), Path(dst)
    wanted = set(task_ids)
    if not wanted:
        raise UsageError("trim_dataset_file: no task ids given")
    try:
        raw = gzip.decompress(s.read_bytes()) if s.suffix == ".gz" else s.read_bytes()
    except FileNotFoundError:
        raise InputError(s, "no such file") from None
    kept: list[bytes] = []
    seen: set[str] = set()
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            tid = json.loads(line)["task_id"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise InputError(s, "not a JSON object with a task_id", line=lineno,
                             field="task_id") from None
        if tid in wanted:
            kept.append(line.rstrip(b"\r") + b"\n")
            seen.add(tid)
    missing = sorted(wanted - seen)
    if missing:
        more = f" (+{len(missing) - 3} more)" if len(missing) > 3 else ""
        raise InputError(s, f"task ids not in the dataset: {', '.join(missing[:3])}{more}",
                         field="task_id")
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = d.with_name(d.name + ".tmp")
    tmp.write_bytes(b"".join(kept))
    tmp.replace(d)
    return d


def load_problem_set(spec: str | None) -> dict[str, Problem] | None:
    """``humaneval`` / ``mbpp`` (evalplus datasets), a problems JSONL path, or None."""
    if spec is None:
        return None
    if spec.lower() in ("humaneval", "mbpp", "humaneval+", "mbpp+"):
        return load_evalplus_problems(spec.lower().rstrip("+"))
    path = Path(spec)
    if not path.exists():
        raise UsageError(f"--problems {spec!r}: not a dataset name (humaneval, mbpp) "
                         "nor an existing file")
    return {tid: problem_from_row(row) for tid, row in read_problem_rows(path).items()}
