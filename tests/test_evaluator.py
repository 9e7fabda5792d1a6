"""The evaluator on the real simulator: coverage figures, the build cache, and broken testbenches."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from conftest import DESIGNS, TEST_DATA, design_spec
from pytest_llm4cov.build import BuildSpec, build_design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.observation import Outcome, rank_key
from pytest_llm4cov.sandbox import Limits
from pytest_llm4cov.testbench import Testbench

pytestmark = pytest.mark.simulator

COUNTER = DESIGNS / "counter4" / "counter4.v"


def tb(text: str) -> Testbench:
    return Testbench(text, "test_case")


def reference(name: str) -> Testbench:
    return Testbench((DESIGNS / name / "reference" / f"test_{name}.py").read_text(), f"test_{name}")


def test_reference_testbench_reaches_full_coverage(evaluator):
    obs = evaluator.evaluate(design_spec("counter4"), reference("counter4"), seed=1)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert obs.score == 1.0
    assert obs.uncovered() == []
    assert set(obs.metrics) == {"line", "branch", "expr", "toggle"}
    assert obs.tests[0].sim_time_ns > 100  # 40+ cycles of a 10 ns clock


def test_weak_testbench_leaves_increment_uncovered(evaluator):
    """Never asserting enable: checked by hand against counter4.v (see tests/data)."""
    weak = Testbench((TEST_DATA / "tb_counter4_no_enable.py").read_text(), "tb_counter4_no_enable")
    obs = evaluator.evaluate(design_spec("counter4"), weak)
    assert obs.passed
    m = {k: (v.covered, v.total) for k, v in obs.metrics.items()}
    assert m == {"line": (2, 3), "branch": (1, 2), "expr": (4, 5), "toggle": (3, 18)}
    assert obs.score == pytest.approx((2 / 3 + 1 / 2 + 4 / 5 + 3 / 18) / 4)
    unc = {(p.line, p.metric, p.comment) for p in obs.uncovered()}
    assert (17, "branch", "if") in unc  # `else if (en)`: the increment never happens
    assert (15, "line", "elsif") in unc  # clear never asserted
    increment = [p for p in obs.uncovered() if p.metric == "branch"][0]
    assert obs.coverage.source_line(increment) == "end else if (en) begin"
    assert increment.span == (17, 18)  # the `if` line and the increment it guards


def test_different_testbenches_rank_in_order(evaluator):
    spec = design_spec("counter4")
    good = evaluator.evaluate(spec, reference("counter4"))
    weak = evaluator.evaluate(
        spec, Testbench((TEST_DATA / "tb_counter4_no_enable.py").read_text(), "tb_counter4_no_enable")
    )
    broken = evaluator.evaluate(spec, tb("import cocotb\n@cocotb.test()\nasync def t(dut):\n    raise ValueError('x')\n"))
    assert rank_key(good) > rank_key(weak) > rank_key(broken)


def test_second_testbench_hits_the_cache(simulator, tmp_path):
    ev = Evaluator(simulator, cache_dir=tmp_path, limits=Limits(wall_s=20))
    spec = design_spec("mode_fsm")
    first = ev.evaluate(spec, reference("mode_fsm"))
    assert not first.cache_hit and first.build_s > 0
    builds = list((tmp_path / "builds").iterdir())
    stamp = {p: p.stat().st_mtime_ns for p in builds}
    second = ev.evaluate(spec, tb("import cocotb\n@cocotb.test()\nasync def t(dut):\n    pass\n"))
    assert second.cache_hit and second.build_s == 0.0
    # a new evaluator (another process, say) finds the build on disk
    third = Evaluator(simulator, cache_dir=tmp_path).evaluate(spec, reference("mode_fsm"))
    assert third.cache_hit and third.score == first.score
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "builds").iterdir()} == stamp


def test_hanging_testbench_is_stopped_at_its_limit(simulator, build_cache):
    ev = Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=3))
    start = time.monotonic()
    obs = ev.evaluate(
        design_spec("counter4"), tb("import cocotb\n@cocotb.test()\nasync def t(dut):\n    while True:\n        pass\n")
    )
    elapsed = time.monotonic() - start
    assert obs.outcome is Outcome.TIMED_OUT and obs.timed_out
    assert "did not finish within 3 s" in obs.error
    assert elapsed < 3 + 5  # the limit plus the kill, not the default 60 s
    assert obs.score == 0.0 and not obs.has_coverage


def test_syntax_error_is_reported_without_running(evaluator):
    obs = evaluator.evaluate(design_spec("counter4"), tb("import cocotb\n\n@cocotb.test()\nasync def t(dut)\n    pass\n"))
    assert obs.outcome is Outcome.TESTBENCH_ERROR
    assert "SyntaxError" in obs.error and "line 4" in obs.error
    assert obs.run_s == 0.0


def test_missing_test_decorator_is_reported(evaluator):
    obs = evaluator.evaluate(design_spec("counter4"), tb("async def t(dut):\n    pass\n"))
    assert obs.outcome is Outcome.TESTBENCH_ERROR and "no cocotb test found" in obs.error


def test_import_error_is_an_observation(evaluator):
    obs = evaluator.evaluate(
        design_spec("counter4"), tb("import cocotb\nimport no_such_pkg\n@cocotb.test()\nasync def t(dut):\n    pass\n")
    )
    assert obs.outcome is Outcome.TESTBENCH_ERROR
    assert "No module named 'no_such_pkg'" in obs.error


def test_raising_testbench_fails_with_its_message(evaluator):
    obs = evaluator.evaluate(
        design_spec("counter4"),
        tb("import cocotb\n@cocotb.test()\nasync def t(dut):\n    raise RuntimeError('boom at step 3')\n"),
    )
    assert obs.outcome is Outcome.TESTS_FAILED
    assert "boom at step 3" in obs.tests[0].message
    assert obs.built and obs.imported and not obs.passed


def test_failed_assertion_and_missing_signal(evaluator):
    source = """
