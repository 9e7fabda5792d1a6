/*
 * hdlc_deframer - HDLC-like byte-stuffed frame receiver with CRC-16 FCS
 *
 * Frames are delimited by the flag 0x7E. Inside a frame 0x7D escapes the next
 * byte, which is received XOR 0x20; 0x7D followed by 0x7E aborts the frame.
 * The unstuffed content of a frame is
 *
 *     ADDR | CTRL | INFO (0 to 31 bytes) | FCS_HI | FCS_LO
 *
 * FCS is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, MSB first) over ADDR,
 * CTRL and INFO, sent high byte first, so the CRC run over the whole content
 * is 0 for a good frame. Content bytes other than the FCS are forwarded on
 * out_valid/out_byte, two bytes behind the input. At the closing flag the
 * frame is accepted (frame_ok) or rejected (frame_err with err_code); a frame
 * longer than MAX_LEN is rejected at once and the rest of it is skipped. Back
 * to back flags (an empty frame) are idle fill and give no verdict.
 */
module hdlc_deframer (
    input  wire       clk,
    input  wire       rst_n,        // async, low
    input  wire       in_valid,     // line byte strobe
    input  wire [7:0] in_byte,      // stuffed line byte
    output reg        out_valid,    // content byte strobe
    output reg  [7:0] out_byte,     // content byte (FCS never shows here)
    output reg        frame_ok,     // pulse at a good closing flag
    output reg        frame_err,    // pulse at a rejection
    output reg  [1:0] err_code,     // why the last frame was rejected
    output reg  [7:0] frame_addr,   // latched from the last good frame
    output reg  [7:0] frame_ctrl,   //   "
    output reg  [5:0] frame_len,    //   " (ADDR + CTRL + INFO bytes)
    output reg  [7:0] good_cnt,     // frames accepted (mod 256)
    output reg  [7:0] bad_cnt,      // frames rejected (mod 256)
    output wire       in_frame      // low while hunting for a flag
);

    localparam [7:0] FLAG = 8'h7E,
                     ESC  = 8'h7D;
    localparam [5:0] MIN_LEN = 6'd4,     // ADDR, CTRL, two FCS bytes
                     MAX_LEN = 6'd35;    // 31 INFO bytes

    localparam [1:0] E_SHORT = 2'd0,
                     E_LONG  = 2'd1,
                     E_FCS   = 2'd2,
                     E_ABORT = 2'd3;

    reg        hunt;        // waiting for a flag (after reset or a too long frame)
    reg        esc;         // previous byte was ESC
    reg [5:0]  cnt;         // content bytes of the frame so far
    reg [15:0] crc;         // running CRC over the content
    reg [7:0]  d1, d2;      // the last two content bytes
    reg [7:0]  addr_q, ctrl_q;

    function [15:0] crc16(input [15:0] c, input [7:0] d);
        integer i;
        reg [15:0] x;
        begin
            x = c ^ {d, 8'h00};
            for (i = 0; i < 8; i = i + 1)
                x = x[15] ? ({x[14:0], 1'b0} ^ 16'h1021) : {x[14:0], 1'b0};
            crc16 = x;
        end
    endfunction

    wire [7:0] data = esc ? (in_byte ^ 8'h20) : in_byte;

    assign in_frame = !hunt;

    // Reject the current frame.
    task automatic reject(input [1:0] code);
        begin
            frame_err <= 1'b1;
            err_code  <= code;
            bad_cnt   <= bad_cnt + 8'd1;
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            hunt       <= 1'b1;
            esc        <= 1'b0;
            cnt        <= 6'd0;
            crc        <= 16'hFFFF;
            d1         <= 8'd0;
            d2         <= 8'd0;
            addr_q     <= 8'd0;
            ctrl_q     <= 8'd0;
            out_valid  <= 1'b0;
            out_byte   <= 8'd0;
            frame_ok   <= 1'b0;
            frame_err  <= 1'b0;
            err_code   <= 2'd0;
            frame_addr <= 8'd0;
            frame_ctrl <= 8'd0;
            frame_len  <= 6'd0;
            good_cnt   <= 8'd0;
            bad_cnt    <= 8'd0;
        end else begin
            out_valid <= 1'b0;
            frame_ok  <= 1'b0;
            frame_err <= 1'b0;
            if (in_valid) begin
                if (in_byte == FLAG) begin
                    // closing flag of one frame, opening flag of the next
                    if (hunt) begin
                        hunt <= 1'b0;
                    end else if (esc) begin
                        reject(E_ABORT);
                    end else if (cnt == 6'd0) begin
                        // idle fill
                    end else if (cnt < MIN_LEN) begin
                        reject(E_SHORT);
                    end else if (crc != 16'h0000) begin
                        reject(E_FCS);
                    end else begin
                        frame_ok   <= 1'b1;
                        frame_addr <= addr_q;
                        frame_ctrl <= ctrl_q;
                        frame_len  <= cnt - 6'd2;
                        good_cnt   <= good_cnt + 8'd1;
                    end
                    esc <= 1'b0;
                    cnt <= 6'd0;
                    crc <= 16'hFFFF;
                end else if (!hunt) begin
                    if (in_byte == ESC && !esc) begin
                        esc <= 1'b1;
                    end else if (cnt == MAX_LEN) begin
                        reject(E_LONG);
                        hunt <= 1'b1;
                        esc  <= 1'b0;
                    end else begin
                        esc <= 1'b0;
                        cnt <= cnt + 6'd1;
                        crc <= crc16(crc, data);
                        d1  <= data;
                        d2  <= d1;
                        if (cnt == 6'd0) addr_q <= data;
                        if (cnt == 6'd1) ctrl_q <= data;
                        if (cnt >= 6'd2) begin
                            out_valid <= 1'b1;
                            out_byte  <= d2;
                        end
                    end
                end
            end
        end
    end

endmodule
