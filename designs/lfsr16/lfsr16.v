// ============================================================================
// lfsr16
// ----------------------------------------------------------------------------
// 16-bit Galois (internal-XOR) linear feedback shift register.
//
// The register shifts right once per enabled clock.  The bit shifted out of
// bit 0 is the serial output; when it is 1 the shifted value is XORed with
// the feedback mask POLY.  The default mask 16'hB400 implements the
// maximal-length polynomial x^16 + x^14 + x^13 + x^11 + 1 (period 65535).
//
// The all-zero state is the one state a Galois LFSR can never leave.  Loading
// a zero seed therefore raises the sticky `lockup` flag; the register stays at
// zero until a non-zero seed is loaded, which also clears the flag.
// Reset is asynchronous, active low, and loads RESET_SEED.
// ============================================================================
module lfsr16 #(
    parameter [15:0] POLY       = 16'hB400,  // Galois feedback mask
    parameter [15:0] RESET_SEED = 16'hACE1   // state after reset (must be non-zero)
) (
    input  wire        clk,      // clock, rising edge
    input  wire        rst_n,    // asynchronous reset, active low
    input  wire        en,       // advance the LFSR one step per clock
    input  wire        load,     // load seed into the register (priority over en)
    input  wire [15:0] seed,     // seed value for load
    output wire [15:0] state,    // current register contents
    output wire        out_bit,  // serial output: bit 0 of the register
    output reg         lockup    // sticky: the register was seeded with zero
);

    reg [15:0] lfsr;

    // One Galois step: shift right, fold the feedback mask in when the bit
    // leaving the register is 1.
    wire [15:0] next = {1'b0, lfsr[15:1]} ^ ({16{lfsr[0]}} & POLY);

    assign state   = lfsr;
    assign out_bit = lfsr[0];

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            lfsr   <= RESET_SEED;
            lockup <= 1'b0;
        end else if (load) begin
            lfsr   <= seed;
            lockup <= (seed == 16'h0000);
        end else if (en) begin
            // from the zero state this step yields zero again: stuck
            lfsr <= next;
        end
    end

endmodule
