"""Checks the built-in testbench infers from the RTL: reset values and legal values, nothing unclear."""

from __future__ import annotations

from pytest_llm4cov.interface import DesignInterface, Port, Reset
from pytest_llm4cov.policy.invariants import infer_invariants

RTL = """\
module fsm (input clk, input rst_n, input go, input [3:0] d, output reg [1:0] state, output reg [3:0] q,
            output reg [3:0] acc, output reg [3:0] part);
    localparam IDLE = 2'd0, RUN = 2'd1, DONE = 2'd2;
    reg [1:0] next;
    always @* begin
        next = state;
        case (state)
            IDLE: if (go) next = RUN;
            RUN:  next = DONE;
            default: next = IDLE;
        endcase
    end
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state <= IDLE;
            q <= 4'h5;
            acc <= 0;
            part <= 0;
            if (go) q <= 4'h6;
        end else begin
            state <= next;
            q <= d;
            acc <= acc + d;
            part[0] <= d[0];
        end
    end
endmodule
"""


def _iface() -> DesignInterface:
    ports = (Port("clk", "input", 1), Port("rst_n", "input", 1), Port("go", "input", 1), Port("d", "input", 4),
             Port("state", "output", 2), Port("q", "output", 4), Port("acc", "output", 4), Port("part", "output", 4))
    return DesignInterface(top="fsm", sources=("fsm.v",), ports=ports, parameters=(), clock="clk",
                           reset=Reset("rst_n", True), modules=("fsm",))


def test_reset_values_and_fsm_states_are_inferred():
    inv = infer_invariants(_iface(), {"fsm.v": RTL})
    assert inv.reset_values["state"] == 0
    assert inv.reset_values["acc"] == 0
    assert inv.legal == {"state": [0, 1, 2]}  # via next, whose every assignment is a state or state itself


def test_anything_unclear_is_left_out():
    inv = infer_invariants(_iface(), {"fsm.v": RTL})
    assert "q" not in inv.reset_values  # assigned twice in the reset branch
    assert "part" not in inv.reset_values  # a bit of it is assigned elsewhere
    assert "acc" not in inv.legal
    assert "q" not in inv.legal


def test_no_reset_no_checks():
    iface = _iface()
    from dataclasses import replace

    inv = infer_invariants(replace(iface, reset=None), {"fsm.v": RTL})
    assert inv.reset_values == {}
    assert inv.legal == {}


def test_a_reset_branch_under_another_condition_or_clock_is_not_trusted():
    rtl = """module r (input clk, input clk2, input rst_n, input en, input [3:0] d, output reg [3:0] a,
          output reg [3:0] b, output reg [3:0] c, output reg [3:0] e);
    always @(posedge clk) if (en) begin if (!rst_n) a <= 0; else a <= d; end
    always @(posedge clk2) if (!rst_n) b <= 0; else b <= d;
    always @(posedge clk) if (!rst_n) begin if (en) c <= 1; end else c <= d;
    always @(posedge clk) if (!rst_n) e <= 4'd3; else e <= d;
endmodule
"""
    ports = (*tuple(Port(n, "input", 1) for n in ("clk", "clk2", "rst_n", "en")), Port("d", "input", 4))
    ports += tuple(Port(n, "output", 4) for n in "abce")
    iface = DesignInterface(top="r", sources=("r.v",), ports=ports, clock="clk", reset=Reset("rst_n", True))
    assert infer_invariants(iface, {"r.v": rtl}).reset_values == {"e": 3}
