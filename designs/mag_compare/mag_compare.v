// ============================================================================
// mag_compare - 16-bit signed/unsigned magnitude comparator
//
// Compares two 16-bit operands and reports less-than, equal and greater-than
// (exactly one of the three is high), plus the derived <= and >= outputs
// used by branch units.  A mode input selects unsigned or two's-complement
// interpretation of both operands.
//
// Signed comparison is performed with the unsigned comparator by inverting
// the sign bit of both operands: this maps -32768..32767 monotonically onto
// 0..65535.  Purely combinational.
// ============================================================================
module mag_compare (
    input  wire [15:0] a,            // operand A
    input  wire [15:0] b,            // operand B
    input  wire        signed_mode,  // 0: unsigned compare, 1: two's-complement compare
    output wire        lt,           // a <  b
    output wire        eq,           // a == b
    output wire        gt,           // a >  b
    output wire        le,           // a <= b
    output wire        ge            // a >= b
);

    // Bias the sign bit in signed mode so an unsigned compare gives the
    // signed ordering.
    wire [15:0] a_b = {a[15] ^ signed_mode, a[14:0]};
    wire [15:0] b_b = {b[15] ^ signed_mode, b[14:0]};

    // Unsigned compare of the biased operands: a 17-bit subtraction whose
    // borrow is the less-than result and whose zero difference is equality
    // (biasing both operands the same way does not affect equality).
    wire [16:0] diff = {1'b0, a_b} - {1'b0, b_b};
    wire        borrow = diff[16];
    wire [15:0] delta  = diff[15:0];

    assign eq = ~|delta;
    assign lt = borrow;
    assign gt = !lt && !eq;
    assign le = lt || eq;
    assign ge = !lt;

endmodule
