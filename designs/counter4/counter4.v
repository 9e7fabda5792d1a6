// 4-bit up counter with synchronous enable, synchronous clear and a wrap flag.
module counter4 (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       en,
    input  wire       clr,
    output reg  [3:0] count,
    output wire       wrap
);
    assign wrap = en && (count == 4'hF);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            count <= 4'd0;
        end else if (clr) begin
            count <= 4'd0;
        end else if (en) begin
            count <= count + 4'd1;
        end
    end
endmodule
