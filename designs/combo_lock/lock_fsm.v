// -----------------------------------------------------------------------------
// lock_fsm: four-digit code lock with attempt limit and timed lockout
//
// Accepts decoded key events. Opening code: 4, 7, 1, 9 in this order. Every
// four digits form an attempt; the verdict is given on the fourth digit.
// '*' (code 10) clears a partial entry, or relocks an open lock. The third
// consecutive wrong attempt starts a lockout of LOCKOUT_CYCLES cycles during
// which all keys are ignored; after it the attempt count starts over.
// -----------------------------------------------------------------------------
module lock_fsm (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire       key_valid,    // key event
    input  wire [3:0] key_code,     // key of the event: 0-9, 10 = '*'
    output wire       unlocked,     // the lock is open
    output wire       lockout,      // lockout in progress, keys ignored
    output reg  [1:0] fails,        // consecutive wrong attempts (0-2)
    output reg  [1:0] digits,       // digits entered in the current attempt (0-3)
    output reg        bad_attempt   // one-cycle pulse: an attempt was wrong
);

    localparam [3:0] KEY_STAR = 4'd10;
    localparam [15:0] CODE    = 16'h4719;      // one digit per nibble, first digit in the top nibble
    localparam [9:0] LOCKOUT_LAST = 10'd999;   // 1000 cycles

    localparam [1:0] S_ENTRY   = 2'd0,
                     S_OPEN    = 2'd1,
                     S_LOCKOUT = 2'd2;

    reg [1:0] state;
    reg       match;          // all digits so far were right
    reg [9:0] timer;          // lockout cycles left, minus one

    wire       star     = (key_code == KEY_STAR);
    wire [3:0] expected = CODE[4 * (3 - digits) +: 4];
    wire       digit_ok = (key_code == expected);

    assign unlocked = (state == S_OPEN);
    assign lockout  = (state == S_LOCKOUT);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state       <= S_ENTRY;
            match       <= 1'b1;
            digits      <= 2'd0;
            fails       <= 2'd0;
            timer       <= 10'd0;
            bad_attempt <= 1'b0;
        end else begin
            bad_attempt <= 1'b0;
            case (state)
                S_OPEN: begin
                    if (key_valid && star) begin
                        state <= S_ENTRY;            // relock
                    end
                end
                S_LOCKOUT: begin
                    if (timer == 10'd0) begin
                        fails <= 2'd0;
                        state <= S_ENTRY;
                    end else begin
                        timer <= timer - 10'd1;
                    end
                end
                default: begin                       // S_ENTRY (and unused encoding)
                    state <= S_ENTRY;
                    if (key_valid) begin
                        if (star) begin
                            digits <= 2'd0;          // clear the partial entry
                            match  <= 1'b1;
                        end else if (digits != 2'd3) begin
                            digits <= digits + 2'd1;
                            match  <= match && digit_ok;
                        end else begin
                            // fourth digit: verdict
                            digits <= 2'd0;
                            match  <= 1'b1;
                            if (match && digit_ok) begin
                                fails <= 2'd0;
                                state <= S_OPEN;
                            end else begin
                                bad_attempt <= 1'b1;
                                if (fails == 2'd2) begin
                                    timer <= LOCKOUT_LAST;
                                    state <= S_LOCKOUT;
                                end else begin
                                    fails <= fails + 2'd1;
                                end
                            end
                        end
                    end
                end
            endcase
        end
    end

endmodule
