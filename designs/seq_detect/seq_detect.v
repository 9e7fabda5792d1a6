// -----------------------------------------------------------------------------
// seq_detect: overlapping serial pattern detector
//
// Watches a qualified serial bit stream (first bit = pattern MSB) for the 8-bit
// pattern 8'b1101_0110. Detection is overlapping: the trailing "110" of one
// occurrence may start the next one, so "1101011010110" holds two matches.
// The detector is a prefix automaton (state = number of pattern bits matched
// so far), with a registered one-cycle match pulse and an 8-bit wrapping match
// counter that software can clear.
// -----------------------------------------------------------------------------
module seq_detect (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire       din_valid,    // qualifies din; the automaton only advances when high
    input  wire       din,          // serial data bit
    input  wire       clr_count,    // synchronous clear of match_count
    output reg        match,        // one-cycle pulse: the bit just taken completed the pattern
    output reg  [7:0] match_count,  // number of matches since reset/clear, wraps at 256
    output wire [2:0] progress      // pattern bits currently matched (debug/observability)
);

    // State = length of the longest pattern prefix that ends the received stream.
    localparam [2:0] P0 = 3'd0,  // nothing matched
                     P1 = 3'd1,  // "1"
                     P2 = 3'd2,  // "11"
                     P3 = 3'd3,  // "110"
                     P4 = 3'd4,  // "1101"
                     P5 = 3'd5,  // "11010"
                     P6 = 3'd6,  // "110101"
                     P7 = 3'd7;  // "1101011"

    reg [2:0] state;
    reg [2:0] state_nx;
    reg       hit;                  // combinational: this bit completes the pattern

    assign progress = state;

    // Next-state logic (failure transitions precomputed for the pattern).
    always @(*) begin
        hit      = 1'b0;
        state_nx = state;
        case (state)
            P0: state_nx = din ? P1 : P0;
            P1: state_nx = din ? P2 : P0;
            P2: state_nx = din ? P2 : P3;
            P3: state_nx = din ? P4 : P0;
            P4: state_nx = din ? P2 : P5;
            P5: state_nx = din ? P6 : P0;
            P6: state_nx = din ? P7 : P0;
            P7: begin
                if (din) begin
                    state_nx = P2;      // "...111": keep the trailing "11"
                end else begin
                    hit      = 1'b1;    // full pattern; "110" overlaps the next one
                    state_nx = P3;
                end
            end
        endcase
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state <= P0;
        end else if (din_valid) begin
            state <= state_nx;
        end
    end

    // Match pulse and counter.
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            match       <= 1'b0;
            match_count <= 8'd0;
        end else begin
            match <= din_valid && hit;
            if (clr_count) begin
                match_count <= 8'd0;
            end else if (din_valid && hit) begin
                match_count <= match_count + 8'd1;
            end
        end
    end

endmodule
