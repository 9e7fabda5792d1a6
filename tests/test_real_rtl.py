"""What real SystemVerilog repos contain and the bundled designs do not (tests/data/sv_repo): packages
imported by files that sort before them, macros defined in a file the user never includes, a .sv macro
file that is included rather than compiled, unpacked array ports; and a default parameter that does
not elaborate, which must be named with its llm4cov.toml fix."""

from __future__ import annotations

import pytest

from conftest import TEST_DATA, second_step
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.design import load_design
from pytest_llm4cov.interface import extract_interface
from pytest_llm4cov.prompt import interface_summary

REPO = TEST_DATA / "sv_repo"


def test_sources_are_ordered_for_one_compilation_unit():
    iface = extract_interface([REPO])
    names = [s.rsplit("/", 1)[-1] for s in iface.sources]
    # macros first, then the package, then its user; the included macro file is no compilation unit
    assert names == ["macros.sv", "zz_acc_pkg.sv", "acc_top.sv"]


def test_unpacked_array_ports_count_every_bit():
    iface = extract_interface([REPO])
    lanes, sums = iface.port("lanes_i"), iface.port("sums_o")
    assert (lanes.width, lanes.elements) == (16, 2)
    assert (sums.width, sums.elements) == (16, 2)
    assert iface.port("total_o").width == 9  # a width from the imported package


def test_the_prompt_names_an_unpacked_array_ports_elements_and_their_width():
    """wm4 read Ibex's ``imd_val_q_i`` (68 bits) and drove its two 34-bit elements with 68-bit values."""
    summary = interface_summary(extract_interface([REPO]))
    assert "`lanes_i` (2 x 8 bits)" in summary and "`sums_o` (2 x 8 bits)" in summary
    assert "`total_o` (9 bits)" in summary


def test_design_folder_is_on_the_include_path():
    assert load_design(REPO).build.include_dirs[0] == str(REPO.resolve())


def test_default_parameter_that_does_not_elaborate_is_named(tmp_path):
    (tmp_path / "div.v").write_text(
        "module div #(parameter width = 0) (input clk, input [7:0] a, output [7:0] q);\n"
        "  localparam integer STEPS = 8 / width;\n"
        "  reg [STEPS-1:0] r;\n"
        "  always @(posedge clk) r <= a[STEPS-1:0];\n"
        "  assign q = r;\n"
        "endmodule\n"
    )
    with pytest.raises(Llm4covError) as err:
        extract_interface([tmp_path])
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'div.v'}:3: ")
    assert "default width = 0" in message and "parameters = {width = 1}" in message
    assert "\n" not in message
    # and the fix it names works
    assert extract_interface([tmp_path], parameters={"width": 1}).top == "div"


@pytest.mark.slow
def test_builtin_testbench_builds_and_drives_array_ports(evaluator):
    from pytest_llm4cov.policy import get_policy
    from pytest_llm4cov.state import State

    design = load_design(REPO)
    proposal = get_policy("builtin").propose(State(design), seed=0)
    obs = evaluator.evaluate(design.build, proposal.testbench, seed=0)
    assert obs.passed, obs.error
    uncovered = {p.comment for p in obs.uncovered() if p.metric == "toggle"}
    # both elements of the array input were driven, so both lanes' sums moved
    assert not any(d.startswith(("lanes_i[0][0]", "lanes_i[1][0]", "sums_o[1][0]")) for d in uncovered), uncovered
    # the array input's functional bins (0 and all ones over both elements) are read as one packed value:
    # read as int() of the array, it was always unknown and the bins could never be hit
    lanes = [b for b in obs.functional.bins if b.point.endswith(".in_lanes_i")]
    assert lanes and all(b.hit for b in lanes), lanes


def test_functions_nothing_calls_are_proven_unreachable():
    iface = extract_interface([REPO])
    found = {(u[0].rsplit("/", 1)[-1], u[3].split()[1]) for u in iface.unreachable}
    assert found == {("zz_acc_pkg.sv", "scale_unused()"), ("zz_acc_pkg.sv", "double_unused()")}
    text = (REPO / "zz_acc_pkg.sv").read_text().splitlines()
    for _, first, last, *_ in iface.unreachable:
        assert "function" in text[first - 1] and "endfunction" in text[last - 1]


def test_line_range_waiver_and_its_errors():
    from pytest_llm4cov.coverage import CoveragePoint
    from pytest_llm4cov.waivers import parse_waivers

    (w,) = parse_waivers([{"file": "a.sv", "line": 10, "until": 12, "reason": "r"}], "x.toml")
    assert w.matches(CoveragePoint("rtl/a.sv", 11, "line", 0)) and not w.matches(CoveragePoint("a.sv", 13, "line", 0))
    with pytest.raises(Llm4covError, match="x.toml: waiver #1: until must be a line number after line"):
        parse_waivers([{"file": "a.sv", "line": 10, "until": 9, "reason": "r"}], "x.toml")


