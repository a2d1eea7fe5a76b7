"""Label files (per-candidate correctness) -> ``dict[task_id, list[bool]]``.

Our JSONL ``{"task_id", "labels": [true, false, ...]}`` (candidate order) or evalplus's
``*_eval_results.json`` (correct = base and plus status both ``"pass"``).  Computing
labels with a benchmark's own tests is :mod:`coderm_evalplus.labels`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..errors import InputError
from ..model import Candidate, Problem
from .jsonl import get_str, iter_jsonl, json_error_text, write_jsonl


def load_labels(path: str | os.PathLike[str], *, base_only: bool = False
                ) -> dict[str, list[bool]]:
    """Per-candidate correctness, in sample order, from our labels JSONL or evalplus's
    ``*_eval_results.json``.

    For evalplus results a candidate is correct when ``base_status`` and
    ``plus_status`` are both ``"pass"`` (``base_only``: base only; a run made with
    evalplus's ``--base-only`` has no plus status and is read as base only)."""
    p = Path(path)
    if _looks_like_evalplus_results(p):
        return _load_evalplus_results(p, base_only)
    out: dict[str, list[bool]] = {}
    for lineno, row in iter_jsonl(p):
        tid = get_str(p, lineno, row, "task_id", allow_empty=False)
        if "labels" not in row:
            raise InputError(p, "missing field", line=lineno, task=tid, field="labels")
        values = row["labels"]
        if not isinstance(values, list):
            raise InputError(p, "expected a list of booleans", line=lineno, task=tid,
                             field="labels")
        labels = []
        for k, v in enumerate(values):
            if isinstance(v, bool) or v in (0, 1):
                labels.append(bool(v))
            else:
                raise InputError(p, f"item {k} is {v!r}, expected true/false", line=lineno,
                                 task=tid, field="labels")
        out.setdefault(tid, []).extend(labels)
    return out


def _looks_like_evalplus_results(p: Path) -> bool:
    """evalplus writes one JSON object with an ``eval`` key; ours is JSON lines."""
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    if not data.lstrip().startswith(b"{") or b'"eval"' not in data:
        return False
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return p.suffix == ".json"  # let the strict reader name the error
    return isinstance(obj, dict) and "eval" in obj


def _load_evalplus_results(p: Path, base_only: bool) -> dict[str, list[bool]]:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(p, f"not valid UTF-8 (byte offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(p, f"not valid JSON ({json_error_text(exc)})",
                         line=exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("eval"), dict):
        raise InputError(p, "not an evalplus results file (no 'eval' object)", field="eval")
    out: dict[str, list[bool]] = {}
    for tid, results in data["eval"].items():
        if not isinstance(results, list):
            raise InputError(p, "expected a list of results", task=tid, field="eval")
        labels = []
        for k, res in enumerate(results):
            if not isinstance(res, dict) or "base_status" not in res:
                raise InputError(p, f"result {k} has no base_status", task=tid,
                                 field="base_status")
            ok = res["base_status"] == "pass"
            plus = res.get("plus_status")
            if not base_only and plus is not None:
                ok = ok and plus == "pass"
            labels.append(ok)
        out[tid] = labels
    return out


def write_labels(path: str | os.PathLike[str], labels: Mapping[str, Sequence[bool]]) -> None:
    """Our labels JSONL: one ``{"task_id", "labels"}`` line per task."""
    write_jsonl(path, ({"task_id": t, "labels": [bool(x) for x in v]}
                        for t, v in labels.items()))


def attach_labels(candidates: Mapping[str, Sequence[Candidate]],
                  labels: Mapping[str, Sequence[bool]], source: object = "labels") -> None:
    """Set ``Candidate.label`` from a labels table; the counts must agree per task."""
    for tid, cands in candidates.items():
        if tid not in labels:
            raise InputError(source, "no labels for this task", task=tid, field="labels")
        if len(labels[tid]) != len(cands):
            raise InputError(source, f"{len(labels[tid])} labels for {len(cands)} candidates",
                             task=tid, field="labels")
        for cand, lab in zip(cands, labels[tid], strict=True):
            cand.label = bool(lab)


def apply_labels(problems: Iterable[Problem], labels_path: str | os.PathLike[str] | None
                 ) -> None:
    """Set every candidate's label from a labels file (nothing when no file is given)."""
    if labels_path is None:
        return
    labels = load_labels(labels_path)
    attach_labels({p.task_id: p.candidates for p in problems}, labels, labels_path)
