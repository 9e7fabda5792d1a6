// -----------------------------------------------------------------------------
// uart_rx: UART receiver with 16x oversampling
//
// Frame (LSB first): start(0) | d0..d7 | [even parity] | stop(1)
//
// The line is synchronised with two flip-flops, then sampled on an
// oversampling tick that fires every div+1 clock cycles (16 ticks per bit,
// so a bit lasts 16*(div+1) clock cycles). A falling edge on the idle line
// restarts the tick divider; the start bit is re-checked at its middle (8th
// tick) and the frame is abandoned silently if the line is high again
// (glitch rejection). Every further bit is sampled once, 16 ticks after the
// previous sample point, i.e. in the middle of the bit.
//
// Received bytes are held in a one-entry buffer (rx_valid) until the host
// pulses rd. Status per byte: parity_err, framing_err. Sticky: overrun (a
// byte arrived while the previous one was still unread; the new byte
// replaces it). A frame with a bad stop bit makes the receiver wait for the
// line to go high (end of break) before hunting for the next start bit.
// -----------------------------------------------------------------------------
module uart_rx (
    input  wire       clk,          // clock, rising edge
    input  wire       rst_n,        // asynchronous reset, active low
    input  wire       rx,           // serial line (asynchronous), idles high
    input  wire [3:0] div,          // oversampling tick period minus one, in clocks
    input  wire       parity_en,    // 1: frames carry an even-parity bit
    input  wire       rd,           // host has read rx_data: clears rx_valid
    input  wire       clr_overrun,  // clears the sticky overrun flag
    output reg  [7:0] rx_data,      // last received byte
    output reg        rx_valid,     // rx_data holds an unread byte
    output reg        parity_err,   // parity of the last received byte was wrong
    output reg        framing_err,  // stop bit of the last received byte was low
    output reg        overrun,      // sticky: a byte was lost because rx_valid was still set
    output wire       active        // a frame is being received
);

    localparam [2:0] S_IDLE   = 3'd0,
                     S_START  = 3'd1,
                     S_DATA   = 3'd2,
                     S_PARITY = 3'd3,
                     S_STOP   = 3'd4,
                     S_BREAK  = 3'd5;   // waiting for the line to return high

    reg [1:0] sync;                     // rx synchroniser
    wire      rxs = sync[1];

    reg [2:0] state;
    reg [3:0] tick_cnt;                 // clock divider for the 16x tick
    reg [3:0] os_cnt;                   // ticks since the last sample point
    reg [2:0] bit_idx;
    reg [7:0] shift;
    reg       par_bit;                  // received parity bit

    wire tick   = (tick_cnt == div);
    wire sample = tick && (os_cnt == 4'd15);

    assign active = (state != S_IDLE) && (state != S_BREAK);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync <= 2'b11;
        end else begin
            sync <= {sync[0], rx};
        end
    end

    // Deliver a completed frame into the output buffer.
    task automatic deliver(input stop_ok);
        begin
            rx_data     <= shift;
            rx_valid    <= 1'b1;
            parity_err  <= parity_en && (par_bit != ^shift);
            framing_err <= !stop_ok;
            if (rx_valid && !rd) begin
                overrun <= 1'b1;
            end
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state       <= S_IDLE;
            tick_cnt    <= 4'd0;
            os_cnt      <= 4'd0;
            bit_idx     <= 3'd0;
            shift       <= 8'd0;
            par_bit     <= 1'b0;
            rx_data     <= 8'd0;
            rx_valid    <= 1'b0;
            parity_err  <= 1'b0;
            framing_err <= 1'b0;
            overrun     <= 1'b0;
        end else begin
            if (rd) begin
                rx_valid <= 1'b0;
            end
            if (clr_overrun) begin
                overrun <= 1'b0;
            end

            tick_cnt <= tick ? 4'd0 : tick_cnt + 4'd1;
            if (tick) begin
                os_cnt <= os_cnt + 4'd1;
            end

            case (state)
                S_START: begin
                    // middle of the start bit: 8th tick after the falling edge
                    if (tick && os_cnt == 4'd7) begin
                        os_cnt <= 4'd0;
                        state  <= rxs ? S_IDLE : S_DATA;   // high again: glitch
                    end
                end
                S_DATA: begin
                    if (sample) begin
                        shift   <= {rxs, shift[7:1]};
                        bit_idx <= bit_idx + 3'd1;
                        if (bit_idx == 3'd7) begin
                            state <= parity_en ? S_PARITY : S_STOP;
                        end
                    end
                end
                S_PARITY: begin
                    if (sample) begin
                        par_bit <= rxs;
                        state   <= S_STOP;
                    end
                end
                S_STOP: begin
                    if (sample) begin
                        deliver(rxs);
                        state <= rxs ? S_IDLE : S_BREAK;
                    end
                end
                S_BREAK: begin
                    if (rxs) begin
                        state <= S_IDLE;
                    end
                end
                default: begin          // S_IDLE (and unused encodings)
                    state <= S_IDLE;
                    if (!rxs) begin
                        tick_cnt <= 4'd0;
                        os_cnt   <= 4'd0;
                        bit_idx  <= 3'd0;
                        state    <= S_START;
                    end
                end
            endcase
        end
    end

endmodule
