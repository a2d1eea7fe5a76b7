"""Anatomy of the paper-scale workload's timed-out pairs: which of them the hang proofs
decide early, and why the others run to the full limit (issue 20).

Three steps, each reading the previous one's JSON:

``timeouts``  run the cached paper-scale workload (``benchmarks/paper_scale.py``, built
              with ``--build-only``) through the pipeline at ``--time-limit`` (default
              0.1 s: ~a third of the full run's CPU; it finds every pair that times out at
              1 s, plus the few that end between 0.1 and 1 s, which ``classify`` sorts
              out) and write every TIMEOUT pair (task, candidate row, test, sources).
``classify``  run each distinct TIMEOUT pair alone, in a forked child of this process,
              under the worker's own :class:`HangWatch` at the full limit (1 s: watched
              from 5 % to 8 % of it, the growth window after), with the runner's
              address-space limit, and stop it at ``--cap`` s of CPU (default 0.15, past
              every proof window).  What the watch saw is recorded: proved or not; if not,
              why - the pair is not hang-provable (not watched at all), no loop head was
              reached in the window (recursion, a ``for`` loop, a C call, a comprehension),
              every state was refused (a value :func:`worker._state` cannot freeze, or too
              large), the states never repeated even with int locals masked (something else
              changes: a list that is read, a float, a string...), or they did but
              :func:`worker._ints_only_move` said no - then the line of its refusal.
              Also whether the pair ended by itself within the cap (slow but finite).
``finite``    run a sample of the unproved pairs alone without the watch for up to
              ``--finite-cap`` s of CPU: does it end (slow but finite: no proof can ever
              cover it) or is it still running?

Nothing here changes what the worker does: the reasons come from wrapping its functions
in this process only.

    python benchmarks/hang_anatomy.py timeouts --cache-dir /tmp/ps-cache --out T.json
    python benchmarks/hang_anatomy.py classify --pairs T.json --out C.json
    python benchmarks/hang_anatomy.py finite --pairs C.json --sample 40 --out F.json
    python benchmarks/hang_anatomy.py report --pairs C.json [--finite F.json]
"""

from __future__ import annotations

import argparse
import ast
import collections
import inspect
import json
import mmap
import os
import pickle
import resource
import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def cmd_timeouts(args: argparse.Namespace) -> None:
    import paper_scale

    from coderm_evalplus.model import Verdict

    ns = argparse.Namespace(tasks=164, candidates=100, tests=100, seed=0, wrong_share=0.1,
                            cache_dir=args.cache_dir, rebuild=False)
    problems, info = paper_scale.workload(ns)
    matrices: dict[str, Any] = {}
    report = paper_scale.run(problems, 2, 0, matrices_out=matrices, time_limit=args.limit)
    pairs = []
    for p in problems:
        v = matrices[p.task_id].verdicts
        for ci, ti in zip(*(v == Verdict.TIMEOUT).nonzero()):
            pairs.append({"task": p.task_id, "source": p.meta.get("source", "?"),
                          "row": int(ci), "test": int(ti),
                          "program": p.candidates[ci].source, "call": p.tests[ti].source})
    report.pop("accuracy_pct", None)
    Path(args.out).write_text(json.dumps({"limit": args.limit, "run": report,
                                          "pairs": pairs}))
    print(f"{len(pairs)} TIMEOUT pairs at {args.limit} s; CPU {report['cpu_s']} s, "
          f"wall {report['wall_s']} s", flush=True)


# ------------------------------------------------------------------ classify

