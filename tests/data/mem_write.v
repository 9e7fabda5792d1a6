module m(input clk, input we, input [1:0] wa, input [7:0] d, input [1:0] ra, output [7:0] q);
  reg [7:0] mem [0:3];
  always @(posedge clk) if (we) mem[wa] <= d;
  assign q = mem[ra];
endmodule
