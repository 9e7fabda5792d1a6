"""Mutation testing: mutants from the syntax tree, the schemata, one build, and scores that tell checks apart."""

from __future__ import annotations

import json

import pytest

from conftest import DESIGNS, design_spec
from pytest_llm4cov.mutation import find_mutants, mutation_test, render_mutation, schemata
from pytest_llm4cov.testbench import Testbench

RTL = """\
module m #(parameter W = 4) (
    input  wire         clk,
    input  wire         rst,
    input  wire [W-1:0] a,
    input  wire [1:0]   op,
    output reg  [W-1:0] q,
    output wire         z
);
    wire [W-1:0] s = a + q;
    assign z = (q == 4'd0) && !rst;
    always @(posedge clk) begin
        if (rst)
            q <= 0;
        else begin
            case (op)
                2'd1: q <= s;
                2'd2: q <= q[2:0] << 1;
                default: q <= {2{a[1:0]}};
            endcase
        end
    end
    integer i;
    always @* for (i = 0; i < 3; i = i + 1) begin end
endmodule
"""


def _kinds(mutants):
    return {m.kind for m in mutants}


def test_every_kind_of_mutant_is_found_and_each_is_one_change():
    mutants = find_mutants("m.v", RTL)
    assert _kinds(mutants) == {"operator", "constant", "condition", "stuck-at", "case-item"}
    assert [m.id for m in mutants] == list(range(1, len(mutants) + 1))
    for m in mutants:
        assert RTL[m.start : m.end] == m.original
        assert m.replacement != m.original
        assert "\n" not in m.replacement
    by_text = {(m.kind, m.original): m.replacement for m in mutants}
    assert by_text[("operator", "a + q")] == "a - q"
    assert by_text[("condition", "rst")] == "!(rst)"
    assert by_text[("constant", "4'd0")] == "4'd1"
    assert by_text[("case-item", "q <= s;")] == ";"


def test_no_mutant_where_verilog_needs_a_constant():
    lines = RTL.splitlines()
    # selects, replication counts, case labels and loop headers stay as they are
    fixed = [RTL.index(t) for t in ("[2:0]", "{2{", "2'd1:", "2'd2:", "[1:0]}", "(i = 0")]
    mutants = find_mutants("m.v", RTL)
    for m in mutants:
        text = lines[m.line - 1]
        assert not text.lstrip().startswith(("module", "input", "output", "integer", "always @*")), m
        for at in fixed:
            assert not (m.start <= at + 1 < m.end and m.kind in ("constant", "operator")) or m.start < at, m
    assert ("constant", "1") in {(m.kind, m.original) for m in mutants}  # the shift amount is fair game


def test_cheap_equivalents_are_left_out():
    text = "module e(input [3:0] a, output [3:0] y, output [3:0] w, output v);\n" \
           "assign y = a + 0;\nassign w = a & a;\nassign v = 1'b0;\nendmodule\n"
    mutants = find_mutants("e.v", text)
    assert not [m for m in mutants if m.kind == "operator"]  # a + 0 -> a - 0 and a & a -> a | a: equivalent
    assert not [m for m in mutants if m.kind == "stuck-at" and m.original == "1'b0"]


def test_schemata_parses_keeps_lines_and_declares_the_selector_once():
    import pyslang
    from pyslang import syntax

    mutants = find_mutants("m.v", RTL)
    text = schemata(RTL, mutants)
    assert text.count("\n") == RTL.count("\n")
    assert text.count("$value$plusargs") == 1
    tree = syntax.SyntaxTree.fromText(text, "s.v")
    assert not [d for d in tree.diagnostics if d.isError()]
    for m in mutants:
        assert f"_llm4cov_mutant == {m.id})" in text or f"_llm4cov_mutant != {m.id})" in text
    assert pyslang is not None


def test_macros_are_not_mutated():
    text = "`define INC(x) (x + 1)\nmodule k(input [3:0] a, output [3:0] y);\nassign y = `INC(a) - a;\nendmodule\n"
    assert all("`" not in m.original for m in find_mutants("k.v", text))


