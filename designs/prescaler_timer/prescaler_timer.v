// ============================================================================
// prescaler_timer
// ----------------------------------------------------------------------------
// 16-bit general purpose timer with a programmable 8-bit prescaler, a compare
// register, auto-reload and one-shot modes and a write-1-to-clear interrupt
// flag.  Programmed through a small synchronous register port:
//
//   addr  name    access  fields
//   0     CTRL    RW      [0] EN  [1] ONESHOT  [2] IE  [15:8] PSC
//   1     CMP     RW      [15:0] compare value
//   2     CNT     RW      [15:0] counter (a write also restarts the prescaler)
//   3     STATUS  R/W1C   [0] MATCH (write 1 to clear)
//
// The counter advances once every PSC+1 clocks.  When a counter step finds
// the counter equal to CMP, MATCH is set and the counter returns to 0; in
// one-shot mode EN is also cleared.  irq = MATCH & IE.
// Reset is asynchronous, active low.
// ============================================================================
module prescaler_timer (
    input  wire        clk,     // clock, rising edge
    input  wire        rst_n,   // asynchronous reset, active low
    input  wire        we,      // register write strobe
    input  wire [1:0]  addr,    // register address
    input  wire [15:0] wdata,   // register write data
    output reg  [15:0] rdata,   // register read data (combinational on addr)
    output wire        irq,     // interrupt request: MATCH & IE
    output wire        tick     // one-cycle pulse on every counter step
);

    localparam [1:0] A_CTRL = 2'd0, A_CMP = 2'd1, A_CNT = 2'd2, A_STATUS = 2'd3;

    // ------------------------------------------------------------ registers
    reg        en;        // CTRL.EN
    reg        oneshot;   // CTRL.ONESHOT
    reg        ie;        // CTRL.IE
    reg [7:0]  psc;       // CTRL.PSC
    reg [15:0] cmp;       // CMP
    reg [15:0] cnt;       // CNT
    reg        match;     // STATUS.MATCH
    reg [7:0]  psc_cnt;   // prescaler divider state (not visible)

    wire wr_ctrl   = we & (addr == A_CTRL);
    wire wr_cmp    = we & (addr == A_CMP);
    wire wr_cnt    = we & (addr == A_CNT);
    wire wr_status = we & (addr == A_STATUS);

    // A counter step happens when the prescaler has counted PSC+1 clocks.
    assign tick = en & (psc_cnt == psc);
    wire   hit  = tick & (cnt == cmp);

    assign irq = match & ie;

    // ---------------------------------------------------- control register
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            en      <= 1'b0;
            oneshot <= 1'b0;
            ie      <= 1'b0;
            psc     <= 8'd0;
        end else if (wr_ctrl) begin
            // a software write wins over the one-shot auto-disable
            en      <= wdata[0];
            oneshot <= wdata[1];
            ie      <= wdata[2];
            psc     <= wdata[15:8];
        end else if (hit && oneshot) begin
            en <= 1'b0;
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            cmp <= 16'd0;
        end else if (wr_cmp) begin
            cmp <= wdata;
        end
    end

    // ------------------------------------------------- prescaler and counter
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            psc_cnt <= 8'd0;
            cnt     <= 16'd0;
        end else begin
            if (wr_cnt || !en || tick) begin
                psc_cnt <= 8'd0;
            end else begin
                psc_cnt <= psc_cnt + 8'd1;
            end

            if (wr_cnt) begin
                cnt <= wdata;
            end else if (hit) begin
                cnt <= 16'd0;
            end else if (tick) begin
                cnt <= cnt + 16'd1;
            end
        end
    end

    // ------------------------------------------------------- match flag
    // Set by a compare hit, cleared by writing 1 to STATUS[0]; a hit on the
    // same edge as the clear wins.
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            match <= 1'b0;
        end else if (hit) begin
            match <= 1'b1;
        end else if (wr_status && wdata[0]) begin
            match <= 1'b0;
        end
    end

    // ---------------------------------------------------------- read mux
    always @(*) begin
        case (addr)
            A_CTRL:   rdata = {psc, 5'd0, ie, oneshot, en};
            A_CMP:    rdata = cmp;
            A_CNT:    rdata = cnt;
            A_STATUS: rdata = {15'd0, match};
        endcase
    end

endmodule
