// ============================================================================
// sync_fifo -- single-clock FIFO, 8 entries x 8 bits
//
// * Registered read: a read accepted on one edge presents its word on
//   rd_data after that edge; rd_data holds its value otherwise.
// * full / empty / count are derived from the registered occupancy.
// * A write while full (and not relieved by a read in the same cycle) is
//   dropped and sets the sticky overflow flag.  A read while empty is
//   dropped and sets the sticky underflow flag.  Both flags stay set until
//   err_clr is pulsed or the FIFO is reset.
// ============================================================================
module sync_fifo (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire       wr_en,      // write request
    input  wire [7:0] wr_data,    // write data
    input  wire       rd_en,      // read request
    input  wire       err_clr,    // clear the sticky error flags
    output reg  [7:0] rd_data,    // read data, valid the cycle after a read
    output wire       full,       // 8 words stored
    output wire       empty,      // no words stored
    output wire [3:0] count,      // number of words stored (0..8)
    output reg        overflow,   // sticky: a write was dropped while full
    output reg        underflow   // sticky: a read was dropped while empty
);

    localparam DEPTH = 8;

    reg [7:0] mem [0:DEPTH-1];    // storage
    reg [2:0] wr_ptr;             // next location to write
    reg [2:0] rd_ptr;             // next location to read
    reg [3:0] level;              // occupancy

    assign full  = (level == DEPTH);
    assign empty = (level == 4'd0);
    assign count = level;

    // A read is accepted whenever data is stored.  A write is accepted when
    // there is room, or when the FIFO is full but a read frees a slot.
    wire rd_ok = rd_en && !empty;
    wire wr_ok = wr_en && (!full || rd_ok);

    // ------------------------------------------------------------------
    // Storage (no reset on the data array).  One write port per entry,
    // selected by a decode of the write pointer.
    // ------------------------------------------------------------------
    genvar g;
    generate
        for (g = 0; g < DEPTH; g = g + 1) begin : g_entry
            always @(posedge clk) begin
                if (wr_ok && (wr_ptr == g))
                    mem[g] <= wr_data;
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Pointers, occupancy and read data
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            wr_ptr  <= 3'd0;
            rd_ptr  <= 3'd0;
            level   <= 4'd0;
            rd_data <= 8'h00;
        end else begin
            if (wr_ok)
                wr_ptr <= wr_ptr + 3'd1;
            if (rd_ok) begin
                rd_ptr  <= rd_ptr + 3'd1;
                rd_data <= mem[rd_ptr];
            end
            case ({wr_ok, rd_ok})
                2'b10:   level <= level + 4'd1;
                2'b01:   level <= level - 4'd1;
                default: level <= level;      // none, or both at once
            endcase
        end
    end

    // ------------------------------------------------------------------
    // Sticky error flags
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            overflow  <= 1'b0;
            underflow <= 1'b0;
        end else if (err_clr) begin
            overflow  <= 1'b0;
            underflow <= 1'b0;
        end else begin
            if (wr_en && !wr_ok)
                overflow <= 1'b1;
            if (rd_en && !rd_ok)
                underflow <= 1'b1;
        end
    end

endmodule
