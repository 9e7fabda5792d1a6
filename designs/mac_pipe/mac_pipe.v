// ============================================================================
// mac_pipe - 3-stage pipelined unsigned multiply-accumulate
//
// Multiplies two unsigned 8-bit operands and adds the 16-bit product into a
// 24-bit accumulator.  One operand pair can be accepted every cycle.
//
//   stage 1 (capture)    : operands, valid and clear are registered
//   stage 2 (multiply)   : 8x8 -> 16-bit product is registered
//   stage 3 (accumulate) : product added into the accumulator
//
// The clear request travels down the pipe alongside its operands, so a
// sample presented with clr=1 starts a new sum: the accumulator is loaded
// with that sample's product instead of adding to the old total (or with
// zero if the sample itself is not valid).
//
// Overflow: if an addition carries out of bit 23 the accumulator saturates
// at 0xFFFFFF and the sticky ovf flag is set.  ovf stays set until a clear
// reaches stage 3 (or reset).  Reaching overflow takes at least 259
// accumulations of near-maximum products without an intervening clear.
// ============================================================================
module mac_pipe (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset, active low
    input  wire        in_valid,   // a/b carry a sample to accumulate
    input  wire [7:0]  a,          // multiplicand (unsigned)
    input  wire [7:0]  b,          // multiplier (unsigned)
    input  wire        clr,        // restart the sum with this sample (in-band)
    output reg         out_valid,  // acc was updated by a valid sample on the last edge
    output reg  [23:0] acc,        // accumulator
    output reg         ovf         // sticky: accumulator saturated since the last clear
);

    localparam [23:0] ACC_MAX = 24'hFF_FFFF;

    // ---------------------------------------------------------------------
    // Stage 1: capture
    // ---------------------------------------------------------------------
    reg       s1_valid;
    reg       s1_clr;
    reg [7:0] s1_a;
    reg [7:0] s1_b;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            s1_valid <= 1'b0;
            s1_clr   <= 1'b0;
            s1_a     <= 8'd0;
            s1_b     <= 8'd0;
        end else begin
            s1_valid <= in_valid;
            s1_clr   <= clr;
            // Operand registers only load for valid samples (saves power).
            if (in_valid) begin
                s1_a <= a;
                s1_b <= b;
            end
        end
    end

    // ---------------------------------------------------------------------
    // Stage 2: multiply
    // ---------------------------------------------------------------------
    reg        s2_valid;
    reg        s2_clr;
    reg [15:0] s2_prod;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            s2_valid <= 1'b0;
            s2_clr   <= 1'b0;
            s2_prod  <= 16'd0;
        end else begin
            s2_valid <= s1_valid;
            s2_clr   <= s1_clr;
            if (s1_valid) begin
                s2_prod <= s1_a * s1_b;
            end
        end
    end

    // ---------------------------------------------------------------------
    // Stage 3: accumulate with saturation
    // ---------------------------------------------------------------------
    wire [24:0] sum   = {1'b0, acc} + {9'd0, s2_prod};
    wire        carry = sum[24];

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            out_valid <= 1'b0;
            acc       <= 24'd0;
            ovf       <= 1'b0;
        end else begin
            out_valid <= s2_valid;
            if (s2_clr) begin
                // New sum: a product cannot overflow an empty accumulator.
                acc <= s2_valid ? {8'd0, s2_prod} : 24'd0;
                ovf <= 1'b0;
            end else if (s2_valid) begin
                if (carry) begin
                    acc <= ACC_MAX;
                    ovf <= 1'b1;
                end else begin
                    acc <= sum[23:0];
                end
            end
        end
    end

endmodule
