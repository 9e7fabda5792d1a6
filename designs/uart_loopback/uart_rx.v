// -----------------------------------------------------------------------------
// uart_rx: 8N1 UART receiver, 16x oversampled on a shared baud tick
//
// The line is synchronised (two flip-flops). A low level on the idle line
// starts a frame; the start bit is confirmed 8 ticks later (middle of the
// bit), otherwise the frame is dropped as a glitch. Data bits and the stop
// bit are sampled every 16 ticks after that. A completed frame is reported
// with a one-cycle `valid` pulse; `frame_err` qualifies it (stop bit low).
// -----------------------------------------------------------------------------
module uart_rx (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire       tick,       // 16x baud tick (one-cycle pulse)
    input  wire       rx,         // serial input (asynchronous), idles high
    output reg  [7:0] data,       // received byte (valid with `valid`)
    output reg        valid,      // one-cycle pulse: a frame was received
    output reg        frame_err   // the frame's stop bit was low (with `valid`)
);

    reg [1:0] sync;
    wire      rxs = sync[1];

    reg       active;
    reg [3:0] tick_cnt;           // ticks since the last sample point
    reg [3:0] bit_cnt;            // 0 = start, 1..8 = data, 9 = stop
    reg [7:0] shift;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync      <= 2'b11;
            active    <= 1'b0;
            tick_cnt  <= 4'd0;
            bit_cnt   <= 4'd0;
            shift     <= 8'd0;
            data      <= 8'd0;
            valid     <= 1'b0;
            frame_err <= 1'b0;
        end else begin
            sync  <= {sync[0], rx};
            valid <= 1'b0;
            if (!active) begin
                if (!rxs) begin
                    active   <= 1'b1;
                    tick_cnt <= 4'd0;
                    bit_cnt  <= 4'd0;
                end
            end else if (tick) begin
                tick_cnt <= tick_cnt + 4'd1;
                if (bit_cnt == 4'd0) begin
                    if (tick_cnt == 4'd7) begin        // middle of the start bit
                        tick_cnt <= 4'd0;
                        if (rxs) active  <= 1'b0;      // glitch: back to idle
                        else     bit_cnt <= 4'd1;
                    end
                end else if (tick_cnt == 4'd15) begin  // middle of a data/stop bit
                    bit_cnt <= bit_cnt + 4'd1;
                    if (bit_cnt == 4'd9) begin
                        data      <= shift;
                        valid     <= 1'b1;
                        frame_err <= !rxs;
                        active    <= 1'b0;
                    end else begin
                        shift <= {rxs, shift[7:1]};
                    end
                end
            end
        end
    end

endmodule
