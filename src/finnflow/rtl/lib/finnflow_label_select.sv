// finnflow_label_select: streaming top-1 (argmax) over NUM_LABELS values arriving PE per word
// (lane p in bits [p*IBITS +: IBITS], label index = word*PE + p). Emits one OBITS-wide word
// holding the index of the maximum per vector; ties resolve to the lowest index (numpy argmax).
// The result of a vector's last word goes straight into the output slice (finnflow_skid).
module finnflow_label_select #(
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
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (PE < 1 || NUM_LABELS < 1 || NUM_LABELS % PE != 0) begin : g_chk_pe
      finnflow_param_error #(
          .MSG("finnflow_label_select: NUM_LABELS must be a multiple of PE")
      ) u_error ();
    end
    if (IBITS < 1) begin : g_chk_ibits
      finnflow_param_error #(.MSG("finnflow_label_select: IBITS must be at least 1")) u_error ();
    end
    if (OBITS < 1 || (NUM_LABELS > 1 && OBITS < $clog2(NUM_LABELS))) begin : g_chk_obits
      finnflow_param_error #(
          .MSG("finnflow_label_select: OBITS must hold NUM_LABELS - 1")
      ) u_error ();
    end
  endgenerate

  localparam NW = NUM_LABELS / PE;  // words per vector
  localparam NWB = (NW > 1) ? $clog2(NW) : 1;
  localparam VB = IBITS + 1;  // values sign- or zero-extended: one signed compare for both
  localparam [NWB-1:0] NW_LAST = NWB'(NW - 1);

  wire en;  // the output slice can accept
  wire step = en && s_axis_tvalid;
  assign s_axis_tready = en;

  reg [NWB-1:0] widx;
  reg signed [VB-1:0] best_v;
  reg [OBITS-1:0] best_i;

  // index of the word's lane 0
  wire [OBITS-1:0] base;
  generate
    if (NW > 1) begin : g_base
      localparam [OBITS-1:0] PE_O = OBITS'(PE);
      assign base = {{(OBITS - NWB) {1'b0}}, widx} * PE_O;
    end else begin : g_base0
      assign base = {OBITS{1'b0}};
    end
  endgenerate

  // best of the word's lanes, scanned from lane 0 (strict '>' keeps the lower index)
  reg signed [VB-1:0] word_v, lane_v;
  reg [OBITS-1:0] word_i;
  integer p;
  always @* begin
    word_v = {ISIGNED != 0 && s_axis_tdata[IBITS-1], s_axis_tdata[IBITS-1:0]};
    word_i = base;
    for (p = 1; p < PE; p = p + 1) begin
      lane_v = {ISIGNED != 0 && s_axis_tdata[p*IBITS+IBITS-1], s_axis_tdata[p*IBITS+:IBITS]};
      if (lane_v > word_v) begin
        word_v = lane_v;
        word_i = base + OBITS'(p);
      end
    end
  end

  // merged with the running best of the vector's earlier words
  wire keep = (widx != {NWB{1'b0}}) && !(word_v > best_v);
  wire signed [VB-1:0] cand_v = keep ? best_v : word_v;
  wire [OBITS-1:0] cand_i = keep ? best_i : word_i;

  always @(posedge ap_clk) begin
    if (rst) begin
      widx <= {NWB{1'b0}};
    end else if (step) begin
      widx   <= (widx == NW_LAST) ? {NWB{1'b0}} : widx + 1'b1;
      best_v <= cand_v;
      best_i <= cand_i;
    end
  end

  finnflow_skid #(
      .WIDTH(OBITS)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (cand_i),
      .s_axis_tvalid(s_axis_tvalid && (widx == NW_LAST)),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
