"""Re-run a kept testbench with cocotb's own runner: the frozen regression that CI runs with plain pytest.

Builds with the same flags as the evaluator (so the points are the same), runs with the recorded seed,
and scores ``coverage.dat`` the same way, so the figure reproduces the one reported when it was kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from pytest_llm4cov.build import default_cache_dir
from pytest_llm4cov.coverage import parse_coverage_file
from pytest_llm4cov.simulator import find_simulator, tool_env
from pytest_llm4cov.waivers import parse_waivers, split_waived


@contextlib.contextmanager
def _environ(extra: Mapping[str, str], drop: Sequence[str], path: str) -> Iterator[None]:
    """Set variables and put the testbench's folder on sys.path (the runner passes sys.path on as
    PYTHONPATH and ignores a PYTHONPATH given in extra_env)."""
    saved = dict(os.environ)
    saved_path = list(sys.path)
    sys.path.insert(0, path)
    try:
        for key in drop:
            os.environ.pop(key, None)
        os.environ.update(extra)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        sys.path[:] = saved_path


def rerun(
    testbench: Path,
    sources: Sequence[str],
    top: str,
    parameters: Mapping[str, object],
    seed: int,
    workdir: Path,
    metrics: Sequence[str] | None = None,
    *,
    waivers: Sequence[Mapping[str, object]] = (),
) -> float:
    """Build (cached) and run ``testbench``; return its coverage score. Fails if a cocotb test fails.

    ``waivers`` (llm4cov.toml's form) leave points out of the score, as they did when it was kept.
    """
    from cocotb_tools.runner import get_runner

    testbench = Path(testbench).resolve()
    paths = [str((testbench.parent / s).resolve()) for s in sources]
    sim = find_simulator("verilator")
    flags = [*sim.coverage_flags, "-Wno-fatal"]
    key = hashlib.sha256(
        json.dumps([paths, top, dict(parameters), flags, sim.version_text]).encode()
        + b"".join(Path(p).read_bytes() for p in paths)
    ).hexdigest()[:16]
    build_dir = default_cache_dir() / "regression" / f"{top}-{key}"
    # cocotb's runner ends the process on a failed test when PYTEST_CURRENT_TEST is set: hide it.
    with _environ(tool_env(sim), drop=("PYTEST_CURRENT_TEST",), path=str(testbench.parent)):
        runner = get_runner("verilator")
        runner.build(
            sources=paths,
            hdl_toplevel=top,
            build_dir=build_dir,
            build_args=flags,
            parameters=dict(parameters),
            timescale=("1ns", "1ps"),
            log_file=build_dir.parent / f"{top}-{key}.build.log",
        )
        results = runner.test(
            test_module=testbench.stem,
            hdl_toplevel=top,
            hdl_toplevel_lang="verilog",
            build_dir=build_dir,
            test_dir=workdir,
            seed=seed,
            log_file=workdir / "sim.log",
        )
    if not Path(results).is_file():
        tail = (workdir / "sim.log").read_text(errors="replace")[-2000:] if (workdir / "sim.log").exists() else ""
        raise AssertionError(f"the simulation wrote no results (log: {workdir / 'sim.log'}):\n{tail}")
    failures = [
        case.get("name", "?")
        for case in ET.parse(results).getroot().iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    assert not failures, f"cocotb tests failed: {', '.join(failures)} (log: {workdir / 'sim.log'})"
    report = parse_coverage_file(workdir / "coverage.dat").restrict(paths).only_metrics(metrics)
    report, _ = split_waived(report, parse_waivers(list(waivers), f"{testbench.parent}/test_{top}_coverage.py"))
    return report.score()
