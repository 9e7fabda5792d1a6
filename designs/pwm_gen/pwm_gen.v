// ============================================================================
// pwm_gen
// ----------------------------------------------------------------------------
// 8-bit pulse-width modulator.
//
// A phase counter runs from 0 to PERIOD-1 and restarts.  The output is high
// while the counter is below DUTY, so the output is high for DUTY cycles out
// of every PERIOD cycles:
//   * DUTY = 0          -> output constantly low
//   * DUTY >= PERIOD    -> output constantly high
//   * PERIOD = 0        -> generator stopped, output low
//
// New period/duty values are written through a load strobe into shadow
// registers and become active only at a period boundary (or at once while the
// generator is stopped), so the output never shows a truncated pulse.
// Reset is asynchronous, active low.
// ============================================================================
module pwm_gen (
    input  wire       clk,         // clock, rising edge
    input  wire       rst_n,       // asynchronous reset, active low
    input  wire       en,          // generator enable; low stops and rewinds the counter
    input  wire       load,        // load strobe for period_in / duty_in
    input  wire [7:0] period_in,   // new period in cycles (0 = stop)
    input  wire [7:0] duty_in,     // new high time in cycles
    output wire       pwm,         // PWM output
    output wire       period_end,  // high on the last cycle of each period
    output wire       pending,     // a loaded setting waits to become active
    output wire [7:0] phase        // current phase counter value
);

    reg [7:0] sh_period;   // shadow period (written by load)
    reg [7:0] sh_duty;     // shadow duty   (written by load)
    reg       pend;        // shadow holds a setting not yet applied
    reg [7:0] period;      // active period
    reg [7:0] duty;        // active duty
    reg [7:0] cnt;         // phase counter, always < period while running

    // The generator runs when enabled with a non-zero period.
    wire running = en & (period != 8'd0);
    // Last count of the current period.
    wire last    = running & (cnt == period - 8'd1);
    // Shadow values become active at a period boundary or while stopped.
    wire apply   = pend & (~running | last);

    assign pwm        = running & (cnt < duty);
    assign period_end = last;
    assign pending    = pend;
    assign phase      = cnt;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sh_period <= 8'd0;
            sh_duty   <= 8'd0;
            pend      <= 1'b0;
            period    <= 8'd0;
            duty      <= 8'd0;
            cnt       <= 8'd0;
        end else begin
            // shadow registers
            if (load) begin
                sh_period <= period_in;
                sh_duty   <= duty_in;
            end
            // a load on the same edge as an apply stays pending for the
            // next boundary (the apply uses the older shadow value)
            pend <= load | (pend & ~apply);
            // active registers
            if (apply) begin
                period <= sh_period;
                duty   <= sh_duty;
            end
            // phase counter
            if (!running || last) begin
                cnt <= 8'd0;
            end else begin
                cnt <= cnt + 8'd1;
            end
        end
    end

endmodule
