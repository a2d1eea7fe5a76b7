"""The ``evalplus.evaluate --selector`` start-up hook, installed from the repo into a
fresh venv (non-editable, so the wheel's .pth is what is tested), running the real
``evalplus.evaluate`` console script.

The venv sees the running interpreter's packages for the heavy dependencies (see
``child_env``: this works from a user's venv as well as from a system Python); our
package is installed into it from a copy of the repo with ``--no-deps``, and evalplus's console
script comes from ``pip install --no-deps evalplus==0.3.1`` into the venv (PyPI), or,
offline, the system's script run by the venv's interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from child_env import child_pip_install, make_child_venv
from test_evalplus_data import evalplus_env, last_printed, needs_data, write_case

pytestmark = [needs_data, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | list[str]]:
    root = tmp_path_factory.mktemp("hookvenv")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, src / name)
    for name in ("coderm_evalplus", "hooks"):
        shutil.copytree(REPO / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env_dir = root / "venv"
    py = make_child_venv(env_dir)
    child_pip_install(py, "--no-build-isolation", str(src), cwd=root)
    script = env_dir / "bin" / "evalplus.evaluate"
    got = child_pip_install(py, "--ignore-installed", "evalplus==0.3.1", cwd=root,
                            check=False)
    if got.returncode == 0 and script.exists():
        command: list[str] = [str(script)]
    else:  # offline: the system's console script, run by the venv's interpreter
        command = [str(py), shutil.which("evalplus.evaluate") or "evalplus.evaluate"]
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    return {"python": py, "evaluate": command, "site": site}


def test_wheel_installs_the_pth_and_it_is_inert_without_selector(venv) -> None:
    site = venv["site"]
    pth = site / "coderm_evalplus_hook.pth"
    assert pth.is_file() and (site / "coderm_evalplus").is_dir()
    assert not (site / "__editable__.coderm_evalplus-0.1.0.pth").exists()
    assert pth.read_text() == (REPO / "coderm_evalplus" / "harness" / "evalplus" / "cli" / "coderm_evalplus_hook.pth").read_text()
    probe = "import sys; print(sorted(m for m in sys.modules if m.startswith('coderm')))"
    plain = subprocess.run([str(venv["python"]), "-c", probe], capture_output=True,
                           text=True, check=True)
    assert plain.stdout.strip() == "[]"
    # with --selector the hook module loads, but stays passive outside evalplus.evaluate
    flagged = subprocess.run([str(venv["python"]), "-c", probe + "; import fire; "
                              "print(getattr(fire.Fire, '_coderm_wrapped', False))",
                              "--selector", "coderm"], capture_output=True, text=True,
                             check=True)
    assert "coderm_evalplus.harness.evalplus.cli.pth" in flagged.stdout
    assert flagged.stdout.strip().endswith("False")


def test_evalplus_evaluate_with_selector_prints_best_of_n(venv, tmp_path: Path) -> None:
    case = write_case("humaneval", tmp_path)
    env = {**os.environ, "HUMANEVAL_OVERRIDE_PATH": str(case.trimmed)}
    with evalplus_env(tmp_path / "xdg"):
        env.update(XDG_CACHE_HOME=os.environ["XDG_CACHE_HOME"],
                   EVALPLUS_MAX_MEMORY_BYTES="-1")
    started = time.monotonic()
    proc = subprocess.run(
        [*venv["evaluate"], "--dataset", "humaneval", "--samples", str(case.samples),
         "--selector", "coderm", "--tests", str(case.tests), "--num-tests", "5",
         "--no-progress", "--cache", str(tmp_path / "cache.db"), "--parallel", "2"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=400,
        cwd=tmp_path)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    picks = tmp_path / "samples.coderm-coderm.jsonl"
    results = tmp_path / "samples.coderm-coderm_eval_results.json"
    report = json.loads((tmp_path / "samples.coderm-coderm" / "report.json").read_text())
    assert picks.is_file() and results.is_file()
    assert len(picks.read_text().splitlines()) == len(case.tasks)
    printed = last_printed(proc.stdout)  # evalplus's own output for the picks
    assert printed["plus_pass@1"] == round(report["summary"]["selected_pick"], 3)
    assert printed["plus_pass@1"] == round(report["evalplus"]["selected_plus_pass@1"], 3)
    assert report["summary"]["selected_pick"] > report["summary"]["vanilla_pass@1"] == 0.25
    assert report["run"]["num_tests"] == 5
    # evalplus's result file for the picks holds exactly the picked programs
    graded = json.loads(results.read_text())["eval"]
    assert sorted(graded) == sorted(case.tasks)
    print(f"evalplus.evaluate --selector: {seconds:.1f} s")


def test_evalplus_evaluate_without_selector_is_untouched(venv, tmp_path: Path) -> None:
    case = write_case("humaneval", tmp_path)
    env = {**os.environ, "HUMANEVAL_OVERRIDE_PATH": str(case.trimmed),
           "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    cmd = venv["evaluate"]
    # -X importtime lists every module imported: ours must not be among them
    py_cmd = ([str(venv["python"]), "-X", "importtime", *cmd] if len(cmd) == 1
              else [cmd[0], "-X", "importtime", *cmd[1:]])
    proc = subprocess.run([*py_cmd, "--dataset", "humaneval", "--samples",
                           str(case.samples)], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = [line for line in proc.stderr.splitlines()
            if re.search(r"\|\s*coderm_evalplus(\.|$)", line)]
    assert ours == []
    assert "| evalplus.evaluate" in proc.stderr  # importtime really was on
    printed = last_printed(proc.stdout)  # one of four candidates per task is right
    assert printed["plus_pass@1"] == 0.25 and printed["base_pass@1"] >= 0.25
    assert (tmp_path / "samples_eval_results.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if "coderm" in p.name) == []
    # an unknown flag still fails as evalplus makes it fail
    bad = subprocess.run([*cmd, "--dataset", "humaneval", "--samples", str(case.samples),
                          "--tests", str(case.tests)], capture_output=True, text=True,
                         env=env, stdin=subprocess.DEVNULL, timeout=300, cwd=tmp_path)
    # (no frame of our package in its traceback; paths may contain "coderm" anyway,
    # e.g. a venv named after the project)
    assert bad.returncode != 0 and "coderm_evalplus" not in bad.stderr
