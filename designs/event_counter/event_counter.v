// ============================================================================
// event_counter
// ----------------------------------------------------------------------------
// 16-bit event counter with threshold interrupt, saturation error and an
// inactivity (stall) timeout.
//
//   * events are rising edges of the synchronous input `event_in`
//   * the count can be cleared or preset; presets above the saturation limit
//     16'hFFF0 are clamped to the limit
//   * `irq` (sticky) is raised when counting reaches the programmed threshold
//   * the count never passes 16'hFFF0: an event arriving at the limit is
//     dropped and raises the sticky `sat_err` flag
//   * `stall` is raised when no event has been seen for IDLE_CYC cycles
// Reset is asynchronous, active low.
// ============================================================================
module event_counter #(
    parameter        IDLE_CYC = 1024,     // inactivity timeout in cycles (2 .. 2**IDLE_W)
    parameter        IDLE_W   = 10        // width of the inactivity timer
) (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset, active low
    input  wire        event_in,   // event input; each 0->1 transition is one event
    input  wire        clr,        // synchronous clear of the count (priority)
    input  wire        load,       // synchronous preset of the count
    input  wire [15:0] load_val,   // preset value (clamped to 16'hFFF0)
    input  wire        thresh_we,  // write the threshold register
    input  wire [15:0] thresh_in,  // new threshold (0 disables the interrupt)
    input  wire        irq_clr,    // clear irq
    input  wire        err_clr,    // clear sat_err
    output reg  [15:0] count,      // current count
    output reg  [15:0] threshold,  // threshold register
    output reg         irq,        // sticky: counting reached the threshold
    output reg         sat_err,    // sticky: an event was dropped at the limit
    output reg         stall       // no event for IDLE_CYC cycles
);

    localparam [15:0]       SAT_LIMIT = 16'hFFF0;
    localparam [IDLE_W-1:0] IDLE_LAST = IDLE_CYC[IDLE_W-1:0] - 1'b1;

    reg              ev_q;       // event_in delayed, for edge detection
    reg [IDLE_W-1:0] idle_cnt;   // cycles since the last event

    wire        ev       = event_in & ~ev_q;          // one event
    wire        at_limit = (count == SAT_LIMIT);
    wire [15:0] count_p1 = count + 16'd1;
    // The event that makes the count equal to a non-zero threshold.
    wire        reach    = ev & ~clr & ~load & ~at_limit & (count_p1 == threshold);
    // An event that would push the count past the limit.
    wire        overflow = ev & ~clr & ~load & at_limit;

    // ------------------------------------------------------ edge detect
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            ev_q <= 1'b0;
        end else begin
            ev_q <= event_in;
        end
    end

    // ---------------------------------------------------------- counter
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            count <= 16'd0;
        end else if (clr) begin
            count <= 16'd0;
        end else if (load) begin
            count <= (load_val > SAT_LIMIT) ? SAT_LIMIT : load_val;
        end else if (ev && !at_limit) begin
            count <= count_p1;
        end
    end

    // -------------------------------------------------------- threshold
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            threshold <= 16'd0;
        end else if (thresh_we) begin
            threshold <= thresh_in;
        end
    end

    // ----------------------------------------------------- sticky flags
    // A new occurrence wins over a clear on the same edge.
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            irq     <= 1'b0;
            sat_err <= 1'b0;
        end else begin
            if (reach) begin
                irq <= 1'b1;
            end else if (irq_clr) begin
                irq <= 1'b0;
            end
            if (overflow) begin
                sat_err <= 1'b1;
            end else if (err_clr) begin
                sat_err <= 1'b0;
            end
        end
    end

    // ------------------------------------------------ inactivity timeout
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            idle_cnt <= {IDLE_W{1'b0}};
            stall    <= 1'b0;
        end else if (ev) begin
            idle_cnt <= {IDLE_W{1'b0}};
            stall    <= 1'b0;
        end else if (idle_cnt == IDLE_LAST) begin
            stall <= 1'b1;
        end else begin
            idle_cnt <= idle_cnt + 1'b1;
        end
    end

endmodule
