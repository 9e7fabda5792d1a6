// ============================================================================
// watchdog
// ----------------------------------------------------------------------------
// Keyed watchdog timer.
//
// Once enabled, the watchdog counts down a window of WINDOW clock cycles.
// Software must "kick" it within that window by pulsing `kick` with the
// 16-bit key KICK_KEY (16'hC35A) on `key`.  A valid kick re-arms the full
// window.  If the window runs out, the watchdog sets the sticky `timeout`
// flag and asserts `rst_req` for RST_LEN cycles to request a system reset.
// A kick with any other key is rejected and raises the sticky `key_err`
// flag on the next edge (the window is NOT re-armed by a bad kick).
//
// Disabling the watchdog (`en` low) stops the countdown and clears the
// timeout flag, except that a reset-request pulse that has already started
// always runs to completion.
// Reset is asynchronous, active low.
// ============================================================================
module watchdog #(
    parameter [15:0] KICK_KEY = 16'hC35A, // the only key accepted by a kick
    parameter        WINDOW   = 2000,     // kick window in clock cycles (2..2**CNT_W)
    parameter        CNT_W    = 11,       // width of the window counter
    parameter        RST_LEN  = 8         // reset-request pulse length (1..8)
) (
    input  wire             clk,        // clock, rising edge
    input  wire             rst_n,      // asynchronous reset, active low
    input  wire             en,         // watchdog enable
    input  wire             kick,       // kick strobe, one cycle per kick
    input  wire [15:0]      key,        // key presented with kick
    input  wire             err_clr,    // clear the key_err flag
    output wire [CNT_W-1:0] remaining,  // cycles left in the current window
    output reg              kick_ok,    // one-cycle pulse: a valid kick was accepted
    output reg              key_err,    // sticky: a kick with a wrong key was seen
    output reg              timeout,    // sticky: the window expired
    output reg              rst_req     // reset request, RST_LEN cycles long
);

    // ---------------------------------------------------------------- states
    localparam [1:0] S_IDLE    = 2'd0,  // disabled
                     S_RUN     = 2'd1,  // counting down the window
                     S_FIRE    = 2'd2,  // window expired, rst_req asserted
                     S_EXPIRED = 2'd3;  // pulse done, waiting for en low

    localparam [CNT_W-1:0] RELOAD   = WINDOW[CNT_W-1:0] - 1'b1;
    localparam [2:0]       RST_LAST = RST_LEN[2:0] - 1'b1;

    reg [1:0]       state;
    reg [CNT_W-1:0] cnt;       // window countdown
    reg [2:0]       rst_cnt;   // reset-request pulse countdown

    // Key decode: a kick is good only with the exact key.
    wire key_match = (key == KICK_KEY);
    wire good_kick = kick &  key_match;
    wire bad_kick  = kick & ~key_match;

    assign remaining = cnt;

    // ------------------------------------------------------------ main FSM
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state   <= S_IDLE;
            cnt     <= {CNT_W{1'b0}};
            rst_cnt <= 3'd0;
            timeout <= 1'b0;
            rst_req <= 1'b0;
            kick_ok <= 1'b0;
        end else begin
            kick_ok <= 1'b0;
            case (state)
                S_IDLE: begin
                    if (en) begin
                        state <= S_RUN;
                        cnt   <= RELOAD;
                    end
                end
                S_RUN: begin
                    if (!en) begin
                        state <= S_IDLE;
                        cnt   <= {CNT_W{1'b0}};
                    end else if (good_kick) begin
                        // a valid kick on the very last cycle is still in time
                        cnt     <= RELOAD;
                        kick_ok <= 1'b1;
                    end else if (cnt == {CNT_W{1'b0}}) begin
                        state   <= S_FIRE;
                        timeout <= 1'b1;
                        rst_req <= 1'b1;
                        rst_cnt <= RST_LAST;
                    end else begin
                        cnt <= cnt - 1'b1;
                    end
                end
                S_FIRE: begin
                    // the reset-request pulse always completes
                    if (rst_cnt == 3'd0) begin
                        state   <= S_EXPIRED;
                        rst_req <= 1'b0;
                    end else begin
                        rst_cnt <= rst_cnt - 1'b1;
                    end
                end
                S_EXPIRED: begin
                    if (!en) begin
                        state   <= S_IDLE;
                        timeout <= 1'b0;
                    end
                end
            endcase
        end
    end

    // ------------------------------------------------------- key error flag
    // Set by a bad kick while the window is running; a new error wins over
    // a simultaneous clear.
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            key_err <= 1'b0;
        end else if (state == S_RUN && en && bad_kick) begin
            key_err <= 1'b1;
        end else if (err_clr) begin
            key_err <= 1'b0;
        end
    end

endmodule
