// -----------------------------------------------------------------------------
// pkt_parser: link-layer packet checker with CRC-8 trailer
//
// Packets arrive as a byte stream with an end-of-packet marker (s_last):
//
//     0xCA 0xFE | TYPE | LEN | PAYLOAD[LEN] | CRC8      (s_last on CRC8)
//
//   TYPE  : 0x00..0x03 (upper six bits must be zero)
//   LEN   : payload length, 0..64
//   CRC8  : CRC-8, polynomial x^8+x^2+x+1 (0x07), init 0x00, MSB first,
//           computed over TYPE, LEN and PAYLOAD
//
// Payload bytes are forwarded (cut-through) on m_valid/m_data as they arrive;
// the verdict for the packet is given at its end on pkt_done/pkt_ok. A bad
// packet is dropped at its first fault and the rest of it, up to s_last, is
// discarded. Accepted and dropped packets are counted.
// -----------------------------------------------------------------------------
module pkt_parser (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire       s_valid,      // input byte valid
    input  wire [7:0] s_data,       // input byte
    input  wire       s_last,       // input byte is the last of its packet
    input  wire       cnt_clr,      // synchronous clear of both packet counters
    output reg        m_valid,      // forwarded payload byte valid
    output reg  [7:0] m_data,       // forwarded payload byte
    output reg        pkt_done,     // one-cycle pulse: a packet verdict is available
    output reg        pkt_ok,       // verdict: 1 = accepted, 0 = dropped (valid with pkt_done)
    output reg  [2:0] drop_reason,  // reason of the last drop
    output reg  [1:0] pkt_type,     // type of the last accepted packet
    output reg  [6:0] pkt_len,      // payload length of the last accepted packet
    output reg  [7:0] accept_cnt,   // accepted packets, wraps
    output reg  [7:0] drop_cnt      // dropped packets, wraps
);

    localparam [7:0] MAGIC_HI = 8'hCA;
    localparam [7:0] MAGIC_LO = 8'hFE;
    localparam [7:0] MAX_LEN  = 8'd64;

    // Drop reasons
    localparam [2:0] DR_MAGIC  = 3'd0,   // header is not 0xCAFE
                     DR_TYPE   = 3'd1,   // TYPE above 3
                     DR_LENGTH = 3'd2,   // LEN above 64
                     DR_FRAME  = 3'd3,   // s_last too early, or missing on the CRC byte
                     DR_CRC    = 3'd4;   // CRC mismatch

    localparam [2:0] S_MAG0    = 3'd0,
                     S_MAG1    = 3'd1,
                     S_TYPE    = 3'd2,
                     S_LEN     = 3'd3,
                     S_PAY     = 3'd4,
                     S_CRC     = 3'd5,
                     S_DISCARD = 3'd6;

    reg [2:0] state;
    reg [1:0] type_q;
    reg [6:0] len_q;
    reg [6:0] pay_cnt;      // payload bytes received
    reg [7:0] crc_q;        // running CRC

    // One byte of CRC-8 (poly 0x07), MSB first.
    function [7:0] crc8_byte(input [7:0] crc, input [7:0] data);
        integer i;
        reg [7:0] c;
        begin
            c = crc ^ data;
            for (i = 0; i < 8; i = i + 1) begin
                c = {c[6:0], 1'b0} ^ (c[7] ? 8'h07 : 8'h00);
            end
            crc8_byte = c;
        end
    endfunction

    wire [7:0] crc_next = crc8_byte(crc_q, s_data);

    // Drop the packet: report, count, then skip to its end.
    task automatic drop(input [2:0] reason);
        begin
            pkt_done    <= 1'b1;
            pkt_ok      <= 1'b0;
            drop_reason <= reason;
            drop_cnt    <= drop_cnt + 8'd1;
            state       <= s_last ? S_MAG0 : S_DISCARD;
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state       <= S_MAG0;
            type_q      <= 2'd0;
            len_q       <= 7'd0;
            pay_cnt     <= 7'd0;
            crc_q       <= 8'd0;
            m_valid     <= 1'b0;
            m_data      <= 8'd0;
            pkt_done    <= 1'b0;
            pkt_ok      <= 1'b0;
            drop_reason <= 3'd0;
            pkt_type    <= 2'd0;
            pkt_len     <= 7'd0;
            accept_cnt  <= 8'd0;
            drop_cnt    <= 8'd0;
        end else begin
            m_valid  <= 1'b0;
            pkt_done <= 1'b0;
            if (s_valid) begin
                case (state)
                    S_MAG0: begin
                        if (s_data != MAGIC_HI)  drop(DR_MAGIC);
                        else if (s_last)         drop(DR_FRAME);
                        else                     state <= S_MAG1;
                    end
                    S_MAG1: begin
                        if (s_data != MAGIC_LO)  drop(DR_MAGIC);
                        else if (s_last)         drop(DR_FRAME);
                        else                     state <= S_TYPE;
                    end
                    S_TYPE: begin
                        if (s_data[7:2] != 6'd0) drop(DR_TYPE);
                        else if (s_last)         drop(DR_FRAME);
                        else begin
                            type_q <= s_data[1:0];
                            crc_q  <= crc8_byte(8'h00, s_data);
                            state  <= S_LEN;
                        end
                    end
                    S_LEN: begin
                        if (s_data > MAX_LEN)    drop(DR_LENGTH);
                        else if (s_last)         drop(DR_FRAME);
                        else begin
                            len_q   <= s_data[6:0];
                            pay_cnt <= 7'd0;
                            crc_q   <= crc_next;
                            state   <= (s_data == 8'd0) ? S_CRC : S_PAY;
                        end
                    end
                    S_PAY: begin
                        m_valid <= 1'b1;
                        m_data  <= s_data;
                        crc_q   <= crc_next;
                        pay_cnt <= pay_cnt + 7'd1;
                        if (s_last)                         drop(DR_FRAME);
                        else if (pay_cnt + 7'd1 == len_q)   state <= S_CRC;
                    end
                    S_CRC: begin
                        if (!s_last)             drop(DR_FRAME);
                        else if (s_data != crc_q) drop(DR_CRC);
                        else begin
                            pkt_done   <= 1'b1;
                            pkt_ok     <= 1'b1;
                            pkt_type   <= type_q;
                            pkt_len    <= len_q;
                            accept_cnt <= accept_cnt + 8'd1;
                            state      <= S_MAG0;
                        end
                    end
                    default: begin       // S_DISCARD (and unused encoding)
                        if (s_last) state <= S_MAG0;
                    end
                endcase
            end
            // Counter clear wins over a verdict on the same edge.
            if (cnt_clr) begin
                accept_cnt <= 8'd0;
                drop_cnt   <= 8'd0;
            end
        end
    end

endmodule
