"""Functional coverage: points in generated testbenches, bins collected by the evaluator, missed bins steering."""

from __future__ import annotations

import json

import pytest

from conftest import DESIGNS
from pytest_llm4cov.coverage import CoverageReport
from pytest_llm4cov.design import load_design
from pytest_llm4cov.functional import Bin, FunctionalCoverage, feedback_block, read_export
from pytest_llm4cov.observation import Observation, Outcome
from pytest_llm4cov.policy import get_policy
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench


def _interesting(source: str) -> dict:
    import ast

    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "INTERESTING":
            return ast.literal_eval(node.value)
    raise AssertionError("no INTERESTING table")


def test_generated_testbench_declares_points_from_interface_and_rtl():
    design = load_design(DESIGNS / "pipe_stall")
    tb = get_policy("builtin").propose(State(design), 0).testbench
    assert "from cocotb_coverage.coverage import CoverPoint" in tb.source
    assert "'in_in_op': (('in_op',)," in tb.source  # an input's interesting values
    assert "'hs_out': (('out_valid', 'out_ready'), [(1, 0), (1, 1)])" in tb.source  # a handshake
    random_tb = get_policy("random").propose(State(design), 0).testbench
    assert "COVER = {" in random_tb.source
    assert "'in_in_valid'" in random_tb.source


def test_a_missed_bin_steers_the_next_step():
    """An input value the run never drove (a missed bin) becomes an interesting value of the next testbench."""
    design = load_design(DESIGNS / "pipe_stall")
    policy = get_policy("builtin")
    first = policy.propose(State(design), 0).testbench
    assert 0x1234 not in _interesting(first.source).get("in_data", [])
    missed = FunctionalCoverage((Bin("pipe_stall.in_in_data", "4660", 0), Bin("pipe_stall.in_in_data", "0", 9)))
    obs = Observation(Outcome.PASSED, built=True, coverage=CoverageReport(()), functional=missed)
    nxt = policy.propose(State(design, first, obs, step=0), 1).testbench
    assert 0x1234 in _interesting(nxt.source)["in_data"]
    assert "in_in_data: 1/2 bins hit; never seen: 4660" in feedback_block(obs.functional)


def test_functional_is_reported_and_scored_only_when_named():
    f = FunctionalCoverage((Bin("t.p", "1", 3), Bin("t.p", "2", 0)))
    obs = Observation(Outcome.PASSED, built=True, coverage=CoverageReport(()), functional=f)
    assert obs.metrics["functional"].covered == 1
    assert obs.metrics["functional"].total == 2
    assert obs.to_dict()["functional"]["points"]["t.p"]["missed"] == ["2"]
    assert all(p.metric == "functional" for p in f.as_points())


def test_read_export_ignores_junk(tmp_path):
    path = tmp_path / "x.json"
    assert read_export(path) is None
    path.write_text("not json")
    assert read_export(path) is None
    path.write_text(json.dumps({"a.b": {"bins": [["0", 2], ["bad"], ["1", "x"]], "at_least": 2}}))
    f = read_export(path)
    assert f is not None
    assert [(b.value, b.hit) for b in f.bins] == [("0", True)]


USER_TB = '''
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge
from cocotb_coverage.coverage import CoverPoint

@CoverPoint("mine.en", xf=lambda dut: int(dut.en.value), bins=[0, 1])
@CoverPoint("mine.count_top", xf=lambda dut: int(dut.count.value), bins=[15, 99])
def sample(dut):
    pass

@cocotb.test()
async def test_user(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.en.value = 0
    dut.clr.value = 0
    await FallingEdge(dut.clk)
    dut.rst_n.value = 1
    for i in range(40):
        dut.en.value = 1
        await FallingEdge(dut.clk)
        sample(dut)
'''


@pytest.mark.simulator
def test_evaluator_collects_a_users_own_points_and_scores_them_only_when_named(simulator, build_cache):
    from conftest import design_spec
    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.sandbox import Limits

    spec = design_spec("counter4")
    tb = Testbench(USER_TB, "test_user")
    plain = Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=30))
    obs = plain.evaluate(spec, tb)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert [t.name for t in obs.tests] == ["test_user"]  # the exporter's own test is not listed
    per = obs.functional.per_point()
    assert per["mine.en"] == {"hit": 1, "total": 2, "missed": ["0"], "bins": [["0", 0], ["1", 40]]}
    assert per["mine.count_top"]["missed"] == ["99"]
    assert obs.metrics["functional"].total == 4
    assert not any(p.metric == "functional" for p in obs.coverage.points)
    named = Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=30),
                      metrics=("line", "functional")).evaluate(spec, tb)
    assert set(named.metrics) == {"line", "functional"}
    assert named.score == pytest.approx((named.metrics["line"].ratio + 0.5) / 2)


def test_missed_bins_reach_the_model_feedback_and_the_hybrid_prompt():
    from pytest_llm4cov.hybrid_prompt import render_hybrid_feedback
    from pytest_llm4cov.prompt import render_feedback

    design = load_design(DESIGNS / "pipe_stall")
    missed = FunctionalCoverage((Bin("pipe_stall.state_s3_kop", "2", 0), Bin("pipe_stall.state_s3_kop", "3", 5)))
    obs = Observation(Outcome.PASSED, built=True, coverage=CoverageReport(()), functional=missed)
    state = State(design, Testbench("x = 1", "tb_pipe_stall"), obs, step=0)
    line = "state_s3_kop: 1/2 bins hit; never seen: 2"
    assert line in render_feedback(state, (20, 20, 5))[0]
    assert line in render_hybrid_feedback(state, [], {}, (20, 5))[0]
