// Two-state run controller: IDLE until `start`, RUN for `len` cycles (or until `stop`), then IDLE.
// `busy` is high in RUN; `done` pulses for one cycle when a run ends by itself, `aborted` when stopped.
module mode_fsm (
    input  wire       clk,
    input  wire       rst,      // synchronous, active high
    input  wire       start,
    input  wire       stop,
    input  wire [3:0] len,      // run length in cycles, sampled at start; 0 behaves as 1
    output reg        busy,
    output reg        done,
    output reg        aborted
);
    localparam IDLE = 1'b0;
    localparam RUN  = 1'b1;

    reg       state;
    reg [3:0] remaining;

    always @(posedge clk) begin
        if (rst) begin
            state     <= IDLE;
            remaining <= 4'd0;
            busy      <= 1'b0;
            done      <= 1'b0;
            aborted   <= 1'b0;
        end else begin
            done    <= 1'b0;
            aborted <= 1'b0;
            case (state)
                IDLE: begin
                    if (start) begin
                        state     <= RUN;
                        remaining <= (len == 4'd0) ? 4'd1 : len;
                        busy      <= 1'b1;
                    end
                end
                RUN: begin
                    if (stop) begin
                        state   <= IDLE;
                        busy    <= 1'b0;
                        aborted <= 1'b1;
                    end else if (remaining == 4'd1) begin
                        state <= IDLE;
                        busy  <= 1'b0;
                        done  <= 1'b1;
                    end else begin
                        remaining <= remaining - 4'd1;
                    end
                end
            endcase
        end
    end
endmodule
