// ============================================================================
// bram_be -- single-port 16 x 32 RAM with byte write enables
//
// Block-RAM style single port: one access per cycle when en is high.
//   en & we  : write the bytes of wdata selected by be[3:0]; rdata holds
//              its previous value ("no-change" write mode)
//   en & !we : read; the word appears on rdata after the rising edge
//   !en      : idle, rdata holds
// Only the output register is reset; the array powers up undefined.
// ============================================================================
module bram_be (
    input  wire        clk,     // clock, rising edge
    input  wire        rst_n,   // asynchronous reset of rdata, active low
    input  wire        en,      // port enable
    input  wire        we,      // 1 = write, 0 = read
    input  wire [3:0]  be,      // byte enables for writes (be[0] -> wdata[7:0])
    input  wire [3:0]  addr,    // word address
    input  wire [31:0] wdata,   // write data
    output reg  [31:0] rdata    // registered read data
);

    localparam WORDS = 16;

    reg [31:0] mem [0:WORDS-1];

    // Byte enables expanded to a bit mask.
    wire [31:0] bmask = {{8{be[3]}}, {8{be[2]}}, {8{be[1]}}, {8{be[0]}}};
    wire        wr    = en && we;

    // ------------------------------------------------------------------
    // Array: each word merges the enabled bytes of wdata when addressed
    // ------------------------------------------------------------------
    genvar g;
    generate
        for (g = 0; g < WORDS; g = g + 1) begin : g_word
            always @(posedge clk) begin
                if (wr && (addr == g))
                    mem[g] <= (mem[g] & ~bmask) | (wdata & bmask);
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Registered read port
    // ------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            rdata <= 32'h0000_0000;
        else if (en && !we)
            rdata <= mem[addr];
    end

endmodule
