// -----------------------------------------------------------------------------
// cmd_parser: framed byte-stream command parser
//
// Frame format (one byte per rx_valid cycle):
//
//     SYNC (8'h7E) | OPCODE | LEN (0..8) | PAYLOAD[0..LEN-1] | CHK
//
// CHK is the XOR of OPCODE, LEN and every payload byte. Four opcodes are
// defined (see OP_*). The parser hunts for SYNC, then checks each field as it
// arrives and abandons the frame at the first fault:
//   - unknown opcode          -> ERR_OPCODE   (reported on the opcode byte)
//   - LEN greater than 8      -> ERR_LENGTH   (reported on the length byte)
//   - CHK mismatch            -> ERR_CHECKSUM (reported on the checksum byte)
//   - 300 idle cycles inside a frame -> ERR_TIMEOUT
// After a fault the parser returns to hunting for SYNC. A good frame produces
// a cmd_valid pulse with the decoded opcode and length; the payload can be
// read back through a small read port until the next SYNC is accepted.
// -----------------------------------------------------------------------------
module cmd_parser (
    input  wire       clk,         // clock, rising edge
    input  wire       rst_n,       // asynchronous reset, active low
    input  wire       rx_valid,    // rx_data holds a byte this cycle
    input  wire [7:0] rx_data,     // received byte
    input  wire [2:0] rd_idx,      // payload read index
    input  wire       err_clr,     // clears the sticky err_flags
    output wire [7:0] rd_data,     // payload byte at rd_idx
    output reg        cmd_valid,   // one-cycle pulse: a good frame was received
    output reg  [1:0] cmd_op,      // decoded opcode of the last good frame
    output reg  [3:0] cmd_len,     // payload length of the last good frame
    output reg        err_valid,   // one-cycle pulse: a frame was abandoned
    output reg  [1:0] err_code,    // reason of the last abandoned frame
    output reg  [3:0] err_flags,   // sticky: one bit per err_code value seen
    output wire       in_frame     // a frame is being received (SYNC seen)
);

    // Protocol constants
    localparam [7:0] SYNC      = 8'h7E;
    localparam [7:0] OP_READ   = 8'hA1;   // cmd_op 0
    localparam [7:0] OP_WRITE  = 8'hA2;   // cmd_op 1
    localparam [7:0] OP_MODE   = 8'hB0;   // cmd_op 2
    localparam [7:0] OP_PING   = 8'hC5;   // cmd_op 3
    localparam [7:0] MAX_LEN   = 8'd8;
    localparam [8:0] TIMEOUT   = 9'd300;  // idle cycles that abandon a frame

    localparam [1:0] ERR_OPCODE   = 2'd0,
                     ERR_LENGTH   = 2'd1,
                     ERR_CHECKSUM = 2'd2,
                     ERR_TIMEOUT  = 2'd3;

    localparam [2:0] S_HUNT    = 3'd0,
                     S_OPCODE  = 3'd1,
                     S_LENGTH  = 3'd2,
                     S_PAYLOAD = 3'd3,
                     S_CHECK   = 3'd4;

    reg [2:0] state;
    reg [1:0] op_q;          // decoded opcode of the frame in progress
    reg [3:0] len_q;         // declared payload length
    reg [3:0] cnt_q;         // payload bytes received so far
    reg [7:0] chk_q;         // running XOR
    reg [8:0] idle_cnt;      // cycles since the last byte inside a frame
    reg [7:0] pld [0:7];     // payload buffer

    // Opcode decoder
    reg       op_ok;
    reg [1:0] op_dec;
    always @(*) begin
        op_ok  = 1'b1;
        op_dec = 2'd0;
        case (rx_data)
            OP_READ:  op_dec = 2'd0;
            OP_WRITE: op_dec = 2'd1;
            OP_MODE:  op_dec = 2'd2;
            OP_PING:  op_dec = 2'd3;
            default:  op_ok  = 1'b0;
        endcase
    end

    assign rd_data  = pld[rd_idx];
    assign in_frame = (state != S_HUNT);

    wire timeout = in_frame && !rx_valid && (idle_cnt == TIMEOUT - 9'd1);

    // Abandon the current frame with a reason.
    task automatic fail(input [1:0] code);
        begin
            err_valid       <= 1'b1;
            err_code        <= code;
            err_flags[code] <= 1'b1;
            state           <= S_HUNT;
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state     <= S_HUNT;
            op_q      <= 2'd0;
            len_q     <= 4'd0;
            cnt_q     <= 4'd0;
            chk_q     <= 8'd0;
            idle_cnt  <= 9'd0;
            cmd_valid <= 1'b0;
            cmd_op    <= 2'd0;
            cmd_len   <= 4'd0;
            err_valid <= 1'b0;
            err_code  <= 2'd0;
            err_flags <= 4'd0;
        end else begin
            cmd_valid <= 1'b0;
            err_valid <= 1'b0;
            if (err_clr) begin
                err_flags <= 4'd0;     // a fault on the same edge sets its bit again
            end

            // Inter-byte timer: runs only inside a frame, restarts on every byte.
            if (!in_frame || rx_valid) begin
                idle_cnt <= 9'd0;
            end else begin
                idle_cnt <= idle_cnt + 9'd1;
            end

            if (timeout) begin
                fail(ERR_TIMEOUT);
            end else if (rx_valid) begin
                case (state)
                    S_OPCODE: begin
                        if (op_ok) begin
                            op_q  <= op_dec;
                            chk_q <= rx_data;
                            state <= S_LENGTH;
                        end else begin
                            fail(ERR_OPCODE);
                        end
                    end
                    S_LENGTH: begin
                        if (rx_data > MAX_LEN) begin
                            fail(ERR_LENGTH);
                        end else begin
                            len_q <= rx_data[3:0];
                            cnt_q <= 4'd0;
                            chk_q <= chk_q ^ rx_data;
                            state <= (rx_data == 8'd0) ? S_CHECK : S_PAYLOAD;
                        end
                    end
                    S_PAYLOAD: begin
                        pld[cnt_q[2:0]] <= rx_data;
                        chk_q           <= chk_q ^ rx_data;
                        cnt_q           <= cnt_q + 4'd1;
                        if (cnt_q + 4'd1 == len_q) begin
                            state <= S_CHECK;
                        end
                    end
                    S_CHECK: begin
                        if (rx_data == chk_q) begin
                            cmd_valid <= 1'b1;
                            cmd_op    <= op_q;
                            cmd_len   <= len_q;
                            state     <= S_HUNT;
                        end else begin
                            fail(ERR_CHECKSUM);
                        end
                    end
                    default: begin             // S_HUNT (and unused encodings)
                        state <= (rx_data == SYNC) ? S_OPCODE : S_HUNT;
                    end
                endcase
            end
        end
    end

endmodule
