"""LiveCodeBench's inputs: ``code_generation_lite`` problems and custom-output files.

Problems are read from a local JSON / JSONL / parquet file (``datasets>=4`` refuses
LCB's loading script, LiveCodeBench issue #108) or from the hub's raw JSONL files of a
release; test cases in plain JSON or LCB's base64(zlib(pickle(json))) encoding.  Errors
name the file, the line, the question and the field.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError, UsageError
from ...inputs.jsonl import json_error_text
from ...model import Problem

HUB_DATASET = "livecodebench/code_generation_lite"
HUB_FILES = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl",
             "test6.jsonl")
"""Raw files of the hub dataset, one per release increment (what its script reads)."""

STDIN_FUNCTION = "solve"  # the same name the CodeRM prompt module shows for stdin programs

ROW_FIELDS = ("question_id", "question_content", "public_test_cases", "private_test_cases")


@dataclass
class LCBProblem:
    """One ``code_generation_lite`` row, decoded (test cases parsed, metadata parsed)."""

    question_id: str
    question_title: str
    question_content: str
    platform: str
    contest_date: str
    starter_code: str
    difficulty: str
    public_tests: list[dict[str, Any]]
    private_tests: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def fn_name(self) -> str | None:
        """LeetCode method name; None for stdin problems (LCB's own rule)."""
        name = self.metadata.get("func_name")
        return str(name) if name else None

    @property
    def kind(self) -> str:
        return "function" if self.fn_name else "stdin"

    def evaluation_sample(self) -> dict[str, str]:
        """The sample LCB's ``codegen_metrics`` grades against (public + private tests)."""
        tests = self.public_tests + self.private_tests
        return {"input_output": json.dumps({
            "inputs": [t["input"] for t in tests],
            "outputs": [t["output"] for t in tests],
            "fn_name": self.fn_name})}

    def to_problem(self) -> Problem:
        meta = {"harness": "livecodebench", "question_id": self.question_id,
                "question_title": self.question_title,
                "question_content": self.question_content, "platform": self.platform,
                "starter_code": self.starter_code, "difficulty": self.difficulty,
                "contest_date": self.contest_date, "fn_name": self.fn_name}
        return Problem(self.question_id, prompt=self.question_content,
                       entry_point=self.fn_name or STDIN_FUNCTION, kind=self.kind, meta=meta)


class _PlainDataUnpickler(pickle.Unpickler):
    """LCB pickles a JSON *string*: refuse any class, so a crafted file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def decode_test_cases(value: Any, where: Any, task: str, field_name: str,
                      line: int | None = None) -> list[dict[str, Any]]:
    """Test cases from plain JSON or LCB's base64(zlib(pickle(json))) encoding."""
    if isinstance(value, list):
        cases = value
    elif isinstance(value, str):
        try:
            cases = json.loads(value)
        except json.JSONDecodeError:
            try:
                raw = zlib.decompress(base64.b64decode(value.encode("utf-8"), validate=False))
                inner = _PlainDataUnpickler(io.BytesIO(raw)).load()
                cases = json.loads(inner) if isinstance(inner, (str, bytes)) else inner
            except Exception as exc:  # noqa: BLE001 - any decoding failure is bad input
                raise InputError(where, "neither JSON nor base64(zlib(pickle(json))) "
                                 f"({type(exc).__name__})", line=line, task=task,
                                 field=field_name) from None
    else:
        raise InputError(where, f"expected a string, got {type(value).__name__}", line=line,
                         task=task, field=field_name)
    if not isinstance(cases, list) or not all(
            isinstance(c, dict) and "input" in c and "output" in c for c in cases):
        raise InputError(where, "expected a list of {input, output, testtype}", line=line,
                         task=task, field=field_name)
    return cases


def parse_row(row: Mapping[str, Any], where: Any, line: int | None = None) -> LCBProblem:
    """Decode one row; errors name the file, line, question and field."""
    task = str(row.get("question_id", "?"))
    for name in ROW_FIELDS:
        if name not in row or row[name] is None:
            raise InputError(where, "missing field", line=line, task=task, field=name)
    meta_raw = row.get("metadata") or "{}"
    try:
        metadata = json.loads(meta_raw) if isinstance(meta_raw, str) else dict(meta_raw)
    except (json.JSONDecodeError, TypeError, ValueError):
        raise InputError(where, "not a JSON object", line=line, task=task,
                         field="metadata") from None
    if not isinstance(metadata, dict):
        raise InputError(where, "not a JSON object", line=line, task=task, field="metadata")
    return LCBProblem(
        question_id=task, question_title=str(row.get("question_title") or ""),
        question_content=str(row["question_content"]),
        platform=str(row.get("platform") or ""), contest_date=str(row.get("contest_date") or ""),
        starter_code=str(row.get("starter_code") or ""),
        difficulty=str(row.get("difficulty") or ""),
        public_tests=decode_test_cases(row["public_test_cases"], where, task,
                                       "public_test_cases", line),
        private_tests=decode_test_cases(row["private_test_cases"], where, task,
                                        "private_test_cases", line),
        metadata=metadata, row=dict(row))


def _read_json_rows(path: Path) -> list[tuple[int | None, dict[str, Any]]]:
    """JSON array or JSON lines, read with the stdlib so errors carry line numbers."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({json_error_text(exc)})", line=exc.lineno) from None
        if not all(isinstance(r, dict) for r in data):
            raise InputError(path, "expected a JSON list of objects")
        return [(None, r) for r in data]
    rows: list[tuple[int | None, dict[str, Any]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({json_error_text(exc)})", line=n) from None
        if not isinstance(obj, dict):
            raise InputError(path, "expected a JSON object", line=n)
        rows.append((n, obj))
    return rows


def _read_with_datasets(builder: str, data_files: str | list[str]) -> list[dict[str, Any]]:
    from datasets import load_dataset

    return [dict(r) for r in load_dataset(builder, data_files=data_files, split="train")]


def hub_files(release_version: str) -> list[str]:
    """Files of a release as LCB's loading script maps them: ``release_vN`` = the first N
    files (cumulative), ``release_latest`` = all, ``vN`` = file N only, ``vA_vB`` = A..B."""
    n = len(HUB_FILES)
    if release_version == "release_latest":
        return list(HUB_FILES)
    try:
        if release_version.startswith("release_v"):
            k = int(release_version[len("release_v"):])
            if 1 <= k <= n:
                return list(HUB_FILES[:k])
        elif release_version.startswith("v"):
            lo, _, hi = release_version.partition("_")
            a, b = int(lo[1:]), int(hi[1:]) if hi else int(lo[1:])
            if 1 <= a <= b <= n:
                return list(HUB_FILES[a - 1:b])
    except ValueError:
        pass
    raise UsageError(f"--release-version {release_version!r}: expected release_v1.."
                     f"release_v{n}, release_latest, vN or vA_vB")


def load_hub_rows(release_version: str) -> list[dict[str, Any]]:
    """Rows of a release from the hub (needs network).

    With ``datasets<4`` LCB's own loading script is used (``version_tag``); ``datasets>=4``
    no longer runs loading scripts, so the release's raw JSONL files are read directly.
    """
    import datasets
    from datasets import load_dataset

    if int(datasets.__version__.split(".")[0]) < 4:
        ds = load_dataset(HUB_DATASET, split="test", version_tag=release_version,
                          trust_remote_code=True)
        return [dict(r) for r in ds]
    files = [f"hf://datasets/{HUB_DATASET}/{name}" for name in hub_files(release_version)]
    return _read_with_datasets("json", files)


def load_lcb_problems(path: str | Path | None = None, *, release_version: str = "release_v1",
                      start_date: str | None = None, end_date: str | None = None
                      ) -> dict[str, LCBProblem]:
    """question_id -> problem, from a local file (JSON / JSONL / parquet) or the hub.

    ``start_date`` / ``end_date`` (ISO dates, inclusive) keep the contest window, as LCB's
    ``--start_date`` / ``--end_date`` do.
    """
    located: list[tuple[int | None, dict[str, Any]]]
    where: Any
    if path is not None:
        where = Path(path)
        if not where.exists():
            raise InputError(where, "no such file")
        suffix = where.suffix.lower()
        if suffix in (".json", ".jsonl"):
            located = _read_json_rows(where)
        elif suffix in (".parquet", ".arrow"):
            located = [(None, r) for r in _read_with_datasets(suffix[1:], str(where))]
        else:
            raise InputError(where, "expected a .json, .jsonl or .parquet file of "
                             "code_generation_lite rows")
    else:
        where = f"hub:{HUB_DATASET}@{release_version}"
        located = [(None, r) for r in load_hub_rows(release_version)]
    out: dict[str, LCBProblem] = {}
    for line, row in located:
        p = parse_row(row, where, line)
        date = p.contest_date[:10]
        if (start_date and date < start_date) or (end_date and date > end_date):
            continue
        if p.question_id in out:
            raise InputError(where, "duplicate question_id", line=line, task=p.question_id,
                             field="question_id")
        out[p.question_id] = p
    if not out:
        raise InputError(where, "no problems (after the date filter)")
    return out


def read_custom_output(path: str | Path, problems: Mapping[str, LCBProblem] | None = None
                       ) -> dict[str, list[str]]:
    """question_id -> code_list from an LCB custom-output file.

    Accepted shapes, as LCB's custom evaluator: a list of ``{question_id, code_list}``
    (LCB's own ``*_codegeneration_output.json`` has them too), or a list of code lists in
    the order of the sorted question ids (needs ``problems``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    if not text.strip():
        raise InputError(path, "empty file (expected a JSON list of {question_id, code_list})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({json_error_text(exc)})", line=exc.lineno) from None
    if not isinstance(data, list) or not data:
        raise InputError(path, "expected a non-empty JSON list")
    out: dict[str, list[str]] = {}
    if all(isinstance(x, list) for x in data):
        if problems is None:
            raise InputError(path, "a list of code lists needs the problems to know the ids")
        ids = sorted(problems, key=str)
        if len(ids) != len(data):
            raise InputError(path, f"{len(data)} code lists for {len(ids)} problems")
        pairs = list(zip(ids, data))
    else:
        pairs = []
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "question_id" not in item:
                raise InputError(path, f"item {i} has no question_id", field="question_id")
            if "code_list" not in item:
                raise InputError(path, f"item {i} has no code_list",
                                 task=str(item["question_id"]), field="code_list")
            pairs.append((str(item["question_id"]), item["code_list"]))
    for qid, codes in pairs:
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise InputError(path, "expected a list of code strings", task=qid,
                             field="code_list")
        if not codes:
            raise InputError(path, "empty code list", task=qid, field="code_list")
        if qid in out:
            raise InputError(path, "question listed twice", task=qid, field="question_id")
        if problems is not None and qid not in problems:
            raise InputError(path, "question not among the problems", task=qid,
                             field="question_id")
        out[qid] = list(codes)
    return out


def write_custom_output(path: str | Path, codes: Mapping[str, Sequence[str]]) -> None:
    """An LCB custom-output file (sorted by question id, as LCB sorts it)."""
    rows = [{"question_id": qid, "code_list": list(codes[qid])} for qid in sorted(codes, key=str)]
    Path(path).write_text(json.dumps(rows, indent=1), encoding="utf-8")
