"""The benchmark: close coverage on every bundled design (or a split of them) and report LLM4Cov's figures.

``python -m pytest_llm4cov bench`` runs ``close_design`` on each design folder with nothing written into
the user's tree (``write=False``, ``incremental=False``, a temporary output folder), prints one line per
design as it finishes, then a table and the totals (coverage pass rate: the share of designs reaching
their target; average coverage: the mean best score, a failed design counting its score), and writes a
JSON results file with the items, the totals, the tool versions and the settings. ``--compare`` prints
two such files side by side.

The functions here are shared with ``benchmarks/policy.py`` (built-in versus random policy).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pytest_llm4cov import Llm4covError, __version__

SCHEMA = "llm4cov.bench/1"
SPLITS = ("eval", "train", "all")
#: Wall-clock limit of one testbench run, as the plugin's default (``--llm4cov-timeout``).
DEFAULT_TIMEOUT_S = 120.0


# -- finding the designs -----------------------------------------------------------------------------


def default_designs_dir() -> Path:
    """The repository's designs/ next to the package (a source checkout), else ./designs."""
    beside = Path(__file__).resolve().parent.parent / "designs"
    if beside.is_dir():
        return beside
    return Path.cwd() / "designs"


def _is_design(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix in (".v", ".sv") and p.is_file() for p in folder.iterdir())


def discover(designs_dir: Path, split: str | None = "eval", names: Sequence[str] | None = None) -> list[Path]:
    """Design folders under ``designs_dir``, sorted by name: those named, else those of ``split``.

    ``split`` None or "all" keeps every split; with ``names`` and a split, a named design outside the
    split is an error (so a typo or a wrong split never silently benchmarks nothing).

    Raises:
        Llm4covError: a missing folder, an unknown split or design name, or nothing to run.
    """
    from pytest_llm4cov.design import load_config

    designs_dir = Path(designs_dir)
    if not designs_dir.is_dir():
        raise Llm4covError(f"{designs_dir}: no such designs folder (give --designs-dir DIR)")
    if split not in (None, *SPLITS):
        raise Llm4covError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    folders = sorted(p for p in designs_dir.iterdir() if _is_design(p))
    by_name = {p.name: p for p in folders}
    if names:
        missing = [n for n in names if n not in by_name]
        if missing:
            raise Llm4covError(
                f"{designs_dir}: no design '{missing[0]}' (known: {', '.join(by_name) or 'none'})"
            )
        chosen = [by_name[n] for n in dict.fromkeys(names)]
    else:
        chosen = folders
    if split not in (None, "all"):
        kept = [p for p in chosen if load_config(p).split == split]
        if names and len(kept) != len(chosen):
            outside = next(p.name for p in chosen if p not in kept)
            raise Llm4covError(f"design '{outside}' is not in split '{split}' (use --split all)")
        chosen = kept
    if not chosen:
        raise Llm4covError(f"{designs_dir}: no design folders" + (f" in split '{split}'" if split else ""))
    return chosen


# -- running one design ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchTask:
    """What one worker needs to close one design: plain data, so it crosses process boundaries."""

    folder: str
    policy: str
    iterations: int | None = None
    seed: int = 0
    timeout_s: float = DEFAULT_TIMEOUT_S
    runlog: str | None = None
    policy_options: dict[str, Any] = field(default_factory=dict)
    start: str = ""  # a testbench to start from (evaluated first, as the loop's s_0 testbench)


# One evaluator and one policy per process (and per policy name): built on first use in each worker.
_EVALUATOR: Any = None
_POLICIES: dict[tuple[str, str], Any] = {}


def _evaluator(timeout_s: float):
    global _EVALUATOR
    if _EVALUATOR is None or _EVALUATOR.limits.wall_s != timeout_s:
        from pytest_llm4cov.evaluator import Evaluator
        from pytest_llm4cov.sandbox import Limits

        _EVALUATOR = Evaluator(limits=Limits(wall_s=timeout_s))
    return _EVALUATOR


