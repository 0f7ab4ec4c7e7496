// finnflow_swg_parallel: sliding-window generator (im2col) that emits a whole window per word
// (FINN's parallel_window), one input pixel accepted per cycle.
// Input: the pixels of IFM_H x IFM_W images in raster order, one word of C elements of BITS
// each (lane c in bits [c*BITS +: BITS]). Output: for each output pixel (oy, ox) in raster
// order, OFM = (IFM - K) / S + 1 of them per dimension, one word holding its K_H x K_W window,
// element (ky, kx, c) in bits [((ky*K_W + kx)*C + c)*BITS +: BITS]: pixel
// (oy*S_H + ky, ox*S_W + kx).
// Structure: a line buffer of K_H - 1 image rows, one memory of IFM_W entries (RAM_STYLE), entry
// x holding column x of the last K_H - 1 rows; it is read one column ahead into a register, so
// the column under the input pixel is that register plus the pixel, and written back shifted up
// by one row. The column shifts into a K_H x K_W register window, which is the output register:
// a window is valid after the pixel at its bottom-right corner was taken. Every accepted pixel
// moves the buffer and the window, so a pixel is taken when the window is free or being read;
// images stream back to back at IFM_H * IFM_W cycles each.
// Pipeline: input slice (finnflow_skid, so s_axis_tready depends on registers only) -> line
// buffer and window, advancing on m_axis_tready or an empty window.
module finnflow_swg_parallel #(
    parameter IFM_H     = 4,
    parameter IFM_W     = 4,
    parameter C         = 1,
    parameter K_H       = 3,
    parameter K_W       = 3,
    parameter S_H       = 1,
    parameter S_W       = 1,
    parameter BITS      = 8,
    // used only in a ram_style attribute, which Verilator does not read
    /* verilator lint_off UNUSEDPARAM */
    parameter RAM_STYLE = "distributed"
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire                        ap_clk,
    input  wire                        ap_rst_n,
    input  wire [C*BITS-1:0]           s_axis_tdata,
    input  wire                        s_axis_tvalid,
    output wire                        s_axis_tready,
    output wire [K_H*K_W*C*BITS-1:0] m_axis_tdata,
    output wire                        m_axis_tvalid,
    input  wire                        m_axis_tready
);
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (C < 1) begin : g_chk_c
      finnflow_param_error #(.MSG("finnflow_swg_parallel: C must be at least 1")) u_error ();
    end
    if (K_H < 1 || K_W < 1 || K_H > IFM_H || K_W > IFM_W) begin : g_chk_kernel
      finnflow_param_error #(
          .MSG("finnflow_swg_parallel: K_H and K_W must be at least 1 and at most IFM_H and IFM_W")
      ) u_error ();
    end
    if (S_H < 1 || S_W < 1) begin : g_chk_stride
      finnflow_param_error #(
          .MSG("finnflow_swg_parallel: S_H and S_W must be at least 1")
      ) u_error ();
    end
    if (BITS < 1) begin : g_chk_bits
      finnflow_param_error #(.MSG("finnflow_swg_parallel: BITS must be at least 1")) u_error ();
    end
  endgenerate

  localparam PW = C * BITS;  // a pixel
  localparam XB = (IFM_W > 1) ? $clog2(IFM_W) : 1;
  localparam YB = (IFM_H > 1) ? $clog2(IFM_H) : 1;
  localparam CB = (K_W > S_W) ? ((K_W > 1) ? $clog2(K_W) : 1) : ((S_W > 1) ? $clog2(S_W) : 1);
  localparam RB = (K_H > S_H) ? ((K_H > 1) ? $clog2(K_H) : 1) : ((S_H > 1) ? $clog2(S_H) : 1);
  localparam [XB-1:0] W_LAST = XB'(IFM_W - 1);
  localparam [YB-1:0] H_LAST = YB'(IFM_H - 1);
  localparam [CB-1:0] KW_LAST = CB'(K_W - 1);
  localparam [CB-1:0] SW_LAST = CB'(S_W - 1);
  localparam [RB-1:0] KH_LAST = RB'(K_H - 1);
  localparam [RB-1:0] SH_LAST = RB'(S_H - 1);

  // input slice
  wire [PW-1:0] pix;
  wire pvalid, pready;
  finnflow_skid #(
      .WIDTH(PW)
  ) u_in (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (s_axis_tdata),
      .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready),
      .m_axis_tdata (pix),
      .m_axis_tvalid(pvalid),
      .m_axis_tready(pready)
  );

  reg ovalid;  // the window register holds a window not yet taken
  assign pready = !ovalid || m_axis_tready;
  wire step = pvalid && pready;

  // position of the pixel under the window's bottom-right corner; cx and cy count down the
  // columns and rows to the next window's (K - 1 at the start of a row or image, then S - 1)
  reg [XB-1:0] x;
  reg [YB-1:0] y;
  reg [CB-1:0] cx;
  reg [RB-1:0] cy;
  wire x_last = (x == W_LAST);
  wire y_last = (y == H_LAST);
  wire emit = (cx == {CB{1'b0}}) && (cy == {RB{1'b0}});

  always @(posedge ap_clk) begin
    if (rst) begin
      x      <= {XB{1'b0}};
      y      <= {YB{1'b0}};
      cx     <= KW_LAST;
      cy     <= KH_LAST;
      ovalid <= 1'b0;
    end else begin
      if (step) begin
        ovalid <= emit;
        x      <= x_last ? {XB{1'b0}} : x + 1'b1;
        if (x_last) cx <= KW_LAST;
        else cx <= (cx == {CB{1'b0}}) ? SW_LAST : cx - 1'b1;
        if (x_last) begin
          y <= y_last ? {YB{1'b0}} : y + 1'b1;
          if (y_last) cy <= KH_LAST;
          else cy <= (cy == {RB{1'b0}}) ? SH_LAST : cy - 1'b1;
        end
      end else if (m_axis_tready) ovalid <= 1'b0;
    end
  end

  // the column under the pixel: rows y - K_H + 1 .. y, lane ky in bits [ky*PW +: PW]
  wire [K_H*PW-1:0] column;
  generate
    if (K_H == 1) begin : g_no_lines
      assign column = pix;
    end else begin : g_lines
      localparam LW = (K_H - 1) * PW;
      reg [LW-1:0] above;  // column x of rows y - K_H + 1 .. y - 1
      assign column = {pix, above};
      if (IFM_W == 1) begin : g_regs
        always @(posedge ap_clk) if (step) above <= column[K_H*PW-1:PW];
      end else begin : g_mem
        (* ram_style = RAM_STYLE *) reg [LW-1:0] mem[0:IFM_W-1];
        wire [XB-1:0] x_next = x_last ? {XB{1'b0}} : x + 1'b1;
        always @(posedge ap_clk) begin
          if (step) mem[x] <= column[K_H*PW-1:PW];
        end
        always @(posedge ap_clk) begin
          if (step) above <= mem[x_next];
        end
      end
    end
  endgenerate

  // the window: row ky's K_W columns, the newest in the highest lane
  localparam RW = K_W * PW;
  reg  [K_H*RW-1:0] win;
  wire [K_H*RW-1:0] win_next;
  genvar ky;
  generate
    for (ky = 0; ky < K_H; ky = ky + 1) begin : g_win
      if (K_W == 1) begin : g_col
        assign win_next[ky*RW +: RW] = column[ky*PW +: PW];
      end else begin : g_shift
        assign win_next[ky*RW +: RW] = {column[ky*PW +: PW], win[ky*RW + PW +: RW - PW]};
      end
    end
  endgenerate
  always @(posedge ap_clk) if (step) win <= win_next;

  assign m_axis_tdata  = win;
  assign m_axis_tvalid = ovalid;
endmodule
