module leaf(input wire a, output wire b);
  assign b = ~a;
endmodule

module top_a(input wire x, output wire y);
  leaf u_leaf(.a(x), .b(y));
endmodule

module top_b #(parameter integer WIDTH = 8, parameter signed [7:0] OFFSET = -3) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire signed [WIDTH-1:0] din,
  output reg         [WIDTH-1:0] dout
);
  localparam integer HALF = WIDTH / 2;
  always @(posedge clk_i) dout <= din + OFFSET;
endmodule
