// -----------------------------------------------------------------------------
// handshake_ctrl: 4-phase req/ack initiator with acknowledge timeout
//
// Moves one data word to a peer with a four-phase (return-to-zero) handshake:
//   1. req rises (data_out valid)   2. peer raises ack
//   3. req falls                    4. peer drops ack  -> transfer done
// Each wait for the peer (ack rise, ack fall) is bounded: if the peer does not
// respond within 32 cycles the controller drops req, flags an error and stays
// in the error state until software clears it.
// -----------------------------------------------------------------------------
module handshake_ctrl (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire       start,      // begin a transfer of data_in (taken only when idle)
    input  wire [7:0] data_in,    // word to send, captured when start is accepted
    input  wire       ack,        // acknowledge from the peer
    input  wire       err_clr,    // leaves the error state
    output reg        req,        // request to the peer
    output reg  [7:0] data_out,   // captured word, stable for the whole transfer
    output wire       busy,       // a transfer is in progress
    output reg        done,       // one-cycle pulse: handshake completed
    output wire       error,      // the controller is in the error state
    output reg        err_phase   // which wait timed out: 0 = ack rise, 1 = ack fall
);

    localparam [1:0] S_IDLE   = 2'd0,
                     S_WAIT_H = 2'd1,   // req high, waiting for ack high
                     S_WAIT_L = 2'd2,   // req low, waiting for ack low
                     S_ERR    = 2'd3;

    localparam [4:0] LAST_WAIT = 5'd31; // 32nd waiting cycle

    reg [1:0] state;
    reg [4:0] wait_cnt;                 // cycles spent in the current wait state

    assign busy  = (state == S_WAIT_H) || (state == S_WAIT_L);
    assign error = (state == S_ERR);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state     <= S_IDLE;
            req       <= 1'b0;
            data_out  <= 8'd0;
            done      <= 1'b0;
            err_phase <= 1'b0;
            wait_cnt  <= 5'd0;
        end else begin
            done <= 1'b0;
            case (state)
                S_IDLE: begin
                    wait_cnt <= 5'd0;
                    if (start) begin
                        data_out <= data_in;
                        req      <= 1'b1;
                        state    <= S_WAIT_H;
                    end
                end
                S_WAIT_H: begin
                    if (ack) begin
                        req      <= 1'b0;
                        wait_cnt <= 5'd0;
                        state    <= S_WAIT_L;
                    end else if (wait_cnt == LAST_WAIT) begin
                        req       <= 1'b0;
                        err_phase <= 1'b0;
                        state     <= S_ERR;
                    end else begin
                        wait_cnt <= wait_cnt + 5'd1;
                    end
                end
                S_WAIT_L: begin
                    if (!ack) begin
                        done  <= 1'b1;
                        state <= S_IDLE;
                    end else if (wait_cnt == LAST_WAIT) begin
                        err_phase <= 1'b1;
                        state     <= S_ERR;
                    end else begin
                        wait_cnt <= wait_cnt + 5'd1;
                    end
                end
                S_ERR: begin
                    if (err_clr) begin
                        state <= S_IDLE;
                    end
                end
            endcase
        end
    end

endmodule