def _policy(name: str, options: dict[str, Any]):
    key = (name, json.dumps(options, sort_keys=True, default=str))
    if key not in _POLICIES:
        from pytest_llm4cov.policy import get_policy

        policy = get_policy(name, **options)
        _POLICIES[key] = policy
        try:  # a worker process ends without atexit: close the policy (a loaded model) at its exit
            from multiprocessing import util

            util.Finalize(policy, policy.close, exitpriority=10)
        except Exception:  # pragma: no cover - best effort
            pass
    return _POLICIES[key]


def close_policies() -> None:
    """Release this process's policies (the in-process path; workers close theirs at exit)."""
    for policy in _POLICIES.values():
        policy.close()
    _POLICIES.clear()


def _error_item(task: BenchTask, message: str, wall_s: float) -> dict[str, Any]:
    from pytest_llm4cov.closure import ItemResult

    split, hard, target, top = None, [], 1.0, "?"
    try:
        from pytest_llm4cov.design import load_config

        cfg = load_config(Path(task.folder))
        split, hard, top = cfg.split, list(cfg.hard_for_random), cfg.top or "?"
        target = cfg.target if cfg.target is not None else 1.0
    except Exception:  # the config itself may be what is broken
        pass
    item = ItemResult(
        design=Path(task.folder).name, top=top, passed=False, score=0.0, target=target, metrics={}, steps=0,
        seed=task.seed, testbench="", outcome="error", stopped="error", wall_s=round(wall_s, 3),
        policy=task.policy, error=message, split=split, hard_for_random=hard,
    )
    return {**item.to_dict(), "budget": 0, "cycles": 0, "sim_time_ns": None}


