// ============================================================================
// fifo_thresh -- 16 x 8 synchronous FIFO with programmable watermarks
//
// * First-word fall-through: rd_data shows the oldest word whenever the
//   FIFO is not empty; rd_en pops it at the next rising edge.
// * level reports the occupancy (0..16).
// * almost_full  = level >= AF threshold, almost_empty = level <= AE
//   threshold.  Both thresholds are loaded together through cfg_we.
// * A write while full or a read while empty is refused and latches an
//   error flag.  The flags are cleared by the err_clr strobe; an error in
//   the same cycle as err_clr wins (the flag stays set).
// ============================================================================
module fifo_thresh (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    // write side
    input  wire       wr_en,        // push request
    input  wire [7:0] wr_data,      // push data
    // read side
    input  wire       rd_en,        // pop request
    output wire [7:0] rd_data,      // head of the FIFO (0x00 while empty)
    // threshold configuration
    input  wire       cfg_we,       // load both thresholds
    input  wire [4:0] cfg_af,       // almost-full threshold (0..16)
    input  wire [4:0] cfg_ae,       // almost-empty threshold (0..16)
    // error handling
    input  wire       err_clr,      // clear ovf_err / udf_err
    // status
    output wire [4:0] level,        // words stored
    output wire       full,         // level == 16
    output wire       empty,        // level == 0
    output wire       almost_full,  // level >= AF threshold
    output wire       almost_empty, // level <= AE threshold
    output reg        ovf_err,      // a push was refused (FIFO full)
    output reg        udf_err       // a pop was refused (FIFO empty)
);

    localparam DEPTH    = 16;
    localparam AF_RESET = 5'd12;
    localparam AE_RESET = 5'd4;

    reg [7:0] mem [0:DEPTH-1];      // storage
    reg [3:0] wr_ptr;               // next slot to write
    reg [3:0] rd_ptr;               // slot holding the head word
    reg [4:0] cnt;                  // occupancy
    reg [4:0] af_thr;               // almost-full threshold
    reg [4:0] ae_thr;               // almost-empty threshold

    assign level        = cnt;
    assign full         = (cnt == DEPTH);
    assign empty        = (cnt == 5'd0);
    assign almost_full  = (cnt >= af_thr);
    assign almost_empty = (cnt <= ae_thr);
    assign rd_data      = empty ? 8'h00 : mem[rd_ptr];

    // Writes are refused while full, reads while empty (no pass-through).
    wire push = wr_en && !full;
    wire pop  = rd_en && !empty;

    // ------------------------------------------------------------------
    // Storage: one write port per entry, selected by the write pointer
    // ------------------------------------------------------------------
    genvar g;
    generate
        for (g = 0; g < DEPTH; g = g + 1) begin : g_entry
            always @(posedge clk) begin
                if (push && (wr_ptr == g))
                    mem[g] <= wr_data;
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Pointers and occupancy
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            wr_ptr <= 4'd0;
            rd_ptr <= 4'd0;
            cnt    <= 5'd0;
        end else begin
            if (push)
                wr_ptr <= wr_ptr + 4'd1;
            if (pop)
                rd_ptr <= rd_ptr + 4'd1;
            if (push && !pop)
                cnt <= cnt + 5'd1;
            else if (pop && !push)
                cnt <= cnt - 5'd1;
        end
    end

    // ------------------------------------------------------------------
    // Threshold registers
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            af_thr <= AF_RESET;
            ae_thr <= AE_RESET;
        end else if (cfg_we) begin
            af_thr <= cfg_af;
            ae_thr <= cfg_ae;
        end
    end

    // ------------------------------------------------------------------
    // Error flags: set has priority over the clear strobe
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            ovf_err <= 1'b0;
            udf_err <= 1'b0;
        end else begin
            if (wr_en && full)
                ovf_err <= 1'b1;
            else if (err_clr)
                ovf_err <= 1'b0;
            if (rd_en && empty)
                udf_err <= 1'b1;
            else if (err_clr)
                udf_err <= 1'b0;
        end
    end

endmodule
