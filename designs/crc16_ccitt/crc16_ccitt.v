// ============================================================================
// crc16_ccitt
// ----------------------------------------------------------------------------
// Byte-wide CRC-16/CCITT engine (polynomial x^16 + x^12 + x^5 + 1, 16'h1021),
// MSB first, no reflection, initial value 16'hFFFF.
//
// Transmit use: feed the message; crc_out (the complemented register, i.e.
// the CRC-16/GENIBUS value) is appended MSB first.
// Receive use: feed message plus the appended CRC.  For an error-free frame
// the register then holds the fixed residue 16'h1D0F, which the engine flags
// on `match`.  Marking the final byte with `last` also produces a registered
// frame verdict (frame_ok / frame_err) and re-initialises the engine for the
// next frame.
// Reset is asynchronous, active low.
// ============================================================================
module crc16_ccitt (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset, active low
    input  wire        init,       // synchronous re-initialise to 16'hFFFF (priority)
    input  wire        valid,      // data holds a byte to be absorbed
    input  wire [7:0]  data,       // data byte, processed MSB first
    input  wire        last,       // with valid: this byte ends the frame
    output wire [15:0] crc,        // raw CRC register
    output wire [15:0] crc_out,    // transmit CRC: complement of the register
    output wire        match,      // register equals the good-frame residue
    output reg         frame_ok,   // one-cycle pulse: frame ended with the residue
    output reg         frame_err   // one-cycle pulse: frame ended without the residue
);

    localparam [15:0] POLY    = 16'h1021;
    localparam [15:0] INIT    = 16'hFFFF;
    localparam [15:0] RESIDUE = 16'h1D0F;

    reg [15:0] crc_q;

    // Absorb one byte, MSB first: eight shift/conditional-XOR steps.
    function [15:0] crc_byte;
        input [15:0] c;
        input [7:0]  d;
        integer      i;
        reg   [15:0] r;
        begin
            r = c ^ {d, 8'h00};
            for (i = 0; i < 8; i = i + 1) begin
                r = {r[14:0], 1'b0} ^ (r[15] ? POLY : 16'h0000);
            end
            crc_byte = r;
        end
    endfunction

    wire [15:0] crc_next = crc_byte(crc_q, data);

    assign crc     = crc_q;
    assign crc_out = ~crc_q;
    assign match   = (crc_q == RESIDUE);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            crc_q     <= INIT;
            frame_ok  <= 1'b0;
            frame_err <= 1'b0;
        end else begin
            frame_ok  <= 1'b0;
            frame_err <= 1'b0;
            if (init) begin
                crc_q <= INIT;
            end else if (valid) begin
                if (last) begin
                    // judge the frame including this byte, then start over
                    frame_ok  <= (crc_next == RESIDUE);
                    frame_err <= (crc_next != RESIDUE);
                    crc_q     <= INIT;
                end else begin
                    crc_q <= crc_next;
                end
            end
        end
    end

endmodule
