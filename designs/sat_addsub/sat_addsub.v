// ============================================================================
// sat_addsub - 12-bit signed saturating adder/subtractor
//
// Adds or subtracts two 12-bit two's-complement operands.  When the exact
// result does not fit in 12 bits the output is clamped to the nearest
// representable value (+2047 or -2048) and a flag tells which way it
// saturated.  Saturation can be disabled, in which case the result wraps
// like an ordinary adder while the flags still report the overflow.
// Typical use: DSP accumulators, audio mixers, PID controllers.
//
// The operation is computed at 13 bits so the exact result is available;
// the top two bits of the 13-bit result disagree exactly when it overflows
// the 12-bit range.  Purely combinational.
// ============================================================================
module sat_addsub (
    input  wire [11:0] a,        // operand A, two's complement
    input  wire [11:0] b,        // operand B, two's complement
    input  wire        sub,      // 0: a + b, 1: a - b
    input  wire        sat_en,   // 1: clamp on overflow, 0: wrap
    output reg  [11:0] y,        // result
    output wire        sat_hi,   // exact result > +2047 (positive overflow)
    output wire        sat_lo    // exact result < -2048 (negative overflow)
);

    localparam [11:0] MAX_POS = 12'h7FF;   // +2047
    localparam [11:0] MAX_NEG = 12'h800;   // -2048

    // Sign-extend to 13 bits so the exact sum/difference always fits.
    wire [12:0] a_x = {a[11], a};
    wire [12:0] b_x = {b[11], b};
    wire [12:0] res = sub ? (a_x - b_x) : (a_x + b_x);

    // res[12] is the true sign; res[11] is the sign of the 12-bit truncation.
    assign sat_hi = !res[12] &&  res[11];
    assign sat_lo =  res[12] && !res[11];

    always @* begin
        if (sat_en && sat_hi)      y = MAX_POS;
        else if (sat_en && sat_lo) y = MAX_NEG;
        else                       y = res[11:0];
    end

endmodule
