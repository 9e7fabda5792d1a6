// ============================================================================
// tag_cache -- 4-way fully associative tag store with a miss-stream detector
// ----------------------------------------------------------------------------
// Four entries, each a 12-bit tag, 8 bits of data and a valid bit, any tag in
// any way. One request per cycle while req_ready is high:
//
//   op 0 LOOKUP  hit: data returned, way marked recently used, hit counted.
//                miss: counted; the tag waits for its data (req_ready low)
//                until fill_valid, which installs it in the first invalid
//                way, or when full in the pseudo-LRU way (an eviction).
//   op 1 PROBE   hit/miss and data only: no replacement state, no counters.
//   op 2 INVAL   the matching entry (if any) becomes invalid.
//   op 3 FLUSH   every entry becomes invalid.
//
// Every request answers one cycle later on rsp_* with the lookup result of
// req_tag as the table was before the request.
//
// Stream detector: LOOKUP misses whose tags step by the same non-zero
// stride, four in a row (three equal strides), raise a prefetch hint for the
// next tag of the stream (pf_valid, pf_tag, pf_stride); each further miss
// that keeps the stride raises another. Reset is asynchronous, active low.
// ============================================================================
module tag_cache (
    input  wire        clk,          // clock, rising edge
    input  wire        rst_n,        // asynchronous reset, active low
    // requests
    input  wire        req_valid,    // a request is presented (taken when req_ready)
    input  wire [1:0]  req_op,       // 0 LOOKUP, 1 PROBE, 2 INVAL, 3 FLUSH
    input  wire [11:0] req_tag,      // tag to look up / invalidate
    output wire        req_ready,    // no miss is waiting for its fill
    output reg         rsp_valid,    // one cycle: response to the request of the previous cycle
    output reg         rsp_hit,      // req_tag was present
    output reg  [1:0]  rsp_way,      // the way it was in (0 on a miss)
    output reg  [7:0]  rsp_data,     // its data (0 on a miss)
    // fills
    input  wire        fill_valid,   // data for the waiting miss (ignored when none waits)
    input  wire [7:0]  fill_data,
    output reg         evict_valid,  // one cycle: a valid entry was replaced
    output reg  [11:0] evict_tag,    // the tag it held
    // status
    output wire        full,         // all four ways valid
    output reg  [7:0]  hit_cnt,      // LOOKUP hits, wraps
    output reg  [7:0]  miss_cnt,     // LOOKUP misses, wraps
    output reg  [7:0]  evict_cnt,    // evictions, wraps
    output reg         pf_valid,     // one cycle: prefetch hint on pf_tag
    output reg  [11:0] pf_tag,       // next tag of the detected stream
    output reg  [11:0] pf_stride,    // its stride (modulo 4096)
    output reg  [7:0]  stream_cnt    // prefetch hints given, wraps
);

    localparam [1:0] OP_LOOKUP = 2'd0,
                     OP_PROBE  = 2'd1,
                     OP_INVAL  = 2'd2,
                     OP_FLUSH  = 2'd3;

    reg [47:0] tags;       // way w: tags[w*12 +: 12]
    reg [31:0] datas;      // way w: datas[w*8 +: 8]
    reg [3:0]  vld;
    reg [2:0]  plru;       // [0]: victim half (1 = ways 2/3); [1]: victim in 0/1; [2]: victim in 2/3
    reg        waiting;    // a LOOKUP missed; pend_tag waits for fill_valid
    reg [11:0] pend_tag;
    reg [11:0] last_miss;  // stream detector: tag of the previous miss
    reg [11:0] stride;     //   and the step that led to it
    reg [1:0]  run;        //   equal strides in a row (saturates at 2)

    // ------------------------------------------------------------ lookup
    wire [3:0] match = {vld[3] & (tags[47:36] == req_tag),
                        vld[2] & (tags[35:24] == req_tag),
                        vld[1] & (tags[23:12] == req_tag),
                        vld[0] & (tags[11:0]  == req_tag)};
    wire       hit      = |match;
    wire [1:0] hit_way  = {match[3] | match[2], match[3] | match[1]};
    wire       take     = req_valid & ~waiting;
    wire       lookup   = take & (req_op == OP_LOOKUP);
    wire       fill     = waiting & fill_valid;

    assign req_ready = ~waiting;
    assign full      = &vld;

    // ------------------------------------------------------- replacement
    wire [1:0] free_way = ~vld[0] ? 2'd0 : ~vld[1] ? 2'd1 : ~vld[2] ? 2'd2 : 2'd3;
    wire [1:0] lru_way  = plru[0] ? {1'b1, plru[2]} : {1'b0, plru[1]};
    wire [1:0] victim   = full ? lru_way : free_way;
    wire [1:0] used_way = fill ? victim : hit_way;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            plru <= 3'b000;
        end else if (fill || (lookup && hit)) begin
            plru[0] <= ~used_way[1];                  // point away from the used half
            if (used_way[1])
                plru[2] <= ~used_way[0];
            else
                plru[1] <= ~used_way[0];
        end
    end

    // ----------------------------------------------------------- storage
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            tags     <= 48'd0;
            datas    <= 32'd0;
            vld      <= 4'd0;
            waiting  <= 1'b0;
            pend_tag <= 12'd0;
        end else if (fill) begin
            tags[victim*12 +: 12] <= pend_tag;
            datas[victim*8 +: 8]  <= fill_data;
            vld[victim]           <= 1'b1;
            waiting               <= 1'b0;
        end else if (take) begin
            case (req_op)
                OP_LOOKUP: begin
                    waiting  <= ~hit;
                    pend_tag <= req_tag;
                end
                OP_PROBE:  ;
                OP_INVAL:  vld <= vld & ~match;
                default:   vld <= 4'd0;            // OP_FLUSH
            endcase
        end
    end

    // ---------------------------------------------- responses and counters
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            rsp_valid   <= 1'b0;
            rsp_hit     <= 1'b0;
            rsp_way     <= 2'd0;
            rsp_data    <= 8'd0;
            evict_valid <= 1'b0;
            evict_tag   <= 12'd0;
            hit_cnt     <= 8'd0;
            miss_cnt    <= 8'd0;
            evict_cnt   <= 8'd0;
        end else begin
            rsp_valid   <= take;
            evict_valid <= fill & full;
            if (take) begin
                rsp_hit  <= hit;
                rsp_way  <= hit_way;
                rsp_data <= hit ? datas[hit_way*8 +: 8] : 8'd0;
            end
            if (lookup) begin
                if (hit)
                    hit_cnt <= hit_cnt + 1'b1;
                else
                    miss_cnt <= miss_cnt + 1'b1;
            end
            if (fill && full) begin
                evict_tag <= tags[victim*12 +: 12];
                evict_cnt <= evict_cnt + 1'b1;
            end
        end
    end

    // ---------------------------------------------------- stream detector
    wire [11:0] step      = req_tag - last_miss;
    wire        same_step = (step == stride) && (step != 12'd0);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            last_miss  <= 12'd0;
            stride     <= 12'd0;
            run        <= 2'd0;
            pf_valid   <= 1'b0;
            pf_tag     <= 12'd0;
            pf_stride  <= 12'd0;
            stream_cnt <= 8'd0;
        end else begin
            pf_valid <= 1'b0;
            if (lookup && !hit) begin
                last_miss <= req_tag;
                stride    <= step;
                if (!same_step) begin
                    run <= 2'd0;
                end else begin
                    if (run != 2'd2)
                        run <= run + 1'b1;
                    if (run != 2'd0) begin              // third equal stride or later
                        pf_valid   <= 1'b1;
                        pf_tag     <= req_tag + step;
                        pf_stride  <= step;
                        stream_cnt <= stream_cnt + 1'b1;
                    end
                end
            end
        end
    end

endmodule
