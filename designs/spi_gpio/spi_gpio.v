// spi_gpio: eight-pin GPIO expander controlled over SPI.
//
// The SPI pins are plain inputs sampled by clk (two flops each, then an edge
// detector on the third), so every SCLK phase must last at least 3 clk cycles.
// SCLK rising edges take MOSI (MSB first), falling edges advance MISO; SCLK may
// idle low (mode 0) or high (mode 3).
//
// Frame while cs_n is low: {op[1:0], addr[5:0]}, then data bytes for addr,
// addr+1, ... (six-bit wrap). op: 00 read, 01 write, 10 OR into, 11 AND-NOT.
// MISO returns STATUS during the command byte and, during each data byte, the
// value its register held at the end of the previous byte.
module spi_gpio (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       sclk,
    input  wire       cs_n,
    input  wire       mosi,
    output wire       miso,
    input  wire [7:0] gpio_in,
    output reg  [7:0] gpio_out,
    output reg  [7:0] gpio_oe,
    output wire       irq
);

    localparam [5:0] A_OUT = 6'h00, A_DIR = 6'h01, A_IN = 6'h02, A_IEN = 6'h03,
                     A_ISTAT = 6'h04, A_SCR = 6'h05, A_ID = 6'h06, A_STAT = 6'h07;
    localparam [7:0] CHIP_ID = 8'h5A;
    localparam [1:0] OP_RD = 2'b00, OP_SET = 2'b10, OP_CLR = 2'b11;
    localparam [1:0] PH_IDLE = 2'd0, PH_CMD = 2'd1, PH_DATA = 2'd2;

    // pin samplers: bit 1 is the synchronised level, bit 2 the one before
    reg [2:0] sck_q, csn_q;
    reg [1:0] sdi_q;
    reg [7:0] gin_a, gin_b, gin_c;

    reg [1:0] phase;
    reg [1:0] op;
    reg [5:0] ptr;
    reg [2:0] nbit;
    reg [6:0] shin;            // bits of the byte being received
    reg [7:0] shout;           // MISO is its MSB
    reg [7:0] nxt;             // reply for the next data byte
    reg       nxt_ok;          // nxt waits for the falling edge after a byte
    reg [7:0] irq_en, irq_st, scratch;
    reg [3:0] wr_count;
    reg       frame_err, ro_err, map_err;

    wire sck_up    = sck_q[1] & ~sck_q[2];
    wire sck_down  = ~sck_q[1] & sck_q[2];
    wire cs_start  = ~csn_q[1] & csn_q[2];
    wire cs_stop   = csn_q[1] & ~csn_q[2];
    wire [7:0] new_edges = gin_b & ~gin_c & irq_en;
    wire [7:0] rx = {shin, sdi_q[1]};
    wire [7:0] status = {wr_count, irq, map_err, ro_err, frame_err};

    assign miso = shout[7];
    assign irq  = |(irq_st & irq_en);

    function [7:0] peek(input [5:0] a);
        case (a)
            A_OUT:   peek = gpio_out;
            A_DIR:   peek = gpio_oe;
            A_IN:    peek = gin_b;
            A_IEN:   peek = irq_en;
            A_ISTAT: peek = irq_st;
            A_SCR:   peek = scratch;
            A_ID:    peek = CHIP_ID;
            A_STAT:  peek = status;
            default: peek = 8'h00;
        endcase
    endfunction

    function [7:0] merge(input [1:0] o, input [7:0] cur, input [7:0] d);
        case (o)
            OP_SET:  merge = cur | d;
            OP_CLR:  merge = cur & ~d;
            default: merge = d;
        endcase
    endfunction

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sck_q <= 3'b000;
            csn_q <= 3'b111;
            sdi_q <= 2'b00;
            gin_a <= 8'h00;
            gin_b <= 8'h00;
            gin_c <= 8'h00;
        end else begin
            sck_q <= {sck_q[1:0], sclk};
            csn_q <= {csn_q[1:0], cs_n};
            sdi_q <= {sdi_q[0], mosi};
            gin_a <= gpio_in;
            gin_b <= gin_a;
            gin_c <= gin_b;
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            phase <= PH_IDLE;
            op <= OP_RD;
            ptr <= 6'd0;
            nbit <= 3'd0;
            shin <= 7'd0;
            shout <= 8'h00;
            nxt <= 8'h00;
            nxt_ok <= 1'b0;
            gpio_out <= 8'h00;
            gpio_oe <= 8'h00;
            irq_en <= 8'h00;
            irq_st <= 8'h00;
            scratch <= 8'h00;
            wr_count <= 4'd0;
            frame_err <= 1'b0;
            ro_err <= 1'b0;
            map_err <= 1'b0;
        end else begin
            irq_st <= irq_st | new_edges;
            if (phase == PH_IDLE) begin
                if (cs_start) begin
                    phase <= PH_CMD;
                    nbit <= 3'd0;
                    nxt_ok <= 1'b0;
                    shout <= status;
                end
            end else if (cs_stop) begin
                phase <= PH_IDLE;
                shout <= 8'h00;
                if (nbit != 3'd0) frame_err <= 1'b1;
            end else if (sck_up) begin
                shin <= rx[6:0];
                nbit <= nbit + 3'd1;
                if (nbit == 3'd7) begin
                    nxt_ok <= 1'b1;
                    if (phase == PH_CMD) begin
                        phase <= PH_DATA;
                        op <= rx[7:6];
                        ptr <= rx[5:0];
                        nxt <= peek(rx[5:0]);
                    end else begin
                        ptr <= ptr + 6'd1;
                        nxt <= peek(ptr + 6'd1);
                        if (op != OP_RD) begin
                            case (ptr)
                                A_OUT: gpio_out <= merge(op, gpio_out, rx);
                                A_DIR: gpio_oe <= merge(op, gpio_oe, rx);
                                A_IEN: irq_en <= merge(op, irq_en, rx);
                                A_SCR: scratch <= merge(op, scratch, rx);
                                A_ISTAT: if (op != OP_SET) irq_st <= (irq_st & ~rx) | new_edges;
                                A_STAT: if (op != OP_SET) begin
                                    if (rx[0]) frame_err <= 1'b0;
                                    if (rx[1]) ro_err <= 1'b0;
                                    if (rx[2]) map_err <= 1'b0;
                                end
                                default: ;
                            endcase
                            if (ptr > A_STAT) map_err <= 1'b1;
                            else if (ptr == A_IN || ptr == A_ID || op == OP_SET && (ptr == A_ISTAT || ptr == A_STAT))
                                ro_err <= 1'b1;
                            else wr_count <= wr_count + 4'd1;
                        end
                    end
                end
            end else if (sck_down) begin
                if (nbit != 3'd0) shout <= {shout[6:0], 1'b0};
                else if (nxt_ok) begin
                    shout <= nxt;
                    nxt_ok <= 1'b0;
                end
            end
        end
    end

endmodule
