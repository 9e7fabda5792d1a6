// ============================================================================
// bin2bcd - sequential 12-bit binary to BCD converter (double dabble)
//
// Converts an unsigned 12-bit value (0..4095) into four BCD digits using the
// shift-and-add-3 ("double dabble") algorithm, one bit per clock.  A
// conversion is requested with a one-cycle start pulse; busy is high while
// the 12 shift steps run and done pulses for one cycle when the digits are
// updated.  The digit outputs hold their value until the next conversion
// completes.
//
// Because the input never exceeds 4095 the thousands digit is at most 4, so
// it is kept as a 3-bit field and needs no add-3 correction.
// ============================================================================
module bin2bcd (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset, active low
    input  wire        start,      // request a conversion (ignored while busy)
    input  wire [11:0] bin,        // value to convert, sampled with start
    output wire        busy,       // conversion in progress
    output reg         done,       // one-cycle pulse: digits just updated
    output reg  [2:0]  thousands,  // BCD digit 3 (0..4)
    output reg  [3:0]  hundreds,   // BCD digit 2 (0..9)
    output reg  [3:0]  tens,       // BCD digit 1 (0..9)
    output reg  [3:0]  ones        // BCD digit 0 (0..9)
);

    localparam ST_IDLE = 1'b0;
    localparam ST_CONV = 1'b1;

    reg        state;
    reg [3:0]  step;      // shift steps performed so far, 0..11
    reg [11:0] sr;        // binary bits still to be shifted in (MSB first)
    reg [1:0]  w_th;      // working digits; the thousands digit is at most 2
                          // before the final shift, so 2 bits suffice
    reg [3:0]  w_hu;
    reg [3:0]  w_te;
    reg [3:0]  w_on;

    // Add-3 correction applied to a digit before it is doubled: a digit of
    // 5 or more would otherwise exceed 9 after the shift.
    function [3:0] dabble(input [3:0] d);
        dabble = (d >= 4'd5) ? d + 4'd3 : d;
    endfunction

    wire [3:0] a_hu = dabble(w_hu);
    wire [3:0] a_te = dabble(w_te);
    wire [3:0] a_on = dabble(w_on);

    // The working digits shifted one place left, with the next binary bit
    // entering the ones digit.
    wire [2:0] n_th = {w_th, a_hu[3]};
    wire [3:0] n_hu = {a_hu[2:0], a_te[3]};
    wire [3:0] n_te = {a_te[2:0], a_on[3]};
    wire [3:0] n_on = {a_on[2:0], sr[11]};

    assign busy = (state == ST_CONV);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state     <= ST_IDLE;
            step      <= 4'd0;
            sr        <= 12'd0;
            w_th      <= 2'd0;
            w_hu      <= 4'd0;
            w_te      <= 4'd0;
            w_on      <= 4'd0;
            done      <= 1'b0;
            thousands <= 3'd0;
            hundreds  <= 4'd0;
            tens      <= 4'd0;
            ones      <= 4'd0;
        end else begin
            done <= 1'b0;
            case (state)
                ST_IDLE: begin
                    if (start) begin
                        sr    <= bin;
                        w_th  <= 2'd0;
                        w_hu  <= 4'd0;
                        w_te  <= 4'd0;
                        w_on  <= 4'd0;
                        step  <= 4'd0;
                        state <= ST_CONV;
                    end
                end
                ST_CONV: begin
                    w_th <= n_th[1:0];
                    w_hu <= n_hu;
                    w_te <= n_te;
                    w_on <= n_on;
                    sr   <= {sr[10:0], 1'b0};
                    step <= step + 4'd1;
                    if (step == 4'd11) begin
                        // Last shift: publish the final digits directly.
                        thousands <= n_th;
                        hundreds  <= n_hu;
                        tens      <= n_te;
                        ones      <= n_on;
                        done      <= 1'b1;
                        state     <= ST_IDLE;
                    end
                end
            endcase
        end
    end

endmodule
