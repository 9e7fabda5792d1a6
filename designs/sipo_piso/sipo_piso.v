// ============================================================================
// sipo_piso
// ----------------------------------------------------------------------------
// 8-bit universal shift register.
//   * serial-in / parallel-out: bits shifted in on `sin` appear on `pout`
//   * parallel-load / serial-out: `pin` is loaded, then shifted out on `sout`
//   * direction select: MSB-first (shift left) or LSB-first (shift right)
//   * a bit counter flags every completed group of 8 shifts (one byte)
// Reset is asynchronous, active low.
// ============================================================================
module sipo_piso (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire       load,       // parallel load of pin (priority over shift)
    input  wire [7:0] pin,        // parallel data in
    input  wire       shift,      // shift enable
    input  wire       lsb_first,  // direction: 0 = shift left (MSB first), 1 = shift right (LSB first)
    input  wire       sin,        // serial data in
    output wire       sout,       // serial data out: the bit that leaves on the next shift
    output wire [7:0] pout,       // parallel data out (the register)
    output reg        byte_done   // one-cycle pulse after the 8th shift since the last load
);

    reg [7:0] sr;       // the shift register
    reg [2:0] bitcnt;   // shifts since the last load, modulo 8

    // The bit at the leaving end of the register, for the current direction.
    assign sout = lsb_first ? sr[0] : sr[7];
    assign pout = sr;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sr        <= 8'h00;
            bitcnt    <= 3'd0;
            byte_done <= 1'b0;
        end else if (load) begin
            sr        <= pin;
            bitcnt    <= 3'd0;
            byte_done <= 1'b0;
        end else if (shift) begin
            if (lsb_first) begin
                sr <= {sin, sr[7:1]};   // new bit enters at the MSB
            end else begin
                sr <= {sr[6:0], sin};   // new bit enters at the LSB
            end
            bitcnt    <= bitcnt + 3'd1;
            byte_done <= (bitcnt == 3'd7);
        end else begin
            byte_done <= 1'b0;
        end
    end

endmodule
