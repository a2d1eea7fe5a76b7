"""JSON-lines reading shared by every input format, with one-line errors.

Every reader of a user's file goes through :func:`iter_jsonl`, so a bad line always
fails the same way: an :class:`InputError` naming the file, the line and (through the
``get_*`` helpers) the field, never a traceback.  Blank lines are skipped; ``.gz``
files are decompressed first (evalplus releases come gzipped).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Problem


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


def first_row(path: Path) -> dict[str, Any] | None:
    for _, row in iter_jsonl(path):
        return row
    return None


def get_str(path: Path, lineno: int, row: Mapping[str, Any], name: str,
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


def get_str_list(path: Path, lineno: int, row: Mapping[str, Any], name: str,
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


def get_task_id(path: Path, lineno: int, row: Mapping[str, Any],
             problems: Mapping[str, Problem] | None) -> str:
    task = get_str(path, lineno, row, "task_id", allow_empty=False)
    if problems is not None and task not in problems:
        raise InputError(path, f"unknown task id {task!r} (not in the benchmark's "
                         f"{len(problems)} problems)", line=lineno, field="task_id")
    return task


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write atomically (temp file + rename): a killed run never leaves half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(p)




def read_json(path: str | os.PathLike[str]) -> Any:
    """One JSON document (not lines), with the same one-line errors."""
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(p, f"not valid UTF-8 (byte offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(p, f"not valid JSON ({json_error_text(exc)})",
                         line=exc.lineno) from None
