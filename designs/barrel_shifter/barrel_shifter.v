// ============================================================================
// barrel_shifter - 16-bit logarithmic barrel shifter
//
// Shifts or rotates a 16-bit word by 0..15 positions in one cycle.  The
// operation is chosen by a 3-bit opcode:
//
//   000  SHL  logical shift left, zeros shifted in at bit 0
//   001  SHR  logical shift right, zeros shifted in at bit 15
//   010  SRA  arithmetic shift right, copies of bit 15 shifted in
//   011  ROL  rotate left
//   100  ROR  rotate right
//   101..111  reserved: the input passes through unchanged
//
// Implementation: a single right-shifting core of four mux stages (1, 2, 4,
// 8 positions).  Left operations bit-reverse the word on the way in and out
// of the core, so one set of muxes serves all five operations.  Besides the
// result the unit reports the last bit shifted out (carry) and a zero flag.
// Purely combinational.
// ============================================================================
module barrel_shifter (
    input  wire [15:0] din,     // data to shift
    input  wire [3:0]  shamt,   // shift / rotate amount, 0..15
    input  wire [2:0]  op,      // operation select (see header)
    output wire [15:0] dout,    // shifted result
    output wire        carry,   // last bit shifted out (0 for rotates, reserved ops and shamt = 0)
    output wire        zero     // dout == 0
);

    localparam [2:0] OP_SHL = 3'd0;
    // 3'd1 (SHR) is the core's native operation and needs no decode term.
    localparam [2:0] OP_SRA = 3'd2;
    localparam [2:0] OP_ROL = 3'd3;
    localparam [2:0] OP_ROR = 3'd4;

    // ---------------------------------------------------------------------
    // Operation decode
    // ---------------------------------------------------------------------
    wire is_left  = (op == OP_SHL) || (op == OP_ROL);
    wire is_rot   = (op == OP_ROL) || (op == OP_ROR);
    wire is_valid = (op <= OP_ROR);
    // Fill bit for non-rotating right shifts: sign for SRA, zero otherwise.
    wire fill     = (op == OP_SRA) & din[15];

    // ---------------------------------------------------------------------
    // Bit reversal for left operations
    // ---------------------------------------------------------------------
    wire [15:0] din_rev;
    genvar gi;
    generate
        for (gi = 0; gi < 16; gi = gi + 1) begin : g_rev_in
            assign din_rev[gi] = din[15 - gi];
        end
    endgenerate

    wire [15:0] core_in = is_left ? din_rev : din;

    // ---------------------------------------------------------------------
    // Right-shift/rotate core: stage k shifts by 2**k when shamt[k] is set.
    // Each stage extends its word with the bits that drop out at the bottom
    // so the last shifted-out bit is available for the carry flag.
    // ---------------------------------------------------------------------
    wire [15:0] s0, s1, s2, s3;
    assign s0 = shamt[0] ? {(is_rot ? core_in[0]  : fill),          core_in[15:1]} : core_in;
    assign s1 = shamt[1] ? {(is_rot ? s0[1:0]     : {2{fill}}),     s0[15:2]}      : s0;
    assign s2 = shamt[2] ? {(is_rot ? s1[3:0]     : {4{fill}}),     s1[15:4]}      : s1;
    assign s3 = shamt[3] ? {(is_rot ? s2[7:0]     : {8{fill}}),     s2[15:8]}      : s2;

    // The last bit shifted out of a right shift by n is core_in[n-1].
    wire [3:0] shm1    = shamt - 4'd1;
    wire       last_out = core_in[shm1];

    // ---------------------------------------------------------------------
    // Output: undo the reversal for left operations
    // ---------------------------------------------------------------------
    wire [15:0] core_out_rev;
    generate
        for (gi = 0; gi < 16; gi = gi + 1) begin : g_rev_out
            assign core_out_rev[gi] = s3[15 - gi];
        end
    endgenerate

    assign dout  = !is_valid ? din : (is_left ? core_out_rev : s3);
    assign carry = is_valid && !is_rot && (shamt != 4'd0) && last_out;
    assign zero  = (dout == 16'h0000);

endmodule
