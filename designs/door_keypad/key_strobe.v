// -----------------------------------------------------------------------------
// key_strobe: keypad front end, one event per key press
//
// The keypad scanner presents a 4-bit key code with key_valid high while a key
// is held. A press is accepted once key_valid has stayed high with the same
// code for HOLD consecutive cycles; then one press pulse is issued with the
// code. The key must be released (key_valid low) before the next press is
// accepted. A code change while held restarts the hold count.
// -----------------------------------------------------------------------------
module key_strobe #(
    parameter HOLD = 3                  // cycles a key must be held, 2..4
) (
    input  wire       clk,              // clock, rising edge
    input  wire       rst_n,            // asynchronous reset, active low
    input  wire       key_valid,        // a key is held
    input  wire [3:0] key_code,         // code of the held key
    output reg        press,            // one-cycle pulse: a key press accepted
    output reg  [3:0] press_code        // code of the accepted press, held after
);

    localparam [1:0] HOLD_LAST = HOLD - 1;

    reg [3:0] held_code;    // code sampled in the previous cycle
    reg [1:0] held_cnt;     // cycles the same code has been held, minus one
    reg       released;     // the key went up since the last accepted press

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            held_code  <= 4'd0;
            held_cnt   <= 2'd0;
            released   <= 1'b1;
            press      <= 1'b0;
            press_code <= 4'd0;
        end else begin
            press <= 1'b0;
            if (!key_valid) begin
                held_cnt <= 2'd0;
                released <= 1'b1;
            end else if (key_code != held_code) begin
                held_code <= key_code;
                held_cnt  <= 2'd0;
            end else if (released) begin
                if (held_cnt == HOLD_LAST) begin
                    press      <= 1'b1;
                    press_code <= held_code;
                    released   <= 1'b0;
                end else begin
                    held_cnt <= held_cnt + 2'd1;
                end
            end
        end
    end

endmodule
