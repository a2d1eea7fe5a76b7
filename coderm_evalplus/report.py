"""Rendering of a run's report dict: rich tables, a JSON file, PNG plots.

The pipeline writes ``OUT/report.json``; this module only *reads* that dict, so a report
from an older or partial run (a key missing, a value ``None``) still renders: absent
numbers print as a dash, absent sections are skipped.  Fractions are stored in [0, 1]
and printed as percentages with two decimals.

matplotlib is an optional extra (``coderm-evalplus[plots]``); it is imported only when a
plot is drawn, and through its object-oriented API (``Figure`` + Agg canvas) so drawing
never switches the global pyplot backend of a host process (a notebook, pytest).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import InputError, RunError
from .inputs.jsonl import json_error_text

DASH = "—"
PLOTS_HINT = "pip install 'coderm-evalplus[plots]'"
FIG_SIZE = (8.0, 5.0)  # inches; at FIG_DPI this gives 800 x 500 pixel PNGs
FIG_DPI = 100


class PlotsUnavailable(RunError):
    """matplotlib is not installed; the message says how to get it."""


# ----------------------------------------------------------------------------- format
def pct(x: Any) -> str:
    """A fraction in [0, 1] as ``12.34%``; a dash when unknown."""
    if not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x):
        return DASH
    return f"{100.0 * x:.2f}%"


def num(x: Any, digits: int = 2) -> str:
    """An int as is, a float with ``digits`` decimals (ints stored as floats drop them)."""
    if isinstance(x, bool) or x is None:
        return DASH
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float) and math.isfinite(x):
        return str(int(x)) if x.is_integer() else f"{x:.{digits}f}"
    return DASH


def fixed(x: Any, digits: int = 2) -> str:
    """A measured quantity (seconds, rates) always with ``digits`` decimals."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return DASH
    return f"{x:.{digits}f}"


def mark(x: Any) -> str:
    """A label: yes / no / unknown (only real booleans count: 0 and 1 are not labels)."""
    if x is True:
        return "[green]yes[/]"
    if x is False:
        return "[red]no[/]"
    return DASH


