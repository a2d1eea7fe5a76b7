"""LiveCodeBench harness: row decoding, samples files, execution programs, prompt, grading glue."""

from __future__ import annotations

import base64
import json
import pickle
import sys
import zlib
from pathlib import Path

import pytest

from coderm_evalplus.errors import InputError, UsageError
from coderm_evalplus.harness.livecodebench import data as lcb_data
from coderm_evalplus.harness.livecodebench import grader as lcb_grader
from coderm_evalplus.harness.livecodebench import programs as lcb_programs
from coderm_evalplus.model import Candidate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lcb"
PROBLEMS = FIXTURES / "problems.jsonl"
SAMPLES = FIXTURES / "samples.json"


def _rows() -> list[dict]:
    return [json.loads(line) for line in PROBLEMS.read_text().splitlines()]


def _run(program: str, call: str, stdin_fd_closed: bool = True):
    """Exec an execution program as the worker does (namespace "solution"), eval a call."""
    ns = {"__name__": "solution"}
    exec(program, ns)
    return eval(call, ns)


# ------------------------------------------------------------------ problems

def test_fixture_rows_decode_both_private_encodings():
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    assert sorted(problems) == ["abc-sum-multiples", "cf-abs-diff", "lc-count-pairs",
                                "lc-min-ops-3"]
    rows = {r["question_id"]: r for r in _rows()}
    assert rows["lc-count-pairs"]["private_test_cases"].startswith("[")  # plain JSON
    assert not rows["lc-min-ops-3"]["private_test_cases"].startswith("[")  # compressed
    assert len(problems["lc-count-pairs"].private_tests) == 4
    assert problems["lc-min-ops-3"].private_tests[1] == {
        "input": "[2, 4, 5, 7]", "output": "4", "testtype": "functional"}
    assert problems["abc-sum-multiples"].private_tests[0]["output"] == "18\n"
    assert problems["lc-min-ops-3"].fn_name == "minimumOperations"
    assert problems["cf-abs-diff"].fn_name is None
    assert problems["cf-abs-diff"].kind == "stdin"


def test_evaluation_sample_is_lcb_shape():
    p = lcb_data.load_lcb_problems(PROBLEMS)["lc-count-pairs"]
    io = json.loads(p.evaluation_sample()["input_output"])
    assert io["fn_name"] == "countPairs"
    assert len(io["inputs"]) == len(io["outputs"]) == 5  # public + private
    assert io["inputs"][0] == "[-1, 1, 2, 3, 1]\n2"


def test_to_problem_kinds_and_meta():
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    call = problems["lc-count-pairs"].to_problem()
    assert (call.kind, call.entry_point) == ("function", "countPairs")
    std = problems["cf-abs-diff"].to_problem()
    assert (std.kind, std.entry_point) == ("stdin", "solve")
    assert std.meta["harness"] == "livecodebench" and std.meta["platform"] == "codeforces"


def test_json_array_and_parquet_load_like_jsonl(tmp_path):
    rows = _rows()
    arr = tmp_path / "rows.json"
    arr.write_text(json.dumps(rows))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet")
    base = lcb_data.load_lcb_problems(PROBLEMS)
    for path in (arr, tmp_path / "rows.parquet"):
        other = lcb_data.load_lcb_problems(path)
        assert {q: (p.private_tests, p.fn_name) for q, p in other.items()} == \
            {q: (p.private_tests, p.fn_name) for q, p in base.items()}


def test_date_window_filters():
    got = lcb_data.load_lcb_problems(PROBLEMS, start_date="2024-03-01", end_date="2024-05-31")
    assert sorted(got) == ["abc-sum-multiples", "cf-abs-diff"]
    with pytest.raises(InputError, match="no problems"):
        lcb_data.load_lcb_problems(PROBLEMS, start_date="2030-01-01")


def test_bad_rows_name_file_line_task_field(tmp_path):
    rows = _rows()
    del rows[1]["public_test_cases"]
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InputError) as err:
        lcb_data.load_lcb_problems(path)
    assert str(err.value) == (f"{path}:2: task lc-min-ops-3: field 'public_test_cases': "
                              "missing field")
    rows = _rows()
    rows[2]["private_test_cases"] = "!!not base64 nor json"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InputError, match=r":3: task abc-sum-multiples: field "
                       r"'private_test_cases': neither JSON"):
        lcb_data.load_lcb_problems(path)
    path.write_text('{"question_id": 1,\n')
    with pytest.raises(InputError, match=r"bad.jsonl:1: not valid JSON"):
        lcb_data.load_lcb_problems(path)


