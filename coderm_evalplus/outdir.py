"""Run folders that describe exactly one run.

A run folder (``select -o OUT``) holds picks, matrices, the report and, after
``coderm-evalplus report``, plots.  If a second run wrote into the same folder file by
file, files only the first run wrote (``picks/<selector>.jsonl`` of a selector not
compared any more, ``plots/*.png``) would survive and describe the wrong run.  So a run
is written into a hidden staging sibling and swapped into place only when it finished:
the old folder is replaced as a whole, and a failed or killed run leaves it untouched.

Everything that can make the swap impossible (OUT is a file, OUT is a folder that is not
a run folder, the parent cannot be written) is checked *before* any work, so a user never
loses a long run to a path mistake.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import UsageError

RUN_MARKERS = ("report.json", "picks.jsonl")
"""Files that make a folder recognisable as an earlier run (safe to replace)."""


def is_run_folder(path: Path) -> bool:
    return any((path / name).is_file() for name in RUN_MARKERS)


def check_out_dir(out: Path, option: str = "-o") -> None:
    """Raise a one-line :class:`UsageError` if ``out`` cannot become a run folder.

    Accepted: a path that does not exist yet (its parent is created), an empty folder,
    or a folder of an earlier run (it will be replaced).  Refused: an existing file, a
    non-empty folder that is not a run folder (replacing it would delete the user's
    files), a parent that cannot be written.
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option} {out}: is an existing file; give a folder path")
    if out.is_dir() and any(out.iterdir()) and not is_run_folder(out):
        raise UsageError(f"{option} {out}: folder is not empty and holds no earlier run "
                         "(no report.json); give a new or empty folder")
    check_writable_parent(out, option)


def check_writable_parent(out: Path, option: str) -> None:
    """The nearest existing folder above ``out`` takes a new entry (tried for real:
    permission bits do not tell for root, read-only mounts or /proc)."""
    parent = out.absolute().parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise UsageError(f"{option} {out}: {ancestor} is a file, not a folder")
            try:
                os.rmdir(tempfile.mkdtemp(prefix=".coderm-write-check-", dir=ancestor))
            except OSError as exc:
                raise UsageError(f"{option} {out}: cannot write in {ancestor} "
                                 f"({exc.strerror})") from None
            return


def check_out_file(out: Path, option: str = "-o") -> None:
    """Raise a one-line :class:`UsageError` if the file ``out`` cannot be written."""
    if out.is_dir():
        raise UsageError(f"{option} {out}: is a folder; give a file path")
    check_writable_parent(out, option)


class StagedDir:
    """A staging folder next to ``final``; :meth:`commit` swaps it into place.

    Use as a context manager: leaving the block without :meth:`commit` (an error, Ctrl-C)
    removes the staging folder and leaves ``final`` as it was.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        final.absolute().parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-",
                                          dir=final.absolute().parent))
        self.committed = False

    def commit(self) -> Path:
        """Replace ``final`` by the staging folder (two renames; the old run is deleted
        only after the new one is in place)."""
        old = None
        if self.final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.old-",
                                        dir=self.final.absolute().parent))
            os.rename(self.final, old / "run")
        os.rename(self.path, self.final)
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.final

    def __enter__(self) -> StagedDir:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)


def samples_stem(samples: Path) -> str:
    """A samples file's name without ``.jsonl`` (a folder's name as it is)."""
    return samples.name[:-len(".jsonl")] if samples.name.endswith(".jsonl") else samples.name


def default_out_dir(samples: Path, selector: str) -> Path:
    """``<samples stem>.coderm-<selector>/`` next to the samples: where a run on them
    writes unless told otherwise (evalplus too writes its results next to the samples)."""
    return samples.with_name(f"{samples_stem(samples)}.coderm-{selector}")


def default_picks_path(samples: Path, selector: str) -> Path:
    """``<samples stem>.coderm-<selector>.jsonl``: the picks as an evalplus samples file."""
    return samples.with_name(f"{samples_stem(samples)}.coderm-{selector}.jsonl")
