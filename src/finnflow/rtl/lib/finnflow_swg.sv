// finnflow_swg: sliding-window generator (im2col) over a stream of images, through a line
// buffer of BUF_ROWS image rows.
// Input: the pixels of IFM_H x IFM_W images in raster order, each as C/SIMD words of SIMD
// elements of BITS (lane s in bits [s*BITS +: BITS] is channel cf*SIMD + s). Output: for each
// output pixel (oy, ox) in raster order, OFM = (IFM - K) / S + 1 of them per dimension, its
// K_H x K_W window as words in (ky, kx, cf) order: pixel (oy*S_H + ky, ox*S_W + kx), fold cf.
// Buffer: BUF_ROWS slots of one image row (IFM_W*C/SIMD words) in one memory (RAM_STYLE). Rows
// that no window reads (between windows when S_H > K_H, below the last window) are consumed
// but not stored. The writer stores each used row in the next slot while one is free; the
// reader emits a word once its row, or in the row being written its word, has been stored,
// and frees the rows of a window's top that no later window reads when it finishes an output
// row (all K_H rows at the end of an image). With BUF_ROWS = 2*K_H the next image's first K_H
// rows load while the last output row is emitted, and images stream back to back at
// max(input words, output words) per image.
// Pipeline: memory read (registered) -> output slice (finnflow_skid); the reader advances on
// the slice's ready. s_axis_tready depends on registers only.
module finnflow_swg #(
    parameter IFM_H     = 4,
    parameter IFM_W     = 4,
    parameter C         = 1,
    parameter SIMD      = 1,
    parameter K_H       = 3,
    parameter K_W       = 3,
    parameter S_H       = 1,
    parameter S_W       = 1,
    parameter BITS      = 8,
    parameter BUF_ROWS  = 2 * K_H,
    // used only in a ram_style attribute, which Verilator does not read
    /* verilator lint_off UNUSEDPARAM */
    parameter RAM_STYLE = "distributed"
    /* verilator lint_on UNUSEDPARAM */
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
      finnflow_param_error #(.MSG("finnflow_swg: C must be a multiple of SIMD")) u_error ();
    end
    if (K_H < 1 || K_W < 1 || K_H > IFM_H || K_W > IFM_W) begin : g_chk_kernel
      finnflow_param_error #(
          .MSG("finnflow_swg: K_H and K_W must be at least 1 and at most IFM_H and IFM_W")
      ) u_error ();
    end
    if (S_H < 1 || S_W < 1) begin : g_chk_stride
      finnflow_param_error #(.MSG("finnflow_swg: S_H and S_W must be at least 1")) u_error ();
    end
    if (BUF_ROWS < K_H) begin : g_chk_rows
      finnflow_param_error #(.MSG("finnflow_swg: BUF_ROWS must be at least K_H")) u_error ();
    end
    if (BITS < 1) begin : g_chk_bits
      finnflow_param_error #(.MSG("finnflow_swg: BITS must be at least 1")) u_error ();
    end
  endgenerate

  localparam CF = C / SIMD;
  localparam WW = SIMD * BITS;
  localparam OFM_H = (IFM_H - K_H) / S_H + 1;
  localparam OFM_W = (IFM_W - K_W) / S_W + 1;
  localparam RW = IFM_W * CF;  // words of an image row
  localparam DEPTH = BUF_ROWS * RW;
  localparam LAST_ROW = (OFM_H - 1) * S_H + K_H - 1;  // the last image row a window reads
  localparam STEP_H = (S_H < K_H) ? S_H : K_H;  // rows freed per output row
  localparam GAPS = S_H > K_H;  // rows between windows, not stored

  localparam AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;  // addresses; sums of two in AB + 1 bits
  localparam RWB = (RW > 1) ? $clog2(RW) : 1;
  localparam YB = (IFM_H > 1) ? $clog2(IFM_H) : 1;
  localparam MB = (S_H > 1) ? $clog2(S_H) : 1;
  localparam OB = (K_W * CF > 1) ? $clog2(K_W * CF) : 1;
  localparam KYB = (K_H > 1) ? $clog2(K_H) : 1;
  localparam OXB = (OFM_W > 1) ? $clog2(OFM_W) : 1;
  localparam OYB = (OFM_H > 1) ? $clog2(OFM_H) : 1;
  localparam VB = $clog2(BUF_ROWS + 1) + 1;  // signed: rows stored ahead of the window's top

  localparam [AB-1:0] A_LAST = AB'(DEPTH - 1);
  localparam [AB:0] DEPTH_A = (AB + 1)'(DEPTH);
  localparam [AB:0] RW_A = (AB + 1)'(RW);
  localparam [AB:0] STEP_A = (AB + 1)'(STEP_H * RW);
  localparam [AB:0] IMAGE_A = (AB + 1)'(K_H * RW);
  localparam [RWB-1:0] RW_LAST = RWB'(RW - 1);
  localparam [RWB-1:0] SW_CF = RWB'(S_W * CF);
  localparam [YB-1:0] H_LAST = YB'(IFM_H - 1);
  localparam [YB-1:0] LAST_ROW_Y = YB'(LAST_ROW);
  localparam [MB-1:0] SH_LAST = MB'(S_H - 1);
  localparam [MB-1:0] KH_LAST_M = MB'(GAPS ? K_H - 1 : 0);
  localparam [OB-1:0] O_LAST = OB'(K_W * CF - 1);
  localparam [KYB-1:0] KY_LAST = KYB'(K_H - 1);
  localparam [OXB-1:0] OX_LAST = OXB'(OFM_W - 1);
  localparam [OYB-1:0] OY_LAST = OYB'(OFM_H - 1);
  localparam signed [VB-1:0] ROWS_V = VB'(BUF_ROWS);
  localparam signed [VB-1:0] STEP_V = VB'(STEP_H);
  localparam signed [VB-1:0] IMAGE_V = VB'(K_H);

  (* ram_style = RAM_STYLE *) reg [WW-1:0] mem[0:DEPTH-1];

  // avail: image rows stored beyond the top row of the reader's window (-1 while the writer
  // finishes the unread tail of a row the reader has already freed)
  reg signed [VB-1:0] avail;

  // ------------------------------------------------------------------ writer
  reg [YB-1:0] wy;  // image row of the input
  reg [MB-1:0] wym;  // wy mod S_H
  reg wtail, wgap;  // the row is below the last window / between windows
  reg [RWB-1:0] wc;  // word in the row
  reg [AB-1:0] waddr;
  wire wused = !wtail && !wgap;
  assign s_axis_tready = !wused || (avail != ROWS_V);
  wire wstep = s_axis_tvalid && s_axis_tready;
  wire wstore = wstep && wused;
  wire wc_end = (wc == RW_LAST);
  wire row_stored = wstore && wc_end;

  always @(posedge ap_clk) begin
    if (wstore) mem[waddr] <= s_axis_tdata;
    if (rst) begin
      wy    <= {YB{1'b0}};
      wym   <= {MB{1'b0}};
      wtail <= 1'b0;
      wgap  <= 1'b0;
      wc    <= {RWB{1'b0}};
      waddr <= {AB{1'b0}};
    end else begin
      if (wstep) wc <= wc_end ? {RWB{1'b0}} : wc + 1'b1;
      if (wstore) waddr <= (waddr == A_LAST) ? {AB{1'b0}} : waddr + 1'b1;
      if (wstep && wc_end) begin
        if (wy == H_LAST) begin
          wy    <= {YB{1'b0}};
          wym   <= {MB{1'b0}};
          wtail <= 1'b0;
          wgap  <= 1'b0;
        end else begin
          wy <= wy + 1'b1;
          if (wy == LAST_ROW_Y) wtail <= 1'b1;
          if (wym == SH_LAST) begin
            wym  <= {MB{1'b0}};
            wgap <= 1'b0;
          end else begin
            wym <= wym + 1'b1;
            if (GAPS && wym == KH_LAST_M) wgap <= 1'b1;
          end
        end
      end
    end
  end

  // ------------------------------------------------------------------ reader
  reg [OB-1:0] o;  // word in the window row: kx*CF + cf
  reg [KYB-1:0] ky;
  reg [OXB-1:0] ox;
  reg [OYB-1:0] oy;
  reg [RWB-1:0] col, cb;  // word in the image row; the window's first
  reg [AB-1:0] tbase, rbase;  // slot addresses of the window's top row and of row ky

  wire en;  // the output slice can accept
  wire signed [VB-1:0] ky_v = $signed(VB'(ky));
  wire have = (ky_v < avail) || (ky_v == avail && wused && col < wc);
  wire rstep = en && have;
  wire o_end = (o == O_LAST);
  wire ky_end = (ky == KY_LAST);
  wire ox_end = (ox == OX_LAST);
  wire oy_end = (oy == OY_LAST);
  wire row_freed = rstep && o_end && ky_end && ox_end;  // the output row is complete

  wire [AB:0] rnext = {1'b0, rbase} + RW_A;
  wire [AB-1:0] rbase_down = (rnext >= DEPTH_A) ? AB'(rnext - DEPTH_A) : rnext[AB-1:0];
  wire [AB:0] tnext = {1'b0, tbase} + (oy_end ? IMAGE_A : STEP_A);
  wire [AB-1:0] tbase_next = (tnext >= DEPTH_A) ? AB'(tnext - DEPTH_A) : tnext[AB-1:0];
  wire [AB-1:0] raddr = rbase + AB'(col);

  always @(posedge ap_clk) begin
    if (rst) begin
      o     <= {OB{1'b0}};
      ky    <= {KYB{1'b0}};
      ox    <= {OXB{1'b0}};
      oy    <= {OYB{1'b0}};
      col   <= {RWB{1'b0}};
      cb    <= {RWB{1'b0}};
      tbase <= {AB{1'b0}};
      rbase <= {AB{1'b0}};
    end else if (rstep) begin
      if (!o_end) begin
        o   <= o + 1'b1;
        col <= col + 1'b1;
      end else begin
        o <= {OB{1'b0}};
        if (!ky_end) begin
          ky    <= ky + 1'b1;
          col   <= cb;
          rbase <= rbase_down;
        end else begin
          ky <= {KYB{1'b0}};
          if (!ox_end) begin
            ox    <= ox + 1'b1;
            cb    <= cb + SW_CF;
            col   <= cb + SW_CF;
            rbase <= tbase;
          end else begin
            ox    <= {OXB{1'b0}};
            cb    <= {RWB{1'b0}};
            col   <= {RWB{1'b0}};
            oy    <= oy_end ? {OYB{1'b0}} : oy + 1'b1;
            tbase <= tbase_next;
            rbase <= tbase_next;
          end
        end
      end
    end
  end

  always @(posedge ap_clk) begin
    if (rst) avail <= {VB{1'b0}};
    else
      avail <= avail + (row_stored ? VB'(1) : VB'(0))
                     - (row_freed ? (oy_end ? IMAGE_V : STEP_V) : VB'(0));
  end

  // memory read -> output slice
  reg [WW-1:0] rdata;
  reg v1;
  always @(posedge ap_clk) begin
    if (rstep) rdata <= mem[raddr];
    if (rst) v1 <= 1'b0;
    else if (en) v1 <= rstep;
  end

  finnflow_skid #(
      .WIDTH(WW)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (rdata),
      .s_axis_tvalid(v1),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