def test_compressed_tests_refuse_pickled_objects():
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    payload = base64.b64encode(zlib.compress(pickle.dumps(Evil()))).decode()
    with pytest.raises(InputError, match="neither JSON"):
        lcb_data.decode_test_cases(payload, "f.jsonl", "q1", "private_test_cases")


def test_hub_release_files():
    assert lcb_data.hub_files("release_v1") == ["test.jsonl"]
    assert lcb_data.hub_files("release_v3") == ["test.jsonl", "test2.jsonl", "test3.jsonl"]
    assert lcb_data.hub_files("v2") == ["test2.jsonl"]
    assert lcb_data.hub_files("v4_v5") == ["test4.jsonl", "test5.jsonl"]
    assert len(lcb_data.hub_files("release_latest")) == 6
    with pytest.raises(UsageError):
        lcb_data.hub_files("release_v9")


# ------------------------------------------------------------------ samples

def test_custom_output_shapes_and_errors(tmp_path):
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    samples = lcb_data.read_custom_output(SAMPLES, problems)
    assert {len(v) for v in samples.values()} == {5}
    lists = tmp_path / "lists.json"
    lists.write_text(json.dumps([samples[q] for q in sorted(samples)]))
    assert lcb_data.read_custom_output(lists, problems) == samples
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"question_id": "nope", "code_list": ["x"]}]))
    with pytest.raises(InputError, match="task nope: field 'question_id': question not"):
        lcb_data.read_custom_output(bad, problems)
    bad.write_text(json.dumps([{"question_id": "lc-min-ops-3", "code_list": [1]}]))
    with pytest.raises(InputError, match="field 'code_list'"):
        lcb_data.read_custom_output(bad, problems)
    out = tmp_path / "picks.json"
    lcb_data.write_custom_output(out, {"b": ["2"], "a": ["1"]})
    assert json.loads(out.read_text()) == [{"question_id": "a", "code_list": ["1"]},
                                           {"question_id": "b", "code_list": ["2"]}]


# ------------------------------------------------------------------ execution programs

ABS = "t = int(input())\nfor _ in range(t):\n    a, b = map(int, input().split())\n    print(abs(a - b))\n"


def test_stdin_program_runs_and_restores_streams():
    prog = lcb_programs.stdin_execution_program(ABS)
    before = (sys.stdin, sys.stdout, sys.getrecursionlimit())
    out = _run(prog, 'solve("2\\n1 5\\n7 3\\n")')
    assert str(out) == "4\n4\n"
    assert (sys.stdin, sys.stdout, sys.getrecursionlimit()) == before
    crash = lcb_programs.stdin_execution_program("x = int(input())\nprint(1 // (x - x))\n")
    with pytest.raises(ZeroDivisionError):
        _run(crash, 'solve("3")')
    assert (sys.stdin, sys.stdout, sys.getrecursionlimit()) == before


def test_stdin_output_compares_like_lcb():
    out = _run(lcb_programs.stdin_execution_program("print('6 ')\nprint(' 1.50')\n"), "solve('')")
    assert out == "6\n1.5"  # stripped lines, decimals
    assert "6\n1.50\n" == out  # reflected: the subclass's __eq__ wins
    assert out != "6 1.5"
    assert not (out == "6\n1.6")
    assert out.strip() == "6 \n 1.50"  # plain str methods are untouched
    assert _run(lcb_programs.stdin_execution_program("print(*[4, 4])"), "solve('')") != "4\n4"


@pytest.mark.parametrize("code,expect", [
    ("import sys\nprint(sys.stdin.read().split()[1])", "b"),
    ("from sys import stdin\nprint(stdin.readline())", "a b"),
    ("import sys\ninput = sys.stdin.readline\nprint(input().split()[0])", "a"),
    ("def main():\n    print(input())\nif __name__ == '__main__':\n    main()", "a b"),
    ("print(input())\nexit()\nprint('after')", "a b"),
])
def test_stdin_idioms_work(code, expect):
    assert _run(lcb_programs.stdin_execution_program(code), "solve('a b\\n')") == expect


