// -----------------------------------------------------------------------------
// combo_lock: keypad combination lock (top level)
//
// Wires the keypad debouncer/decoder to the code-lock state machine and
// exposes the lock status. Opening code 4-7-1-9; three wrong attempts in a
// row lock the keypad out for 1000 cycles. See keypad_decoder and lock_fsm.
// -----------------------------------------------------------------------------
module combo_lock (
    input  wire        clk,          // clock, rising edge
    input  wire        rst_n,        // asynchronous reset, active low
    input  wire [10:0] keys,         // raw keys: [9:0] digits 0-9, [10] '*'
    output wire        unlocked,     // lock open
    output wire        lockout,      // keypad locked out after three wrong attempts
    output wire [1:0]  fails,        // consecutive wrong attempts
    output wire [1:0]  digits,       // digits typed in the current attempt
    output wire        bad_attempt,  // pulse: wrong code entered
    output wire        key_beep,     // pulse: a key press was accepted by the decoder
    output wire [3:0]  last_key      // code of the last decoded key
);

    wire       key_valid;
    wire [3:0] key_code;

    keypad_decoder u_keypad (
        .clk       (clk),
        .rst_n     (rst_n),
        .keys      (keys),
        .key_valid (key_valid),
        .key_code  (key_code)
    );

    lock_fsm u_lock (
        .clk         (clk),
        .rst_n       (rst_n),
        .key_valid   (key_valid),
        .key_code    (key_code),
        .unlocked    (unlocked),
        .lockout     (lockout),
        .fails       (fails),
        .digits      (digits),
        .bad_attempt (bad_attempt)
    );

    assign key_beep = key_valid;
    assign last_key = key_code;

endmodule
