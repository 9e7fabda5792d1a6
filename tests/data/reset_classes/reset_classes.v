// Three failure classes of the built-in policy seen on real RTL, in one module (one build):
// 1. a reset that acts only under another input; 2. operands captured during reset by a one-shot
// sequential multiply; 5. a 16-bit counter whose terminal count needs 65,536 cycles.
module reset_classes (
    input             clk,
    input             rst,
    input             en,
    input      [7:0]  a,
    input      [7:0]  b,
    output reg [7:0]  acc,
    output reg [15:0] prod,
    output reg        wrapped
);
  // 1. the reset branch is taken only while en is high
  always @(posedge clk) begin
    if (en) begin
      if (rst) acc <= 8'd0;
      else     acc <= acc + a;
    end
  end

  // 2. operands are loaded while reset is high; eight shift-add steps follow, then prod holds
  reg [7:0] ma, mb;
  reg [3:0] step;
  always @(posedge clk) begin
    if (rst) begin
      ma <= a;
      mb <= b;
      prod <= 16'd0;
      step <= 4'd0;
    end else if (step != 4'd8) begin
      if (mb[step[2:0]]) prod <= prod + ({8'd0, ma} << step[2:0]);
      step <= step + 4'd1;
    end
  end

  // 5. a free-running 16-bit counter and its terminal count
  reg [15:0] ticks;
  always @(posedge clk) begin
    if (rst) begin
      ticks <= 16'd0;
      wrapped <= 1'b0;
    end else begin
      ticks <= ticks + 16'd1;
      if (ticks == 16'hFFFF) wrapped <= 1'b1;
    end
  end
endmodule
