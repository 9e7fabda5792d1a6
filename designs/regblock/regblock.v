// ============================================================================
// regblock -- small peripheral register block with write lock
//
// Bus: single-cycle request (valid/write/addr/wdata), registered response
// one cycle later (resp_valid/rdata/err).  Every request gets a response.
//
// Register map (byte addresses, 32-bit registers, word aligned):
//   0x00 CTRL     RW   [7:0] control bits; writable only while unlocked
//   0x04 STATUS   RO   [7:0] status_i, [8] locked, [9] irq_o
//   0x08 INT_STAT W1C  [3:0] latched events; write 1 to clear
//   0x0C INT_EN   RW   [3:0] interrupt enables
//   0x10 SCRATCH  RW   [31:0] free for software
//   0x14 ID       RO   32'h5247_0107
//   0x18 LOCK     RW   write 32'h01AC_CE55 to unlock CTRL, anything else
//                      re-locks; reads [0] = locked
// Error response (err=1, no side effect, rdata=0): unmapped or misaligned
// address, write to a read-only register, write to CTRL while locked.
// ============================================================================
module regblock (
    input  wire        clk,         // clock, rising edge
    input  wire        rst_n,       // asynchronous reset, active low
    // request
    input  wire        valid,       // request strobe
    input  wire        write,       // 1 = write, 0 = read
    input  wire [7:0]  addr,        // byte address
    input  wire [31:0] wdata,       // write data
    // response (one cycle after the request)
    output reg         resp_valid,  // response strobe
    output reg  [31:0] rdata,       // read data (0 for writes and errors)
    output reg         err,         // error response
    // hardware interface
    input  wire [7:0]  status_i,    // live status, visible in STATUS
    input  wire [3:0]  event_i,     // event pulses, latched in INT_STAT
    output wire [7:0]  ctrl_o,      // CTRL register
    output wire        irq_o,       // interrupt: any enabled, latched event
    output wire        locked_o     // CTRL is write protected
);

    localparam [7:0]  A_CTRL    = 8'h00;
    localparam [7:0]  A_STATUS  = 8'h04;
    localparam [7:0]  A_INTSTAT = 8'h08;
    localparam [7:0]  A_INTEN   = 8'h0C;
    localparam [7:0]  A_SCRATCH = 8'h10;
    localparam [7:0]  A_ID      = 8'h14;
    localparam [7:0]  A_LOCK    = 8'h18;

    localparam [31:0] ID_VALUE  = 32'h5247_0107;
    localparam [31:0] UNLOCK    = 32'h01AC_CE55;

    reg [7:0]  ctrl;
    reg [3:0]  int_stat;
    reg [3:0]  int_en;
    reg [31:0] scratch;
    reg        locked;

    // ------------------------------------------------------------------
    // Address decode and read mux
    // ------------------------------------------------------------------
    reg        mapped;      // address hits a register
    reg        read_only;   // register cannot be written
    reg [31:0] rd_mux;

    always @* begin
        mapped    = 1'b1;
        read_only = 1'b0;
        rd_mux    = 32'h0000_0000;
        case (addr)
            A_CTRL:    rd_mux = {24'h0, ctrl};
            A_STATUS:  begin
                           rd_mux    = {22'h0, irq_o, locked, status_i};
                           read_only = 1'b1;
                       end
            A_INTSTAT: rd_mux = {28'h0, int_stat};
            A_INTEN:   rd_mux = {28'h0, int_en};
            A_SCRATCH: rd_mux = scratch;
            A_ID:      begin
                           rd_mux    = ID_VALUE;
                           read_only = 1'b1;
                       end
            A_LOCK:    rd_mux = {31'h0, locked};
            default:   mapped = 1'b0;
        endcase
    end

    wire wr_locked = write && (addr == A_CTRL) && locked;
    wire bad       = !mapped || (write && read_only) || wr_locked;
    wire wr_ok     = valid && write && !bad;

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            ctrl    <= 8'h00;
            int_en  <= 4'h0;
            scratch <= 32'h0000_0000;
            locked  <= 1'b1;
        end else if (wr_ok) begin
            case (addr)
                A_CTRL:    ctrl    <= wdata[7:0];
                A_INTEN:   int_en  <= wdata[3:0];
                A_SCRATCH: scratch <= wdata;
                A_LOCK:    locked  <= (wdata != UNLOCK);
                default:   ;        // INT_STAT is handled below
            endcase
        end
    end

    // Interrupt status: events set, write-1 clears; a new event wins.
    wire [3:0] w1c = (wr_ok && (addr == A_INTSTAT)) ? wdata[3:0] : 4'h0;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            int_stat <= 4'h0;
        else
            int_stat <= (int_stat & ~w1c) | event_i;
    end

    // ------------------------------------------------------------------
    // Response
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            resp_valid <= 1'b0;
            rdata      <= 32'h0000_0000;
            err        <= 1'b0;
        end else begin
            resp_valid <= valid;
            err        <= valid && bad;
            rdata      <= (valid && !write && !bad) ? rd_mux : 32'h0000_0000;
        end
    end

    assign ctrl_o   = ctrl;
    assign irq_o    = |(int_stat & int_en);
    assign locked_o = locked;

endmodule
