// -----------------------------------------------------------------------------
// spi_master: single-byte SPI master, modes 0-3, programmable SCLK rate
//
// One transfer shifts 8 bits out on MOSI and 8 bits in from MISO, MSB first.
//   cpol: SCLK idle level.  cpha = 0: sample on the leading SCLK edge, change
//   on the trailing edge (first bit is driven when CS falls).  cpha = 1:
//   change on the leading edge, sample on the trailing edge.
// SCLK half period = div+1 clock cycles. CS is asserted one half period
// before the first SCLK edge and, unless the transfer asked to keep it, is
// released one half period after the last edge. A kept CS lets several bytes
// form one burst; cs_release drops it while idle.
// -----------------------------------------------------------------------------
module spi_master (
    input  wire       clk,         // clock, rising edge
    input  wire       rst_n,       // asynchronous reset, active low
    input  wire       cpol,        // SCLK idle level (followed while idle; hold during a transfer)
    input  wire       cpha,        // clock phase (sampled at start)
    input  wire [3:0] div,         // SCLK half period minus one, in clocks (sampled at start)
    input  wire       start,       // begin a transfer of tx_data (taken only while idle)
    input  wire [7:0] tx_data,     // byte to send
    input  wire       cs_keep,     // keep CS asserted after this transfer (sampled at start)
    input  wire       cs_release,  // while idle: release a kept CS
    input  wire       miso,        // serial data from the slave
    output reg        sclk,        // serial clock
    output reg        mosi,        // serial data to the slave
    output reg        cs_n,        // chip select, active low
    output reg  [7:0] rx_data,     // byte received by the last transfer
    output wire       busy,        // a transfer is in progress
    output reg        done         // one-cycle pulse at the end of a transfer
);

    localparam [1:0] S_IDLE  = 2'd0,
                     S_XFER  = 2'd1,   // CS asserted, 16 SCLK edges one half period apart
                     S_TRAIL = 2'd2;   // after the last edge, before CS release

    reg [1:0] state;
    reg       cpha_q, keep_q;
    reg [3:0] div_q;
    reg [3:0] half_cnt;    // clocks in the current half period
    reg [3:0] edge_cnt;    // SCLK edges made so far in this transfer
    reg [7:0] tx_sr;       // bits still to send (MSB is next)
    reg [7:0] rx_sr;       // bits received

    wire half_end = (half_cnt == div_q);
    wire leading  = !edge_cnt[0];   // the edge about to be made is a leading edge

    assign busy = (state != S_IDLE);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state    <= S_IDLE;
            cpha_q   <= 1'b0;
            keep_q   <= 1'b0;
            div_q    <= 4'd0;
            half_cnt <= 4'd0;
            edge_cnt <= 4'd0;
            tx_sr    <= 8'd0;
            rx_sr    <= 8'd0;
            sclk     <= 1'b0;
            mosi     <= 1'b0;
            cs_n     <= 1'b1;
            rx_data  <= 8'd0;
            done     <= 1'b0;
        end else begin
            done     <= 1'b0;
            half_cnt <= half_end ? 4'd0 : half_cnt + 4'd1;
            case (state)
                S_XFER: begin
                    // first edge one half period after CS falls
                    if (half_end) begin
                        sclk     <= ~sclk;
                        edge_cnt <= edge_cnt + 4'd1;
                        if (leading == cpha_q) begin
                            // change edge: cpha=1 leading, cpha=0 trailing (not after the last bit)
                            if (cpha_q || edge_cnt != 4'd15) begin
                                mosi  <= cpha_q ? tx_sr[7] : tx_sr[6];
                                tx_sr <= {tx_sr[6:0], 1'b0};
                            end
                        end else begin
                            rx_sr <= {rx_sr[6:0], miso};   // sample edge
                        end
                        if (edge_cnt == 4'd15) begin
                            state <= S_TRAIL;
                        end
                    end
                end
                S_TRAIL: begin
                    if (half_end) begin
                        rx_data <= rx_sr;
                        done    <= 1'b1;
                        cs_n    <= !keep_q;
                        state   <= S_IDLE;
                    end
                end
                default: begin          // S_IDLE (and the unused encoding)
                    half_cnt <= 4'd0;
                    state    <= S_IDLE;
                    sclk     <= cpol;
                    if (start) begin
                        cpha_q   <= cpha;
                        keep_q   <= cs_keep;
                        div_q    <= div;
                        tx_sr    <= tx_data;
                        cs_n     <= 1'b0;
                        edge_cnt <= 4'd0;
                        if (!cpha) begin
                            mosi <= tx_data[7];    // first bit ahead of the first edge
                        end
                        state <= S_XFER;
                    end else if (cs_release) begin
                        cs_n <= 1'b1;
                    end
                end
            endcase
        end
    end

endmodule
