// ============================================================================
// axis_frame_fifo -- AXI4-Stream store-and-forward packet FIFO
//
// * 16 entries of 8-bit data plus tlast.  A frame is forwarded on m_axis
//   only once its last beat has been stored: m_axis_tvalid never rises in
//   the middle of an incomplete frame.
// * A frame whose last beat carries s_axis_tuser = 1 is a bad frame: it is
//   dropped (its beats are discarded) and drop_bad pulses for one cycle.
// * A frame longer than the FIFO can never be stored whole: once the
//   incomplete frame alone fills the FIFO, the rest of it is accepted and
//   discarded, the stored part is rolled back, and drop_oversize pulses for
//   one cycle at its last beat.  When the FIFO is full because earlier
//   complete frames wait to be read, s_axis_tready is low instead.
// * occupancy counts the stored beats (committed and in progress);
//   frames counts the complete frames waiting to be read.
// ============================================================================
module axis_frame_fifo #(
    parameter DEPTH = 16,           // entries, a power of two
    parameter ADDR_W = 4            // log2(DEPTH)
) (
    input  wire        clk,
    input  wire        rst_n,        // asynchronous reset, active low
    // AXI4-Stream slave (input)
    input  wire [7:0]  s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    input  wire        s_axis_tuser,  // bad-frame marker, sampled on the last beat
    // AXI4-Stream master (output)
    output wire [7:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    // status
    output wire [ADDR_W:0] occupancy,
    output reg  [ADDR_W:0] frames,
    output reg         drop_oversize,
    output reg         drop_bad
);

    reg [8:0] mem [0:DEPTH-1];       // {tlast, tdata}

    reg [ADDR_W:0] wr_ptr;           // next entry to write (incomplete frame)
    reg [ADDR_W:0] wr_commit;        // end of the last complete frame
    reg [ADDR_W:0] rd_ptr;           // next entry to read
    reg            dropping;         // discarding the rest of an oversize frame

    wire [ADDR_W:0] level = wr_ptr - rd_ptr;
    wire full      = level == DEPTH;
    // the incomplete frame alone fills the FIFO: it can never be stored whole
    wire oversize  = full && (wr_commit == rd_ptr);

    assign s_axis_tready = !full || oversize || dropping;

    wire s_xfer = s_axis_tvalid && s_axis_tready;
    wire store  = s_xfer && !dropping && !full;

    assign m_axis_tvalid = rd_ptr != wr_commit;
    assign m_axis_tdata  = mem[rd_ptr[ADDR_W-1:0]][7:0];
    assign m_axis_tlast  = mem[rd_ptr[ADDR_W-1:0]][8];

    wire m_xfer = m_axis_tvalid && m_axis_tready;

    assign occupancy = level;

    always @(posedge clk) begin
        if (store)
            mem[wr_ptr[ADDR_W-1:0]] <= {s_axis_tlast, s_axis_tdata};
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            wr_ptr        <= 0;
            wr_commit     <= 0;
            rd_ptr        <= 0;
            dropping      <= 1'b0;
            frames        <= 0;
            drop_oversize <= 1'b0;
            drop_bad      <= 1'b0;
        end else begin
            drop_oversize <= 1'b0;
            drop_bad      <= 1'b0;

            if (m_xfer)
                rd_ptr <= rd_ptr + 1'b1;

            if (s_xfer) begin
                if (dropping || oversize) begin
                    // discard; roll the stored part back at the frame's end
                    dropping <= !s_axis_tlast;
                    wr_ptr   <= wr_commit;
                    if (s_axis_tlast)
                        drop_oversize <= 1'b1;
                end else if (s_axis_tlast) begin
                    if (s_axis_tuser) begin
                        wr_ptr   <= wr_commit;
                        drop_bad <= 1'b1;
                    end else begin
                        wr_ptr    <= wr_ptr + 1'b1;
                        wr_commit <= wr_ptr + 1'b1;
                    end
                end else begin
                    wr_ptr <= wr_ptr + 1'b1;
                end
            end

            // complete frames waiting: +1 when one is committed, -1 when one leaves
            case ({s_xfer && !dropping && !oversize && s_axis_tlast && !s_axis_tuser,
                   m_xfer && m_axis_tlast})
                2'b10:   frames <= frames + 1'b1;
                2'b01:   frames <= frames - 1'b1;
                default: ;
            endcase
        end
    end

endmodule
