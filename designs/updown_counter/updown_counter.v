// ============================================================================
// updown_counter
// ----------------------------------------------------------------------------
// 8-bit synchronous up/down counter.
//   * parallel load (has priority over counting)
//   * count enable and direction select
//   * combinational terminal-count flags for both directions, so that a
//     cascaded counter stage can use them as its enable
//   * a registered one-cycle "wrapped" pulse after the counter rolls over
//     in either direction
// Reset is asynchronous, active low.
// ============================================================================
module updown_counter (
    input  wire       clk,      // clock, rising edge
    input  wire       rst_n,    // asynchronous reset, active low
    input  wire       en,       // count enable
    input  wire       up,       // direction: 1 = count up, 0 = count down
    input  wire       load,     // synchronous parallel load (priority over en)
    input  wire [7:0] din,      // value loaded when load is high
    output reg  [7:0] count,    // current counter value
    output wire       tc_up,    // terminal count up:   count == 8'hFF, en, up
    output wire       tc_down,  // terminal count down: count == 8'h00, en, !up
    output reg        wrapped   // one-cycle pulse: the last edge rolled over
);

    // Terminal-count flags: true on the cycle whose edge will roll the value
    // over.  They are gated with the enable and direction so they can drive
    // the enable of a following stage directly.
    assign tc_up   = en &  up & (count == 8'hFF);
    assign tc_down = en & ~up & (count == 8'h00);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            count   <= 8'h00;
            wrapped <= 1'b0;
        end else if (load) begin
            // A load never counts as a wrap.
            count   <= din;
            wrapped <= 1'b0;
        end else if (en) begin
            if (up) begin
                count <= count + 8'd1;
            end else begin
                count <= count - 8'd1;
            end
            wrapped <= tc_up | tc_down;
        end else begin
            wrapped <= 1'b0;
        end
    end

endmodule
