"""Waivers (config validation, matching, scoring) and unreachable-point suspicions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from conftest import DESIGNS, TEST_DATA
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.coverage import CoveragePoint, CoverageReport
from pytest_llm4cov.design import load_config
from pytest_llm4cov.observation import Observation, Outcome
from pytest_llm4cov.waivers import (
    Waiver,
    WaivingEvaluator,
    constant_names,
    find_suspects,
    parse_waivers,
    split_waived,
)

ORIGIN = "rtl/fifo/llm4cov.toml"


def pt(line, metric="line", count=0, file="/w/rtl/fifo/fifo.v", hierarchy="fifo", comment="", span=None):
    return CoveragePoint(file, line, metric, count, 0, hierarchy, comment, span)


# -- validation -----------------------------------------------------------------------------------


def test_parse_waivers_accepts_the_documented_forms():
    waivers = parse_waivers(
        [
            {"file": "fifo.v", "line": 42, "reason": "debug port"},
            {"hierarchy": "top.u_dbg*", "reason": "debug block", "type": "toggle"},
        ],
        ORIGIN,
    )
    assert waivers == (
        Waiver("debug port", file="fifo.v", line=42),
        Waiver("debug block", hierarchy="top.u_dbg*", type="toggle"),
    )
    assert waivers[0].describe() == "fifo.v:42" and waivers[1].describe() == "top.u_dbg* toggle"
    assert waivers[1].to_dict() == {"hierarchy": "top.u_dbg*", "type": "toggle", "reason": "debug block"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("fifo.v", "waivers must be a list of tables like [{file = "),
        (["fifo.v"], "waiver #1 must be a table like {file = "),
        ([{"file": "fifo.v", "lines": 3, "reason": "x"}], "waiver #1: unknown key 'lines' (known keys: file, line, "),
        ([{"file": "fifo.v", "line": 3}], "waiver #1 needs a reason: why the point cannot or need not be covered"),
        ([{"file": "fifo.v", "reason": "  "}], "waiver #1 needs a reason"),
        ([{"line": 3, "reason": "x"}], "waiver #1 needs a file or a hierarchy to say what it waives"),
        ([{"file": "a.v", "reason": "x"}, {"file": "a.v", "line": 0, "reason": "x"}],
         "waiver #2: line must be a positive integer, got 0"),
        ([{"file": "a.v", "line": True, "reason": "x"}], "waiver #1: line must be a positive integer, got True"),
        ([{"hierarchy": "top", "line": 4, "reason": "x"}], "waiver #1: line 4 needs a file"),
        ([{"file": "a.v", "type": "toggel", "reason": "x"}], "waiver #1: unknown type 'toggel' (choose from line, "),
        ([{"file": "", "reason": "x"}], "waiver #1: file must be a non-empty string"),
    ],
)
def test_parse_waivers_errors_are_one_line_naming_the_file(raw, message):
    with pytest.raises(Llm4covError) as exc:
        parse_waivers(raw, ORIGIN)
    text = str(exc.value)
    assert text.startswith(f"{ORIGIN}: ") and message in text and "\n" not in text


def test_config_reads_and_validates_waivers(tmp_path):
    (tmp_path / "llm4cov.toml").write_text(
        'top = "fifo"\nwaivers = [{file = "fifo.v", line = 42, reason = "debug"}, '
        '{hierarchy = "fifo.u_dbg*", type = "toggle", reason = "tied off"}]\n'
    )
    cfg = load_config(tmp_path)
    assert cfg.waivers == (Waiver("debug", file="fifo.v", line=42), Waiver("tied off", hierarchy="fifo.u_dbg*",
                                                                            type="toggle"))
    (tmp_path / "llm4cov.toml").write_text('waivers = [{file = "fifo.v", line = 42}]\n')
    with pytest.raises(Llm4covError, match=r"llm4cov\.toml: waiver #1 needs a reason"):
        load_config(tmp_path)


# -- matching and scoring -------------------------------------------------------------------------


def test_waiver_matching_rules():
    by_line = Waiver("r", file="fifo.v", line=42)
    assert by_line.matches(pt(42)) and not by_line.matches(pt(41))
    assert by_line.matches(pt(40, span=(40, 43)))  # a block spanning the waived line
    assert not Waiver("r", file="other.v").matches(pt(42))
    assert Waiver("r", file="rtl/*/fifo.v").matches(pt(42))  # a glob, matched from the right
    dbg = Waiver("r", hierarchy="fifo.u_dbg*")
    assert dbg.matches(pt(1, hierarchy="fifo.u_dbg")) and dbg.matches(pt(1, hierarchy="fifo.u_dbg.u_sub"))
    assert not dbg.matches(pt(1, hierarchy="fifo"))
    typed = Waiver("r", file="fifo.v", type="toggle")
    assert typed.matches(pt(3, "toggle")) and not typed.matches(pt(3, "line"))


def test_waived_points_leave_the_score():
    report = CoverageReport((pt(10, count=1), pt(11, count=0), pt(12, "toggle", 0), pt(12, "toggle", 5)))
    assert report.score() == pytest.approx((0.5 + 0.5) / 2)
    kept, waived = split_waived(report, (Waiver("unused", file="fifo.v", line=11),))
    assert [p.line for p, _ in waived] == [11] and waived[0][1].reason == "unused"
    assert kept.score() == pytest.approx((1.0 + 0.5) / 2)
    assert split_waived(report, ()) == (report, ())


class FixedEvaluator:
    """Returns one observation whatever it is asked (the waiver wrapper is what is under test)."""

    metrics = None

    def __init__(self, report: CoverageReport) -> None:
        self.report = report

    def evaluate(self, spec, testbench, *, seed=0):
        return Observation(Outcome.PASSED, built=True, coverage=self.report)


def test_waiving_evaluator_filters_before_scoring_and_keeps_the_waived_points():
    report = CoverageReport((pt(10, count=3), pt(11, count=0), pt(30, "toggle", 0, hierarchy="fifo.u_dbg")))
    inner = FixedEvaluator(report)
    waivers = (Waiver("dead code", file="fifo.v", line=11), Waiver("debug", hierarchy="fifo.u_dbg*"))
    ev = WaivingEvaluator(inner, waivers)
    obs = ev.evaluate(None, None, seed=1)
    assert obs.score == 1.0 and obs.uncovered() == []
    assert [(p.line, w.reason) for p, w in ev.waived(obs)] == [(11, "dead code"), (30, "debug")]
    assert ev.waived(inner.evaluate(None, None)) == ()  # an observation it did not filter
    assert ev.metrics is None  # everything else is the wrapped evaluator's


# -- suspicions -----------------------------------------------------------------------------------

PMUX = """\
module pmux #(parameter MODE = 1, parameter W = 4) (
    input  wire         clk,
    input  wire [W-1:0] a,
    input  wire [W-1:0] b,
    output reg  [W-1:0] y
);
    localparam [1:0] FAST = 2'd2;
    wire [W-1:0] tied = {W{1'b0}};
    wire [W-1:0] live = a ^ b;
    always @(posedge clk) begin
        if (MODE == FAST) begin
            y <= a;
        end else if (a == b) begin
            y <= b;
        end
    end
    assign z = (`USE_Z && W > 8) ? a : b;
endmodule
"""


def test_constant_names_reads_parameters_localparams_and_genvars():
    text = PMUX + "genvar gi, gj;\n// parameter NOT_ME = 1;\n"
    assert constant_names([text]) == {"MODE", "W", "FAST", "gi", "gj"}


def test_suspects_are_never_covered_points_on_constant_conditions():
    f = "/w/pmux.v"
    never = [
        pt(11, "branch", 0, file=f, comment="if"),  # MODE == FAST: parameters only
        pt(13, "branch", 0, file=f, comment="if"),  # a == b: reachable
        pt(8, "toggle", 0, file=f, comment="tied[0]:0->1"),  # tied to a constant
        pt(9, "toggle", 0, file=f, comment="live[0]:0->1"),  # driven by inputs
        pt(17, "expr", 0, file=f, comment="(W > 8)==1 => 1"),
        pt(17, "expr", 0, file=f, comment="(a==1) => 1"),
    ]
    flagged = [{"file": "pmux.v", "line": 14, "reason": "b never equals a after reset"}]
    found = find_suspects(never, {f: PMUX}, flagged=flagged)
    where = [(s["line"], s["type"]) for s in found]
    assert where == [(8, "toggle"), (11, "branch"), (17, "expr"), (14, "")]
    assert "MODE == FAST" in found[1]["why"] and found[1]["source"] == "if (MODE == FAST) begin"
    assert found[3]["why"].startswith("the agent called it unreachable: b never equals")
    assert found[3]["source"] == "y <= b;"


# -- the whole job on the simulator ---------------------------------------------------------------


class Replay:
    """A policy that proposes the same testbench every step."""

    name: ClassVar[str] = "replay"
    default_iterations: ClassVar[int] = 1

    def __init__(self, source: str, info: dict | None = None) -> None:
        self.source = source
        self.info = info or {}

    def propose(self, state, seed):
        from pytest_llm4cov.policy.base import Proposal
        from pytest_llm4cov.testbench import Testbench

        return Proposal(Testbench(self.source, "test_replay"), info=dict(self.info))

    def settings(self):
        return {}

    def close(self):
        pass


@pytest.mark.simulator
def test_close_design_applies_waivers_everywhere(evaluator, tmp_path):
    """Waive every point a weak testbench misses: the item passes, and every output says what was waived."""
    from dataclasses import replace

    from pytest_llm4cov.artifacts import load_coverage_data
    from pytest_llm4cov.closure import close_design
    from pytest_llm4cov.design import load_design

    weak = (TEST_DATA / "tb_counter4_no_enable.py").read_text()
    design = load_design(DESIGNS / "counter4")
    plain, _ = close_design(design, Replay(weak), evaluator, out=tmp_path / "a", runlog=None, iterations=1)
    assert not plain.passed and plain.uncovered and not plain.waived
    missed = sorted({(u["line"], u["type"]) for u in plain.uncovered})
    waivers = parse_waivers(
        [{"file": "counter4.v", "line": line, "type": kind, "reason": "not in this product"} for line, kind in missed]
        + [{"file": "counter4.v", "line": 99, "reason": "stale"}],
        "llm4cov.toml",
    )
    design = replace(design, config=replace(design.config, waivers=waivers))
    out = tmp_path / "b"
    claim = {"unreachable": [{"file": "counter4.v", "line": 18, "reason": "en is tied high"}]}
    item, _ = close_design(design, Replay(weak, claim), evaluator, out=out, runlog=None, iterations=1)
    assert item.passed and item.score == 1.0 and not item.uncovered
    # the agent's claim is listed for review, and waives nothing by itself
    assert item.suspects == [{"file": "counter4.v", "line": 18, "type": "", "detail": "",
                              "source": "count <= count + 4'd1;", "why": "the agent called it unreachable: "
                              "en is tied high"}]
    assert {(w["line"], w["type"]) for w in item.waived} >= set(missed)
    assert all(w["reason"] == "not in this product" for w in item.waived)
    assert item.unused_waivers == [{"file": "counter4.v", "line": 99, "reason": "stale"}]
    data = load_coverage_data(out, "counter4", "counter4")
    marked = [p for p in data["points"] if p["waived"]]
    assert len(marked) == len(item.waived) and all(p["waived"] == "not in this product" for p in marked)
    assert "module counter4" in next(iter(data["sources"].values()))
    regression = (out / "counter4" / "counter4" / "test_counter4_coverage.py").read_text()
    assert "'reason': 'stale'" in regression and "waivers=WAIVERS" in regression


PMUX_TB = """\
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge


@cocotb.test()
async def drive(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for i in range(16):
        dut.a.value = i
        dut.b.value = 15 - i
        await RisingEdge(dut.clk)
"""


@pytest.mark.simulator
@pytest.mark.slow  # builds a design of its own (~40 s); the heuristics are tested above without a simulator
def test_close_design_lists_suspects_for_review(evaluator, tmp_path):
    from pytest_llm4cov.closure import close_design
    from pytest_llm4cov.design import load_design

    folder = tmp_path / "pmux"
    folder.mkdir()
    (folder / "pmux.v").write_text(PMUX.replace("    assign z = (`USE_Z && W > 8) ? a : b;\n", ""))
    claim = {"unreachable": [{"file": "pmux.v", "line": 14, "reason": "a never equals b here"}]}
    item, _ = close_design(load_design(folder), Replay(PMUX_TB, claim), evaluator, out=tmp_path / "out",
                           runlog=None, iterations=1)
    found = {(s["line"], s["type"]) for s in item.suspects}
    assert 11 in {line for line, _ in found}  # if (MODE == FAST): never taken, parameters only
    assert (8, "toggle") in found  # tied to zero
    assert (14, "") in found  # the agent's claim
    assert not any(s["line"] in (3, 4, 9, 13) for s in item.suspects)  # inputs and input-driven logic
    assert item.score < 1.0 and not item.waived  # suspicion never waives anything
    data = json.loads((Path(tmp_path / "out" / "pmux" / "pmux" / "coverage.json")).read_text())
    assert data["suspects"] == item.suspects