def test_full_case_default_and_coverage_off_regions_are_unreachable(tmp_path):
    (tmp_path / "sel.sv").write_text(
        "module sel (input logic [1:0] s, input logic [2:0] t, output logic [3:0] y, output logic z);\n"
        "  always_comb begin\n"
        "    case (s)\n"
        "      2'b00: y = 4'd1;\n"
        "      2'b01: y = 4'd2;\n"
        "      2'b10, 2'b11: y = 4'd4;\n"
        "      default: y = 4'd0;\n"  # line 7: every value of s is listed
        "    endcase\n"
        "    case (t)\n"
        "      3'd0: z = 1'b1;\n"
        "      default: z = 1'b0;\n"  # line 11: reachable
        "    endcase\n"
        "  end\n"
        "  //VCS coverage off\n"
        "  // pragma coverage off\n"
        "  wire unused = ^t;\n"
        "  // pragma coverage on\n"
        "endmodule\n"
    )
    found = {(u[1], u[2], u[3].split(":")[0]) for u in extract_interface([tmp_path]).unreachable}
    assert found == {(7, 7, "unreachable"), (14, 17, "excluded by the RTL")}


def test_signals_driven_only_by_a_constant_cannot_toggle(tmp_path):
    (tmp_path / "tie.sv").write_text(
        "module tie #(parameter bit Fast = 0) (input logic clk, input logic [3:0] d,\n"
        "    output logic [3:0] q, output logic err_o);\n"
        "  logic [3:0] coeffs;\n"  # line 3: constant in the branch that is built
        "  logic [3:0] mixed;\n"  # line 4: constant in one branch, a register in the other
        "  if (Fast) begin : g_fast\n"
        "    assign q = d;\n"
        "    assign err_o = ^d;\n"
        "    assign mixed = 4'h0;\n"
        "  end else begin : g_slow\n"
        "    assign coeffs = 4'b1001;\n"
        "    always_ff @(posedge clk) q <= d ^ coeffs;\n"
        "    always_ff @(posedge clk) mixed <= d;\n"
        "    assign err_o = 1'b0;\n"
        "  end\n"
        "endmodule\n"
    )
    found = {(u[1], u[4]) for u in extract_interface([tmp_path]).unreachable if len(u) > 4}
    assert found == {(3, "coeffs"), (2, "err_o")}
    # the other configuration drives err_o from the inputs: nothing is claimed for it there
    fast = extract_interface([tmp_path], parameters={"Fast": 1}).unreachable
    assert not [u for u in fast if len(u) > 4 and u[4] in ("err_o", "q")]


def test_calls_in_generate_branches_not_built_do_not_count(tmp_path):
    (tmp_path / "gen.sv").write_text(
        "package gen_pkg;\n"
        "  function automatic logic inv(logic a); return ~a; endfunction\n"
        "endpackage\n"
        "module gen #(parameter bit Inv = 0) (input logic a, output logic y);\n"
        "  if (Inv) begin : g_inv\n"
        "    assign y = gen_pkg::inv(a);\n"
        "  end else begin : g_pass\n"
        "    assign y = a;\n"
        "  end\n"
        "endmodule\n"
    )
    assert [u[3] for u in extract_interface([tmp_path]).unreachable] == [
        "unreachable: inv() is never called by the design"
    ]
    assert extract_interface([tmp_path], parameters={"Inv": 1}).unreachable == ()


STRUCT_RTL = """package cfg_pkg;
  typedef struct packed { logic [3:0] lo; logic hi; } pair_t;
  typedef struct packed { logic enable; logic [7:0] div; pair_t pair; } ctrl_t;
endpackage

module ctrl_top import cfg_pkg::*; (
  input  logic  clk_i,
  input  logic  rst_ni,
  input  ctrl_t ctrl_i,
  output logic  [7:0] div_o
);
  always_ff @(posedge clk_i or negedge rst_ni)
    if (!rst_ni) div_o <= '0;
    else if (ctrl_i.enable) div_o <= ctrl_i.div;
endmodule
"""


def test_packed_struct_ports_list_their_fields_by_bit_position(tmp_path):
    """OpenTitan's ports are packed structs: a scenario sets ``ctrl_i.div`` instead of packing bits by hand."""
    (tmp_path / "ctrl_top.sv").write_text(STRUCT_RTL)
    iface = extract_interface([tmp_path])
    ctrl = iface.port("ctrl_i")
    assert ctrl.width == 14
    assert ctrl.fields == (("enable", 13, 13), ("div", 12, 5), ("pair", 4, 0), ("pair.lo", 4, 1), ("pair.hi", 0, 0))
    assert iface.port("div_o").fields == ()


@pytest.mark.simulator
def test_a_scenario_sets_and_reads_struct_fields(tmp_path, evaluator):
    from pytest_llm4cov.observation import Outcome
    from pytest_llm4cov.scenarios import scenario_results

    (tmp_path / "ctrl_top.sv").write_text(STRUCT_RTL)
    design = load_design(tmp_path)
    reply = '''```python
async def scenario_fields(tb, dut):
    """a field by name, one written the way models write it (repaired), the rest kept"""
    tb.set("ctrl_i.div", 0xA5)
    tb.set("ctrl_i.enable", 1)
    dut.ctrl_i.pair.hi.value = 1
    await tb.step(2)
    assert tb.read("ctrl_i.div") == 0xA5 and tb.read("ctrl_i.pair.hi") == 1, tb.read("ctrl_i")
    assert tb.read("ctrl_i") == (1 << 13) | (0xA5 << 5) | 1, tb.read("ctrl_i")
    assert tb.read("div_o") == 0xA5, tb.read("div_o")
```'''
    obs = second_step(design, reply, evaluator)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes) == {"scenario_fields": "ok"}, obs.notes
