// ============================================================================
// debounce
// ----------------------------------------------------------------------------
// Push-button / contact debouncer.
//
// The raw input is first brought into the clock domain by a two-flop
// synchroniser.  The debounced output follows the synchronised input only
// after the input has differed from the output for STABLE consecutive clock
// cycles (default 1500).  If the input returns to the output level before
// that, the pending transition is abandoned and counted as a glitch in a
// saturating counter that software can clear.
// Reset is asynchronous, active low; the debounced level resets to 0.
// ============================================================================
module debounce #(
    parameter STABLE   = 1500,  // cycles the input must be stable (2 .. 2**CNT_W)
    parameter CNT_W    = 11,    // width of the stability counter
    parameter GLITCH_W = 8      // width of the glitch counter
) (
    input  wire                clk,         // clock, rising edge
    input  wire                rst_n,       // asynchronous reset, active low
    input  wire                btn_in,      // raw (asynchronous, bouncing) input
    input  wire                glitch_clr,  // clear the glitch counter
    output reg                 btn_out,     // debounced level
    output reg                 rise,        // one-cycle pulse: btn_out went 0 -> 1
    output reg                 fall,        // one-cycle pulse: btn_out went 1 -> 0
    output reg  [GLITCH_W-1:0] glitch_cnt,  // aborted transitions, saturating
    output wire                busy         // a transition is being qualified
);

    localparam [CNT_W-1:0]    LAST    = STABLE[CNT_W-1:0] - 1'b1;
    localparam [GLITCH_W-1:0] GL_MAX  = {GLITCH_W{1'b1}};

    reg [1:0]       sync;   // synchroniser: sync[1] is the safe copy
    reg [CNT_W-1:0] cnt;    // consecutive cycles the input has differed

    wire in_s    = sync[1];
    wire differs = (in_s != btn_out);
    // The input fell back to the output level while a transition was pending.
    wire glitch  = ~differs & (cnt != {CNT_W{1'b0}});

    assign busy = (cnt != {CNT_W{1'b0}});

    // ------------------------------------------------------ synchroniser
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync <= 2'b00;
        end else begin
            sync <= {sync[0], btn_in};
        end
    end

    // -------------------------------------------- stability qualification
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            cnt     <= {CNT_W{1'b0}};
            btn_out <= 1'b0;
            rise    <= 1'b0;
            fall    <= 1'b0;
        end else begin
            rise <= 1'b0;
            fall <= 1'b0;
            if (differs) begin
                if (cnt == LAST) begin
                    // stable long enough: accept the new level
                    btn_out <= in_s;
                    rise    <= in_s;
                    fall    <= ~in_s;
                    cnt     <= {CNT_W{1'b0}};
                end else begin
                    cnt <= cnt + 1'b1;
                end
            end else begin
                cnt <= {CNT_W{1'b0}};
            end
        end
    end

    // ---------------------------------------------------- glitch counter
    // A clear on the same edge as a glitch leaves the count at 1.
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            glitch_cnt <= {GLITCH_W{1'b0}};
        end else if (glitch_clr) begin
            glitch_cnt <= {{(GLITCH_W-1){1'b0}}, glitch};
        end else if (glitch && glitch_cnt != GL_MAX) begin
            glitch_cnt <= glitch_cnt + 1'b1;
        end
    end

endmodule
