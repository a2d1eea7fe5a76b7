"""Readers (and writers) for the files a user hands us: samples, recorded tests, labels.

Every reader fails with a one-line :class:`InputError` naming the file, the line and the
field (non-JSON line, missing field, wrong type, unknown task id, empty list, bytes that
are not UTF-8); blank lines are skipped.  Nothing here runs code.

Samples (candidate programs) -> ``dict[task_id, list[Candidate]]`` in file order:

* **evalplus**: JSON lines ``{"task_id", "solution"}`` (the full program) or
  ``{"task_id", "completion"}`` (appended to the problem's prompt, so it needs the
  problem set); ``solution`` wins when both are present, as in evalplus.  A directory
  in evalplus's folder layout (``TASK_ID_WITH_UNDERSCORES/N.py``) is read too.
* **codet**: CodeT's ``{prompt, samples}`` lines (no task ids; see below).

Recorded tests (raw test-generator completions) -> ``dict[task_id, list[str]]``.  Our
format, one JSON object per line::

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
becomes ``"assert " + sample``.

CodeT lines carry no task id: :func:`match_codet_prompts` finds each line's task by the
function its prompt defines (for test files the ``# check the correctness of NAME``
line), breaking ties between problems with the same entry point (HumanEval has six
such names) by prompt similarity; a JSON list of task ids, one per line, can be given
instead (CodeT's dev slice ships ``task_ids.json``).

Labels (per-candidate correctness) -> ``dict[task_id, list[bool]]`` from our JSONL
``{"task_id", "labels": [true, false, ...]}`` (candidate order) or from evalplus's
``*_eval_results.json`` (correct = base and plus status both ``"pass"``).
"""

from __future__ import annotations

import difflib
import gzip
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import Candidate, Problem

SAMPLE_FORMATS = ("auto", "evalplus", "codet")
TEST_FORMATS = ("auto", "recorded", "codet")

#: Where CodeT cut a sampled completion (a new top-level statement starts).
CODET_STOP_WORDS = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")

_CHECK_RE = re.compile(r"#\s*check the correctness of\s+([A-Za-z_]\w*)")
_DEF_RE = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.M)


# --------------------------------------------------------------------------- JSONL


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; one-line errors otherwise.
    A ``.gz`` file is decompressed first (evalplus releases come gzipped)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    except IsADirectoryError:
        raise InputError(p, "is a directory, expected a JSON-lines file") from None
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror}") from None
    if p.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(p, f"not a gzip file ({exc})") from None
    return iter_jsonl_bytes(data, p)


def json_error_text(exc: json.JSONDecodeError) -> str:
    """json's message with the column: some messages already end in "at" ("Unterminated
    string starting at"), which must not become "starting at at column 5"."""
    at = "" if exc.msg.endswith(" at") else " at"
    return f"{exc.msg}{at} column {exc.colno}"


