"""The pytest plugin end to end: collection, item outcomes, artifacts, incremental mode, xdist."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_DATA, copy_design, project, report  # noqa: F401 (project is a fixture)


def test_inactive_without_the_flag(pytester):
    """A plain run in a repo with RTL is unchanged: only the Python test is collected."""
    (pytester.path / "alu.v").write_text("module alu(input a, output b); assign b = a; endmodule\n")
    pytester.makepyfile(test_plain="def test_ok():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*llm4cov coverage closure*")
    result.stdout.fnmatch_lines(["collected 1 item"])
    assert not (pytester.path / "llm4cov-out").exists()


def test_plugin_module_imports_nothing_heavy():
    code = (
        "import sys, pytest_llm4cov.plugin; "
        "print([m for m in ('pyslang', 'cocotb', 'cocotb_tools', 'torch', 'llama_cpp', 'transformers') "
        "if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_collection_multi_file_multi_top_and_config(project):
    copy_design(project, "uart_loopback")  # three files, one top
    multi = project.path / "rtl" / "multi"
    multi.mkdir(parents=True)
    shutil.copy(TEST_DATA / "multi_top.v", multi)
    (multi / "notes.txt").write_text("not RTL\n")
    (multi / "helper.py").write_text("X = 1\n")
    chosen = project.path / "rtl" / "chosen"
    chosen.mkdir()
    shutil.copy(TEST_DATA / "multi_top.v", chosen)
    (chosen / "llm4cov.toml").write_text('top = "leaf"\n')
    result = project.runpytest_subprocess("--llm4cov", "rtl", "--collect-only", "-q", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert "rtl/chosen/multi_top.v::leaf" in out
    assert "rtl/multi/multi_top.v::top_a" in out and "rtl/multi/multi_top.v::top_b" in out
    assert "::uart_loopback" in out and "4 tests collected" in out
    assert "helper.py" not in out and "notes.txt" not in out


def test_bad_config_is_a_collection_error_naming_the_file(project):
    folder = copy_design(project, "counter4")
    (folder / "llm4cov.toml").write_text('top = "counter4"\ntargett = 0.9\n')
    result = project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*llm4cov.toml: unknown key 'targett' (known keys: top, *"])
    assert result.ret != 0


@pytest.mark.simulator
def test_pass_artifacts_and_frozen_regression(project):
    copy_design(project, "counter4")
    result = project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*llm4cov coverage closure*", "counter4 *PASS*", "pass rate 100.0% (1/1)*"])
    data = report(project)
    assert data["pass_rate"] == 1.0 and data["average_coverage"] == 1.0
    item = data["items"][0]
    assert {"design", "top", "passed", "score", "metrics", "steps", "testbench", "seed"} <= set(item)
    out = project.path / "llm4cov-out" / "counter4" / "counter4"
    assert (out / "tb_counter4.py").is_file() and (out / "coverage.info").is_file()
    assert list((project.path / "llm4cov-out" / "runs").glob("runlog*.jsonl"))
    # the frozen regression runs with plain pytest and no --llm4cov
    regression = project.runpytest_subprocess(str(out / "test_counter4_coverage.py"), "-p", "no:cacheprovider")
    regression.assert_outcomes(passed=1)


@pytest.mark.simulator
def test_failure_lists_uncovered_points_and_regression_reproduces_score(project):
    copy_design(project, "watchdog")
    result = project.runpytest_subprocess(
        "--llm4cov", "rtl", "--llm4cov-policy", "random", "--llm4cov-iterations", "1", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*coverage * below target 100% after 1 steps*", "uncovered:", "*watchdog.v:*"])
    item = report(project)["items"][0]
    assert not item["passed"] and item["score"] < 1.0
    from pytest_llm4cov.regression import rerun

    tb = Path(item["testbench"])
    if not tb.is_absolute():
        tb = project.path / tb
    meta = json.loads((tb.parent / "llm4cov.json").read_text())
    sources = [str(p) for p in sorted((project.path / "rtl" / "watchdog").glob("*.v"))]
    score = rerun(tb, sources, "watchdog", {}, meta["seed"], project.path / "rerun")
    assert score == pytest.approx(item["score"], abs=1e-6)  # the same figure, not just above a bar


def test_no_simulator_skips_with_reason(project, monkeypatch):
    """Asked for Icarus on a PATH without it: every item skips, saying what to install."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    copy_design(project, "counter4")
    result = project.runpytest_subprocess("--llm4cov", "rtl", "--llm4cov-simulator", "icarus", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*llm4cov: no usable icarus: *apt-get install iverilog*"])


@pytest.mark.simulator
def test_incremental_mode_and_never_overwrite(project):
    copy_design(project, "counter4")
    args = ("--llm4cov", "rtl", "-p", "no:cacheprovider")
    project.runpytest_subprocess(*args).assert_outcomes(passed=1)
    tb = project.path / "llm4cov-out" / "counter4" / "counter4" / "tb_counter4.py"
    first = tb.read_text()
    # unchanged RTL, saved testbench meets the target: one evaluation, no policy step
    project.runpytest_subprocess(*args).assert_outcomes(passed=1)
    assert report(project)["items"][0]["steps"] == 1
    assert tb.read_text() == first
    # the user replaces the testbench with a weaker one of their own: never overwritten
    mine = (TEST_DATA / "tb_counter4_no_enable.py").read_text()
    tb.write_text(mine)
    result = project.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    assert tb.read_text() == mine
    new = tb.with_name("tb_counter4.new.py")
    assert new.is_file() and new.read_text() != mine
    result.stdout.fnmatch_lines(["*tb_counter4.py was edited by hand, so the new testbench was written to *"])


@pytest.mark.simulator
def test_xdist_gives_the_same_totals_as_serial(project):
    copy_design(project, "counter4")
    copy_design(project, "mode_fsm")
    args = ("--llm4cov", "rtl", "-p", "no:cacheprovider", "--llm4cov-seed", "3")
    project.runpytest_subprocess(*args).assert_outcomes(passed=2)
    serial = report(project)
    shutil.rmtree(project.path / "llm4cov-out")
    parallel_run = project.runpytest_subprocess(*args, "-n", "2")
    parallel_run.assert_outcomes(passed=2)
    parallel_run.stdout.fnmatch_lines(["*llm4cov coverage closure*", "pass rate 100.0% (2/2)*"])
    parallel = report(project)
    for key in ("pass_rate", "average_coverage", "designs"):
        assert parallel[key] == serial[key]
    assert [i["score"] for i in parallel["items"]] == [i["score"] for i in serial["items"]]
    shards = sorted(p.name for p in (project.path / "llm4cov-out" / "runs").glob("runlog-*.jsonl"))
    assert shards and all(s.startswith("runlog-gw") for s in shards)
