"""``coderm_evalplus`` exposes a public API for plugin authors, and importing it is cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import coderm_evalplus


def test_every_public_name_resolves_to_its_defining_object():
    import importlib

    assert coderm_evalplus.__all__, "empty public API"
    for name in coderm_evalplus.__all__:
        value = getattr(coderm_evalplus, name)
        home = importlib.import_module(coderm_evalplus._EXPORTS[name])
        assert value is getattr(home, name), name
    assert set(coderm_evalplus.__all__) <= set(dir(coderm_evalplus))


def test_public_api_covers_hookimpl_records_errors_and_run():
    from coderm_evalplus import hookimpl, pipeline
    from coderm_evalplus.hookspecs import hookimpl as internal

    assert hookimpl is internal
    for name in ("Problem", "Candidate", "UnitTest", "OutcomeMatrix", "Selection", "Verdict",
                 "UsageError", "InputError", "RunError", "RunConfig", "run", "select_all"):
        assert name in coderm_evalplus.__all__, name
    assert coderm_evalplus.run is pipeline.run


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        coderm_evalplus.no_such_name  # noqa: B018


def _fresh_import(code: str) -> dict:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=True, timeout=60)
    return {"modules": json.loads(out.stdout), "importtime": out.stderr}


def test_importing_the_package_loads_no_numpy_and_no_evalplus():
    """The .pth start-up hook imports the package in every Python process."""
    got = _fresh_import("import sys, json, coderm_evalplus; "
                        "print(json.dumps(sorted(sys.modules)))")
    mods = got["modules"]
    assert "coderm_evalplus" in mods
    heavy = [m for m in mods if m.split(".")[0] in ("numpy", "evalplus", "rich", "pluggy")]
    assert heavy == []
    own = [m for m in mods if m.startswith("coderm_evalplus.")]
    assert own == []
    # and -X importtime agrees: no numpy line in the import trace
    assert "| numpy" not in got["importtime"] and "coderm_evalplus" in got["importtime"]


def test_a_public_name_imports_only_what_it_needs():
    got = _fresh_import("import sys, json; from coderm_evalplus import UsageError; "
                        "print(json.dumps(sorted(sys.modules)))")
    assert "coderm_evalplus.errors" in got["modules"]
    assert "numpy" not in got["modules"]