def iter_jsonl_bytes(data: bytes, path: object) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`iter_jsonl` over bytes already read; ``path`` names them in errors."""
    p = path
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[exc.start]
            raise InputError(p, f"not valid UTF-8 (byte 0x{bad:02x} at column {exc.start + 1})",
                             line=lineno) from None
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(p, f"not valid JSON ({json_error_text(exc)})",
                             line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(p, f"expected a JSON object, got {type(obj).__name__}",
                             line=lineno)
        yield lineno, obj


def _first_row(path: Path) -> dict[str, Any] | None:
    for _, row in iter_jsonl(path):
        return row
    return None


def _get_str(path: Path, lineno: int, row: Mapping[str, Any], name: str,
             task: str | None = None, *, allow_empty: bool = True) -> str:
    if name not in row:
        raise InputError(path, "missing field", line=lineno, task=task, field=name)
    value = row[name]
    if not isinstance(value, str):
        raise InputError(path, f"expected a string, got {type(value).__name__}",
                         line=lineno, task=task, field=name)
    if not allow_empty and not value.strip():
        raise InputError(path, "empty string", line=lineno, task=task, field=name)
    return value


def _get_str_list(path: Path, lineno: int, row: Mapping[str, Any], name: str,
                  task: str | None = None) -> list[str]:
    if name not in row:
        raise InputError(path, "missing field", line=lineno, task=task, field=name)
    value = row[name]
    if not isinstance(value, list):
        raise InputError(path, f"expected a list of strings, got {type(value).__name__}",
                         line=lineno, task=task, field=name)
    if not value:
        raise InputError(path, "empty list", line=lineno, task=task, field=name)
    for k, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError(path, f"item {k} is {type(item).__name__}, expected a string",
                             line=lineno, task=task, field=name)
    return value


def _task_id(path: Path, lineno: int, row: Mapping[str, Any],
             problems: Mapping[str, Problem] | None) -> str:
    task = _get_str(path, lineno, row, "task_id", allow_empty=False)
    if problems is not None and task not in problems:
        raise InputError(path, f"unknown task id {task!r} (not in the benchmark's "
                         f"{len(problems)} problems)", line=lineno, field="task_id")
    return task


def _write_jsonl(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write atomically (temp file + rename): a killed run never leaves half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(p)


def is_codet_row(row: Mapping[str, Any]) -> bool:
    """A CodeT line: ``prompt`` + ``samples`` and no ``task_id``."""
    return "prompt" in row and "samples" in row and "task_id" not in row


# --------------------------------------------------------------------------- CodeT


def load_task_id_list(path: str | os.PathLike[str]) -> list[str]:
    """A JSON list of task ids (CodeT's ``task_ids.json``): line k of a CodeT file is
    task ``ids[k]``."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(p, f"not valid UTF-8 (byte offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(p, f"not valid JSON ({json_error_text(exc)})",
                         line=exc.lineno) from None
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
        by_entry = _by_entry_point(problems)
    for name in codet_function_names(prompt):
        tasks = by_entry.get(name)
        if not tasks:
            continue
        if len(tasks) == 1:
            return tasks[0]
        return max(tasks, key=lambda t: _similarity(prompt, problems[t].prompt))
    return None


def _by_entry_point(problems: Mapping[str, Problem]) -> dict[str, list[str]]:
    by_entry: dict[str, list[str]] = {}
    for tid, prob in problems.items():
        by_entry.setdefault(prob.entry_point, []).append(tid)
    return by_entry


def codet_task_ids(path: Path, rows: Sequence[tuple[int, Mapping[str, Any]]],
                   problems: Mapping[str, Problem] | None,
                   task_ids: Sequence[str] | str | os.PathLike[str] | None) -> list[str]:
    """Task id of each CodeT line: from the id list when given (checked against the
    prompts when problems are known too), else by matching prompts to problems."""
    prompts = [_get_str(path, n, row, "prompt") for n, row in rows]
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
    by_entry = _by_entry_point(problems)
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


def _codet_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = list(iter_jsonl(path))
    for lineno, row in rows:
        if "task_id" in row:
            raise InputError(path, "mixes CodeT lines (prompt, samples) with task_id lines",
                             line=lineno, field="task_id")
        _get_str(path, lineno, row, "prompt")
        _get_str_list(path, lineno, row, "samples")
    return rows


# --------------------------------------------------------------------------- samples


def detect_samples_format(path: str | os.PathLike[str]) -> str:
    """``"codet"`` for CodeT ``{prompt, samples}`` lines, else ``"evalplus"``."""
    p = Path(path)
    if p.is_dir():
        return "evalplus"
    row = _first_row(p)
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
        rows = _codet_rows(p)
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
        tid = _task_id(p, lineno, row, problems)
        if "solution" in row:
            source = _get_str(p, lineno, row, "solution", tid)
        elif "completion" in row:
            completion = _get_str(p, lineno, row, "completion", tid)
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
    for task_dir in sorted(d for d in root.iterdir() if d.is_dir()):
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
    _write_jsonl(path, rows)


# --------------------------------------------------------------------------- tests


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
    row = _first_row(Path(path))
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
        rows = _codet_rows(p)
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
        tid = _task_id(p, lineno, row, problems)
        completions = _get_str_list(p, lineno, row, "completions", tid)
        task = out.setdefault(tid, RecordedTask(tid))
        task.completions.extend(completions)
        task.lines.append(lineno)
        if "model" in row:
            task.model = _get_str(p, lineno, row, "model", tid)
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
            task.format = _get_str(p, lineno, row, "format", tid)
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

    _write_jsonl(path, normalise())


# --------------------------------------------------------------------------- labels


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
        tid = _get_str(p, lineno, row, "task_id", allow_empty=False)
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
    _write_jsonl(path, ({"task_id": t, "labels": [bool(x) for x in v]}
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
