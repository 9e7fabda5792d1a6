// ============================================================================
// rr_arbiter -- 4-requester round-robin arbiter with grant hold
//
// A requester raises req[i] and keeps it high for as long as it needs the
// shared resource.  The grant is registered and one-hot.  While the current
// owner keeps its request asserted the grant is held (no pre-emption).
// When the owner releases its request, the grant moves in the same edge to
// the next requester in round-robin order, starting after the last owner.
// With no request pending the arbiter parks with no grant, but remembers
// the last owner so that fairness is preserved across idle periods.
// ============================================================================
module rr_arbiter (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire [3:0] req,          // request per requester (held while busy)
    output reg  [3:0] grant,        // one-hot grant, registered
    output wire       grant_valid,  // some requester owns the resource
    output wire [1:0] grant_id,     // index of the owner (valid with grant_valid)
    output wire       switched      // pulses for one cycle when a new grant starts
);

    reg  [1:0] last;                // most recent owner (round-robin pointer)
    reg        sw_q;                // a new grant was issued at the last edge
    reg  [3:0] rot;                 // requests rotated so rot[0] is next in turn
    reg  [1:0] off;                 // offset of the winner within rot
    wire [1:0] next_id;             // winner of this cycle's arbitration

    // The owner still requests: keep the grant.
    wire hold = |(grant & req);

    // ------------------------------------------------------------------
    // Rotate the requests so that the requester after 'last' is first.
    // ------------------------------------------------------------------
    always @* begin
        case (last)
            2'd0:    rot = {req[0],   req[3:1]};   // order 1,2,3,0
            2'd1:    rot = {req[1:0], req[3:2]};   // order 2,3,0,1
            2'd2:    rot = {req[2:0], req[3]};     // order 3,0,1,2
            default: rot = req;                    // order 0,1,2,3
        endcase
    end

    // First requester in rotated order.
    always @* begin
        if (rot[0])
            off = 2'd0;
        else if (rot[1])
            off = 2'd1;
        else if (rot[2])
            off = 2'd2;
        else if (rot[3])
            off = 2'd3;
        else
            off = 2'd0;             // no request: result unused
    end

    assign next_id = last + 2'd1 + off;

    // ------------------------------------------------------------------
    // Grant register
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            grant <= 4'b0000;
            last  <= 2'd3;          // requester 0 is first in turn after reset
            sw_q  <= 1'b0;
        end else if (hold) begin
            sw_q  <= 1'b0;
        end else if (|req) begin
            grant <= 4'b0001 << next_id;
            last  <= next_id;
            sw_q  <= 1'b1;
        end else begin
            grant <= 4'b0000;
            sw_q  <= 1'b0;
        end
    end

    assign grant_valid = |grant;
    assign grant_id    = last;
    assign switched    = sw_q;

endmodule
