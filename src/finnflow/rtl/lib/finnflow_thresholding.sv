// finnflow_thresholding: standalone streaming multi-threshold activation.
// Input word: PE elements of IBITS (lane p in bits [p*IBITS +: IBITS]) for channels cf*PE+p,
// cf = 0..C/PE-1 cycling. Output word: PE elements of OBITS,
// out = ACT_VAL + #{t : x >= T[ch][t]}.
// Threshold memory: depth C/PE, word PE*N_THRES*TBITS, bits [(p*N_THRES+t)*TBITS +: TBITS]
// = T[cf*PE+p][t], ascending in t; TBITS/TSIGNED default to the input's IBITS/ISIGNED and
// are wider where a threshold lies outside the input range (a step that never fires).
// Pipeline: input register + threshold read -> compare and count, then the output slice
// (finnflow_skid with its input register). All stages advance on the slice's ready.
module finnflow_thresholding #(
    parameter C           = 4,
    parameter PE          = 1,
    parameter IBITS       = 8,
    parameter ISIGNED     = 1,
    parameter N_THRES     = 1,
    parameter OBITS       = 1,
    parameter ACT_VAL     = 0,
    parameter THRESH_FILE = "",
    parameter RAM_STYLE   = "distributed",  // thresholds: "distributed", "block" or "auto"
    parameter TBITS       = IBITS,
    parameter TSIGNED     = ISIGNED
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire [PE*IBITS-1:0] s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    output wire [PE*OBITS-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready
);
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error); the widths,
  // N_THRES and the output range are checked in finnflow_thresh_act
  generate
    if (PE < 1 || C < 1 || C % PE != 0) begin : g_chk_pe
      finnflow_param_error #(.MSG("finnflow_thresholding: C must be a multiple of PE")) u_error ();
    end
  endgenerate

  localparam CF = C / PE;
  localparam CFB = (CF > 1) ? $clog2(CF) : 1;
  localparam TW = PE * N_THRES * TBITS;
  localparam [CFB-1:0] CF_LAST = CFB'(CF - 1);

  // The thresholds are a ROM, which Vivado places by rom_style. Yosys has no LUT-RAM cell for a
  // ROM (its LUT RAMs need a write port): there a distributed ROM is built as logic, in LUTs,
  // as Vivado builds it. Only an attribute reads ROM_STYLE, and Verilator reads none.
`ifdef YOSYS
  localparam ROM_STYLE = (RAM_STYLE == "distributed") ? "logic" : RAM_STYLE;
`else
  /* verilator lint_off UNUSEDPARAM */
  localparam ROM_STYLE = RAM_STYLE;
  /* verilator lint_on UNUSEDPARAM */
`endif
  (* rom_style = ROM_STYLE *) reg [TW-1:0] tmem[0:CF-1];
  generate
    if (THRESH_FILE != "") begin : g_tinit
      initial $readmemh(THRESH_FILE, tmem);
    end
  endgenerate

  wire en;  // pipeline advance: the output slice can accept
  wire step = en && s_axis_tvalid;
  assign s_axis_tready = en;

  reg [CFB-1:0] cf;
  always @(posedge ap_clk) begin
    if (rst) cf <= {CFB{1'b0}};
    else if (step) cf <= (cf == CF_LAST) ? {CFB{1'b0}} : cf + 1'b1;
  end

  // stage 1: register input, read thresholds
  reg                v1;
  reg [PE*IBITS-1:0] x1;
  reg [      TW-1:0] t1;
  always @(posedge ap_clk) begin
    if (rst) v1 <= 1'b0;
    else if (en) v1 <= step;
    if (step) begin
      x1 <= s_axis_tdata;
      t1 <= tmem[cf];
    end
  end

  // stage 2: compare and count
  wire [PE*OBITS-1:0] act_c;
  finnflow_thresh_act #(
      .PE(PE),
      .VBITS(IBITS),
      .VSIGNED(ISIGNED),
      .N_THRES(N_THRES),
      .OBITS(OBITS),
      .ACT_VAL(ACT_VAL),
      .TBITS(TBITS),
      .TSIGNED(TSIGNED)
  ) u_act (
      .v  (x1),
      .thr(t1),
      .o  (act_c)
  );

  finnflow_skid #(
      .WIDTH (PE * OBITS),
      .IN_REG(1)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (act_c),
      .s_axis_tvalid(v1),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