def run_task(task: BenchTask) -> dict[str, Any]:
    """Close one design; its ``ItemResult`` as a dict plus ``budget`` (steps allowed), ``cycles`` (the
    policy's stated simulated-cycle budget, summed over steps) and ``sim_time_ns`` (simulated time,
    summed over steps; None when the evaluator reports none). Never raises for a broken design: the
    item then has outcome "error"."""
    from pytest_llm4cov.closure import close_design
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.runlog import RunLogWriter
    from pytest_llm4cov.testbench import Testbench, module_name_for

    started = time.monotonic()
    try:
        design = load_design(task.folder)
        policy = _policy(task.policy, task.policy_options)
        evaluator = _evaluator(task.timeout_s)
        budget = task.iterations or design.config.iterations or policy.default_iterations
        with tempfile.TemporaryDirectory(prefix="llm4cov-bench-") as out:
            runlog = RunLogWriter(task.runlog) if task.runlog else None
            item, result = close_design(
                design, policy, evaluator, out=Path(out), runlog=runlog, iterations=budget, seed=task.seed,
                incremental=False, write=False,
                start=Testbench(task.start, module_name_for(design.top)) if task.start else None,
            )
    except Llm4covError as exc:
        return _error_item(task, str(exc), time.monotonic() - started)
    except Exception as exc:  # a bug in a policy must not lose the other designs' results
        return _error_item(task, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    cycles = sum(int((s.proposal.info or {}).get("cycles", 0)) for s in result.steps if s.proposal is not None)
    sim_ns = sum(t.sim_time_ns for s in result.steps for t in s.observation.tests)
    # None, not 0, when the evaluator read no simulated time from cocotb's results.xml.
    return {**item.to_dict(), "budget": budget, "cycles": cycles, "sim_time_ns": round(sim_ns, 1) or None}


def run_designs(
    folders: Iterable[Path],
    policy: str,
    *,
    iterations: int | None = None,
    seed: int = 0,
    jobs: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    runlog: Path | None = None,
    policy_options: dict[str, Any] | None = None,
    on_done: Callable[[dict[str, Any], int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Close every design in ``folders``; item dicts sorted by design. ``on_done(item, n, total)`` is
    called in this process as each design finishes (in finishing order)."""
    tasks = [
        BenchTask(str(Path(f).resolve()), policy, iterations, seed, timeout_s, str(runlog) if runlog else None,
                  dict(policy_options or {}))
        for f in folders
    ]
    items: list[dict[str, Any]] = []

    def done(item: dict[str, Any]) -> None:
        items.append(item)
        if on_done is not None:
            on_done(item, len(items), len(tasks))

    if jobs <= 1 or len(tasks) <= 1:
        try:
            for task in tasks:
                done(run_task(task))
        finally:
            close_policies()
    else:
        import multiprocessing

        # spawn: each worker imports afresh and builds its own evaluator and policy (no forked state).
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
            futures = {pool.submit(run_task, t): t for t in tasks}
            try:
                for fut in as_completed(futures):
                    try:
                        item = fut.result()
                    except Exception as exc:  # a worker died (killed, out of memory)
                        item = _error_item(futures[fut], f"worker failed: {type(exc).__name__}: {exc}", 0.0)
                    done(item)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return sorted(items, key=lambda i: (i["design"], i["top"]))


# -- the figures -------------------------------------------------------------------------------------


def items_of(data: Sequence[dict[str, Any]]):
    """Item dicts as ``ItemResult``s (extra keys such as ``budget`` dropped)."""
    from pytest_llm4cov.closure import ItemResult

    return [ItemResult.from_dict(d) for d in data]


def bench_totals(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``report.totals`` (pass rate, average coverage, designs) plus steps and wall time summed."""
    from pytest_llm4cov.report import totals

    out: dict[str, Any] = dict(totals(items_of(items)))
    out["passed"] = sum(bool(i["passed"]) for i in items)
    out["errors"] = sum(i.get("outcome") == "error" for i in items)
    out["steps"] = sum(int(i.get("steps", 0)) for i in items)
    out["wall_s"] = round(sum(float(i.get("wall_s", 0.0)) for i in items), 3)
    return out


def _metric_cells(item: dict[str, Any], metrics: Sequence[str]) -> str:
    return " ".join(
        f"{item['metrics'][m]['ratio']:>6.1%}" if m in item.get("metrics", {}) else f"{'-':>6}" for m in metrics
    )


def progress_line(item: dict[str, Any], n: int, total: int) -> str:
    """One line for a design that just finished."""
    from pytest_llm4cov.coverage import sort_metrics

    metrics = " ".join(f"{m} {item['metrics'][m]['ratio']:.1%}" for m in sort_metrics(item.get("metrics", {})))
    verdict = "PASS" if item["passed"] else "FAIL"
    line = (
        f"[{n:>{len(str(total))}}/{total}] {item['design']:22} {verdict}  score {item['score']:6.1%} "
        f"(target {item['target']:.0%})  {item['steps']} steps  {item['wall_s']:6.1f} s"
    )
    if metrics:
        line += f"  {metrics}"
    if item.get("outcome") not in ("passed", None):
        first = (item.get("error") or "").splitlines()[0:1]
        line += f"  [{item.get('outcome')}{': ' + first[0][:120] if first else ''}]"
    return line


def render_table(items: Sequence[dict[str, Any]], stream: TextIO) -> None:
    """Per design: metrics, score, steps, wall time, target and verdict; then the totals."""
    from pytest_llm4cov.coverage import sort_metrics

    metrics = sort_metrics(m for i in items for m in i.get("metrics", {}))
    head = f"{'design':22} {'steps':>5} " + " ".join(f"{m[:6]:>6}" for m in metrics)
    head += f" {'score':>6} {'target':>6} {'wall_s':>7}  result"
    stream.write(head + "\n")
    for i in sorted(items, key=lambda i: (i["design"], i["top"])):
        result = "PASS" if i["passed"] else ("ERROR" if i.get("outcome") == "error" else "FAIL")
        stream.write(
            f"{i['design'][:22]:22} {i['steps']:>5} {_metric_cells(i, metrics)} {i['score']:>6.1%} "
            f"{i['target']:>6.0%} {i['wall_s']:>7.1f}  {result}\n"
        )
    t = bench_totals(items)
    stream.write(
        f"coverage pass rate {t['pass_rate']:.1%} ({t['passed']}/{t['designs']}), "
        f"average coverage {t['average_coverage']:.1%}, {t['steps']} steps, {t['wall_s']:.1f} s of design time"
        + (f", {t['errors']} errors" if t["errors"] else "")
        + "\n"
    )


# -- provenance --------------------------------------------------------------------------------------


def git_commit(where: Path | None = None) -> dict[str, Any] | None:
    """The checkout's commit and whether it has local changes; None outside a git checkout."""
    cwd = str(where or Path(__file__).resolve().parent.parent)
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip()) if status.returncode == 0 else None}


def tool_versions() -> dict[str, Any]:
    """pytest-llm4cov, cocotb, the simulator the evaluator would use, pyslang and Python."""
    from importlib import metadata

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    out: dict[str, Any] = {
        "pytest-llm4cov": __version__,
        "cocotb": version("cocotb"),
        "pyslang": version("pyslang"),
        "python": platform.python_version(),
    }
    try:
        from pytest_llm4cov.simulator import find_simulator

        sim = find_simulator()
        out["simulator"] = sim.describe()
        out[sim.name] = sim.version_text
    except Llm4covError as exc:
        out["simulator"] = f"none ({exc})"
    return out


# -- the command -------------------------------------------------------------------------------------


def run_bench(
    *,
    policy: str = "builtin",
    split: str | None = None,
    designs: Sequence[str] | None = None,
    iterations: int | None = None,
    jobs: int = 1,
    seed: int = 0,
    out: Path | None = None,
    designs_dir: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    stream: TextIO | None = None,
) -> tuple[dict[str, Any], Path]:
    """The ``bench`` command: run, print, write the JSON; returns the results and the JSON's path.
    ``stream`` defaults to the ``sys.stdout`` of the call (not of the import: a redirect must reach it)."""
    from pytest_llm4cov.policy import get_policy

    stream = stream or sys.stdout
    if jobs < 1:
        raise Llm4covError(f"--jobs must be at least 1, got {jobs}")
    effective_split = split if split is not None else ("all" if designs else "eval")
    ddir = Path(designs_dir) if designs_dir else default_designs_dir()
    folders = discover(ddir, None if split is None and designs else effective_split, designs)
    probe = get_policy(policy)  # fails fast on an unknown name, before any worker starts
    settings, default_iterations = probe.settings(), probe.default_iterations
    probe.close()
    out = Path(out) if out else Path.cwd() / f"bench-{policy}-{effective_split}.json"
    runlog = out.with_name(out.stem + ".runlog.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    runlog.unlink(missing_ok=True)  # this run's steps only

    versions = tool_versions()
    stream.write(
        f"bench: {len(folders)} designs ({effective_split}) from {ddir}, policy {policy}, "
        f"iterations {iterations or default_iterations}, seed {seed}, jobs {jobs}; {versions.get('simulator')}\n"
    )
    stream.flush()

    def on_done(item: dict[str, Any], n: int, total: int) -> None:
        stream.write(progress_line(item, n, total) + "\n")
        stream.flush()

    started_at = time.time()
    t0 = time.monotonic()
    items = run_designs(
        folders, policy, iterations=iterations, seed=seed, jobs=jobs, timeout_s=timeout_s, runlog=runlog,
        on_done=on_done,
    )
    wall = time.monotonic() - t0
    stream.write("\n")
    render_table(items, stream)
    stream.write(f"elapsed {wall:.1f} s with {jobs} job(s)\n")

    from pytest_llm4cov.report import report_dict

    t = bench_totals(items)
    extra = {
        "schema": SCHEMA,
        "policy": policy,
        "policy_settings": settings,
        "split": effective_split,
        "designs_dir": str(ddir.resolve()),
        "iterations": iterations,
        "default_iterations": default_iterations,
        "seed": seed,
        "jobs": jobs,
        "timeout_s": timeout_s,
        "versions": versions,
        "git": git_commit(),
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started_at)),
        "elapsed_s": round(wall, 3),
        "runlog": str(runlog.resolve()) if runlog.exists() else None,
    }
    data = report_dict(items_of(items), extra)
    # report_dict keeps only ItemResult's fields: put the bench's extra per-design figures back.
    extras = {(i["design"], i["top"]): i for i in items}
    for d in data["items"]:
        src = extras.get((d["design"], d["top"]), {})
        for key in ("budget", "cycles", "sim_time_ns"):
            d[key] = src.get(key)
    data["totals"] = t
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, out)
    stream.write(f"results: {out}\n" + (f"run log: {runlog}\n" if runlog.exists() else ""))
    return data, out


