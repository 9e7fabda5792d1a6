// ============================================================================
// priority_encoder16 - 16-input priority encoder with valid output
//
// Reports the index of the highest-numbered asserted request line (bit 15
// has the highest priority).  A direction input lets the same block serve
// as a find-first-set (lowest index wins) unit.  Alongside the binary index
// the encoder provides a one-hot grant vector and a valid flag; when no
// request is asserted (or the block is disabled) all outputs are zero.
//
// Implemented as a two-level tree: four 4-input encoders feed a 4-input
// group encoder, which keeps the logic depth at two small priority stages.
// Purely combinational.
// ============================================================================
module priority_encoder16 (
    input  wire [15:0] req,        // request lines
    input  wire        en,         // block enable; 0 forces all outputs low
    input  wire        lsb_first,  // 0: bit 15 highest priority, 1: bit 0 highest
    output wire [3:0]  idx,        // index of the winning request
    output wire [15:0] grant,      // one-hot copy of idx (zero when !valid)
    output wire        valid       // at least one request asserted while enabled
);

    // ---------------------------------------------------------------------
    // Direction handling: for LSB-first priority the request vector is
    // bit-reversed, encoded MSB-first, and the index mirrored back.
    // ---------------------------------------------------------------------
    wire [15:0] req_rev;
    genvar gi;
    generate
        for (gi = 0; gi < 16; gi = gi + 1) begin : g_rev
            assign req_rev[gi] = req[15 - gi];
        end
    endgenerate

    wire [15:0] req_m = en ? (lsb_first ? req_rev : req) : 16'h0000;

    // ---------------------------------------------------------------------
    // Level 1: one 4-input MSB-first encoder per nibble
    // ---------------------------------------------------------------------
    wire [3:0] grp_any;            // nibble has at least one request
    wire [7:0] grp_idx;            // 2-bit index per nibble, packed

    generate
        for (gi = 0; gi < 4; gi = gi + 1) begin : g_nib
            wire [3:0] n = req_m[4*gi +: 4];
            assign grp_any[gi]         = |n;
            assign grp_idx[2*gi +: 2]  = n[3] ? 2'd3 :
                                         n[2] ? 2'd2 :
                                         n[1] ? 2'd1 : 2'd0;
        end
    endgenerate

    // ---------------------------------------------------------------------
    // Level 2: pick the highest nibble with a request
    // ---------------------------------------------------------------------
    wire [1:0] grp_sel = grp_any[3] ? 2'd3 :
                         grp_any[2] ? 2'd2 :
                         grp_any[1] ? 2'd1 : 2'd0;

    wire [3:0] idx_msb = {grp_sel, grp_idx[2*grp_sel +: 2]};

    assign valid = |grp_any;
    assign idx   = !valid    ? 4'd0 :
                   lsb_first ? (4'd15 - idx_msb) : idx_msb;
    assign grant = valid ? (16'h0001 << idx) : 16'h0000;

endmodule
