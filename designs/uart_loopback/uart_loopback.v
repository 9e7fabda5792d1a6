// -----------------------------------------------------------------------------
// uart_loopback: UART with internal loopback and a self-test error counter
//
// Top level of a small UART block: a shared 16x baud-tick generator, the
// transmitter (uart_tx), the receiver (uart_rx), a one-byte receive buffer,
// and a loopback multiplexer. With lb_en the receiver listens to the
// transmitter internally and tx_pin is held idle; otherwise the receiver
// listens to rx_pin and the transmitter drives tx_pin.
//
// Error counter (4 bits, saturating at 15): one count per received byte
// that has a framing error, overruns the buffer, or (with check_en) differs
// from the byte most recently handed to the transmitter.
// -----------------------------------------------------------------------------
module uart_loopback (
    input  wire       clk,        // clock, rising edge
    input  wire       rst_n,      // asynchronous reset, active low
    input  wire [3:0] baud_div,   // 16x tick every baud_div+1 clocks (bit = 16*(baud_div+1) clocks)
    input  wire       lb_en,      // 1: internal loopback (tx -> rx), tx_pin held high
    input  wire       check_en,   // 1: compare each received byte with the last sent byte
    input  wire       tx_start,   // send tx_data (taken only while tx_busy is low)
    input  wire [7:0] tx_data,    // byte to send
    input  wire       rx_pin,     // external serial input
    input  wire       rx_rd,      // host read strobe: clears rx_valid
    input  wire       err_clr,    // clears err_cnt
    output wire       tx_pin,     // external serial output
    output wire       tx_busy,    // transmitter busy
    output reg  [7:0] rx_data,    // receive buffer
    output reg        rx_valid,   // rx_data holds an unread byte
    output reg  [3:0] err_cnt     // saturating error count
);

    // 16x baud tick shared by both directions
    reg  [3:0] div_cnt;
    wire       tick = (div_cnt == baud_div);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            div_cnt <= 4'd0;
        end else begin
            div_cnt <= tick ? 4'd0 : div_cnt + 4'd1;
        end
    end

    // Transmitter and loopback mux
    wire tx_line;
    wire rx_line = lb_en ? tx_line : rx_pin;

    assign tx_pin = lb_en ? 1'b1 : tx_line;

    uart_tx u_tx (
        .clk   (clk),
        .rst_n (rst_n),
        .tick  (tick),
        .start (tx_start),
        .data  (tx_data),
        .tx    (tx_line),
        .busy  (tx_busy)
    );

    // Receiver
    wire [7:0] rx_byte;
    wire       rx_done;
    wire       rx_ferr;

    uart_rx u_rx (
        .clk       (clk),
        .rst_n     (rst_n),
        .tick      (tick),
        .rx        (rx_line),
        .data      (rx_byte),
        .valid     (rx_done),
        .frame_err (rx_ferr)
    );

    // Last byte handed to the transmitter, for the self-test comparison
    reg [7:0] last_tx;
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            last_tx <= 8'd0;
        end else if (tx_start && !tx_busy) begin
            last_tx <= tx_data;
        end
    end

    // Receive buffer and error counter
    wire overrun  = rx_valid && !rx_rd;
    wire mismatch = check_en && (rx_byte != last_tx);
    wire bad_byte = rx_done && (rx_ferr || overrun || mismatch);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            rx_data  <= 8'd0;
            rx_valid <= 1'b0;
            err_cnt  <= 4'd0;
        end else begin
            if (rx_done) begin
                rx_data  <= rx_byte;
                rx_valid <= 1'b1;
            end else if (rx_rd) begin
                rx_valid <= 1'b0;
            end
            if (err_clr) begin
                err_cnt <= 4'd0;
            end else if (bad_byte && err_cnt != 4'hF) begin
                err_cnt <= err_cnt + 4'd1;
            end
        end
    end

endmodule
