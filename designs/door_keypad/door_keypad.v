// -----------------------------------------------------------------------------
// door_keypad: door entry controller with a changeable five-digit code
//
// Key presses come from key_strobe. Keys: 0-9 digits, 10 = '*', 11 = '#',
// 12-15 unused (ignored).
//   open the door : five digits of the code, then '#'
//   change code   : '*' '*' old code '#' new code (five digits) '#'
//   '*' with digits typed clears them; '*' or '#' while open relocks.
// A '#' with a wrong or incomplete code (also the old code of a code change)
// is a failed attempt; the third one in a row sets the alarm and locks the
// keypad out for LOCK_CYCLES cycles. The alarm stays on until the door is
// opened with the right code. The door relocks by itself after OPEN_CYCLES.
// -----------------------------------------------------------------------------
module door_keypad #(
    parameter [19:0] INIT_CODE   = 20'h31415,   // code after reset, first digit in the top nibble
    parameter        LOCK_CYCLES = 300,         // lockout length, at most 511
    parameter        OPEN_CYCLES = 120          // unlocked time, at most 511
) (
    input  wire       clk,           // clock, rising edge
    input  wire       rst_n,         // asynchronous reset, active low
    input  wire       key_valid,     // a key is held
    input  wire [3:0] key_code,      // code of the held key
    output wire       unlocked,      // door open
    output wire       locked_out,    // keypad locked out after three failed attempts
    output wire       admin,         // a code change is in progress
    output reg        alarm,         // set by a lockout, cleared by opening the door
    output reg  [1:0] attempts,      // failed attempts in a row (3 during the lockout)
    output reg  [2:0] digits,        // digits typed in the current entry (0-5)
    output reg        code_changed,  // one-cycle pulse: a new code was stored
    output wire       key_beep       // one-cycle pulse: a key press was accepted
);

    localparam [3:0] K_STAR = 4'd10,
                     K_HASH = 4'd11;

    localparam [8:0] LOCK_LAST = LOCK_CYCLES - 1,
                     OPEN_LAST = OPEN_CYCLES - 1;

    localparam [2:0] S_ENTRY = 3'd0,   // typing a code to open
                     S_STAR  = 3'd1,   // one '*' with nothing typed
                     S_OLD   = 3'd2,   // code change: typing the old code
                     S_NEW   = 3'd3,   // code change: typing the new code
                     S_OPEN  = 3'd4,   // unlocked
                     S_LOCK  = 3'd5;   // locked out

    wire       kp;        // accepted press
    wire [3:0] kc;        // its code

    key_strobe #(.HOLD(3)) u_strobe (
        .clk        (clk),
        .rst_n      (rst_n),
        .key_valid  (key_valid),
        .key_code   (key_code),
        .press      (kp),
        .press_code (kc)
    );

    reg  [2:0]  state;
    reg  [19:0] entry;     // digits typed, last digit in the low nibble
    reg  [19:0] code;      // current code
    reg         over;      // more than five digits typed
    reg  [8:0]  timer;     // cycles left in S_OPEN / S_LOCK

    wire is_digit = (kc < 4'd10);
    wire typing   = (state == S_ENTRY) || (state == S_OLD) || (state == S_NEW);
    wire full     = (digits == 3'd5) && !over;
    wire match    = full && (entry == code);

    assign unlocked   = (state == S_OPEN);
    assign locked_out = (state == S_LOCK);
    assign admin      = (state == S_OLD) || (state == S_NEW);
    assign key_beep   = kp;

    // A failed attempt: count it, lock out on the third.
    task automatic fail;
        begin
            digits <= 3'd0;
            over   <= 1'b0;
            if (attempts == 2'd2) begin
                attempts <= 2'd3;
                alarm    <= 1'b1;
                timer    <= LOCK_LAST;
                state    <= S_LOCK;
            end else begin
                attempts <= attempts + 2'd1;
                state    <= S_ENTRY;
            end
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state        <= S_ENTRY;
            entry        <= 20'd0;
            code         <= INIT_CODE;
            over         <= 1'b0;
            timer        <= 9'd0;
            alarm        <= 1'b0;
            attempts     <= 2'd0;
            digits       <= 3'd0;
            code_changed <= 1'b0;
        end else begin
            code_changed <= 1'b0;
            if (state == S_OPEN || state == S_LOCK) begin
                if (timer != 9'd0) timer <= timer - 9'd1;
            end
            if (kp && typing && is_digit) begin
                if (digits == 3'd5) over <= 1'b1;
                else begin
                    entry  <= {entry[15:0], kc};
                    digits <= digits + 3'd1;
                end
            end else begin
                case (state)
                    S_ENTRY: if (kp) begin
                        if (kc == K_STAR) begin
                            if (digits == 3'd0) state <= S_STAR;
                            digits <= 3'd0;
                            over   <= 1'b0;
                        end else if (kc == K_HASH) begin
                            if (match) begin
                                state    <= S_OPEN;
                                timer    <= OPEN_LAST;
                                attempts <= 2'd0;
                                alarm    <= 1'b0;
                                digits   <= 3'd0;
                            end else fail;
                        end
                    end
                    S_STAR: if (kp) begin
                        if (kc == K_STAR) state <= S_OLD;
                        else if (is_digit) begin
                            entry  <= {16'd0, kc};
                            digits <= 3'd1;
                            state  <= S_ENTRY;
                        end else state <= S_ENTRY;
                    end
                    S_OLD, S_NEW: if (kp) begin
                        if (kc == K_STAR) begin
                            digits <= 3'd0;
                            over   <= 1'b0;
                            state  <= S_ENTRY;
                        end else if (kc == K_HASH) begin
                            if (state == S_OLD) begin
                                if (match) begin
                                    digits <= 3'd0;
                                    state  <= S_NEW;
                                end else fail;
                            end else begin
                                if (full) begin
                                    code         <= entry;
                                    code_changed <= 1'b1;
                                end
                                digits <= 3'd0;
                                over   <= 1'b0;
                                state  <= S_ENTRY;
                            end
                        end
                    end
                    S_OPEN: begin
                        if (timer == 9'd0 || (kp && (kc == K_STAR || kc == K_HASH)))
                            state <= S_ENTRY;
                    end
                    default: begin   // S_LOCK
                        if (timer == 9'd0) begin
                            attempts <= 2'd0;
                            state    <= S_ENTRY;
                        end
                    end
                endcase
            end
        end
    end

endmodule
