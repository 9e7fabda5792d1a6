// ============================================================================
// apb_regs -- APB3 slave with six registers
//
// Register map (byte offsets, 32-bit registers):
//   0x00 CTRL      RW          [15:0]
//   0x04 STATUS    RO          [15:0] status_i, [16] cfg written, [17] irq_o
//   0x08 INT_STAT  W1C         [3:0]  latched events
//   0x0C INT_EN    RW          [3:0]  interrupt enables
//   0x10 CFG       write-once  [11:0] first write after reset sticks
//   0x14 DATA      RW          [31:0] accessed with one wait state
// PSLVERR is returned (and the access has no effect) for: an unmapped or
// misaligned address, a write to STATUS, a second write to CFG.
// PREADY is low for exactly one access-phase cycle on every DATA access;
// all other registers complete without wait states.
// ============================================================================
module apb_regs (
    input  wire        clk,         // PCLK
    input  wire        rst_n,       // PRESETn, asynchronous, active low
    // APB3 slave port
    input  wire        psel,        // slave select
    input  wire        penable,     // access phase
    input  wire        pwrite,      // 1 = write, 0 = read
    input  wire [7:0]  paddr,       // byte address
    input  wire [31:0] pwdata,      // write data
    output wire [31:0] prdata,      // read data (valid when the read completes)
    output wire        pready,      // transfer completes this cycle
    output wire        pslverr,     // transfer error (valid when it completes)
    // hardware side
    input  wire [15:0] status_i,    // live status
    input  wire [3:0]  event_i,     // event pulses -> INT_STAT
    output wire [15:0] ctrl_o,      // CTRL register
    output wire [11:0] cfg_o,       // CFG register
    output wire        cfg_done_o,  // CFG has been written
    output wire        irq_o        // enabled interrupt pending
);

    localparam [7:0] A_CTRL    = 8'h00;
    localparam [7:0] A_STATUS  = 8'h04;
    localparam [7:0] A_INTSTAT = 8'h08;
    localparam [7:0] A_INTEN   = 8'h0C;
    localparam [7:0] A_CFG     = 8'h10;
    localparam [7:0] A_DATA    = 8'h14;

    reg [15:0] ctrl;
    reg [3:0]  int_stat;
    reg [3:0]  int_en;
    reg [11:0] cfg;
    reg        cfg_done;
    reg [31:0] data;
    reg        wait_q;      // the DATA wait state has been inserted

    // ------------------------------------------------------------------
    // Transfer phases
    // ------------------------------------------------------------------
    wire access = psel && penable;
    wire slow   = (paddr == A_DATA);

    // One wait state on DATA: PREADY low in the first access cycle.
    assign pready = !(access && slow && !wait_q);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            wait_q <= 1'b0;
        else
            wait_q <= access && slow && !wait_q;
    end

    wire done = access && pready;   // transfer completes at this edge

    // ------------------------------------------------------------------
    // Decode and read mux
    // ------------------------------------------------------------------
    reg        mapped;
    reg        wr_err;              // write not allowed to this register
    reg [31:0] rd_mux;

    always @* begin
        mapped = 1'b1;
        wr_err = 1'b0;
        rd_mux = 32'h0000_0000;
        case (paddr)
            A_CTRL:    rd_mux = {16'h0, ctrl};
            A_STATUS:  begin
                           rd_mux = {14'h0, irq_o, cfg_done, status_i};
                           wr_err = 1'b1;
                       end
            A_INTSTAT: rd_mux = {28'h0, int_stat};
            A_INTEN:   rd_mux = {28'h0, int_en};
            A_CFG:     begin
                           rd_mux = {20'h0, cfg};
                           wr_err = cfg_done;
                       end
            A_DATA:    rd_mux = data;
            default:   mapped = 1'b0;
        endcase
    end

    wire err   = !mapped || (pwrite && wr_err);
    wire wr_ok = done && pwrite && !err;

    assign pslverr = done && err;
    assign prdata  = (done && !pwrite && !err) ? rd_mux : 32'h0000_0000;

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            ctrl     <= 16'h0000;
            int_en   <= 4'h0;
            cfg      <= 12'h000;
            cfg_done <= 1'b0;
            data     <= 32'h0000_0000;
        end else if (wr_ok) begin
            case (paddr)
                A_CTRL:  ctrl   <= pwdata[15:0];
                A_INTEN: int_en <= pwdata[3:0];
                A_CFG:   begin
                             cfg      <= pwdata[11:0];
                             cfg_done <= 1'b1;
                         end
                A_DATA:  data   <= pwdata;
                default: ;      // INT_STAT handled below
            endcase
        end
    end

    // Events set INT_STAT bits; writing 1 clears them; an event wins.
    wire [3:0] w1c = (wr_ok && (paddr == A_INTSTAT)) ? pwdata[3:0] : 4'h0;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            int_stat <= 4'h0;
        else
            int_stat <= (int_stat & ~w1c) | event_i;
    end

    assign ctrl_o     = ctrl;
    assign cfg_o      = cfg;
    assign cfg_done_o = cfg_done;
    assign irq_o      = |(int_stat & int_en);

endmodule
