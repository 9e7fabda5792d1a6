// ============================================================================
// irq_ctrl -- 8-source interrupt controller
//
// * Each source is edge triggered: a rising edge on irq_in[n] sets
//   pending bit n, which stays set until it is cleared.
// * MASK blocks sources from raising irq (pending bits still latch).
// * The highest-priority unmasked pending source (source 0 highest) is
//   presented as vector; irq is high while one exists.
// * A one-cycle ack pulse clears the pending bit of the presented vector.
//   Software can also clear pending bits (W1C) or set them (SWSET).
//
// Register map (addr, 8-bit registers, reads are combinational):
//   0 PENDING  R/W1C  pending sources
//   1 MASK     RW     1 = source masked (reset: all masked)
//   2 VECTOR   RO     [7] irq, [2:0] vector
//   3 SWSET    WO     write 1 to set pending bits; reads 0
// ============================================================================
module irq_ctrl (
    input  wire       clk,       // clock, rising edge
    input  wire       rst_n,     // asynchronous reset, active low
    input  wire [7:0] irq_in,    // interrupt sources, rising-edge sensitive
    // register access
    input  wire       we,        // write strobe
    input  wire [1:0] addr,      // register select
    input  wire [7:0] wdata,     // write data
    output reg  [7:0] rdata,     // read data for addr
    // CPU interface
    input  wire       ack,       // acknowledge the presented vector
    output wire       irq,       // an unmasked interrupt is pending
    output reg  [2:0] vector     // number of the highest-priority unmasked pending source
);

    localparam [1:0] R_PENDING = 2'd0;
    localparam [1:0] R_MASK    = 2'd1;
    localparam [1:0] R_VECTOR  = 2'd2;
    localparam [1:0] R_SWSET   = 2'd3;

    reg [7:0] pending;
    reg [7:0] mask;
    reg [7:0] irq_q;             // sources delayed by one cycle (edge detect)

    wire [7:0] rise   = irq_in & ~irq_q;
    wire [7:0] active = pending & ~mask;

    assign irq = |active;

    // ------------------------------------------------------------------
    // Priority resolution: lowest-numbered active source wins
    // ------------------------------------------------------------------
    always @* begin
        casez (active)
            8'b???????1: vector = 3'd0;
            8'b??????10: vector = 3'd1;
            8'b?????100: vector = 3'd2;
            8'b????1000: vector = 3'd3;
            8'b???10000: vector = 3'd4;
            8'b??100000: vector = 3'd5;
            8'b?1000000: vector = 3'd6;
            8'b10000000: vector = 3'd7;
            default:     vector = 3'd0;   // nothing active
        endcase
    end

    // ------------------------------------------------------------------
    // Pending: set by edges and SWSET, cleared by W1C and acknowledge.
    // A set in the same cycle as a clear wins.
    // ------------------------------------------------------------------
    wire [7:0] sw_set  = (we && (addr == R_SWSET))   ? wdata : 8'h00;
    wire [7:0] sw_clr  = (we && (addr == R_PENDING)) ? wdata : 8'h00;
    wire [7:0] ack_clr = (ack && irq) ? (8'h01 << vector) : 8'h00;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            irq_q   <= 8'h00;
            pending <= 8'h00;
            mask    <= 8'hFF;
        end else begin
            irq_q   <= irq_in;
            pending <= (pending & ~(sw_clr | ack_clr)) | rise | sw_set;
            if (we && (addr == R_MASK))
                mask <= wdata;
        end
    end

    // ------------------------------------------------------------------
    // Register read
    // ------------------------------------------------------------------
    always @* begin
        case (addr)
            R_PENDING: rdata = pending;
            R_MASK:    rdata = mask;
            R_VECTOR:  rdata = {irq, 4'b0000, vector};
            default:   rdata = 8'h00;       // SWSET is write-only
        endcase
    end

endmodule
