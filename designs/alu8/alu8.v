// ============================================================================
// alu8 - 8-bit combinational arithmetic/logic unit
//
// A small single-cycle ALU of the kind found in 8-bit microcontroller cores.
// Sixteen operations are selected by a 4-bit opcode: add/subtract with and
// without carry, bitwise logic, shifts/rotates through the carry input, and
// increment/decrement.  Four status flags are produced alongside the result:
//
//   zero     - result is 0x00
//   negative - result bit 7
//   carry    - carry out of bit 7 (add), borrow (subtract), or the bit shifted
//              out (shift/rotate); 0 for logic operations
//   overflow - two's-complement overflow for add/sub/inc/dec; 0 otherwise
//
// The block is purely combinational; the enclosing core registers the
// result and flags.
// ============================================================================
module alu8 (
    input  wire [7:0] a,        // operand A (also the shift/rotate source)
    input  wire [7:0] b,        // operand B
    input  wire       cin,      // carry/borrow input for ADC, SBB, RLC, RRC
    input  wire [3:0] op,       // operation select, see opcode table below
    output reg  [7:0] y,        // result
    output wire       zero,     // result == 0
    output reg        carry,    // carry / borrow / shifted-out bit
    output reg        overflow, // signed overflow
    output wire       negative  // result sign bit
);

    // ---------------------------------------------------------------------
    // Opcode table
    // ---------------------------------------------------------------------
    localparam [3:0] OP_ADD = 4'h0;  // a + b
    localparam [3:0] OP_ADC = 4'h1;  // a + b + cin
    localparam [3:0] OP_SUB = 4'h2;  // a - b           (carry = borrow)
    localparam [3:0] OP_SBB = 4'h3;  // a - b - cin     (carry = borrow)
    localparam [3:0] OP_AND = 4'h4;  // a & b
    localparam [3:0] OP_OR  = 4'h5;  // a | b
    localparam [3:0] OP_XOR = 4'h6;  // a ^ b
    localparam [3:0] OP_NOT = 4'h7;  // ~a
    localparam [3:0] OP_SHL = 4'h8;  // a << 1, carry = a[7]
    localparam [3:0] OP_SHR = 4'h9;  // a >> 1 (logical), carry = a[0]
    localparam [3:0] OP_ASR = 4'hA;  // a >>> 1 (arithmetic), carry = a[0]
    localparam [3:0] OP_RLC = 4'hB;  // rotate left through carry
    localparam [3:0] OP_RRC = 4'hC;  // rotate right through carry
    localparam [3:0] OP_INC = 4'hD;  // a + 1
    localparam [3:0] OP_DEC = 4'hE;  // a - 1           (carry = borrow)
    localparam [3:0] OP_PSB = 4'hF;  // pass b

    // ---------------------------------------------------------------------
    // Shared adder.  Subtraction is done as a + ~b + 1 (minus borrow), so a
    // single 9-bit adder serves ADD/ADC/SUB/SBB/INC/DEC.
    // ---------------------------------------------------------------------
    reg  [7:0] add_b;     // second adder operand (b, ~b, 0x01 or 0xFF)
    reg        add_ci;    // adder carry-in
    wire [8:0] sum = {1'b0, a} + {1'b0, add_b} + {8'd0, add_ci};

    // Signed overflow: both adder operands share a sign and the result's
    // sign differs from it.
    wire add_ovf = (a[7] == add_b[7]) && (sum[7] != a[7]);

    always @* begin
        add_ci = 1'b0;
        case (op)
            OP_ADC:  begin add_b = b;     add_ci = cin;  end
            OP_SUB:  begin add_b = ~b;    add_ci = 1'b1; end  // a + ~b + 1
            OP_SBB:  begin add_b = ~b;    add_ci = ~cin; end  // a + ~b + !borrow
            OP_INC:  begin add_b = 8'h01;                end
            OP_DEC:  begin add_b = 8'hFF;                end  // a + (-1)
            default: begin add_b = b;                    end  // ADD; don't-care for logic ops
        endcase
    end

    // ---------------------------------------------------------------------
    // Result and carry/overflow selection
    // ---------------------------------------------------------------------
    always @* begin
        y        = sum[7:0];
        carry    = 1'b0;
        overflow = 1'b0;
        case (op)
            OP_ADD, OP_ADC, OP_INC: begin
                carry    = sum[8];
                overflow = add_ovf;
            end
            OP_SUB, OP_SBB, OP_DEC: begin
                carry    = ~sum[8];       // borrow is the inverted carry
                overflow = add_ovf;
            end
            OP_AND: y = a & b;
            OP_OR:  y = a | b;
            OP_XOR: y = a ^ b;
            OP_NOT: y = ~a;
            OP_SHL: begin y = {a[6:0], 1'b0};  carry = a[7]; end
            OP_SHR: begin y = {1'b0, a[7:1]};  carry = a[0]; end
            OP_ASR: begin y = {a[7], a[7:1]};  carry = a[0]; end
            OP_RLC: begin y = {a[6:0], cin};   carry = a[7]; end
            OP_RRC: begin y = {cin, a[7:1]};   carry = a[0]; end
            OP_PSB: y = b;
        endcase
    end

    assign zero     = (y == 8'h00);
    assign negative = y[7];

endmodule