def _refusal_lines_version(worker) -> Any:
    """A copy of ``worker._ints_only_move`` that records the line of every ``return
    False`` it (or a function nested in it) takes, in order, in ``copy.marks``: the first
    one is why the int proof said no."""
    src = textwrap.dedent(inspect.getsource(worker._ints_only_move))
    first = worker._ints_only_move.__code__.co_firstlineno
    tree = ast.parse(src)
    marks: list[int] = []

    class T(ast.NodeTransformer):
        def visit_Return(self, node: ast.Return) -> ast.AST:
            if isinstance(node.value, ast.Constant) and node.value.value is False:
                call = ast.Call(ast.Name("_anatomy_mark", ast.Load()),
                                [ast.Constant(node.lineno + first - 1)], [])
                return ast.copy_location(ast.Return(call), node)
            return node

    tree = T().visit(tree)
    ast.fix_missing_locations(tree)
    ns = dict(vars(worker))
    ns["_anatomy_mark"] = lambda line: marks.append(line) or False
    exec(compile(tree, worker.__file__, "exec"), ns)
    fn = ns["_ints_only_move"]
    fn.marks = marks
    return fn


def _classify_one(program: str, call: str, limit: float, cap: float,
                  memory_mb: int) -> dict[str, Any]:
    """In a forked child: the pair under a HangWatch, what it saw (see the module doc)."""
    from coderm_evalplus.execute import worker

    info: dict[str, Any] = {"provable": bool(worker.hang_provable(program) and
                                              worker.hang_provable(call, test=True))}
    why = _refusal_lines_version(worker)
    asks: list = []
    judge = worker._ints_only_move

    def spy(*a):
        got = judge(*a)
        if got is not True:
            why.marks.clear()
            again = why(*a)
            asks.append(why.marks[0] if why.marks and again is False else "?")
        else:
            asks.append(True)
        return got

    worker._ints_only_move = spy
    refusals: collections.Counter = collections.Counter()
    state_fn = worker._state

    def state_spy(*a, **k):
        try:
            return state_fn(*a, **k)
        except worker._Unprovable as exc:
            refusals[type(exc).__name__ + ":" + (str(exc.args[0]) if exc.args else
                                                  _what_unfreezable(a[0], a[1], worker))] += 1
            raise

    worker._state = state_spy
    masked_repeats = [0]
    heads: collections.Counter = collections.Counter()
    step = worker.HangWatch._step

    def step_spy(self, frame):
        heads[(frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno)] += 1
        entry = self.frames.get(frame, worker._MISSING)
        before = None if entry in (None, worker._MISSING) else (entry[3], entry[4])
        out = step(self, frame)
        after = self.frames.get(frame)
        if before is not None and after not in (None, worker._MISSING):
            rec = after[3]
            if any(b is not None and b[0] == rec[0] and b is not rec for b in before):
                masked_repeats[0] += 1
        return out

    worker.HangWatch._step = step_spy
    soft = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    watch = worker.HangWatch(limit, mmap.mmap(-1, 4096))
    ns = worker._fresh_namespace()
    ended, capped = [False], [False]

    class _Stop(BaseException):
        pass

    def on_cap(signum, frame):
        watch.armed = False
        capped[0] = True
        raise _Stop

    signal.signal(signal.SIGVTALRM, on_cap)
    t0 = time.thread_time()
    verdict = None
    if info["provable"]:
        watch.start(0, ns, program, call)
    signal.setitimer(signal.ITIMER_VIRTUAL, cap)
    try:
        verdict = worker.run_pair(compile(program, "<candidate>", "exec"),
                                  compile(call, "<test>", "exec"), "assert", None, ns)
        ended[0] = not capped[0]
    except _Stop:
        pass
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        watch.stop()
    info.update(cpu=round(time.thread_time() - t0, 4), verdict=verdict,
                ended=ended[0] and not watch.proved, proved=watch.proved and not watch.disturbed,
                traced=watch.traced, disturbed=watch.disturbed, states=watch.states,
                refused=watch.refused, too_large=watch.too_large,
                refusals=dict(refusals), masked_repeats=masked_repeats[0],
                asks=[a for a in asks][:20], heads=len(heads),
                head_names=sorted({f"{n}:{c}:{ln}" for (n, c, ln) in heads})[:6])
    return info


