// ============================================================================
// gray_codec - 8-bit binary <-> Gray code converter
//
// Provides both conversion directions combinationally and a registered,
// direction-selectable output stage with a valid flag:
//
//   gray_of_din  = Gray encoding of din (din treated as binary)
//   bin_of_din   = binary decoding of din (din treated as Gray)
//   dout         = one of the two above, chosen by dir, registered when
//                  in_valid is high; dout_valid follows in_valid by one cycle
//
// Typical use: pointer conversion for asynchronous FIFOs and rotary-encoder
// interfaces.  Encoding is a single XOR level; decoding is a prefix XOR from
// the MSB down.
// ============================================================================
module gray_codec (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire [7:0] din,          // input word
    input  wire       dir,          // registered path: 0 = binary->Gray, 1 = Gray->binary
    input  wire       in_valid,     // din/dir qualify; captured on the next rising edge
    output wire [7:0] gray_of_din,  // combinational: din encoded to Gray
    output wire [7:0] bin_of_din,   // combinational: din decoded from Gray
    output reg  [7:0] dout,         // registered converted value
    output reg        dout_valid    // dout was loaded on the last edge
);

    // Binary -> Gray: each bit is the XOR of itself and its upper neighbour.
    assign gray_of_din = din ^ {1'b0, din[7:1]};

    // Gray -> binary: each binary bit is the XOR of all Gray bits at and
    // above its position.
    genvar gi;
    generate
        for (gi = 0; gi < 8; gi = gi + 1) begin : g_dec
            assign bin_of_din[gi] = ^din[7:gi];
        end
    endgenerate

    // Registered output stage.  dout holds its value while in_valid is low.
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            dout       <= 8'h00;
            dout_valid <= 1'b0;
        end else begin
            dout_valid <= in_valid;
            if (in_valid) begin
                dout <= dir ? bin_of_din : gray_of_din;
            end
        end
    end

endmodule
