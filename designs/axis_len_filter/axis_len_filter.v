// ============================================================================
// axis_len_filter -- AXI4-Stream frame length policer with statistics
//
// * Frames pass from s_axis to m_axis through one register stage (full
//   throughput; s_axis_tready = !m_axis_tvalid || m_axis_tready).
// * A frame of fewer than MIN_LEN beats is a runt: it is forwarded, and
//   runt_cnt counts it.
// * A frame longer than MAX_LEN beats is truncated: its MAX_LEN-th beat is
//   forwarded with tlast set, the beats after it are accepted and dropped up
//   to the frame's own tlast, and trunc_cnt counts it.
// * Frames of MIN_LEN to MAX_LEN beats are good: good_cnt counts them, and
//   max_cnt counts those of exactly MAX_LEN beats.
// * last_len holds the length of the last frame that ended (its input
//   length, saturated at 255).  The counters wrap.
// ============================================================================
module axis_len_filter #(
    parameter MIN_LEN = 4,
    parameter MAX_LEN = 100
) (
    input  wire       aclk,
    input  wire       aresetn,
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    input  wire       s_axis_tlast,
    output reg  [7:0] m_axis_tdata,
    output reg        m_axis_tvalid,
    input  wire       m_axis_tready,
    output reg        m_axis_tlast,
    output reg  [7:0] last_len,
    output reg  [7:0] good_cnt,
    output reg  [3:0] runt_cnt,
    output reg  [3:0] trunc_cnt,
    output reg  [3:0] max_cnt
);

    reg  [7:0] beats;        // beats of the current frame before this one (saturating)
    reg        dropping;     // past MAX_LEN: accept and discard up to tlast

    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

    wire       s_xfer   = s_axis_tvalid && s_axis_tready;
    wire [7:0] len_now  = (beats == 8'hFF) ? 8'hFF : beats + 8'd1;   // including this beat
    wire       at_limit = (len_now == MAX_LEN);

    always @(posedge aclk or negedge aresetn) begin
        if (!aresetn) begin
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= 8'h00;
            m_axis_tlast  <= 1'b0;
        end else begin
            if (m_axis_tready)
                m_axis_tvalid <= 1'b0;
            if (s_xfer && !dropping) begin
                m_axis_tvalid <= 1'b1;
                m_axis_tdata  <= s_axis_tdata;
                m_axis_tlast  <= s_axis_tlast || at_limit;
            end
        end
    end

    always @(posedge aclk or negedge aresetn) begin
        if (!aresetn) begin
            beats     <= 8'd0;
            dropping  <= 1'b0;
            last_len  <= 8'd0;
            good_cnt  <= 8'd0;
            runt_cnt  <= 4'd0;
            trunc_cnt <= 4'd0;
            max_cnt   <= 4'd0;
        end else if (s_xfer) begin
            if (s_axis_tlast) begin
                beats    <= 8'd0;
                dropping <= 1'b0;
                last_len <= len_now;
                if (len_now < MIN_LEN)
                    runt_cnt <= runt_cnt + 4'd1;
                else if (len_now > MAX_LEN)
                    trunc_cnt <= trunc_cnt + 4'd1;
                else begin
                    good_cnt <= good_cnt + 8'd1;
                    if (at_limit)
                        max_cnt <= max_cnt + 4'd1;
                end
            end else begin
                beats <= len_now;
                if (at_limit)
                    dropping <= 1'b1;
            end
        end
    end

endmodule