def _what_unfreezable(frame, ns, worker) -> str:
    """The first local or global whose value :func:`worker._state` cannot freeze."""
    orig = _ORIG_STATE["f"]
    for scope, values in (("local", frame.f_locals), ("global", ns)):
        for k, v in list(values.items()):
            if k == "__builtins__":
                continue
            fake = type("F", (), {"f_code": frame.f_code, "f_lasti": 0, "f_locals": {k: v}})
            try:
                orig(fake, {"__builtins__": None}, budget=10 ** 9)
            except worker._Unprovable:
                return f"{scope} {k}: {type(v).__name__}"
            except Exception:  # noqa: BLE001
                return f"{scope} {k}: ?"
    return "?"


_ORIG_STATE: dict[str, Any] = {}


def _run_child(fn, *a, timeout: float = 30.0) -> Any:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.setsid()  # a candidate that signals its process group reaches only itself
        try:
            out = fn(*a)
        except BaseException as exc:  # noqa: BLE001
            out = {"error": repr(exc)[:200]}
        os.write(w, pickle.dumps(out))
        os._exit(0)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    import select

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([r], [], [], left)
        if not ready:
            continue
        data = os.read(r, 1 << 16)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    try:
        out = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001
        out = {"error": f"child died, status {status}"}
    out["child_cpu"] = round(usage.ru_utime + usage.ru_stime, 4)
    return out


def cmd_classify(args: argparse.Namespace) -> None:
    from coderm_evalplus.execute import worker
    from coderm_evalplus.execute.runner import normalise_source

    _ORIG_STATE["f"] = worker._state
    data = json.loads(Path(args.pairs).read_text())
    pairs = data["pairs"]
    k, n_shards = (int(x) for x in args.shard.split("/"))
    pairs = [p for i, p in enumerate(pairs) if i % n_shards == k]
    seen: dict[tuple[str, str], dict] = {}
    out = []
    t0 = time.monotonic()
    log = open(args.out + ".jsonl", "a")
    done = sum(1 for _ in open(args.out + ".jsonl"))
    for n, p in enumerate(pairs):
        if n < done:
            continue
        key = (normalise_source(p["program"]), normalise_source(p["call"]))
        if key not in seen:
            seen[key] = _run_child(_classify_one, p["program"], p["call"], args.limit,
                                   args.cap, args.memory_mb)
        first = "_first" not in seen[key]
        seen[key].setdefault("_first", n)
        out.append({**{k: p[k] for k in ("task", "source", "row", "test")},
                    **{k: v for k, v in seen[key].items() if k != "_first"},
                    "dup": not first})
        log.write(json.dumps(out[-1]) + "\n")
        log.flush()
        if args.progress and n % 200 == 0:
            print(n, len(seen), round(time.monotonic() - t0, 1), flush=True)
    out = [json.loads(line) for line in open(args.out + ".jsonl")]
    Path(args.out).write_text(json.dumps({"limit": args.limit, "cap": args.cap,
                                          "source_run": data.get("run"),
                                          "pairs": out, "programs": {
                                              f"{p['task']}#{p['row']}": p["program"]
                                              for p in pairs}}))


# ------------------------------------------------------------------ finite

def _run_alone(program: str, call: str, cap: float, memory_mb: int) -> dict[str, Any]:
    from coderm_evalplus.execute import worker

    soft = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    class _Stop(BaseException):
        pass

    def on_cap(signum, frame):
        raise _Stop

    signal.signal(signal.SIGVTALRM, on_cap)
    t0 = time.thread_time()
    signal.setitimer(signal.ITIMER_VIRTUAL, cap)
    verdict = None
    try:
        verdict = worker.run_pair(compile(program, "<candidate>", "exec"),
                                  compile(call, "<test>", "exec"), "assert", None,
                                  worker._fresh_namespace())
    except _Stop:
        pass
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    return {"alone_cpu": round(time.thread_time() - t0, 3), "alone_verdict": verdict}


