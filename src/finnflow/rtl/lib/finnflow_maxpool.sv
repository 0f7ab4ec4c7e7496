// finnflow_maxpool: streaming max pooling, K_H x K_W windows at stride K (floor mode).
// Input: the pixels of IFM_H x IFM_W images in raster order, each as C/PE words of PE elements
// of BITS (lane p in bits [p*BITS +: BITS] is channel cf*PE + p), two's complement if SIGNED.
// Output: the IFM_H/K_H x IFM_W/K_W pooled pixels in raster order, same word layout; rows and
// columns beyond the last whole window are consumed and dropped.
// The running maxima of one output row (IFM_W/K_W * C/PE words) live in a LUT RAM, read one
// cycle ahead; a word written in the cycle it is read again is forwarded. One input word per
// cycle. Pipeline: buffer read -> per-lane maximum, written back (and, at a window's last word,
// sent to the output slice, finnflow_skid); all stages advance on the slice's ready.
module finnflow_maxpool #(
    parameter IFM_H  = 4,
    parameter IFM_W  = 4,
    parameter C      = 1,
    parameter PE     = 1,
    parameter K_H    = 2,
    parameter K_W    = 2,
    parameter BITS   = 8,
    parameter SIGNED = 1
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire [PE*BITS-1:0] s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    output wire [PE*BITS-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready
);
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (PE < 1 || C < 1 || C % PE != 0) begin : g_chk_pe
      finnflow_param_error #(.MSG("finnflow_maxpool: C must be a multiple of PE")) u_error ();
    end
    if (K_H < 1 || K_W < 1 || K_H > IFM_H || K_W > IFM_W) begin : g_chk_kernel
      finnflow_param_error #(
          .MSG("finnflow_maxpool: K_H and K_W must be at least 1 and at most IFM_H and IFM_W")
      ) u_error ();
    end
    if (BITS < 1) begin : g_chk_bits
      finnflow_param_error #(.MSG("finnflow_maxpool: BITS must be at least 1")) u_error ();
    end
  endgenerate

  localparam CF = C / PE;
  localparam WW = PE * BITS;
  localparam OFM_H = IFM_H / K_H;
  localparam OFM_W = IFM_W / K_W;
  localparam DEPTH = OFM_W * CF;  // running maxima of one output row
  localparam AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam CB = (CF > 1) ? $clog2(CF) : 1;
  localparam XB = (IFM_W > 1) ? $clog2(IFM_W) : 1;
  localparam YB = (IFM_H > 1) ? $clog2(IFM_H) : 1;
  localparam KXB = (K_W > 1) ? $clog2(K_W) : 1;
  localparam KYB = (K_H > 1) ? $clog2(K_H) : 1;
  localparam [CB-1:0] CF_LAST = CB'(CF - 1);
  localparam [XB-1:0] W_LAST = XB'(IFM_W - 1);
  localparam [XB-1:0] X_DROP = XB'(OFM_W * K_W - 1);  // after it the columns are dropped
  localparam [YB-1:0] H_LAST = YB'(IFM_H - 1);
  localparam [YB-1:0] Y_DROP = YB'(OFM_H * K_H - 1);
  localparam [KXB-1:0] KX_LAST = KXB'(K_W - 1);
  localparam [KYB-1:0] KY_LAST = KYB'(K_H - 1);

  wire en;  // the output slice can accept
  wire step = en && s_axis_tvalid;
  assign s_axis_tready = en;

  // position of the input word
  reg [CB-1:0] cf;
  reg [XB-1:0] x;
  reg [YB-1:0] y;
  reg [KXB-1:0] kx;  // x mod K_W
  reg [KYB-1:0] ky;  // y mod K_H
  reg xdrop, ydrop;  // beyond the last whole window
  reg [AB-1:0] a, abase;  // buffer word of (x / K_W, cf); of (x / K_W, 0)
  wire cf_end = (cf == CF_LAST);
  wire x_end = cf_end && (x == W_LAST);

  always @(posedge ap_clk) begin
    if (rst) begin
      cf    <= {CB{1'b0}};
      x     <= {XB{1'b0}};
      y     <= {YB{1'b0}};
      kx    <= {KXB{1'b0}};
      ky    <= {KYB{1'b0}};
      xdrop <= 1'b0;
      ydrop <= 1'b0;
      a     <= {AB{1'b0}};
      abase <= {AB{1'b0}};
    end else if (step) begin
      cf <= cf_end ? {CB{1'b0}} : cf + 1'b1;
      if (!cf_end) a <= a + 1'b1;
      if (x_end) begin
        x     <= {XB{1'b0}};
        kx    <= {KXB{1'b0}};
        xdrop <= 1'b0;
        a     <= {AB{1'b0}};
        abase <= {AB{1'b0}};
        if (y == H_LAST) begin
          y     <= {YB{1'b0}};
          ky    <= {KYB{1'b0}};
          ydrop <= 1'b0;
        end else begin
          y  <= y + 1'b1;
          ky <= (ky == KY_LAST) ? {KYB{1'b0}} : ky + 1'b1;
          if (y == Y_DROP) ydrop <= 1'b1;
        end
      end else if (cf_end) begin
        x <= x + 1'b1;
        if (x == X_DROP) xdrop <= 1'b1;
        if (kx == KX_LAST) begin
          kx <= {KXB{1'b0}};
          if (!xdrop) begin
            a     <= a + 1'b1;
            abase <= a + 1'b1;
          end
        end else begin
          kx <= kx + 1'b1;
          a  <= abase;
        end
      end
    end
  end

  // stage 1: buffer word read (one cycle ahead of its write-back), input registered
  (* ram_style = "distributed" *) reg [WW-1:0] mem[0:DEPTH-1];
  reg v1, first1, last1, fwd1;
  reg [AB-1:0] a1;
  reg [WW-1:0] x1, r1, m_last;
  wire [WW-1:0] m;  // stage 2: the running maximum with the input word
  always @(posedge ap_clk) begin
    if (rst) v1 <= 1'b0;
    else if (en) v1 <= step && !xdrop && !ydrop;
    if (step) begin
      x1     <= s_axis_tdata;
      a1     <= a;
      r1     <= mem[a];
      first1 <= (kx == {KXB{1'b0}}) && (ky == {KYB{1'b0}});
      last1  <= (kx == KX_LAST) && (ky == KY_LAST);
      fwd1   <= v1 && (a1 == a);  // stage 2 writes back the word this read misses
    end
    if (en && v1) begin
      mem[a1] <= m;
      m_last  <= m;
    end
  end

  // stage 2: the larger of each lane's input and running maximum (the buffer word, or the word
  // written back in the cycle it was read)
  wire [WW-1:0] prev = fwd1 ? m_last : r1;
  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_lane
      wire signed [BITS:0] xv = {SIGNED != 0 && x1[p*BITS+BITS-1], x1[p*BITS+:BITS]};
      wire signed [BITS:0] pv = {SIGNED != 0 && prev[p*BITS+BITS-1], prev[p*BITS+:BITS]};
      assign m[p*BITS+:BITS] = (first1 || xv > pv) ? x1[p*BITS+:BITS] : prev[p*BITS+:BITS];
    end
  endgenerate

  finnflow_skid #(
      .WIDTH(WW)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (m),
      .s_axis_tvalid(v1 && last1),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
