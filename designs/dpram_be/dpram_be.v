// ============================================================================
// dpram_be -- dual-port 32 x 16 RAM, byte-writable port A, read port B,
//             read-during-write collision detection
//
// Port A: read/write.  Writes update the bytes selected by a_be[1:0];
//         reads are registered on a_rdata (a_rdata holds during writes).
// Port B: read only, registered on b_rdata.
// Both ports share one clock.  When port B reads the word that port A is
// writing in the same cycle, port B returns the OLD contents of the word
// (read-before-write) and the collision output is high for the cycle in
// which that stale word is presented on b_rdata.
// ============================================================================
module dpram_be (
    input  wire        clk,        // clock, rising edge
    input  wire        rst_n,      // asynchronous reset of the output registers, active low
    // port A
    input  wire        a_en,       // port A enable
    input  wire        a_we,       // port A: 1 = write, 0 = read
    input  wire [1:0]  a_be,       // port A byte enables (a_be[0] -> bits 7:0)
    input  wire [4:0]  a_addr,     // port A word address
    input  wire [15:0] a_wdata,    // port A write data
    output reg  [15:0] a_rdata,    // port A read data, registered
    // port B
    input  wire        b_en,       // port B read enable
    input  wire [4:0]  b_addr,     // port B word address
    output reg  [15:0] b_rdata,    // port B read data, registered
    // status
    output reg         collision   // b_rdata holds a word that port A overwrote in the same cycle
);

    localparam WORDS = 32;

    reg [15:0] mem [0:WORDS-1];

    wire [15:0] a_mask  = {{8{a_be[1]}}, {8{a_be[0]}}};
    wire        a_write = a_en && a_we && (a_be != 2'b00);   // at least one byte changes
    wire        a_read  = a_en && !a_we;

    // ------------------------------------------------------------------
    // Array, written by port A only
    // ------------------------------------------------------------------
    genvar g;
    generate
        for (g = 0; g < WORDS; g = g + 1) begin : g_word
            always @(posedge clk) begin
                if (a_write && (a_addr == g))
                    mem[g] <= (mem[g] & ~a_mask) | (a_wdata & a_mask);
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Read registers and collision flag
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            a_rdata   <= 16'h0000;
            b_rdata   <= 16'h0000;
            collision <= 1'b0;
        end else begin
            if (a_read)
                a_rdata <= mem[a_addr];
            if (b_en)
                b_rdata <= mem[b_addr];     // old data on a same-address write
            collision <= b_en && a_write && (a_addr == b_addr);
        end
    end

endmodule