import cocotb
from cocotb.triggers import Timer

@cocotb.test()
async def wrong_value(dut):
    dut.en.value = 0
    await Timer(10, unit="ns")
    assert int(dut.count.value) == 3, "count should be 3"

@cocotb.test()
async def no_such_port(dut):
    dut.enable.value = 1

@cocotb.test()
async def fine(dut):
    await Timer(1, unit="ns")
"""
    obs = evaluator.evaluate(design_spec("counter4"), tb(source))
    assert obs.outcome is Outcome.TESTS_FAILED
    by_name = {t.name: t for t in obs.tests}
    assert "count should be 3" in by_name["wrong_value"].message
    assert "no child object named enable" in by_name["no_such_port"].message
    assert by_name["fine"].passed
    assert obs.has_coverage  # a failing test still ran the simulation and produced coverage


def test_each_failed_test_gets_its_own_error(evaluator):
    """cocotb logs every test's traceback in one stream: a test's message stops where the next test starts."""
    source = "import cocotb\nfrom cocotb.triggers import Timer\n" + "".join(
        f"\n@cocotb.test()\nasync def {name}(dut):\n    await Timer(10, unit='ns')\n    assert False, '{name} broke'\n"
        for name in ("first", "second")
    )
    obs = evaluator.evaluate(design_spec("counter4"), tb(source))
    messages = {t.name: t.message for t in obs.tests}
    assert "first broke" in messages["first"] and "second" not in messages["first"], messages
    assert "second broke" in messages["second"], messages


def test_output_flood_is_contained(simulator, build_cache):
    ev = Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=20, output_mb=2))
    obs = ev.evaluate(
        design_spec("counter4"),
        tb("import cocotb\n@cocotb.test()\nasync def t(dut):\n    while True:\n        print('x' * 10000)\n"),
    )
    assert obs.outcome in (Outcome.TESTS_FAILED, Outcome.CRASHED)
    assert len(obs.log_tail) <= 9000


def test_forked_child_does_not_outlive_the_run(evaluator):
    token = f"{time.time_ns() % 10**9}.{os.getpid()}"  # a unique `sleep` argument to find the child by
    source = f"""
import os, cocotb
from cocotb.triggers import Timer

@cocotb.test()
async def t(dut):
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{token}"])
    await Timer(1, unit="ns")
