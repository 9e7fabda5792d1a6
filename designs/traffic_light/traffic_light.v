// -----------------------------------------------------------------------------
// traffic_light: two-way intersection controller with pedestrian phase and
// emergency-vehicle preemption
//
// Normal cycle (durations in clock cycles):
//   NS green 1200 -> NS yellow 100 -> all red 20 -> EW green 600 ->
//   EW yellow 100 -> all red 20 -> [WALK 300 if a pedestrian asked] -> NS green
// A pedestrian request (ped_req) is remembered until the walk phase starts.
// Emergency (emerg, level): a green phase is cut short to its yellow, a walk
// phase is ended through the all-red clearance; at the end of that
// clearance the controller holds every approach red until emerg drops, then
// clears through all red again and resumes with the walk (if pending) or NS
// green.
// -----------------------------------------------------------------------------
module traffic_light (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire       ped_req,    // pedestrian push button (any length >= 1 cycle)
    input  wire       emerg,      // emergency preemption request (level)
    output wire       ns_red,     // north-south signal heads
    output wire       ns_yellow,
    output wire       ns_green,
    output wire       ew_red,     // east-west signal heads
    output wire       ew_yellow,
    output wire       ew_green,
    output wire       walk,       // pedestrian WALK lamp
    output reg        ped_wait,   // pedestrian request pending (button lamp)
    output wire       emerg_hold, // all-red emergency hold in progress
    output wire [2:0] phase       // current phase (see S_*)
);

    localparam [2:0] S_NS_G  = 3'd0,
                     S_NS_Y  = 3'd1,
                     S_AR_NS = 3'd2,   // all red after NS
                     S_EW_G  = 3'd3,
                     S_EW_Y  = 3'd4,
                     S_AR_EW = 3'd5,   // all red after EW / walk / emergency
                     S_WALK  = 3'd6,
                     S_EMERG = 3'd7;

    localparam [10:0] T_NS_G = 11'd1200,
                      T_EW_G = 11'd600,
                      T_Y    = 11'd100,
                      T_AR   = 11'd20,
                      T_WALK = 11'd300;

    reg [2:0]  state;
    reg [10:0] timer;          // cycles left in the phase, minus one

    wire expired = (timer == 11'd0);

    assign phase      = state;
    assign ns_green   = (state == S_NS_G);
    assign ns_yellow  = (state == S_NS_Y);
    assign ns_red     = !ns_green && !ns_yellow;
    assign ew_green   = (state == S_EW_G);
    assign ew_yellow  = (state == S_EW_Y);
    assign ew_red     = !ew_green && !ew_yellow;
    assign walk       = (state == S_WALK);
    assign emerg_hold = (state == S_EMERG);

    // Enter a timed phase.
    task automatic go(input [2:0] nxt, input [10:0] dur);
        begin
            state <= nxt;
            timer <= dur - 11'd1;
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state    <= S_NS_G;
            timer    <= T_NS_G - 11'd1;
            ped_wait <= 1'b0;
        end else begin
            if (ped_req && state != S_WALK) begin
                ped_wait <= 1'b1;
            end
            if (!expired) begin
                timer <= timer - 11'd1;
            end

            case (state)
                S_NS_G: begin
                    if (emerg || expired) go(S_NS_Y, T_Y);
                end
                S_NS_Y: begin
                    if (expired) go(S_AR_NS, T_AR);
                end
                S_AR_NS: begin
                    if (expired) begin
                        if (emerg) state <= S_EMERG;
                        else       go(S_EW_G, T_EW_G);
                    end
                end
                S_EW_G: begin
                    if (emerg || expired) go(S_EW_Y, T_Y);
                end
                S_EW_Y: begin
                    if (expired) go(S_AR_EW, T_AR);
                end
                S_AR_EW: begin
                    if (expired) begin
                        if (emerg) begin
                            state <= S_EMERG;
                        end else if (ped_wait) begin
                            ped_wait <= 1'b0;
                            go(S_WALK, T_WALK);
                        end else begin
                            go(S_NS_G, T_NS_G);
                        end
                    end
                end
                S_WALK: begin
                    if (emerg)        go(S_AR_EW, T_AR);
                    else if (expired) go(S_NS_G, T_NS_G);
                end
                S_EMERG: begin
                    if (!emerg) go(S_AR_EW, T_AR);
                end
            endcase
        end
    end

endmodule
