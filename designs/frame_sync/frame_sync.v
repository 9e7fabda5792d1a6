// ============================================================================
// frame_sync -- bit-serial frame aligner
// ----------------------------------------------------------------------------
// A serial stream (one bit per cycle where bit_valid is high, MSB first)
// carries fixed-length frames: a 16-bit sync word followed by payload bytes,
// FRAME_BITS bits from one sync word to the next.
//
//   HUNT    every incoming bit, the last 16 bits are compared with SYNC_WORD;
//           a match starts a frame: the bit after the sync word is bit 0.
//   VERIFY  the sync word must appear again exactly FRAME_BITS bits later,
//           CHECKS times in a row; one miss returns to HUNT.
//   LOCKED  the payload bits after each sync word come out as bytes; at every
//           frame boundary the sync word is checked again: a hit counts a
//           frame, MISS_LIMIT misses in a row drop the lock (a slip) and the
//           aligner hunts again. Alignment is kept across a single miss.
//
// `rehunt` forces HUNT from any state. `sync_lost` says that no sync word
// (aligned or not) has been seen in the last LOSS_BITS bits.
// Reset is asynchronous, active low.
// ============================================================================
module frame_sync #(
    parameter [15:0] SYNC_WORD  = 16'hEB90, // frame marker, MSB first
    parameter        FRAME_BITS = 64,       // sync-to-sync distance in bits (multiple of 8)
    parameter        CNT_W      = 6,        // width of the bit counter (2**CNT_W >= FRAME_BITS)
    parameter        CHECKS     = 2,        // further sync words VERIFY needs (1..3)
    parameter        MISS_LIMIT = 2,        // consecutive misses that drop the lock (1..3)
    parameter        LOSS_BITS  = 200       // bits without any sync word that raise sync_lost (< 256)
) (
    input  wire       clk,         // clock, rising edge
    input  wire       rst_n,       // asynchronous reset, active low
    input  wire       bit_valid,   // bit_in carries a stream bit this cycle
    input  wire       bit_in,      // serial data
    input  wire       rehunt,      // force the aligner back to HUNT
    output reg  [1:0] sync_state,  // 0 HUNT, 1 VERIFY, 2 LOCKED
    output reg        byte_valid,  // one cycle: byte_out holds a payload byte
    output reg  [7:0] byte_out,    // last payload byte (MSB received first)
    output reg        frame_ok,    // one cycle: sync word found at a boundary (VERIFY or LOCKED)
    output reg        sync_miss,   // one cycle: sync word absent at a boundary
    output reg  [1:0] miss_run,    // consecutive misses while locked
    output reg  [7:0] frame_cnt,   // good frames while locked, wraps
    output reg  [3:0] slip_cnt,    // lock losses after misses, wraps
    output wire       sync_lost    // no sync word in the last LOSS_BITS bits
);

    localparam [1:0] ST_HUNT   = 2'd0,
                     ST_VERIFY = 2'd1,
                     ST_LOCKED = 2'd2;

    localparam [CNT_W-1:0] LAST_BIT = FRAME_BITS - 1;   // position of a sync word's last bit
    localparam [CNT_W-1:0] PAY_END  = FRAME_BITS - 17;  // position of the last payload bit

    reg [14:0]      hist;      // the 15 bits before the current one
    reg [CNT_W-1:0] pos;       // bit position inside the frame
    reg [1:0]       seen;      // sync words seen in VERIFY (the first one included)
    reg [7:0]       quiet;     // bits since the last sync word, stops at LOSS_BITS

    wire [15:0] window   = {hist, bit_in};           // the last 16 bits, current bit included
    wire        is_sync  = (window == SYNC_WORD);
    wire        boundary = (pos == LAST_BIT);
    wire        byte_end = (pos[2:0] == 3'b111) && (pos <= PAY_END);

    assign sync_lost = (quiet == LOSS_BITS);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            hist <= 15'd0;
        else if (bit_valid)
            hist <= window[14:0];
    end

    // signal-loss watch: any sync word, aligned or not, restarts it
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            quiet <= 8'd0;
        end else if (bit_valid) begin
            if (is_sync)
                quiet <= 8'd0;
            else if (!sync_lost)
                quiet <= quiet + 1'b1;
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync_state <= ST_HUNT;
            pos        <= {CNT_W{1'b0}};
            seen       <= 2'd0;
            byte_valid <= 1'b0;
            byte_out   <= 8'h00;
            frame_ok   <= 1'b0;
            sync_miss  <= 1'b0;
            miss_run   <= 2'd0;
            frame_cnt  <= 8'h00;
            slip_cnt   <= 4'h0;
        end else begin
            byte_valid <= 1'b0;
            frame_ok   <= 1'b0;
            sync_miss  <= 1'b0;
            if (rehunt) begin
                sync_state <= ST_HUNT;
                seen       <= 2'd0;
            end else if (bit_valid) begin
                pos <= boundary ? {CNT_W{1'b0}} : pos + 1'b1;
                case (sync_state)
                    ST_HUNT: begin
                        if (is_sync) begin
                            sync_state <= ST_VERIFY;
                            pos        <= {CNT_W{1'b0}};
                            seen       <= 2'd1;
                        end
                    end
                    ST_VERIFY: begin
                        if (boundary) begin
                            if (!is_sync) begin
                                sync_miss  <= 1'b1;
                                sync_state <= ST_HUNT;
                                seen       <= 2'd0;
                            end else begin
                                frame_ok <= 1'b1;
                                if (seen == CHECKS) begin
                                    sync_state <= ST_LOCKED;
                                    miss_run   <= 2'd0;
                                    seen       <= 2'd0;
                                end else begin
                                    seen <= seen + 1'b1;
                                end
                            end
                        end
                    end
                    default: begin  // ST_LOCKED
                        if (byte_end) begin
                            byte_valid <= 1'b1;
                            byte_out   <= window[7:0];
                        end
                        if (boundary) begin
                            if (is_sync) begin
                                frame_ok  <= 1'b1;
                                frame_cnt <= frame_cnt + 1'b1;
                                miss_run  <= 2'd0;
                            end else begin
                                sync_miss <= 1'b1;
                                miss_run  <= miss_run + 1'b1;
                                if (miss_run == MISS_LIMIT - 1) begin
                                    sync_state <= ST_HUNT;
                                    slip_cnt   <= slip_cnt + 1'b1;
                                end
                            end
                        end
                    end
                endcase
            end
        end
    end

endmodule