def _section(report: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = report.get(key)
    return value if isinstance(value, Mapping) else {}


# ----------------------------------------------------------------------------- tables
def _key_value_table(title: str, key: str, justify: str = "left") -> Table:
    """A headerless two-column table (bold key, folded value): the run's settings, its
    cost and the grader's output all print this way, so they line up alike."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(key, style="bold")
    table.add_column("value", justify=justify, overflow="fold")  # type: ignore[arg-type]
    return table


def run_table(report: Mapping[str, Any]) -> Table | None:
    """The settings of the run (selector, seed, sandbox, limits, inputs)."""
    run = _section(report, "run")
    if not run:
        return None
    table = _key_value_table("Run", "setting")
    for key, value in run.items():
        table.add_row(escape(str(key)), DASH if value is None else escape(str(value)))
    return table


def problems_table(report: Mapping[str, Any], limit: int | None = None) -> Table | None:
    """Per problem: the pick, its score, the tie it came from, and its label if known."""
    problems = report.get("problems")
    if not isinstance(problems, Sequence) or not problems:
        return None
    selector = _section(report, "run").get("selector")
    title = "Picks" + (f" ({selector})" if selector else "")
    labelled = _has_labels(report)
    # The table must fit 80 columns (a pipe, a CI log) without cutting a header or a
    # number to "sco…": short headers, no vertical rules, collapsed padding (~70
    # columns for HumanEval ids and 4-digit counts), numbers fold rather than truncate;
    # the label columns only when there are labels.  The caption explains the headers.
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                  collapse_padding=True, pad_edge=False)
    table.add_column("task", no_wrap=True)
    for name in ("cands", "tests", "rej", "pick", "passed", "tie"):
        table.add_column(name, justify="right", overflow="fold")
    caption = ("rej: completions rejected by extraction; passed: tests the pick passed; "
               "tie: candidates the rule could not separate")
    if labelled:
        table.add_column("ok", justify="center")
        table.add_column(escape("E[acc]"), justify="right", overflow="fold")
        table.add_column("vanilla", justify="right", overflow="fold")
        caption += "; ok: pick is correct; E[acc]: tie-aware expected accuracy"
    table.caption = escape(caption)
    shown = problems if not limit or limit <= 0 else problems[:limit]
    for p in shown:
        if not isinstance(p, Mapping):
            continue
        tied = p.get("tied")
        cells = [escape(str(p.get("task_id", DASH))), num(p.get("candidates")),
                 num(p.get("tests")), num(p.get("rejected")), num(p.get("pick")),
                 num(p.get("score")), str(len(tied)) if isinstance(tied, Sequence) else DASH]
        if labelled:
            cells += [mark(p.get("pick_correct")), pct(p.get("expected")),
                      pct(p.get("vanilla"))]
        table.add_row(*cells)
    if len(shown) < len(problems):
        table.caption = f"{len(problems) - len(shown)} more problems not shown; " + str(
            table.caption)
    return table


def summary_table(report: Mapping[str, Any]) -> Table | None:
    """One row per selector: vanilla pass@1, selected (tie-aware and actual pick), oracle."""
    summary = _section(report, "summary")
    if not summary:
        return None
    table = Table(title=f"Summary ({num(summary.get('tasks'))} tasks)", title_justify="left")
    for name in ("selector", "vanilla pass@1", "selected (expected)", "selected (pick)",
                 "oracle"):  # headers wrap at spaces, numbers fold: nothing is cut
        table.add_column(name, justify="left" if name == "selector" else "right",
                         overflow="fold")
    vanilla, oracle = pct(summary.get("vanilla_pass@1")), pct(summary.get("oracle"))
    rows: dict[str, Mapping[str, Any]] = {}
    per = summary.get("per_selector")
    if isinstance(per, Mapping):
        rows.update({str(k): v for k, v in per.items() if isinstance(v, Mapping)})
    main = _section(report, "run").get("selector")
    if main is None and not rows:
        main = "selected"
    if main is not None and str(main) not in rows:
        rows = {str(main): summary, **rows}
    for name, row in rows.items():
        style = "bold" if name == main else None
        table.add_row(escape(name), vanilla, pct(row.get("selected")),
                      pct(row.get("selected_pick")),
                      oracle, style=style)
    if not _has_labels(report):
        table.caption = escape(NO_LABELS_HINT)
    return table


NO_LABELS_HINT = ("no accuracy without labels (which candidates are correct): give "
                  "--labels FILE, e.g. from `coderm-evalplus labels --samples S "
                  "--problems humaneval -o FILE`, or evalplus's *_eval_results.json")


def _has_labels(report: Mapping[str, Any]) -> bool:
    """Whether any number in the report needs labels: without them every accuracy column
    is a dash and says nothing."""
    summary = _section(report, "summary")
    if isinstance(summary.get("vanilla_pass@1"), (int, float)):
        return True
    problems = report.get("problems")
    return isinstance(problems, Sequence) and any(
        isinstance(p, Mapping) and (p.get("pick_correct") is not None
                                    or p.get("vanilla") is not None) for p in problems)


def quality_table(report: Mapping[str, Any]) -> Table | None:
    """Acc / F1 / FAR / FRR of individual tests and of the vote (correct = positive)."""
    quality = _section(report, "test_quality")
    if not quality:
        return None
    table = Table(title="Test quality (correct candidate = positive)", title_justify="left")
    for name in ("", "Acc", "F1", "FAR", "FRR"):
        table.add_column(name, justify="left" if not name else "right")
    for key, label in (("individual", "individual tests"), ("vote", "vote")):
        row = quality.get(key)
        if isinstance(row, Mapping):
            table.add_row(label, *(pct(row.get(m)) for m in ("acc", "f1", "far", "frr")))
    return table if table.row_count else None


def cost_table(report: Mapping[str, Any]) -> Table | None:
    """Pairs executed vs served from the cache, and seconds per stage."""
    cost = _section(report, "cost")
    if not cost:
        return None
    table = _key_value_table("Run cost", "what", justify="right")
    for key, label in (("pairs_total", "pairs (candidate x test)"),
                       ("pairs_distinct", "distinct pairs"),
                       ("pairs_executed", "pairs executed"), ("cache_hits", "cache hits")):
        if key in cost:
            table.add_row(label, num(cost.get(key)))
    seconds = cost.get("seconds")
    rate = cost.get("pairs_per_second")
    if isinstance(seconds, Mapping):
        total = 0.0
        for stage, value in seconds.items():
            table.add_row(escape(f"seconds: {stage}"), fixed(value))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total += float(value)
        if len(seconds) > 1:
            table.add_row("seconds: total", fixed(total))
        executed, spent = cost.get("pairs_executed"), seconds.get("execute")
        if (rate is None and isinstance(executed, (int, float))
                and isinstance(spent, (int, float)) and spent > 0):
            rate = executed / spent
    if cost.get("pairs_executed") == 0:  # a rate of 0.0 would read as "stuck"
        table.add_row("pairs / second (execute)", "— (every pair from the cache)")
    elif rate is not None:
        table.add_row("pairs / second (execute)", fixed(rate, 1))
    verdicts = cost.get("verdicts")
    if isinstance(verdicts, Mapping) and verdicts:
        table.add_row("verdicts", escape(", ".join(f"{k.lower()} {num(v)}"
                                                   for k, v in verdicts.items())))
    isolation = cost.get("isolation")
    if isinstance(isolation, Mapping) and isolation:
        table.add_row("isolation", escape(", ".join(f"{k}={v}" for k, v in isolation.items())))
    elif isinstance(isolation, str):
        table.add_row("isolation", escape(isolation))
    return table


def grader_table(report: Mapping[str, Any]) -> Table | None:
    """Whatever the harness grader reported, as key / value rows."""
    grader = _section(report, "grader")
    if not grader:
        return None
    table = _key_value_table("Grader", "key")
    for key, value in grader.items():
        if isinstance(value, float) and 0.0 <= value <= 1.0:
            text = pct(value)
        elif isinstance(value, (Mapping, list)):
            text = json.dumps(value, default=str)
            text = text if len(text) <= 80 else text[:77] + "..."
        else:
            text = str(value)
        table.add_row(escape(str(key)), escape(text))
    return table


def render(report: Mapping[str, Any], console: Console | None = None, *,
           problems: bool = True, limit: int | None = None) -> None:
    """Print every table the report has data for, in reading order."""
    console = console or Console()
    tables = [run_table(report),
              problems_table(report, limit) if problems else None,
              summary_table(report), quality_table(report), cost_table(report),
              grader_table(report)]
    for table in tables:
        if table is not None:
            console.print(table)


def print_report(report: Mapping[str, Any], console: Console | None = None, *,
                 limit: int | None = None) -> None:
    """What ``select`` / ``demo`` print at the end of a run: every table of ``render``."""
    render(report, console, limit=limit)


# ----------------------------------------------------------------------------- JSON
def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays, paths and dataclasses converted; NaN -> None."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _plain(value.tolist())
    return str(value)


def write_json(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the report as strict JSON (atomic rename, so a killed run leaves no half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(_plain(report), fh, indent=2, ensure_ascii=False, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a report.json (or RUN_DIR containing one); bad input is a one-line InputError."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    if not path.is_file():
        raise InputError(path, "no report here (write one with `coderm-evalplus select ... "
                               "-o RUN_DIR`)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({json_error_text(exc)})",
                         line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError(path, f"expected a JSON object, got {type(data).__name__}")
    return data


# ----------------------------------------------------------------------------- plots
def _figure(width: float, height: float, dpi: int) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsUnavailable(f"plots need matplotlib: {PLOTS_HINT}") from None
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: Path, dpi: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")  # no bbox_inches="tight": keep the pixel size
    return path


def _finite(values: Any) -> list[float] | None:
    if not isinstance(values, Sequence):
        return None
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        out.append(float(v))
    return out


CURVE_LABELS = {"tests": "fixed: m random tests per problem",
                "dynamic": "dynamic allocation (--scaling dynamic)"}


def plot_curves(report: Mapping[str, Any], path: str | os.PathLike[str], *,
                size: tuple[float, float] = FIG_SIZE, dpi: int = FIG_DPI) -> Path | None:
    """Accuracy vs number of tests (one line per curve, bootstrap band when lo/hi given),
    with vanilla pass@1 and the oracle as reference lines.  None when there is no curve."""
    curves = _section(report, "curves")
    usable = []
    for name, curve in curves.items():
        if not isinstance(curve, Mapping):
            continue
        m, mean = _finite(curve.get("m")), _finite(curve.get("mean"))
        if m and mean and len(m) == len(mean):
            lo, hi = _finite(curve.get("lo")), _finite(curve.get("hi"))
            band = (lo, hi) if lo and hi and len(lo) == len(hi) == len(m) else None
            usable.append((str(name), m, mean, band))
    if not usable:
        return None
    fig = _figure(*size, dpi)
    ax = fig.add_subplot(1, 1, 1)
    for name, m, mean, band in usable:
        label = CURVE_LABELS.get(name, name)
        (line,) = ax.plot(m, [100 * y for y in mean], marker="o", label=label)
        if band:
            ax.fill_between(m, [100 * y for y in band[0]], [100 * y for y in band[1]],
                            alpha=0.25, color=line.get_color(),
                            label="95% of random test subsets")
    summary = _section(report, "summary")
    for key, label, style in (("vanilla_pass@1", "vanilla pass@1", ":"),
                              ("oracle", "oracle", "--")):
        value = summary.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ax.axhline(100 * value, linestyle=style, color="gray", label=label)
    names = [u[0] for u in usable]
    ax.set_xlabel("tests per problem" + (" (dynamic: mean over problems)"
                                         if "dynamic" in names else ""))
    ax.set_ylabel("tie-aware accuracy of the pick (%)")
    selector = _section(report, "run").get("selector")
    ax.set_title("Accuracy vs tests" + (f" ({selector})" if selector else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")  # accuracy curves rise to the right: "best" avoids them
    return _save(fig, Path(path), dpi)


def _passed_fractions(report: Mapping[str, Any]) -> tuple[list[float], list[float]]:
    """Share of its problem's tests each pick passed, and each candidate passed.

    One quantity for every selector: the pick's ``score`` and the candidates' ``passed``
    are tests passed, divided by the problem's test count (problems have different
    numbers of tests).  The selectors' own ``scores`` are deliberately not used: for
    codet they are cluster size x tests passed, on another scale.  Problems without
    tests are skipped; a report without ``passed`` (older runs) gives picks only."""
    picks: list[float] = []
    everyone: list[float] = []
    for p in report.get("problems") or []:
        if not isinstance(p, Mapping):
            continue
        tests = p.get("tests")
        if isinstance(tests, bool) or not isinstance(tests, (int, float)) or tests <= 0:
            continue
        score = p.get("score")
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            picks.append(float(score) / tests)
        everyone.extend(x / tests for x in _finite(p.get("passed")) or [])
    return picks, everyone


def plot_scores(report: Mapping[str, Any], path: str | os.PathLike[str], *,
                size: tuple[float, float] = FIG_SIZE, dpi: int = FIG_DPI) -> Path | None:
    """Histogram of the share of tests passed by the picks against the same share for
    all candidates.  None when no problem has tests and a pick score."""
    picks, everyone = _passed_fractions(report)
    if not picks:
        return None
    fig = _figure(*size, dpi)
    ax = fig.add_subplot(1, 1, 1)
    bins = [i / 20 for i in range(21)]
    # Each histogram sums to 1 (a share, not a count): there are N times more candidates
    # than picks, and the question is whether picks sit further right.
    if everyone:
        ax.hist(everyone, bins=bins, alpha=0.5, label=f"all candidates ({len(everyone)})",
                weights=[1 / len(everyone)] * len(everyone))
    untested = sum(1 for p in report.get("problems") or []
                   if isinstance(p, Mapping) and p.get("tests") == 0)
    ax.hist(picks, bins=bins, alpha=0.9, label=f"picks ({len(picks)} problems"
            + (f"; {untested} without tests left out)" if untested else ")"),
            weights=[1 / len(picks)] * len(picks),
            histtype="step" if everyone else "bar", linewidth=2)
    selector = _section(report, "run").get("selector")
    ax.set_xlabel("share of the problem's tests passed")
    ax.set_ylabel("share of picks / of candidates")
    ax.set_xlim(0, 1)
    ax.set_title("Tests passed by the picks" + (f" of {selector}" if selector else "")
                 + (" and by all candidates" if everyone else ""))
    ax.legend(loc="best")
    return _save(fig, Path(path), dpi)


def write_plots(report: Mapping[str, Any], out_dir: str | os.PathLike[str], *,
                size: tuple[float, float] = FIG_SIZE, dpi: int = FIG_DPI) -> list[Path]:
    """Every plot the report has data for, as PNGs in ``out_dir``; their paths."""
    out = Path(out_dir)
    written = [plot_curves(report, out / "accuracy_vs_tests.png", size=size, dpi=dpi),
               plot_scores(report, out / "score_distribution.png", size=size, dpi=dpi)]
    return [p for p in written if p is not None]