# -- comparing two result files ----------------------------------------------------------------------


def load_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except OSError as exc:
        raise Llm4covError(f"{p}: cannot read the results file ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Llm4covError(f"{p}: not a JSON results file") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise Llm4covError(f"{p}: not a bench results file (no 'items' list)")
    for n, item in enumerate(data["items"]):
        if not isinstance(item, dict) or not {"design", "score", "passed"} <= set(item):
            raise Llm4covError(f"{p}: item {n} lacks 'design', 'score' or 'passed'")
    return data


def _label(data: dict[str, Any], path: str) -> str:
    return str(data.get("policy") or Path(path).stem)


def compare(path_a: str, path_b: str, stream: TextIO | None = None) -> dict[str, Any]:
    """Scores of two results files side by side, per design, with B - A deltas and both totals."""
    stream = stream or sys.stdout
    a, b = load_results(path_a), load_results(path_b)
    la, lb = _label(a, path_a), _label(b, path_b)
    if la == lb:
        la, lb = f"A:{la}", f"B:{lb}"

    def key(i: dict[str, Any]) -> str:
        top = i.get("top")
        return i["design"] if top in (None, "", "?", i["design"]) else f"{i['design']}::{top}"

    ia = {key(i): i for i in a["items"]}
    ib = {key(i): i for i in b["items"]}
    names = sorted(set(ia) | set(ib))
    w = max([22, *(len(n) for n in names)])
    stream.write(f"A = {path_a} ({la})\nB = {path_b} ({lb})\n")
    stream.write(f"{'design':{w}} {'A':>7} {'B':>7} {'B-A':>8}  {'A':4} {'B':4}\n")
    rows = []
    for n in names:
        x, y = ia.get(n), ib.get(n)
        sa = f"{x['score']:>7.1%}" if x else f"{'-':>7}"
        sb = f"{y['score']:>7.1%}" if y else f"{'-':>7}"
        delta = y["score"] - x["score"] if x and y else None
        ds = f"{delta * 100:>+7.1f}p" if delta is not None else f"{'':>8}"
        pa = ("PASS" if x["passed"] else "FAIL") if x else "-"
        pb = ("PASS" if y["passed"] else "FAIL") if y else "-"
        stream.write(f"{n:{w}} {sa} {sb} {ds}  {pa:4} {pb:4}\n")
        rows.append({"design": n, "a": x["score"] if x else None, "b": y["score"] if y else None, "delta": delta})

    def tot(items: list[dict[str, Any]]) -> dict[str, float]:
        if not items:
            return {"pass_rate": 0.0, "average_coverage": 0.0, "designs": 0}
        return {
            "pass_rate": sum(bool(i["passed"]) for i in items) / len(items),
            "average_coverage": sum(float(i["score"]) for i in items) / len(items),
            "designs": len(items),
        }

    ta, tb = tot(a["items"]), tot(b["items"])
    for label, t in (("A", ta), ("B", tb)):
        stream.write(
            f"total {label}: coverage pass rate {t['pass_rate']:.1%}, average coverage "
            f"{t['average_coverage']:.1%} over {t['designs']} designs\n"
        )
    stream.write(
        f"delta B-A: pass rate {(tb['pass_rate'] - ta['pass_rate']) * 100:+.1f}p, "
        f"average coverage {(tb['average_coverage'] - ta['average_coverage']) * 100:+.1f}p\n"
    )
    common = sorted(set(ia) & set(ib))
    if len(common) != len(names):
        ca, cb = tot([ia[n] for n in common]), tot([ib[n] for n in common])
        stream.write(
            f"on the {len(common)} designs in both: A average {ca['average_coverage']:.1%}, "
            f"B average {cb['average_coverage']:.1%}, pass rate A {ca['pass_rate']:.1%}, B {cb['pass_rate']:.1%}\n"
        )
    deltas = [r["delta"] for r in rows if r["delta"] is not None]
    if deltas:
        stream.write(
            f"per-design delta: median {statistics.median(deltas) * 100:+.1f}p; B higher on "
            f"{sum(d > 1e-9 for d in deltas)}, lower on {sum(d < -1e-9 for d in deltas)}, "
            f"equal on {sum(abs(d) <= 1e-9 for d in deltas)}\n"
        )
    return {"rows": rows, "a": ta, "b": tb}
