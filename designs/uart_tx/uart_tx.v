// -----------------------------------------------------------------------------
// uart_tx: UART transmitter, 8 data bits, optional even parity, 1 stop bit
//
// Frame on the line (LSB first):  start(0) | d0..d7 | [parity] | stop(1)
// Each bit lasts div+1 clock cycles. div and parity_en are sampled together
// with the data when a transmission starts, so they may change while busy.
// -----------------------------------------------------------------------------
module uart_tx (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire [3:0] div,        // bit period minus one, in clock cycles (1..16 clocks per bit)
    input  wire       parity_en,  // 1: send an even-parity bit after the data bits
    input  wire       tx_start,   // start sending tx_data (taken only while not busy)
    input  wire [7:0] tx_data,    // byte to send
    output reg        tx,         // serial line, idles high
    output wire       busy,       // a frame is being sent
    output reg        done        // one-cycle pulse when the stop bit has been sent
);

    localparam [2:0] S_IDLE   = 3'd0,
                     S_START  = 3'd1,
                     S_DATA   = 3'd2,
                     S_PARITY = 3'd3,
                     S_STOP   = 3'd4;

    reg [2:0] state;
    reg [3:0] div_q;      // bit period of the frame in flight
    reg       par_en_q;
    reg [7:0] shift;      // data bits still to send, LSB first
    reg       par_q;      // even parity of the byte
    reg [2:0] bit_idx;    // data bit being sent
    reg [3:0] baud_cnt;   // clock cycles spent in the current bit

    wire bit_end = (baud_cnt == div_q);

    assign busy = (state != S_IDLE);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state    <= S_IDLE;
            div_q    <= 4'd0;
            par_en_q <= 1'b0;
            shift    <= 8'd0;
            par_q    <= 1'b0;
            bit_idx  <= 3'd0;
            baud_cnt <= 4'd0;
            tx       <= 1'b1;
            done     <= 1'b0;
        end else begin
            done     <= 1'b0;
            baud_cnt <= bit_end ? 4'd0 : baud_cnt + 4'd1;
            case (state)
                S_START: begin
                    if (bit_end) begin
                        tx      <= shift[0];
                        bit_idx <= 3'd0;
                        state   <= S_DATA;
                    end
                end
                S_DATA: begin
                    if (bit_end) begin
                        if (bit_idx == 3'd7) begin
                            tx    <= par_en_q ? par_q : 1'b1;
                            state <= par_en_q ? S_PARITY : S_STOP;
                        end else begin
                            tx      <= shift[1];
                            shift   <= {1'b0, shift[7:1]};
                            bit_idx <= bit_idx + 3'd1;
                        end
                    end
                end
                S_PARITY: begin
                    if (bit_end) begin
                        tx    <= 1'b1;
                        state <= S_STOP;
                    end
                end
                S_STOP: begin
                    if (bit_end) begin
                        done  <= 1'b1;
                        state <= S_IDLE;
                    end
                end
                default: begin              // S_IDLE (and unused encodings)
                    baud_cnt <= 4'd0;
                    tx       <= 1'b1;
                    state    <= S_IDLE;
                    if (tx_start) begin
                        div_q    <= div;
                        par_en_q <= parity_en;
                        shift    <= tx_data;
                        par_q    <= ^tx_data;
                        tx       <= 1'b0;  // start bit
                        state    <= S_START;
                    end
                end
            endcase
        end
    end

endmodule
