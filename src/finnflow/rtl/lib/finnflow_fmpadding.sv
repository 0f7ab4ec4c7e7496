// finnflow_fmpadding: zero border around a stream of images.
// Input: the pixels of IFM_H x IFM_W images in raster order, each as C/SIMD words of SIMD
// elements of BITS (lane s in bits [s*BITS +: BITS] is channel cf*SIMD + s). Output: the
// (PAD_T + IFM_H + PAD_B) x (PAD_L + IFM_W + PAD_R) padded images, same word layout, zero
// words in the border. One output word per cycle: an inner word passes the input word through
// to the output slice (finnflow_skid), a border word needs no input, except that an image
// starts only once its first input word is there (so nothing of an image leaves before it
// arrives). s_axis_tready depends on registers only.
module finnflow_fmpadding #(
    parameter IFM_H = 4,
    parameter IFM_W = 4,
    parameter C     = 1,
    parameter SIMD  = 1,
    parameter PAD_T = 1,
    parameter PAD_L = 1,
    parameter PAD_B = 1,
    parameter PAD_R = 1,
    parameter BITS  = 8
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [SIMD*BITS-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    output wire [SIMD*BITS-1:0] m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready
);
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (SIMD < 1 || C < 1 || C % SIMD != 0) begin : g_chk_simd
      finnflow_param_error #(.MSG("finnflow_fmpadding: C must be a multiple of SIMD")) u_error ();
    end
    if (IFM_H < 1 || IFM_W < 1 || BITS < 1) begin : g_chk_size
      finnflow_param_error #(
          .MSG("finnflow_fmpadding: IFM_H, IFM_W and BITS must be at least 1")
      ) u_error ();
    end
    if (PAD_T < 0 || PAD_L < 0 || PAD_B < 0 || PAD_R < 0) begin : g_chk_pad
      finnflow_param_error #(
          .MSG("finnflow_fmpadding: PAD_T, PAD_L, PAD_B and PAD_R must not be negative")
      ) u_error ();
    end
  endgenerate

  localparam CF = C / SIMD;
  localparam WW = SIMD * BITS;
  localparam OFM_H = PAD_T + IFM_H + PAD_B;
  localparam OFM_W = PAD_L + IFM_W + PAD_R;
  localparam CB = (CF > 1) ? $clog2(CF) : 1;
  localparam XB = (OFM_W > 1) ? $clog2(OFM_W) : 1;
  localparam YB = (OFM_H > 1) ? $clog2(OFM_H) : 1;
  localparam [CB-1:0] CF_LAST = CB'(CF - 1);
  localparam [XB-1:0] X_LAST = XB'(OFM_W - 1);
  localparam [YB-1:0] Y_LAST = YB'(OFM_H - 1);
  // the inner region starts after column X_IN (row Y_IN) and ends after X_OUT (Y_OUT)
  localparam [XB-1:0] X_IN = XB'(PAD_L > 0 ? PAD_L - 1 : 0);
  localparam [XB-1:0] X_OUT = XB'(PAD_L + IFM_W - 1);
  localparam [YB-1:0] Y_IN = YB'(PAD_T > 0 ? PAD_T - 1 : 0);
  localparam [YB-1:0] Y_OUT = YB'(PAD_T + IFM_H - 1);

  wire en;  // the output slice can accept
  reg [CB-1:0] cf;
  reg [XB-1:0] x;
  reg [YB-1:0] y;
  reg xin, yin;  // column / row of the input image
  reg busy;  // the image has started
  wire inner = xin && yin;
  wire o_valid = inner ? s_axis_tvalid : (busy || s_axis_tvalid);
  wire last = (cf == CF_LAST) && (x == X_LAST) && (y == Y_LAST);
  wire step = en && o_valid;
  assign s_axis_tready = en && inner;

  always @(posedge ap_clk) begin
    if (rst) begin
      cf   <= {CB{1'b0}};
      x    <= {XB{1'b0}};
      y    <= {YB{1'b0}};
      xin  <= PAD_L == 0;
      yin  <= PAD_T == 0;
      busy <= 1'b0;
    end else if (step) begin
      busy <= !last;
      cf   <= (cf == CF_LAST) ? {CB{1'b0}} : cf + 1'b1;
      if (cf == CF_LAST) begin
        if (x == X_LAST) begin
          x   <= {XB{1'b0}};
          xin <= PAD_L == 0;
          if (y == Y_LAST) begin
            y   <= {YB{1'b0}};
            yin <= PAD_T == 0;
          end else begin
            y <= y + 1'b1;
            if (PAD_T > 0 && y == Y_IN) yin <= 1'b1;
            if (PAD_B > 0 && y == Y_OUT) yin <= 1'b0;
          end
        end else begin
          x <= x + 1'b1;
          if (PAD_L > 0 && x == X_IN) xin <= 1'b1;
          if (PAD_R > 0 && x == X_OUT) xin <= 1'b0;
        end
      end
    end
  end

  finnflow_skid #(
      .WIDTH(WW)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (inner ? s_axis_tdata : {WW{1'b0}}),
      .s_axis_tvalid(o_valid),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