COUNTER_STIMULUS_ONLY = """
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

@cocotb.test()
async def test_stimulus(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.en.value = 0
    dut.clr.value = 0
    for _ in range(2):
        await FallingEdge(dut.clk)
    dut.rst_n.value = 1
    for i in range(60):
        dut.en.value = i % 5 != 0
        dut.clr.value = i == 40
        await FallingEdge(dut.clk)
"""


@pytest.mark.simulator
def test_checks_kill_mutants_that_stimulus_alone_lets_survive(evaluator):
    spec = design_spec("counter4")
    ref = Testbench((DESIGNS / "counter4" / "reference" / "test_counter4.py").read_text(), "test_counter4")
    plain = Testbench(COUNTER_STIMULUS_ONLY, "test_stimulus")
    checked = mutation_test(spec, ref, evaluator)
    unchecked = mutation_test(spec, plain, evaluator)
    assert not checked.error
    assert not unchecked.error
    assert checked.mutants == unchecked.mutants == checked.run >= 8
    assert checked.builds + unchecked.builds <= 1  # one build serves both testbenches and every mutant
    assert unchecked.score == 0.0  # no check, nothing killed
    assert checked.score >= 0.8
    assert len(unchecked.survivors) == unchecked.run
    s = unchecked.survivors[0]
    assert s["diff"].startswith("-")
    assert "\n+" in s["diff"]
    text = render_mutation("counter4", unchecked)
    assert "mutation score 0.0%" in text
    assert "survived #" in text
    json.dumps(checked.to_dict())


@pytest.mark.simulator
def test_a_testbench_failing_the_clean_design_gets_no_score(evaluator):
    spec = design_spec("counter4")
    bad = Testbench(COUNTER_STIMULUS_ONLY + "\n    assert False, 'wrong check'\n", "test_stimulus")
    r = mutation_test(spec, bad, evaluator, limit=2)
    assert r.score is None
    assert r.run == 0
    assert "does not pass on the unmutated design" in r.error


@pytest.mark.simulator
def test_cli_mutate_prints_score_and_writes_json(build_cache, tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "m.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest_llm4cov", "mutate", str(DESIGNS / "counter4"), "--tb",
         str(DESIGNS / "counter4" / "reference" / "test_counter4.py"), "--mutants", "3", "--json", str(out)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "LLM4COV_CACHE_DIR": str(build_cache)},
    )
    assert done.returncode == 0, done.stderr
    assert "counter4::counter4: mutation score" in done.stdout
    assert "3/3 killed" in done.stdout
    data = json.loads(out.read_text())
    assert data["run"] == 3
    assert data["killed"] == 3
    assert data["mutants"] >= 8


@pytest.mark.simulator
def test_plugin_reports_mutation_score_and_functional_coverage(pytester, build_cache, monkeypatch):
    import shutil

    monkeypatch.setenv("LLM4COV_CACHE_DIR", str(build_cache))
    shutil.copytree(DESIGNS / "counter4", pytester.path / "rtl" / "counter4",
                    ignore=shutil.ignore_patterns("reference"))
    result = pytester.runpytest_subprocess("--llm4cov", "rtl", "--llm4cov-mutants", "4", "-p", "no:cacheprovider",
                                           "--junitxml", "junit.xml")
    result.stdout.fnmatch_lines(["*mutation score *% (*/4 mutants killed, * survived): counter4 *"])
    data = json.loads((pytester.path / "llm4cov-out" / "report.json").read_text())
    m = data["items"][0]["mutation"]
    assert m["run"] == 4
    assert m["mutants"] >= 8
    assert data["mutation"]["run"] == 4
    html = (pytester.path / "llm4cov-out" / "report.html").read_text()
    assert "Mutation score" in html
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="llm4cov_mutation_score"' in junit
    # functional coverage: always reported (summary column, report.json, html bin table, JUnit)
    result.stdout.fnmatch_lines(["*functi*"])
    item = data["items"][0]
    assert item["metrics"]["functional"]["total"] >= 4  # en and clr: 0 and 1
    assert set(item["functional"]["points"]) >= {"counter4.in_en", "counter4.in_clr"}
    assert "Functional coverage" in html and 'name="llm4cov_functional"' in junit


