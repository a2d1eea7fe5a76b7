"""A third-party plugin, installed with pip, is listed and used like a built-in."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from child_env import child_pip_install, make_child_venv

REPO = Path(__file__).resolve().parents[2]

PLUGIN = textwrap.dedent('''
    import numpy as np
    from coderm_evalplus import hookimpl, pick_among  # the public API, no internals


    class LastCandidate:
        """Always the last candidate: trivially recognisable in the picks."""

        name = "always-last"

        def select(self, problem, outcomes, rng):
            n = outcomes.verdicts.shape[0]
            return pick_among(problem.task_id, np.zeros(n), np.array([n - 1]), rng,
                              self.name)


    @hookimpl
    def register_selectors(register):
        register("always-last", LastCandidate)
''')

PYPROJECT = textwrap.dedent('''
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "coderm-plugin-always-last"
    version = "0.0.1"

    [project.entry-points.coderm_evalplus]
    always_last = "coderm_plugin_always_last"
''')


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plugin")
    src = root / "src"
    src.mkdir()
    (src / "pyproject.toml").write_text(PYPROJECT)
    (src / "coderm_plugin_always_last.py").write_text(PLUGIN)
    venv = root / "venv"
    # the child sees the running interpreter's packages (coderm-evalplus and its
    # dependencies); the plugin is installed only into the child, so the host
    # environment is left as it was.
    py = make_child_venv(venv)
    child_pip_install(py, "--no-build-isolation", str(src), cwd=root)
    return py


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CODERM_EVALPLUS_LOAD_PLUGINS", None)  # load every installed plugin
    # the child runs this checkout's package, however the parent installed it (an
    # editable install's finder lives in a .pth the child does not process)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def test_installed_plugin_is_listed(plugin_venv: Path) -> None:
    out = subprocess.run([str(plugin_venv), "-m", "coderm_evalplus.cli", "plugins", "--json"],
                         capture_output=True, text=True, env=_env(), check=True).stdout
    table = json.loads(out)
    assert "always-last" in table["selectors"]
    assert "coderm" in table["selectors"]  # built-ins still there
    assert "always_last" in table["plugins"]


def test_load_plugins_variable_limits_loading(plugin_venv: Path) -> None:
    env = _env()
    env["CODERM_EVALPLUS_LOAD_PLUGINS"] = ""
    out = subprocess.run([str(plugin_venv), "-m", "coderm_evalplus.cli", "plugins", "--json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert "always-last" not in json.loads(out)["selectors"]


def test_installed_plugin_selects(plugin_venv: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    proc = subprocess.run(
        [str(plugin_venv), "-m", "coderm_evalplus.cli", "demo", "--selector", "always-last",
         "--compare", "coderm", "--no-progress", "--no-cache", "-o", str(out_dir)],
        capture_output=True, text=True, env=_env())
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out_dir / "report.json").read_text())
    assert report["run"]["selector"] == "always-last"
    for row in report["problems"]:
        assert row["pick"] == row["candidates"] - 1
    assert "always-last" in report["summary"]["per_selector"]