"""
    obs = evaluator.evaluate(design_spec("counter4"), tb(source))
    assert obs.passed, obs.error
    time.sleep(0.2)
    assert _processes_with(token) == []  # killed with the run (a zombie awaiting its reaper does not count)


def _processes_with(token: str) -> list[int]:
    """Live (non-zombie) processes whose command line holds ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = next(ln.split()[1] for ln in (entry / "status").read_text().splitlines() if ln.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if token.encode() in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def test_environment_is_scrubbed(evaluator, monkeypatch):
    monkeypatch.setenv("LLM4COV_TEST_SECRET", "hunter2")
    source = """
import os, cocotb

@cocotb.test()
async def t(dut):
    print("ENV", repr(dict(os.environ)))
    print("CWD", os.getcwd())
"""
    obs = evaluator.evaluate(design_spec("counter4"), tb(source))
    assert obs.passed, obs.error
    assert "ENV {" in obs.log_tail
    assert "hunter2" not in obs.log_tail
    assert "CWD " in obs.log_tail and "llm4cov-run-" in obs.log_tail  # ran in its own scratch directory


def test_rtl_that_does_not_build_is_an_observation(evaluator):
    obs = evaluator.evaluate(BuildSpec.of([str(TEST_DATA / "broken.v")], "broken"), tb("import cocotb\n"))
    assert obs.outcome is Outcome.BUILD_FAILED and not obs.built
    assert "broken.v:3" in obs.error or "broken.v:2" in obs.error


def _build_in_child(args):
    cache, sources, top = args
    from pytest_llm4cov.simulator import find_simulator

    b = build_design(find_simulator("verilator"), BuildSpec.of(sources, top), Path(cache))
    return b.ok, str(b.directory), b.cache_hit


def test_concurrent_builds_share_one_cache_entry(tmp_path):
    args = (str(tmp_path), [str(COUNTER)], "counter4")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_build_in_child, [args, args])
    assert all(ok for ok, _, _ in results)
    assert results[0][1] == results[1][1]
    assert sorted(hit for _, _, hit in results) == [False, True]  # one built, the other waited and reused it
    entries = [p for p in (tmp_path / "builds").iterdir() if p.is_dir()]
    assert len(entries) == 1


def test_icarus_runs_without_coverage(build_cache):
    from pytest_llm4cov import Llm4covError
    from pytest_llm4cov.simulator import find_simulator

    try:
        icarus = find_simulator("icarus")
    except Llm4covError:
        pytest.skip("iverilog is not installed (.ci/run installs it: apt-get install iverilog)")
    ev = Evaluator(icarus, cache_dir=build_cache, limits=Limits(wall_s=30))
    obs = ev.evaluate(design_spec("counter4"), reference("counter4"))
    assert obs.outcome is Outcome.PASSED, obs.error + obs.log_tail
    assert not obs.coverage_available
    assert obs.score is None and obs.coverage is None
    assert obs.to_dict()["score"] is None


def test_memory_write_by_variable_index_builds(evaluator):
    """Plain --coverage on Verilator 5.48 dies on `mem[wa] <= d` (internal error); the per-type flags build."""
    source = """
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Timer

@cocotb.test()
async def t(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for i in range(4):
        dut.we.value = 1
        dut.wa.value = i
        dut.d.value = 0x55 + i
        dut.ra.value = i
        await ClockCycles(dut.clk, 1)
    dut.we.value = 0
    dut.ra.value = 2
    await Timer(1, unit="ns")
    assert int(dut.q.value) == 0x55 + 2
"""
    obs = evaluator.evaluate(BuildSpec.of([str(TEST_DATA / "mem_write.v")], "m"), tb(source))
    assert obs.built, obs.log_tail
    assert obs.passed, obs.error
    assert obs.metrics["line"].ratio == 1.0


def test_testbench_notes_are_read_from_marked_log_lines():
    from pytest_llm4cov.evaluator import MAX_NOTE_CHARS, MAX_TESTBENCH_NOTES, testbench_notes

    log = "\n".join(
        ["  0.00ns INFO  cocotb  llm4cov-note: scenario a ok", "plain line", "llm4cov-note:   x  "]
        + [f"W llm4cov-note: n{i}" for i in range(MAX_TESTBENCH_NOTES)]
        + ["llm4cov-note: " + "z" * (MAX_NOTE_CHARS + 50)]
    )
    notes = testbench_notes(log)
    assert len(notes) == MAX_TESTBENCH_NOTES  # the last ones: the harness reports at the end of the run
    assert notes[-1] == "z" * MAX_NOTE_CHARS
    assert testbench_notes("  0.00ns INFO  cocotb  llm4cov-note: scenario a ok\nllm4cov-note:   x  ") == [
        "scenario a ok", "x"
    ]
    assert testbench_notes("nothing here") == []
