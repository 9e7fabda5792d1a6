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


def test_fsm_arcs_and_fifo_crosses_are_declared_from_the_rtl():
    handshake = get_policy("builtin").propose(State(load_design(DESIGNS / "handshake_ctrl")), 0).testbench.source
    assert "ARCS = {'arc_state': ('state',\n" in handshake
    assert "(1, 3): 'S_WAIT_H=1 -> S_ERR=3'" in handshake  # named by the RTL's localparams
    assert "(0, 3)" not in handshake  # the RTL writes no such arc
    fifo = get_policy("builtin").propose(State(load_design(DESIGNS / "sync_fifo")), 0).testbench.source
    assert "'cross_full_wr_en': ('full', 'wr_en', [(1, 1), (1, 0)])" in fifo
    assert "'cross_empty_rd_en': ('empty', 'rd_en', [(1, 1), (1, 0)])" in fifo
    assert "ARCS = {}" in fifo


@pytest.mark.simulator
def test_fsm_arcs_are_sampled_as_previous_and_current_state(simulator, build_cache):
    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.sandbox import Limits

    design = load_design(DESIGNS / "handshake_ctrl")
    evaluator = Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=90))  # a full built-in run
    obs = evaluator.evaluate(design.build, get_policy("builtin").propose(State(design), 0).testbench)
    assert obs.outcome is Outcome.PASSED, obs.error
    arcs = obs.functional.per_point()["handshake_ctrl.arc_state"]
    assert arcs["total"] == 6
    hits = dict(arcs["bins"])
    # A full handshake is IDLE -> WAIT_H -> WAIT_L -> IDLE: each arc as often as the one before it, give or
    # take the one cut off by a reset or the end of the run.
    idle_h, h_l, l_idle = (hits[f"'{a}'"] for a in ("S_IDLE=0 -> S_WAIT_H=1", "S_WAIT_H=1 -> S_WAIT_L=2",
                                                     "S_WAIT_L=2 -> S_IDLE=0"))
    assert idle_h > 10
    assert idle_h >= h_l >= l_idle >= h_l - 20
    for missed in arcs["missed"]:
        assert f"arc_state: {arcs['hit']}/6 bins hit; never seen: {missed}" in feedback_block(obs.functional)


FIFO_SCENARIOS = '''```python
async def scenario_fill(tb, dut):
    """eight writes fill the FIFO: the eighth is a write into a FIFO not yet full"""
    tb.set("wr_en", 1)
    await tb.step(8)
    tb.set("wr_en", 0)
    await tb.step(3)
    assert tb.read("full") == 1


async def scenario_overflow(tb, dut):
    """a ninth write while full, then a read while empty after draining"""
    tb.set("wr_en", 1)
    await tb.step(9)
    tb.set("wr_en", 0)
    tb.set("rd_en", 1)
    await tb.step(9)
    tb.set("rd_en", 0)
    await tb.step(2)
```'''


@pytest.mark.simulator
def test_full_and_empty_crosses_see_the_flag_as_the_clock_edge_did(evaluator):
    """Only the ninth write meets a full FIFO, only the ninth read an empty one: a flag sampled after the
    edge would count the eighth write (the one that fills it) too."""
    import re

    from pytest_llm4cov.scenarios import parse_scenarios, splice

    design = load_design(DESIGNS / "sync_fifo")
    scaffold = get_policy("builtin").propose(State(design), 0).testbench
    bare = re.sub(r"^PLAN = \[\n.*?^\]\n", "PLAN = []\n", scaffold.source, count=1, flags=re.S | re.M)
    assert "PLAN = []\n" in bare  # only the scenarios drive the FIFO
    source = splice(bare, parse_scenarios(FIFO_SCENARIOS).pieces)
    obs = evaluator.evaluate(design.build, Testbench(source, scaffold.module))
    assert obs.outcome is Outcome.PASSED, obs.error
    assert "scenario scenario_fill ok" in obs.notes and "scenario scenario_overflow ok" in obs.notes
    per = obs.functional.per_point()
    assert dict(per["sync_fifo.cross_full_wr_en"]["bins"])["(1, 1)"] == 1
    assert dict(per["sync_fifo.cross_empty_rd_en"]["bins"])["(1, 1)"] == 1
    assert dict(per["sync_fifo.cross_full_wr_en"]["bins"])["(1, 0)"] > 0


def test_a_missed_arc_reads_as_the_rtl_names_its_states():
    arcs = FunctionalCoverage((Bin("h.arc_state", "'S_IDLE=0 -> S_RUN=1'", 4),
                               Bin("h.arc_state", "'S_RUN=1 -> S_ERR=3'", 0)))
    assert "- h.arc_state: 1/2 bins hit; never seen: 'S_RUN=1 -> S_ERR=3'" in feedback_block(arcs)
