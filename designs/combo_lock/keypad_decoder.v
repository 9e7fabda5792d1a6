// -----------------------------------------------------------------------------
// keypad_decoder: debouncer and encoder for an 11-key keypad
//
// keys[9:0] are the digit keys 0-9, keys[10] is the '*' key (code 10). The
// raw contacts are synchronised, then debounced as a whole vector: a new
// vector is accepted after it has been sampled unchanged for DEBOUNCE
// cycles. A key event (key_valid pulse + key_code) is produced when the
// accepted vector goes from "no key" to exactly one key. Pressing a second
// key, or changing keys without releasing all of them, produces no event.
// -----------------------------------------------------------------------------
module keypad_decoder (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset, active low
    input  wire [10:0] keys,       // raw key contacts, active high, asynchronous
    output reg         key_valid,  // one-cycle pulse: a key press was decoded
    output reg  [3:0]  key_code    // 0-9 digits, 10 = '*'; valid with key_valid, held after
);

    localparam [3:0] DEBOUNCE_LAST = 4'd15;   // 16 stable samples

    reg [10:0] sync1, sync2;    // synchroniser
    reg [10:0] sample;          // last synchronised vector
    reg [10:0] stable;          // debounced vector
    reg [3:0]  stable_cnt;      // how long `sample` has been unchanged

    // exactly one bit set
    wire       one_hot = (sample != 11'd0) && ((sample & (sample - 11'd1)) == 11'd0);

    // Encoder for a one-hot vector.
    function [3:0] encode(input [10:0] v);
        integer i;
        begin
            encode = 4'd0;
            for (i = 1; i < 11; i = i + 1) begin
                if (v[i]) encode = i[3:0];
            end
        end
    endfunction

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync1      <= 11'd0;
            sync2      <= 11'd0;
            sample     <= 11'd0;
            stable     <= 11'd0;
            stable_cnt <= 4'd0;
            key_valid  <= 1'b0;
            key_code   <= 4'd0;
        end else begin
            sync1     <= keys;
            sync2     <= sync1;
            key_valid <= 1'b0;
            if (sync2 != sample) begin
                // contact changed (or bounced): restart the stability count
                sample     <= sync2;
                stable_cnt <= 4'd0;
            end else if (stable_cnt != DEBOUNCE_LAST) begin
                stable_cnt <= stable_cnt + 4'd1;
            end else if (stable != sample) begin
                stable <= sample;
                if (stable == 11'd0 && one_hot) begin
                    key_valid <= 1'b1;
                    key_code  <= encode(sample);
                end
            end
        end
    end

endmodule
