"""The enclosing conditions the feedback names beside an uncovered line (pytest_llm4cov/path_conditions.py):
a compressed-instruction decoder's branch sits under four nested tests of its input's fields."""

from __future__ import annotations

from pytest_llm4cov.path_conditions import conditions_at

DECODER = """module dec (input logic clk, input logic rst_n, input logic [15:0] instr_i, output logic illegal_o);
  always_comb begin
    illegal_o = 1'b0;
    unique case (instr_i[1:0])
      2'b10: begin
        unique case (instr_i[15:13])
          3'b100, 3'b101: begin
            if (instr_i[12] == 1'b0) begin
              if (instr_i[6:2] != 5'b0) begin
                illegal_o = 1'b0;
              end else begin
                if (instr_i[11:7] == 5'b0) illegal_o = 1'b1;
              end
            end
          end
          default: illegal_o = 1'b1;
        endcase
      end
      default: ;
    endcase
  end
endmodule
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_nested_case_items_and_else_branches_are_named_outermost_first():
    line = line_of(DECODER, "if (instr_i[11:7] == 5'b0)")
    assert conditions_at(DECODER, line) == [
        "instr_i[1:0] is 2'b10",
        "instr_i[15:13] is 3'b100, 3'b101",
        "instr_i[12] == 1'b0",
        "not (instr_i[6:2] != 5'b0)",
    ]
    assert conditions_at(DECODER, line_of(DECODER, "default: illegal_o = 1'b1")) == [
        "instr_i[1:0] is 2'b10", "instr_i[15:13] is none of its other case items"]


def test_lines_outside_any_condition_and_bad_input_give_nothing():
    assert conditions_at(DECODER, line_of(DECODER, "illegal_o = 1'b0;")) == []
    assert conditions_at(DECODER, 0) == [] and conditions_at(DECODER, 999) == []
    assert conditions_at("this is not verilog (", 1) == []


def test_the_reset_test_is_left_out():
    fsm = (
        "module f (input clk, input rst_n, input go, output reg q);\n"
        "  always @(posedge clk or negedge rst_n)\n"
        "    if (!rst_n) q <= 0;\n"
        "    else if (go) q <= 1;\n"
        "endmodule\n"
    )
    assert conditions_at(fsm, 4) == ["not (!rst_n)"]
    assert conditions_at(fsm, 4, frozenset({"rst_n"})) == []


def test_an_else_if_after_end_belongs_to_the_else():
    text = (
        "module g (input clk, input a, input b, output reg q);\n"
        "  always @(posedge clk) begin\n"
        "    if (a) begin\n"
        "      q <= 0;\n"
        "    end else if (b) begin\n"
        "      q <= 1;\n"
        "    end\n"
        "  end\n"
        "endmodule\n"
    )
    assert conditions_at(text, 5) == ["not (a)"]
    assert conditions_at(text, 6) == ["not (a)", "b"]
