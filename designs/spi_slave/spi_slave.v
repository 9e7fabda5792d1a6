// -----------------------------------------------------------------------------
// spi_slave: SPI mode-0 slave with a small register file
//
// The SPI pins are oversampled in the clk domain (2-flop synchronisers, then
// edge detection), so clk must be well faster than SCLK (each SCLK phase at
// least 3 clk cycles). Mode 0: MOSI is sampled on SCLK rising edges, MISO
// changes on SCLK falling edges, MSB first.
//
// Transaction (CS low):  CMD byte = {R/W, ADDR[6:0]}  then data byte(s).
//   R/W = 0: write; each data byte received is written to ADDR.
//   R/W = 1: read;  the slave returns the register at ADDR on MISO.
// Further data bytes in the same CS window go to ADDR+1, ADDR+2, ... (the
// address wraps within 7 bits). Registers: see the REG_* constants below.
// -----------------------------------------------------------------------------
module spi_slave (
    input  wire       clk,       // system clock, rising edge
    input  wire       rst_n,     // asynchronous reset, active low
    input  wire       sclk,      // SPI clock (asynchronous)
    input  wire       cs_n,      // SPI chip select, active low (asynchronous)
    input  wire       mosi,      // SPI data in (asynchronous)
    input  wire [7:0] din,       // value returned by the DIN register
    output reg        miso,      // SPI data out
    output wire       miso_oe,   // MISO output enable (high while selected)
    output reg  [7:0] ctrl,      // CTRL register
    output reg  [7:0] dout,      // DOUT register
    output reg        wr_strobe  // one-cycle pulse when CTRL or DOUT is written
);

    localparam [6:0] REG_CTRL = 7'h00,   // RW
                     REG_DOUT = 7'h01,   // RW
                     REG_DIN  = 7'h02,   // RO: din input
                     REG_STAT = 7'h03;   // {wr_cnt[3:0], 1'b0, abort, bad_addr, ro_wr}, bits 2:0 W1C

    // Synchronisers: [1] is the synchronised level, [2] the previous one.
    reg [2:0] sclk_s;
    reg [1:0] cs_s;
    reg [1:0] mosi_s;

    wire selected = !cs_s[1];
    wire sclk_rise = sclk_s[1] && !sclk_s[2];
    wire sclk_fall = !sclk_s[1] && sclk_s[2];

    assign miso_oe = !cs_n;

    reg       in_data;      // command byte received, now in data bytes
    reg       rw;           // 1 = read transaction
    reg [6:0] addr;
    reg [2:0] bit_cnt;      // bits received in the current byte
    reg [6:0] rx_sr;        // first seven bits of the current byte
    reg [7:0] tx_sr;        // bits to shift out on MISO
    reg [3:0] wr_cnt;
    reg       ro_wr, bad_addr, abort;

    wire [7:0] rx_byte = {rx_sr, mosi_s[1]};
    wire       byte_end = selected && sclk_rise && (bit_cnt == 3'd7);

    // Register read mux
    function [7:0] read_reg(input [6:0] a);
        begin
            case (a)
                REG_CTRL: read_reg = ctrl;
                REG_DOUT: read_reg = dout;
                REG_DIN:  read_reg = din;
                REG_STAT: read_reg = {wr_cnt, 1'b0, abort, bad_addr, ro_wr};
                default:  read_reg = 8'h00;
            endcase
        end
    endfunction

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sclk_s <= 3'b000;
            cs_s   <= 2'b11;
            mosi_s <= 2'b00;
        end else begin
            sclk_s <= {sclk_s[1:0], sclk};
            cs_s   <= {cs_s[0], cs_n};
            mosi_s <= {mosi_s[0], mosi};
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            in_data   <= 1'b0;
            rw        <= 1'b0;
            addr      <= 7'd0;
            bit_cnt   <= 3'd0;
            rx_sr     <= 7'd0;
            tx_sr     <= 8'd0;
            miso      <= 1'b0;
            ctrl      <= 8'd0;
            dout      <= 8'd0;
            wr_strobe <= 1'b0;
            wr_cnt    <= 4'd0;
            ro_wr     <= 1'b0;
            bad_addr  <= 1'b0;
            abort     <= 1'b0;
        end else begin
            wr_strobe <= 1'b0;
            if (!selected) begin
                // Deselected: a partial byte is an abort; restart the protocol.
                if (bit_cnt != 3'd0) begin
                    abort <= 1'b1;
                end
                in_data <= 1'b0;
                bit_cnt <= 3'd0;
                tx_sr   <= 8'd0;
                miso    <= 1'b0;
            end else if (sclk_rise) begin
                rx_sr   <= rx_byte[6:0];
                bit_cnt <= bit_cnt + 3'd1;
                if (byte_end) begin
                    if (!in_data) begin
                        // command byte
                        in_data <= 1'b1;
                        rw      <= rx_byte[7];
                        addr    <= rx_byte[6:0];
                        tx_sr   <= read_reg(rx_byte[6:0]);
                    end else begin
                        // data byte: write it (reads just move on), then advance
                        if (addr[6:2] != 5'd0) begin
                            bad_addr <= 1'b1;
                        end
                        if (!rw) begin
                            case (addr)
                                REG_CTRL: begin
                                    ctrl      <= rx_byte;
                                    wr_strobe <= 1'b1;
                                    wr_cnt    <= wr_cnt + 4'd1;
                                end
                                REG_DOUT: begin
                                    dout      <= rx_byte;
                                    wr_strobe <= 1'b1;
                                    wr_cnt    <= wr_cnt + 4'd1;
                                end
                                REG_DIN: begin
                                    ro_wr <= 1'b1;
                                end
                                REG_STAT: begin            // write 1 to clear flags
                                    if (rx_byte[0]) ro_wr    <= 1'b0;
                                    if (rx_byte[1]) bad_addr <= 1'b0;
                                    if (rx_byte[2]) abort    <= 1'b0;
                                end
                                default: ;                 // unmapped: flagged above
                            endcase
                        end
                        addr  <= addr + 7'd1;
                        tx_sr <= read_reg(addr + 7'd1);
                    end
                end
            end else if (sclk_fall) begin
                miso  <= tx_sr[7];
                tx_sr <= {tx_sr[6:0], 1'b0};
            end
        end
    end

endmodule