@pytest.mark.simulator
def test_inferred_checks_kill_a_reset_value_mutant(evaluator):
    """The built-in testbench's reset-value check catches `count <= 4'd0` -> `4'd1` in the reset branch."""
    import re

    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.mutation import mutants_of, number_mutants
    from pytest_llm4cov.policy import get_policy
    from pytest_llm4cov.state import State

    design = load_design(DESIGNS / "counter4")
    per_file = number_mutants(mutants_of(design.build))
    text = (DESIGNS / "counter4" / "counter4.v").read_text().splitlines()
    reset_const = [m.id for ms in per_file.values() for m in ms
                   if m.kind == "constant" and "!rst_n" in text[m.line - 2]]
    assert reset_const
    tb = get_policy("builtin").propose(State(design), 0).testbench
    assert "RESET_VALUES = {'count': 0x0}" in tb.source
    checked = mutation_test(design.build, tb, evaluator, only=reset_const)
    plain = Testbench(re.sub(r"^RESET_VALUES = .*$", "RESET_VALUES = {}", tb.source, flags=re.M), tb.module)
    unchecked = mutation_test(design.build, plain, evaluator, only=reset_const)
    assert checked.killed == checked.run == len(reset_const)
    assert unchecked.killed == 0


def test_generate_blocks_are_mutated_but_not_their_conditions():
    text = """module g #(parameter MODE = 1) (input clk, input [3:0] a, output reg [3:0] y, output [3:0] z);
  if (MODE == 1) begin : gen_a
    always @(posedge clk) y <= a + 4'd1;
  end else begin : gen_b
    always @(posedge clk) y <= a - 4'd1;
  end
  for (genvar i = 0; i < 4; i++) begin : gen_z
    assign z[i] = a[i] ^ y[i];
  end
endmodule
"""
    mutants = find_mutants("g.v", text)
    assert {m.line for m in mutants} == {3, 5, 8}  # both generate branches and the loop body; no header
    assert not [m for m in mutants if m.original in ("MODE == 1", "i < 4", "1", "4")]


GENERATE_RTL = """module g #(parameter MODE = 1) (input clk, input [3:0] a, output reg [3:0] y);
  if (MODE == 1) begin : gen_a
    always @(posedge clk) y <= a + 4'd1;
  end else begin : gen_b
    always @(posedge clk) y <= a - 4'd3;
  end
endmodule
"""

GENERATE_TB = """
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

@cocotb.test()
async def test_plus_one(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for a in range(16):
        dut.a.value = a
        await FallingEdge(dut.clk)
        await FallingEdge(dut.clk)
        assert int(dut.y.value) == ({expect}) % 16
"""


@pytest.mark.simulator
@pytest.mark.parametrize("mode, expect, built_line", [(1, "a + 1", 3), (0, "a + 13", 5)])
def test_mutants_in_generate_branches_the_parameters_do_not_build_are_left_out(
    evaluator, tmp_path, mode, expect, built_line
):
    """A mutant in a branch the build leaves out is never compiled: it would survive any check, so it is
    counted apart and never run; the built branch's mutants all run and the checking testbench kills them."""
    from pytest_llm4cov.build import BuildSpec
    from pytest_llm4cov.interface import extract_interface

    src = tmp_path / "g.v"
    src.write_text(GENERATE_RTL)
    iface = extract_interface([src], parameters={"MODE": mode})
    assert [(u[1], u[2]) for u in iface.unbuilt] == [(4, 6) if mode == 1 else (2, 4)]
    spec = BuildSpec.of([str(src)], "g", {"MODE": mode})
    tb = Testbench(GENERATE_TB.format(expect=expect), "test_g")
    every = find_mutants(str(src), GENERATE_RTL)
    on_built = [m for m in every if m.line == built_line]
    r = mutation_test(spec, tb, evaluator, unbuilt=iface.unbuilt)
    assert not r.error, r.error
    assert r.unbuilt == len(every) - len(on_built) > 0
    assert r.run == len(on_built)
    assert r.score == 1.0  # every compiled mutant is killed by the check
    assert "left out: in generate branches" in render_mutation("g", r)
    from pytest_llm4cov.html_report import _mutation_section

    assert f"; {r.unbuilt} in generate branches not built, left out)" in _mutation_section(r.to_dict())
    # Without the analysis the other branch's mutants would run and survive: the score would be lower.
    plain = mutation_test(spec, tb, evaluator)
    assert plain.run == len(every) and plain.score < 1.0
