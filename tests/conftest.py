"""Session-wide test environment.

* EvalPlus runs offline on the dataset files in ``../shared/data`` (read once at
  ``evalplus.data`` import, so the variables are set before anything imports it).
* Caches (our verdict cache, evalplus's expected outputs) go to a private directory per
  test session unless ``CODERM_TEST_CACHE`` names one to reuse, so tests never read or
  pollute a user's cache; the private one is removed when the session ends.
* Only the built-in plugins load unless a test asks otherwise.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CODERM_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"

_DATASETS = {
    "HUMANEVAL_OVERRIDE_PATH": DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl",
    "MBPP_OVERRIDE_PATH": DATA / "evalplus" / "MbppPlus-v0.2.0.jsonl",
}
for _var, _path in _DATASETS.items():
    if _path.exists():
        os.environ.setdefault(_var, str(_path))

if "CODERM_TEST_CACHE" in os.environ:
    os.environ["XDG_CACHE_HOME"] = os.environ["CODERM_TEST_CACHE"]
else:
    # a private cache per session, removed when the session's process exits: a user
    # running the README's test command must not find one more directory in /tmp
    # after every run (the subprocesses that write into it have all ended by then)
    _SESSION_CACHE = tempfile.mkdtemp(prefix="coderm-test-cache-")
    os.environ["XDG_CACHE_HOME"] = _SESSION_CACHE
    atexit.register(shutil.rmtree, _SESSION_CACHE, ignore_errors=True)
os.environ.setdefault("CODERM_EVALPLUS_LOAD_PLUGINS", "")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with a clear reason when it is absent."""
    if not DATA.exists():
        pytest.skip(f"shared data not found at {DATA} (set CODERM_SHARED)")
    return DATA


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With CODERM_REQUIRE_DOCKER=1 (set by CI after it started a daemon and built the
    image), a skipped docker test is a failure: CI must never pass by skipping them."""
    outcome = yield
    report = outcome.get_result()
    if (os.environ.get("CODERM_REQUIRE_DOCKER") == "1" and report.skipped
            and item.get_closest_marker("docker") is not None):
        report.outcome = "failed"
        report.longrepr = f"docker test skipped although CODERM_REQUIRE_DOCKER=1: {report.longrepr}"
