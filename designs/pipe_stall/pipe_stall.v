// ============================================================================
// pipe_stall - 4-stage valid/ready command pipeline with stall and flush
//
// Processes a stream of (opcode, data) commands through four register
// stages with full backpressure support:
//
//   S1 capture  : command registered from the input port
//   S2 decode   : opcode decoded into a function code / SETKEY flag
//   S3 execute  : key-independent ALU functions evaluated
//   S4 commit   : key functions applied, key register written, result
//                 presented on the output port
//
// Handshake: a transfer happens on an edge where valid and ready are both
// high, on both ports.  Each stage accepts new contents when it is empty or
// when its own contents move on in the same cycle, so a pipeline that is
// stalled by out_ready = 0 fills up completely (four entries) before it
// drops in_ready; when out_ready returns, one result leaves per cycle.
//
// Flush (synchronous) discards whatever is in S1..S3.  S4 holds results
// that are already committed and is never flushed.  in_ready is low during
// a flush cycle so no command is accepted and lost.
//
// Opcodes: bits [2:0] select the function for ordinary commands (bits [7:3]
// are ignored).  The single opcode 8'hA5 is SETKEY: it loads its data into
// the 16-bit key register used by XORK/ADDK and returns the previous key,
// flagged on out_special.  The key is written only when SETKEY commits into
// S4, so commands behind it always see the new key and a flushed SETKEY
// has no effect.
// ============================================================================
module pipe_stall (
    input  wire        clk,          // clock, rising edge
    input  wire        rst_n,        // asynchronous reset, active low
    input  wire        flush,        // discard commands in S1..S3
    // upstream command port
    input  wire        in_valid,     // command available
    output wire        in_ready,     // pipeline can take a command this cycle
    input  wire [7:0]  in_op,        // opcode
    input  wire [15:0] in_data,      // operand
    // downstream result port
    output wire        out_valid,    // result available
    input  wire        out_ready,    // consumer takes the result this cycle
    output wire [15:0] out_data,     // result
    output wire        out_special   // result came from SETKEY (data = previous key)
);

    localparam [7:0] OP_SETKEY = 8'hA5;

    // Function codes (in_op[2:0])
    localparam [2:0] FN_PASS = 3'd0;   // data
    localparam [2:0] FN_INC  = 3'd1;   // data + 1
    localparam [2:0] FN_NOT  = 3'd2;   // ~data
    localparam [2:0] FN_SWAP = 3'd3;   // bytes swapped
    localparam [2:0] FN_SHL  = 3'd4;   // data << 1
    localparam [2:0] FN_SHR  = 3'd5;   // data >> 1
    localparam [2:0] FN_XORK = 3'd6;   // data ^ key
    localparam [2:0] FN_ADDK = 3'd7;   // data + key

    // Deferred key operation carried from S3 to S4
    localparam [1:0] KOP_NONE = 2'd0;
    localparam [1:0] KOP_XOR  = 2'd1;
    localparam [1:0] KOP_ADD  = 2'd2;
    localparam [1:0] KOP_SET  = 2'd3;

    // ---------------------------------------------------------------------
    // Stage registers
    // ---------------------------------------------------------------------
    reg        v1, v2, v3, v4;
    reg [7:0]  s1_op;
    reg [15:0] s1_data;
    reg [2:0]  s2_fn;
    reg        s2_set;
    reg [15:0] s2_data;
    reg [1:0]  s3_kop;
    reg [15:0] s3_val;
    reg        s4_special;
    reg [15:0] s4_data;
    reg [15:0] key;

    // ---------------------------------------------------------------------
    // Ready chain: a stage can load when it is empty or drains this cycle.
    // ---------------------------------------------------------------------
    wire rdy4 = !v4 || out_ready;
    wire rdy3 = !v3 || rdy4;
    wire rdy2 = !v2 || rdy3;
    wire rdy1 = !v1 || rdy2;

    assign in_ready    = rdy1 && !flush;
    assign out_valid   = v4;
    assign out_data    = s4_data;
    assign out_special = s4_special;

    // ---------------------------------------------------------------------
    // S3 execute: key-independent functions; key functions are deferred.
    // ---------------------------------------------------------------------
    reg [15:0] ex_val;
    reg [1:0]  ex_kop;

    always @* begin
        ex_val = s2_data;
        ex_kop = KOP_NONE;
        if (s2_set) begin
            ex_kop = KOP_SET;
        end else begin
            case (s2_fn)
                FN_PASS: ex_val = s2_data;
                FN_INC:  ex_val = s2_data + 16'd1;
                FN_NOT:  ex_val = ~s2_data;
                FN_SWAP: ex_val = {s2_data[7:0], s2_data[15:8]};
                FN_SHL:  ex_val = {s2_data[14:0], 1'b0};
                FN_SHR:  ex_val = {1'b0, s2_data[15:1]};
                FN_XORK: ex_kop = KOP_XOR;
                FN_ADDK: ex_kop = KOP_ADD;
            endcase
        end
    end

    // ---------------------------------------------------------------------
    // S4 commit: apply the key operation
    // ---------------------------------------------------------------------
    reg [15:0] cm_data;

    always @* begin
        case (s3_kop)
            KOP_NONE: cm_data = s3_val;
            KOP_XOR:  cm_data = s3_val ^ key;
            KOP_ADD:  cm_data = s3_val + key;
            KOP_SET:  cm_data = key;          // SETKEY returns the old key
        endcase
    end

    // ---------------------------------------------------------------------
    // Valid bits
    // ---------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            v1 <= 1'b0;
            v2 <= 1'b0;
            v3 <= 1'b0;
            v4 <= 1'b0;
        end else begin
            if (rdy4) v4 <= v3 && !flush;
            if (flush) begin
                v1 <= 1'b0;
                v2 <= 1'b0;
                v3 <= 1'b0;
            end else begin
                if (rdy3) v3 <= v2;
                if (rdy2) v2 <= v1;
                if (rdy1) v1 <= in_valid;
            end
        end
    end

    // ---------------------------------------------------------------------
    // Payload registers: load only on a real transfer into the stage.
    // ---------------------------------------------------------------------
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            s1_op      <= 8'h00;
            s1_data    <= 16'h0000;
            s2_fn      <= FN_PASS;
            s2_set     <= 1'b0;
            s2_data    <= 16'h0000;
            s3_kop     <= KOP_NONE;
            s3_val     <= 16'h0000;
            s4_special <= 1'b0;
            s4_data    <= 16'h0000;
            key        <= 16'h0000;
        end else begin
            if (in_valid && in_ready) begin
                s1_op   <= in_op;
                s1_data <= in_data;
            end
            if (v1 && rdy2) begin
                s2_fn   <= s1_op[2:0];
                s2_set  <= (s1_op == OP_SETKEY);
                s2_data <= s1_data;
            end
            if (v2 && rdy3) begin
                s3_kop <= ex_kop;
                s3_val <= ex_val;
            end
            if (v3 && rdy4 && !flush) begin
                s4_data    <= cm_data;
                s4_special <= (s3_kop == KOP_SET);
                if (s3_kop == KOP_SET) begin
                    key <= s3_val;
                end
            end
        end
    end

endmodule
