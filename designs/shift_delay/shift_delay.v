// ============================================================================
// shift_delay
// ----------------------------------------------------------------------------
// Parameterised digital delay line with a selectable tap.
//
// DEPTH stages of WIDTH bits each.  Every enabled clock the input sample
// enters stage 0 and every stage passes its sample to the next.  `dout` is
// the last stage (a delay of DEPTH enabled clocks); `tap_out` is stage
// `tap_sel` (a delay of tap_sel+1 enabled clocks).  A fill counter reports
// whether the line and the selected tap hold real samples since the last
// flush or reset.
// Reset is asynchronous, active low.  DEPTH must be a power of two with
// SEL_W = log2(DEPTH), so that every tap_sel value names a stage.
// ============================================================================
module shift_delay #(
    parameter DEPTH = 8,   // number of stages (power of two, >= 2)
    parameter WIDTH = 4,   // sample width in bits
    parameter SEL_W = 3    // tap select width, log2(DEPTH)
) (
    input  wire             clk,        // clock, rising edge
    input  wire             rst_n,      // asynchronous reset, active low
    input  wire             en,         // shift enable
    input  wire             flush,      // synchronous clear of all stages (priority over en)
    input  wire [WIDTH-1:0] din,        // input sample
    input  wire [SEL_W-1:0] tap_sel,    // tap select: stage 0 .. DEPTH-1
    output wire [WIDTH-1:0] dout,       // last stage: din delayed by DEPTH shifts
    output wire [WIDTH-1:0] tap_out,    // selected stage: din delayed by tap_sel+1 shifts
    output wire             tap_valid,  // the selected stage holds a sample since flush/reset
    output wire             full        // every stage holds a sample since flush/reset
);

    localparam FILL_W = $clog2(DEPTH + 1);
    localparam [FILL_W-1:0] FILL_MAX = DEPTH[FILL_W-1:0];

    // Stage k occupies line[k*WIDTH +: WIDTH]; stage 0 is the newest sample.
    reg [DEPTH*WIDTH-1:0] line;
    reg [FILL_W-1:0]      fill;   // shifts since flush/reset, saturating at DEPTH

    assign dout      = line[DEPTH*WIDTH-1 -: WIDTH];
    assign tap_out   = line[tap_sel*WIDTH +: WIDTH];
    assign tap_valid = (fill > {1'b0, tap_sel});
    assign full      = (fill == FILL_MAX);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            line <= {DEPTH*WIDTH{1'b0}};
            fill <= {FILL_W{1'b0}};
        end else if (flush) begin
            line <= {DEPTH*WIDTH{1'b0}};
            fill <= {FILL_W{1'b0}};
        end else if (en) begin
            line <= {line[(DEPTH-1)*WIDTH-1:0], din};
            if (!full) begin
                fill <= fill + 1'b1;
            end
        end
    end

endmodule
