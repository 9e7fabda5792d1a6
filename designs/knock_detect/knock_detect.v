// ============================================================================
// knock_detect -- secret-knock recogniser
// ----------------------------------------------------------------------------
// A knock is a rising edge of the (synchronised) sensor input. An attempt is
// GAPS + 1 knocks whose gaps, measured in clock cycles from one knock to the
// next, follow PATTERN: bit i of PATTERN says whether gap i must be short
// (SHORT_MIN..SHORT_MAX cycles, bit = 0) or long (LONG_MIN..LONG_MAX, bit = 1).
// The default is six knocks: short, short, long, short, long.
//
// * The first knock arms an attempt. A gap outside its window fails the
//   attempt; the knock that ended the bad gap arms a new attempt.
// * No knock for TIMEOUT cycles while armed fails the attempt (disarmed).
// * A complete, correct attempt pulses `open` and counts in `open_cnt`.
// * Failures in a row are counted in `fail_run` (cleared by a success); the
//   third raises the sticky `tamper` flag until `tamper_clr`.
// Reset is asynchronous, active low.
// ============================================================================
module knock_detect #(
    parameter       SHORT_MIN = 24,        // short gap window, cycles
    parameter       SHORT_MAX = 36,
    parameter       LONG_MIN  = 90,        // long gap window, cycles
    parameter       LONG_MAX  = 110,
    parameter       TIMEOUT   = 200,       // give up after this many cycles without a knock
    parameter       GAPS      = 5,         // gaps per attempt (1..5)
    parameter [4:0] PATTERN   = 5'b10100,  // gap i is long when bit i is set (gap 0 first)
    parameter       GAP_W     = 8          // width of the gap timer (2**GAP_W > TIMEOUT)
) (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       sensor,      // raw knock sensor level (asynchronous)
    input  wire       tamper_clr,  // clear tamper and the failure run
    output reg        open,        // one-cycle pulse: the pattern was knocked
    output reg  [3:0] open_cnt,    // successful attempts, wraps
    output reg        fail,        // one-cycle pulse: an attempt failed
    output reg  [1:0] fail_why,    // cause of the last failure: 1 early, 2 off-window, 3 timeout
    output reg  [1:0] fail_run,    // failures since the last success (saturates at 3)
    output reg        tamper,      // sticky: three failures in a row
    output reg  [2:0] knocks       // knocks accepted in the current attempt (0 = idle)
);

    localparam [1:0] WHY_EARLY = 2'd1,   // gap shorter than the short window
                     WHY_GAP   = 2'd2,   // gap of the wrong kind or between the windows
                     WHY_TIME  = 2'd3;   // no knock for TIMEOUT cycles

    reg  [2:0]       sync;     // two synchroniser stages, then the previous level
    reg  [GAP_W-1:0] gap;      // cycles since the last knock (stops at TIMEOUT)

    wire knock      = sync[1] & ~sync[2];
    wire [4:0] kinds = PATTERN >> (knocks - 1'b1);     // bit 0: the kind of the gap ending now
    wire want_long  = kinds[0];
    wire is_short   = (gap >= SHORT_MIN) && (gap <= SHORT_MAX);
    wire is_long    = (gap >= LONG_MIN) && (gap <= LONG_MAX);
    wire gap_ok     = want_long ? is_long : is_short;
    wire timed_out  = (knocks != 3'd0) && (gap == TIMEOUT);

    // input pipeline and gap timer (1 on the cycle after a knock, stops at TIMEOUT)
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync <= 3'b000;
            gap  <= TIMEOUT;
        end else begin
            sync <= {sync[1:0], sensor};
            if (knock)
                gap <= 1;
            else if (gap != TIMEOUT)
                gap <= gap + 1'b1;
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            knocks   <= 3'd0;
            open     <= 1'b0;
            open_cnt <= 4'd0;
            fail     <= 1'b0;
            fail_why <= 2'd0;
        end else begin
            open <= 1'b0;
            fail <= 1'b0;
            if (knock) begin
                if (knocks == 3'd0) begin
                    knocks <= 3'd1;                 // first knock arms
                end else if (!gap_ok) begin
                    knocks   <= 3'd1;               // this knock starts a new attempt
                    fail     <= 1'b1;
                    fail_why <= (gap < SHORT_MIN) ? WHY_EARLY : WHY_GAP;
                end else if (knocks == GAPS) begin
                    knocks   <= 3'd0;               // last gap right: open
                    open     <= 1'b1;
                    open_cnt <= open_cnt + 1'b1;
                end else begin
                    knocks <= knocks + 1'b1;
                end
            end else if (timed_out) begin
                knocks   <= 3'd0;
                fail     <= 1'b1;
                fail_why <= WHY_TIME;
            end
        end
    end

    // failure run and tamper alarm (a clear wins over a failure in the same cycle)
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            fail_run <= 2'd0;
            tamper   <= 1'b0;
        end else if (tamper_clr) begin
            fail_run <= 2'd0;
            tamper   <= 1'b0;
        end else if (open) begin
            fail_run <= 2'd0;
        end else if (fail && fail_run != 2'd3) begin
            fail_run <= fail_run + 1'b1;
            if (fail_run == 2'd2)
                tamper <= 1'b1;
        end
    end

endmodule
