// A register whose features are chosen by parameters: INVERT selects an inverting data path, PARITY
// (without INVERT) adds a parity output, DEBUG a sticky debug flag. Each parameter set of llm4cov.toml
// reaches only its own branches, together they cover more than either; no set turns DEBUG on, so its
// branch is what no configuration can reach. `spare` is tied off: its toggles are proven unreachable.
module param_gate #(
    parameter INVERT = 0,
    parameter PARITY = 0,
    parameter DEBUG = 0,
    parameter WIDTH = 4
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire             en,
    input  wire [WIDTH-1:0] d,
    output reg  [WIDTH-1:0] q,
    output reg              par,
    output reg              dbg,
    output wire [1:0]       spare
);
    assign spare = 2'b00;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            q   <= {WIDTH{1'b0}};
            par <= 1'b0;
            dbg <= 1'b0;
        end else if (en) begin
            if (INVERT == 1) begin
                q <= ~d;
            end else begin
                q <= d;
            end
            if (PARITY && !INVERT) begin
                par <= ^d;
            end
            if (DEBUG) begin
                dbg <= 1'b1;
            end
        end
    end
endmodule
