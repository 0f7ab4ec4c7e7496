// label_select: streaming top-1 (argmax) over NUM_LABELS values arriving PE per word
// (lane p in bits [p*IBITS +: IBITS], label index = word*PE + p). Emits one OBITS-wide word
// holding the index of the maximum per vector; ties resolve to the lowest index (numpy argmax).
/* verilator lint_off WIDTH */
module label_select #(
    parameter NUM_LABELS = 10,
    parameter PE         = 1,
    parameter IBITS      = 8,
    parameter ISIGNED    = 1,
    parameter OBITS      = (NUM_LABELS > 1) ? $clog2(NUM_LABELS) : 1
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire [PE*IBITS-1:0] s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    output wire [   OBITS-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready
);
  localparam NW = NUM_LABELS / PE;  // words per vector
  localparam NWB = (NW > 1) ? $clog2(NW) : 1;
  localparam IXB = (NUM_LABELS > 1) ? $clog2(NUM_LABELS) + 1 : 2;  // index width (headroom)
  localparam [NWB-1:0] NW_LAST = NW - 1;

  wire en;  // output skid buffer can accept
  wire step = en && s_axis_tvalid;
  assign s_axis_tready = en;

  reg [NWB-1:0] widx;
  reg signed [IBITS:0] best_v;
  reg [IXB-1:0] best_i;

  // best of the current word merged with the running best (strict '>' keeps the lower index)
  reg signed [IBITS:0] cand_v, lane_v;
  reg [IXB-1:0] cand_i;
  integer p;
  always @* begin
    cand_v = ISIGNED ? {s_axis_tdata[IBITS-1], s_axis_tdata[IBITS-1:0]}
                     : {1'b0, s_axis_tdata[IBITS-1:0]};
    cand_i = widx * PE;
    for (p = 1; p < PE; p = p + 1) begin
      lane_v = ISIGNED ? {s_axis_tdata[p*IBITS+IBITS-1], s_axis_tdata[p*IBITS+:IBITS]}
                       : {1'b0, s_axis_tdata[p*IBITS+:IBITS]};
      if (lane_v > cand_v) begin
        cand_v = lane_v;
        cand_i = widx * PE + p;
      end
    end
    if (widx != 0 && !(cand_v > best_v)) begin
      cand_v = best_v;
      cand_i = best_i;
    end
  end

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      widx <= 0;
    end else if (step) begin
      widx   <= (widx == NW_LAST) ? {NWB{1'b0}} : widx + 1'b1;
      best_v <= cand_v;
      best_i <= cand_i;
    end
  end

  wire [OBITS+IXB-1:0] res_x = {{OBITS{1'b0}}, cand_i};
  wire [OBITS-1:0] res = res_x[OBITS-1:0];
  skid #(
      .WIDTH(OBITS)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (res),
      .s_axis_tvalid(s_axis_tvalid && (widx == NW_LAST)),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
/* verilator lint_on WIDTH */
