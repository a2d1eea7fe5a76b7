"""setuptools ``build_py`` that also ships the evalplus start-up ``.pth`` at the wheel's root.

Why: a ``.pth`` file must sit at the top of site-packages to run at start-up, and
setuptools has no option that puts a file there (``data_files`` go under the prefix,
package data inside the package).  The file exists once, as package data of
``coderm_evalplus.harness.evalplus.cli`` (where ``coderm-evalplus evalplus-hook install``
reads it); copying it into the build directory's root puts it at the root of the wheel,
which pip installs into purelib.  Referenced from
pyproject.toml as ``[tool.setuptools] cmdclass = {build_py = "hooks.build_pth.build_py"}``.

Editable installs (``pip install -e .``): setuptools (>= 64) builds an "editable wheel"
whose root is ``install_lib`` of the reinitialised ``install`` command, not
``build_lib``; we write the .pth there too.  If a setuptools version does not expose
that, run ``coderm-evalplus evalplus-hook install``.
"""

from __future__ import annotations

import os
import shutil

from setuptools.command.build_py import build_py as _build_py

PTH = "coderm_evalplus_hook.pth"
HERE = os.path.dirname(os.path.abspath(__file__))
#: The package-data copy (the only one in the source tree).
SOURCE = os.path.join(os.path.dirname(HERE), "coderm_evalplus", "harness", "evalplus", "cli", PTH)


class build_py(_build_py):  # noqa: N801 - setuptools command naming
    def run(self) -> None:
        super().run()
        src = SOURCE
        targets = [self.build_lib]
        if getattr(self, "editable_mode", False):
            install = self.get_finalized_command("install")
            if install.install_lib:
                targets = [install.install_lib]
        for target in targets:
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(src, os.path.join(target, PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            outputs.append(os.path.join(self.build_lib, PTH))
        return outputs
