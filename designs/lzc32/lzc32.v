// ============================================================================
// lzc32 - combinational 32-bit leading-zero counter
//
// Counts the number of consecutive zero bits starting from bit 31 of the
// input word.  Used for floating-point normalisation and CLZ instructions.
// The result ranges from 0 (bit 31 set) to 32 (input all zero); the
// all_zero flag marks the latter case explicitly.
//
// Structure: eight 4-bit leading-zero cells produce a 2-bit count and a
// "nibble is zero" flag each.  A second level selects the first non-zero
// nibble from the top and concatenates the nibble number with that cell's
// count.  Purely combinational.
// ============================================================================
module lzc32 (
    input  wire [31:0] data,      // word to examine
    output wire [5:0]  count,     // leading zeros, 0..32
    output wire        all_zero   // data == 0 (count == 32)
);

    // ---------------------------------------------------------------------
    // Level 1: 4-bit leading-zero cells.  Cell 7 covers data[31:28].
    // ---------------------------------------------------------------------
    wire [7:0]  nib_zero;          // nibble k is all zero
    wire [15:0] nib_cnt;           // 2-bit leading-zero count per nibble

    genvar k;
    generate
        for (k = 0; k < 8; k = k + 1) begin : g_cell
            wire [3:0] n = data[4*k +: 4];
            assign nib_zero[k]      = (n == 4'b0000);
            // Leading zeros of a non-zero nibble (don't-care when zero).
            assign nib_cnt[2*k +: 2] = n[3] ? 2'd0 :
                                       n[2] ? 2'd1 :
                                       n[1] ? 2'd2 : 2'd3;
        end
    endgenerate

    // ---------------------------------------------------------------------
    // Level 2: count whole leading zero nibbles, from the top, and pick the
    // first non-zero nibble's cell count.
    // ---------------------------------------------------------------------
    reg [2:0] lead_nibs;           // number of all-zero nibbles above the first set one
    reg       found;               // first non-zero nibble already located

    integer i;
    always @* begin
        lead_nibs = 3'd0;
        found     = 1'b0;
        for (i = 7; i >= 0; i = i - 1) begin
            if (!found) begin
                if (nib_zero[i]) lead_nibs = lead_nibs + 3'd1;
                else             found     = 1'b1;
            end
        end
    end

    // lead_nibs wraps to 0 when all eight nibbles are zero; the all-zero
    // case is handled separately below.
    wire [2:0] sel_nib = 3'd7 - lead_nibs;

    assign all_zero = &nib_zero;
    assign count    = all_zero ? 6'd32 : {1'b0, lead_nibs, nib_cnt[2*sel_nib +: 2]};

endmodule
