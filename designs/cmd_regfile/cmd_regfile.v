/*
 * cmd_regfile - eight 8-bit registers behind a byte-serial command port
 *
 * Commands (one byte per cycle with cmd_valid high):
 *
 *     read   : 0x01 | ADDR | SUM
 *     write  : 0x02 | ADDR | DATA | SUM
 *     unlock : 0x03 | KEY0 | KEY1 | SUM
 *
 * SUM makes the XOR of all bytes of the command, SUM included, zero. Every
 * command ends with a response (resp_valid pulse, resp_data, resp_err). An
 * unknown opcode is answered at once; the next byte starts a new command.
 * Registers 4 to 7 are write protected: an unlock command with the keys
 * 0xA5 then 0x5A opens them for one write, or until UNLOCK_CYCLES cycles have
 * passed. Reads are never protected.
 */
module cmd_regfile #(
    parameter UNLOCK_CYCLES = 200          // cycles the protection stays off, at most 255
) (
    input  wire       clk,
    input  wire       rst_n,        // async, low
    input  wire       cmd_valid,    // command byte strobe
    input  wire [7:0] cmd_byte,
    output reg        resp_valid,   // pulse after the last byte of a command
    output reg  [7:0] resp_data,    // register read, or value written
    output reg  [3:0] resp_err,     // {addr, prot, sum, opcode}, 0 = done
    output reg        unlocked,     // protection of registers 4-7 is off
    output wire       busy          // inside a command
);

    localparam [7:0] OP_READ   = 8'h01,
                     OP_WRITE  = 8'h02,
                     OP_UNLOCK = 8'h03;
    localparam [15:0] KEY      = 16'hA55A;
    localparam [7:0] UNLOCK_LAST = UNLOCK_CYCLES - 1;

    localparam [3:0] E_NONE = 4'b0000,
                     E_OP   = 4'b0001,
                     E_SUM  = 4'b0010,
                     E_PROT = 4'b0100,
                     E_ADDR = 4'b1000;

    localparam [2:0] S_OP   = 3'd0,
                     S_ADDR = 3'd1,
                     S_DATA = 3'd2,
                     S_KEY0 = 3'd3,
                     S_KEY1 = 3'd4,
                     S_SUM  = 3'd5;

    reg  [2:0]  state;
    reg  [1:0]  op;          // 1 read, 2 write, 3 unlock
    reg  [7:0]  addr_q;
    reg  [7:0]  data_q;
    reg  [15:0] key_q;       // key bytes, first in the high byte
    reg  [7:0]  sum;         // XOR of the bytes so far
    reg  [7:0]  timer;       // cycles of unlock left
    reg  [7:0]  regs [0:7];
    integer     i;

    wire [7:0] sum_next = sum ^ cmd_byte;
    wire       addr_ok  = (addr_q[7:3] == 5'd0);

    assign busy = (state != S_OP);

    task automatic respond(input [3:0] err, input [7:0] data);
        begin
            resp_valid <= 1'b1;
            resp_err   <= err;
            resp_data  <= data;
        end
    endtask

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state      <= S_OP;
            op         <= 2'd0;
            addr_q     <= 8'd0;
            data_q     <= 8'd0;
            key_q      <= 16'd0;
            sum        <= 8'd0;
            timer      <= 8'd0;
            unlocked   <= 1'b0;
            resp_valid <= 1'b0;
            resp_data  <= 8'd0;
            resp_err   <= E_NONE;
            for (i = 0; i < 8; i = i + 1) regs[i] <= 8'd0;
        end else begin
            resp_valid <= 1'b0;
            if (unlocked) begin
                if (timer == 8'd0) unlocked <= 1'b0;
                else               timer    <= timer - 8'd1;
            end
            if (cmd_valid) begin
                sum <= sum_next;
                case (state)
                    S_OP: begin
                        op  <= cmd_byte[1:0];
                        sum <= cmd_byte;
                        if (cmd_byte == OP_READ || cmd_byte == OP_WRITE) state <= S_ADDR;
                        else if (cmd_byte == OP_UNLOCK)                   state <= S_KEY0;
                        else respond(E_OP, 8'd0);
                    end
                    S_ADDR: begin
                        addr_q <= cmd_byte;
                        state  <= (op == 2'd2) ? S_DATA : S_SUM;
                    end
                    S_DATA: begin
                        data_q <= cmd_byte;
                        state  <= S_SUM;
                    end
                    S_KEY0, S_KEY1: begin
                        key_q <= {key_q[7:0], cmd_byte};
                        state <= (state == S_KEY0) ? S_KEY1 : S_SUM;
                    end
                    default: begin   // S_SUM
                        state <= S_OP;
                        if (sum_next != 8'h00) begin
                            respond(E_SUM, 8'd0);
                        end else if (op == 2'd3) begin
                            if (key_q == KEY) begin
                                unlocked <= 1'b1;
                                timer    <= UNLOCK_LAST;
                                respond(E_NONE, 8'd0);
                            end else begin
                                respond(E_PROT, 8'd0);
                            end
                        end else if (!addr_ok) begin
                            respond(E_ADDR, 8'd0);
                        end else if (op == 2'd1) begin
                            respond(E_NONE, regs[addr_q[2:0]]);
                        end else if (addr_q[2] && !unlocked) begin
                            respond(E_PROT, 8'd0);
                        end else begin
                            regs[addr_q[2:0]] <= data_q;
                            if (addr_q[2]) unlocked <= 1'b0;   // one protected write per unlock
                            respond(E_NONE, data_q);
                        end
                    end
                endcase
            end
        end
    end

endmodule