def cmd_finite(args: argparse.Namespace) -> None:
    import random

    data = json.loads(Path(args.pairs).read_text())
    progs = data["programs"]
    unproved = [p for p in data["pairs"] if not p.get("proved") and not p.get("dup")]
    by_cand: dict[str, list] = collections.defaultdict(list)
    for p in unproved:
        by_cand[f"{p['task']}#{p['row']}"].append(p)
    rng = random.Random(0)
    chosen = []
    for cand in sorted(by_cand):  # one test per distinct unproved candidate first
        chosen.append(rng.choice(by_cand[cand]))
    rng.shuffle(chosen)
    chosen = chosen[:args.sample]
    calls = {(p["task"], p["row"], p["test"]): None for p in chosen}
    src = json.loads(Path(args.timeouts).read_text())["pairs"]
    for q in src:
        k = (q["task"], q["row"], q["test"])
        if k in calls:
            calls[k] = q["call"]
    out = []
    for p in chosen:
        call = calls[(p["task"], p["row"], p["test"])]
        r = _run_child(_run_alone, progs[f"{p['task']}#{p['row']}"], call, args.finite_cap,
                       args.memory_mb, timeout=args.finite_cap * 3 + 30)
        out.append({**{k: p[k] for k in ("task", "row", "test")}, **r})
        print(out[-1], flush=True)
    Path(args.out).write_text(json.dumps(out))


def _klass(p: dict[str, Any]) -> str:
    """One class per pair, by what the watch saw (see the module docstring)."""
    if p.get("error"):
        return "error in the analysis"
    if p["proved"]:
        return "proved"
    if p["ended"]:
        return "ends within the cap alone"
    if not p["provable"]:
        return "not hang-provable (not watched)"
    if not p["traced"]:
        return "not traced (window never opened)"
    if p["disturbed"]:
        return "disturbed"
    if p["heads"] == 0:
        return "no loop head in the window (recursion / for / C call / comprehension)"
    if p["states"] == 0 and p["refused"]:
        what = sorted(p["refusals"])[0] if p["refusals"] else "?"
        return f"every state refused: {what}"
    if p["asks"]:
        firsts = collections.Counter(a for a in p["asks"] if a is not True)
        line = firsts.most_common(1)[0][0] if firsts else "?"
        return f"int proof refused at worker line {line}"
    if p["refused"]:
        what = sorted(p["refusals"])[0] if p["refusals"] else "?"
        return f"states never repeat (some refused: {what})"
    return "states never repeat, even with ints masked"


def cmd_report(args: argparse.Namespace) -> None:
    pairs: list = []
    for f in args.pairs:
        pairs += json.loads(Path(f).read_text())["pairs"]
    classes: dict[str, list] = collections.defaultdict(list)
    for p in pairs:
        classes[_klass(p)].append(p)
    print(f"{len(pairs)} pairs")
    for k, ps in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        cands = collections.Counter(f"{p['task']}#{p['row']}" for p in ps)
        print(f"{len(ps):5d}  {k}  [{len(cands)} candidates: "
              + ", ".join(f"{c} {n}" for c, n in cands.most_common(8)) + "]")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("timeouts")
    a.add_argument("--cache-dir", required=True)
    a.add_argument("--limit", type=float, default=0.1)
    a.add_argument("--out", required=True)
    b = sub.add_parser("classify")
    b.add_argument("--pairs", required=True)
    b.add_argument("--limit", type=float, default=1.0)
    b.add_argument("--cap", type=float, default=0.15)
    b.add_argument("--memory-mb", type=int, default=4096)
    b.add_argument("--progress", action="store_true")
    b.add_argument("--shard", default="0/1", help="K/N: every N-th pair from the K-th")
    b.add_argument("--out", required=True)
    c = sub.add_parser("finite")
    c.add_argument("--pairs", required=True)
    c.add_argument("--timeouts", required=True)
    c.add_argument("--sample", type=int, default=40)
    c.add_argument("--finite-cap", type=float, default=10.0)
    c.add_argument("--memory-mb", type=int, default=4096)
    c.add_argument("--out", required=True)
    d = sub.add_parser("report")
    d.add_argument("--pairs", nargs="+", required=True)
    args = ap.parse_args(argv)
    {"report": cmd_report, "timeouts": cmd_timeouts, "classify": cmd_classify, "finite": cmd_finite}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
