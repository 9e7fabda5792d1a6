// ============================================================================
// cam_lookup -- 8-entry content-addressable memory, 16-bit keys
//
// * Write port: wr_en stores wr_key into entry wr_idx and sets its valid
//   bit to wr_valid (wr_valid = 0 invalidates a single entry).
// * inv_all clears every valid bit; it takes priority over a write in the
//   same cycle.
// * Lookup: lk_en compares lk_key against all valid entries in parallel.
//   One cycle later lk_done pulses with hit / hit_idx (lowest matching
//   entry) / multi_hit (two or more entries matched).  The result stays on
//   the outputs until the next lookup.  A lookup sees the table as it was
//   before a write in the same cycle.
// * mh_err is a sticky record of any multiple-hit lookup, cleared by
//   inv_all or reset.
// ============================================================================
module cam_lookup (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset, active low
    // table maintenance
    input  wire        wr_en,      // write one entry
    input  wire [2:0]  wr_idx,     // entry to write
    input  wire [15:0] wr_key,     // key to store
    input  wire        wr_valid,   // valid bit to store (0 = invalidate the entry)
    input  wire        inv_all,    // invalidate every entry
    // lookup
    input  wire        lk_en,      // start a lookup
    input  wire [15:0] lk_key,     // key to search for
    output reg         lk_done,    // result of a lookup is presented (one cycle)
    output reg         hit,        // some valid entry matched
    output reg  [2:0]  hit_idx,    // lowest matching entry (0 on a miss)
    output reg         multi_hit,  // more than one valid entry matched
    // status
    output reg         mh_err,     // sticky: a multiple-hit lookup occurred
    output wire [7:0]  valid_o     // valid bit per entry
);

    localparam ENTRIES = 8;

    reg [15:0] key [0:ENTRIES-1];   // stored keys
    reg [7:0]  valid;               // entry holds a key

    // ------------------------------------------------------------------
    // Table storage
    // ------------------------------------------------------------------
    genvar g;
    generate
        for (g = 0; g < ENTRIES; g = g + 1) begin : g_entry
            always @(posedge clk or negedge rst_n) begin
                if (!rst_n) begin
                    key[g]   <= 16'h0000;
                    valid[g] <= 1'b0;
                end else if (inv_all) begin
                    valid[g] <= 1'b0;
                end else if (wr_en && (wr_idx == g)) begin
                    key[g]   <= wr_key;
                    valid[g] <= wr_valid;
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Parallel compare and priority encode
    // ------------------------------------------------------------------
    wire [7:0] match;

    generate
        for (g = 0; g < ENTRIES; g = g + 1) begin : g_cmp
            assign match[g] = valid[g] && (key[g] == lk_key);
        end
    endgenerate

    reg [2:0] first;                // lowest matching entry
    always @* begin
        casez (match)
            8'b???????1: first = 3'd0;
            8'b??????10: first = 3'd1;
            8'b?????100: first = 3'd2;
            8'b????1000: first = 3'd3;
            8'b???10000: first = 3'd4;
            8'b??100000: first = 3'd5;
            8'b?1000000: first = 3'd6;
            8'b10000000: first = 3'd7;
            default:     first = 3'd0;  // no match
        endcase
    end

    // Two or more matches: some entry matched while a lower entry matched too.
    wire [6:0] seen;                // seen[i]: an entry at index <= i matched
    assign seen[0] = match[0];
    generate
        for (g = 1; g < ENTRIES - 1; g = g + 1) begin : g_seen
            assign seen[g] = seen[g-1] | match[g];
        end
    endgenerate
    wire multi = |(match[7:1] & seen);

    // ------------------------------------------------------------------
    // Lookup result registers
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            lk_done   <= 1'b0;
            hit       <= 1'b0;
            hit_idx   <= 3'd0;
            multi_hit <= 1'b0;
        end else begin
            lk_done <= lk_en;
            if (lk_en) begin
                hit       <= |match;
                hit_idx   <= first;
                multi_hit <= multi;
            end
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            mh_err <= 1'b0;
        else if (lk_en && multi)
            mh_err <= 1'b1;
        else if (inv_all)
            mh_err <= 1'b0;
    end

    assign valid_o = valid;

endmodule