@pytest.mark.parametrize("code,error", [
    ("import sys\nprint(sys.stdin.buffer.read())", AttributeError),  # LCB: StringIO stdin
    ("r = []\ndef f():\n    global r\n    r.append(1)\nf()\nprint(r)", NameError),
])
def test_stdin_quirks_of_lcbs_grader_are_reproduced(code, error):
    with pytest.raises(error):
        _run(lcb_programs.stdin_execution_program(code), "solve('x')")


def test_stdin_syntax_error_fails_at_load():
    with pytest.raises(SyntaxError):
        _run(lcb_programs.stdin_execution_program("print(("), "solve('')")


def test_call_based_alias_header_and_tuples():
    code = ("class Solution:\n    def pair(self, nums: List[int]) -> List[int]:\n"
            "        return (min(nums), max(nums))\n")
    prog = lcb_programs.call_based_execution_program(code, "pair")
    assert _run(prog, "pair([3, 1, 2])") == [1, 3]  # tuple -> list, as LCB
    assert _run(prog, "Solution().pair([3, 1, 2])") == (1, 3)
    own = "def pair(nums):\n    return 7\n"
    assert _run(lcb_programs.call_based_execution_program(own, "pair"), "pair([1])") == 7
    assert "def pair(*args" not in lcb_programs.call_based_execution_program("x = (", "pair")


def test_build_problems_keeps_sampled_code():
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    samples = lcb_data.read_custom_output(SAMPLES, problems)
    built = {p.task_id: p for p in lcb_programs.build_problems(problems, samples)}
    c = built["cf-abs-diff"].candidates[0]
    assert c.meta["code"] == samples["cf-abs-diff"][0]
    assert "def solve(" in c.source and lcb_programs.original_code(c) == samples["cf-abs-diff"][0]


# ------------------------------------------------------------------ prompt

def test_prompt_shows_sampled_code_in_function_format():
    from coderm_evalplus.plugins import load_plugins

    problems = lcb_data.load_lcb_problems(PROBLEMS)
    samples = lcb_data.read_custom_output(SAMPLES, problems)
    built = {p.task_id: p for p in lcb_programs.build_problems(problems, samples)}
    hook = load_plugins().hook.build_test_prompt
    call = built["lc-min-ops-3"]
    msg = hook(problem=call, candidate=call.candidates[3])[0]["content"]
    code = msg.split("### code solution\n", 1)[1]
    assert "def minimumOperations(nums: List[int]) -> int:" in code
    assert "self" not in code and "from statistics import" not in code
    assert "def minimumOperations(*args" not in code
    assert "def minimumOperations(nums: List[int]) -> int:" in msg.split("### code solution")[0]
    std = built["cf-abs-diff"]
    msg = hook(problem=std, candidate=std.candidates[0])[0]["content"]
    assert "def solve(input_str: str) -> str:" in msg
    assert "t = int(sys.stdin.readline())" in msg and "wrapped_function" not in msg
    assert "it's corresponding" in msg


# ------------------------------------------------------------------ grading glue

def test_fake_grader_gets_equal_widths_and_two_problems():
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    seen = {}

    def fake_grader(samples, generations, k_list, num_process_evaluate, timeout):
        seen["widths"] = {len(g) for g in generations}
        seen["n"] = len(samples)
        results = {i: [[True] if code.startswith("ok") else [-2] for code in g]
                   for i, g in enumerate(generations)}
        meta = [["{}"] * len(g) for g in generations]
        return [{"pass@1": 0.123, "detail": {}}, results, meta]

    got = lcb_grader.grade_code_lists(problems, {"lc-count-pairs": ["ok", "no", "ok"],
                                          "cf-abs-diff": ["no"]}, grader=fake_grader)
    assert seen == {"widths": {3}, "n": 2}
    assert got.graded == {"cf-abs-diff": [False], "lc-count-pairs": [True, False, True]}
    assert got.pass_at_1 == pytest.approx((0 + 2 / 3) / 2)  # padding never counts
    one = lcb_grader.grade_code_lists(problems, {"lc-count-pairs": ["ok"]}, grader=fake_grader)
    assert seen["n"] == 2 and one.graded == {"lc-count-pairs": [True]}
    assert one.pass_at_1 == 1.0


def test_harness_is_registered():
    from coderm_evalplus.plugins import get_harness

    h = get_harness("livecodebench")
    problems = h.load_problems(problems=str(PROBLEMS), samples=str(SAMPLES))
    assert len(problems) == 4 and all(len(p.candidates) == 5 for p in problems)
    assert isinstance(problems[0].candidates[0], Candidate)
