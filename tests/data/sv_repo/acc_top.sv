// A folder in the style of real SystemVerilog repos: the top sorts before the package it imports, uses a
// macro defined in another file, includes a .sv macro file, and has unpacked array ports.
`include "acc_checks.sv"

module acc_top import zz_acc_pkg::*; (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  op_e              op_i,
  input  logic [7:0]       lanes_i [2],
  output logic [7:0]       sums_o  [2],
  output logic [WIDTH-1:0] total_o
);
  logic [7:0] acc_q [2];
  for (genvar g = 0; g < 2; g++) begin : gen_lane
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni)            acc_q[g] <= '0;
      else if (op_i == OpAdd) acc_q[g] <= add_wrap(acc_q[g], lanes_i[g]);
      else if (op_i == OpClr) acc_q[g] <= '0;
    end
    assign sums_o[g] = acc_q[g];
  end
  assign total_o = WIDTH'(acc_q[0]) + WIDTH'(acc_q[1]);
  `ACC_KNOWN(total_o)
  `CHECK_NOTHING
endmodule
