// ============================================================================
// prio_arbiter_lock -- 4-requester fixed-priority arbiter with bus lock and
//                      starvation monitor
//
// * Requester 0 has the highest priority, requester 3 the lowest.
// * The grant is registered and re-evaluated at every edge, so a higher
//   priority request pre-empts the current owner ...
// * ... unless the owner holds its lock[] bit together with its req[] bit:
//   then the grant is frozen for the whole locked burst.
// * Every requester has a wait counter that counts the cycles it spends
//   requesting without being granted.  After 64 such consecutive cycles
//   its starve[] flag rises; the flag (and the counter) clear as soon as the
//   requester is granted or withdraws its request.
// ============================================================================
module prio_arbiter_lock (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire [3:0] req,          // request per requester
    input  wire [3:0] lock,         // lock request per requester (only the owner's counts)
    output reg  [3:0] grant,        // one-hot grant, registered
    output wire [1:0] grant_id,     // index of the owner (0 when idle)
    output wire       locked,       // the owner is holding a lock this cycle
    output reg  [3:0] starve,       // requester has waited 64 cycles or more
    output wire       starve_any    // OR of starve[]
);

    localparam [5:0] WAIT_MAX = 6'd63;  // 64th waiting cycle raises starve

    // The owner keeps req and lock high: freeze the grant.
    assign locked = |(grant & req & lock);

    // Fixed-priority pick, requester 0 first.
    reg [3:0] pick;
    always @* begin
        if (req[0])
            pick = 4'b0001;
        else if (req[1])
            pick = 4'b0010;
        else if (req[2])
            pick = 4'b0100;
        else if (req[3])
            pick = 4'b1000;
        else
            pick = 4'b0000;
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            grant <= 4'b0000;
        else if (!locked)
            grant <= pick;
    end

    assign grant_id = {grant[3] | grant[2], grant[3] | grant[1]};

    // ------------------------------------------------------------------
    // Starvation monitor, one wait counter per requester
    // ------------------------------------------------------------------
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : g_mon
            reg [5:0] wait_cnt;     // consecutive cycles spent waiting
            always @(posedge clk or negedge rst_n) begin
                if (!rst_n) begin
                    wait_cnt  <= 6'd0;
                    starve[i] <= 1'b0;
                end else if (!req[i] || grant[i]) begin
                    wait_cnt  <= 6'd0;
                    starve[i] <= 1'b0;
                end else if (wait_cnt == WAIT_MAX) begin
                    starve[i] <= 1'b1;
                end else begin
                    wait_cnt  <= wait_cnt + 6'd1;
                end
            end
        end
    endgenerate

    assign starve_any = |starve;

endmodule
