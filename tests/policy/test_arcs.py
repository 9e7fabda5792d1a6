"""FSM arcs read from the RTL: one- and two-process next-state logic, case items and if-branches, and
every unclear shape dropped rather than guessed."""

from __future__ import annotations

from pytest_llm4cov.interface import DesignInterface, Port, Reset
from pytest_llm4cov.policy.arcs import fsm_arcs
from pytest_llm4cov.policy.invariants import infer_invariants

TWO_PROCESS = """\
module fsm (input clk, input rst_n, input go, input stop, output reg [1:0] state);
    localparam IDLE = 2'd0, RUN = 2'd1, DONE = 2'd2;
    reg [1:0] next;
    always @* begin
        next = state;
        case (state)
            IDLE: if (go) next = RUN;
            RUN:  begin if (stop) next = IDLE; else next = DONE; end
            default: next = IDLE;
        endcase
    end
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) state <= IDLE;
        else state <= next;
    end
endmodule
"""

ONE_PROCESS_IF = """\
module fsm (input clk, input rst_n, input go, input stop, output reg [1:0] state);
    localparam IDLE = 2'd0, RUN = 2'd1, DONE = 2'd2;
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) state <= IDLE;
        else if (state == IDLE && go) state <= RUN;
        else if (state == RUN) state <= stop ? RUN : DONE;
        else if (state == DONE) state <= IDLE;
    end
endmodule
"""


def _iface() -> DesignInterface:
    ports = (Port("clk", "input", 1), Port("rst_n", "input", 1), Port("go", "input", 1), Port("stop", "input", 1),
             Port("state", "output", 2))
    return DesignInterface(top="fsm", sources=("fsm.v",), ports=ports, parameters=(), clock="clk",
                           reset=Reset("rst_n", True), modules=("fsm",))


def _arcs(rtl: str) -> dict:
    iface = _iface()
    return fsm_arcs(iface, {"fsm.v": rtl}, infer_invariants(iface, {"fsm.v": rtl}))


def test_two_process_arcs_come_from_the_case_items_of_the_next_state():
    assert _arcs(TWO_PROCESS) == {"state": {
        (0, 1): "IDLE=0 -> RUN=1", (1, 0): "RUN=1 -> IDLE=0", (1, 2): "RUN=1 -> DONE=2", (2, 0): "DONE=2 -> IDLE=0",
    }}  # `next = state` holds (a self-loop, no arc); the default item is every state no other item lists


def test_if_branches_on_the_state_select_the_from_state():
    rtl = ONE_PROCESS_IF.replace("stop ? RUN : DONE", "DONE")
    assert _arcs(rtl) == {"state": {(0, 1): "IDLE=0 -> RUN=1", (1, 2): "RUN=1 -> DONE=2", (2, 0): "DONE=2 -> IDLE=0"}}


def test_unclear_next_state_logic_gives_no_arcs():
    # An expression on the right: invariants.py gives no legal set, so no arcs either.
    assert _arcs(ONE_PROCESS_IF) == {}
    # A constant written whatever the state: which arcs it makes depends on what overrides it.
    default_first = TWO_PROCESS.replace("next = state;", "next = IDLE;")
    assert infer_invariants(_iface(), {"fsm.v": default_first}).legal == {"state": [0, 1, 2]}
    assert _arcs(default_first) == {}
    # A second, unconditional write of the register outside its reset.
    abort = TWO_PROCESS.replace("else state <= next;", "else if (stop) state <= IDLE; else state <= next;")
    assert _arcs(abort) == {}
