// finnflow_mvau: matrix-vector-activation unit (streaming, folded).
//
// Computes y = act(W x) for an MH x MW matrix W, folded as NF = MH/PE neuron folds and
// SF = MW/SIMD synapse folds. One (nf, sf) step per cycle; the input vector (SF words of
// SIMD*IBITS bits, lane s in bits [s*IBITS +: IBITS]) is read once, during nf = 0, buffered,
// and reused for nf > 0. Output: NF words of PE*OBITS bits per vector, lane p = row nf*PE+p.
//
// Weight memory: depth NF*SF, word PE*SIMD*WBITS at address nf*SF+sf, row p's weights in bits
// [p*SIMD*WBITS +: SIMD*WBITS]: RES_TYPE "lut" as WBITS bit planes (bit j of W[nf*PE+p][sf*SIMD+s]
// at bit (p*WBITS+j)*SIMD + s, the planes finnflow_dotp counts), "dsp" lane by lane
// (bits [(p*SIMD+s)*WBITS +: WBITS] = W[nf*PE+p][sf*SIMD+s]).
// Threshold memory (N_THRES > 0): depth NF, word PE*N_THRES*ABITS,
// bits [(p*N_THRES+t)*ABITS +: ABITS] = T[nf*PE+p][t] (signed, ascending in t).
// Encodings: WBIPOLAR (WBITS = 1): w bit 1 -> +1, 0 -> -1. BINARY_XNOR (IBITS = WBITS = 1):
// product = XNOR(x, w) in {0, 1}. The accumulator is ABITS wide, two's complement (wraps).
// Output: N_THRES = 0 -> the accumulator's OBITS LSBs (OBITS <= ABITS, e.g. one bit less for
// an accumulator known to be non-negative); else ACT_VAL + #{t : acc >= T[t]}.
//
// Pipeline: buffer (NF > 1: the input word into the buffer) -> fetch (memory reads) -> dot product
// (pipelined; RES_TYPE "lut": finnflow_dotp, bit-plane popcounts in LUTs; "dsp": finnflow_dotp_dsp,
// products packed into DSP slices) -> accumulate -> activation, then the output slice
// (finnflow_skid with its input register, SPACED when SF > 1). All stages advance on the
// slice's ready.
// RES_TYPE "dsp" (finnflow_dotp_dsp computes with non-negative operands): signed weights are
// stored with their sign bit inverted (W + 2**(WBITS-1)); signed inputs make the accumulator
// sum_k (x[k] + 2**(IBITS-1)) * W[r][k], so they need thresholds, given offset by 2**(IBITS-1)
// times the row's weight sum (finnflow.rtl.layers.mvau writes both so).
module finnflow_mvau #(
    parameter MW          = 4,
    parameter MH          = 4,
    parameter SIMD        = 1,
    parameter PE          = 1,
    parameter IBITS       = 4,
    parameter ISIGNED     = 1,
    parameter WBITS       = 4,
    parameter WSIGNED     = 1,
    parameter WBIPOLAR    = 0,
    parameter BINARY_XNOR = 0,
    parameter ABITS       = 16,
    parameter N_THRES     = 0,
    parameter OBITS       = 16,
    parameter ACT_VAL     = 0,
    parameter WEIGHT_FILE = "",
    parameter THRESH_FILE = "",
    parameter RAM_STYLE   = "distributed",  // weights and thresholds: "distributed" or "block"
    parameter RES_TYPE    = "lut"  // the dot products' resources: "lut" or "dsp"
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [SIMD*IBITS-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    output wire [  PE*OBITS-1:0] m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready
);
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (MW < 1 || MH < 1) begin : g_chk_size
      finnflow_param_error #(.MSG("finnflow_mvau: MW and MH must be at least 1")) u_error ();
    end
    if (SIMD < 1 || MW % SIMD != 0) begin : g_chk_simd
      finnflow_param_error #(.MSG("finnflow_mvau: MW must be a multiple of SIMD")) u_error ();
    end
    if (PE < 1 || MH % PE != 0) begin : g_chk_pe
      finnflow_param_error #(.MSG("finnflow_mvau: MH must be a multiple of PE")) u_error ();
    end
    if (IBITS < 1 || WBITS < 1 || ABITS < 1 || OBITS < 1) begin : g_chk_width
      finnflow_param_error #(
          .MSG("finnflow_mvau: IBITS, WBITS, ABITS and OBITS must be at least 1")
      ) u_error ();
    end
    if ((WBIPOLAR != 0 || BINARY_XNOR != 0) && WBITS != 1) begin : g_chk_wbits
      finnflow_param_error #(
          .MSG("finnflow_mvau: WBITS must be 1 with WBIPOLAR or BINARY_XNOR")
      ) u_error ();
    end
    if (BINARY_XNOR != 0 && IBITS != 1) begin : g_chk_xnor
      finnflow_param_error #(.MSG("finnflow_mvau: IBITS must be 1 with BINARY_XNOR")) u_error ();
    end
    if (N_THRES < 0) begin : g_chk_n_thres
      finnflow_param_error #(.MSG("finnflow_mvau: N_THRES must be at least 0")) u_error ();
    end
    if (RES_TYPE != "lut" && RES_TYPE != "dsp") begin : g_chk_res_type
      finnflow_param_error #(.MSG("finnflow_mvau: RES_TYPE must be \"lut\" or \"dsp\"")) u_error ();
    end
    if (RES_TYPE == "dsp" && (BINARY_XNOR != 0 || (ISIGNED != 0 && N_THRES == 0)))
    begin : g_chk_dsp
      finnflow_param_error #(
          .MSG("finnflow_mvau: RES_TYPE dsp: no BINARY_XNOR; signed inputs need N_THRES > 0")
      ) u_error ();
    end
    if (N_THRES == 0 && OBITS > ABITS) begin : g_chk_obits
      finnflow_param_error #(
          .MSG("finnflow_mvau: OBITS must be at most ABITS when N_THRES = 0")
      ) u_error ();
    end
  endgenerate

  localparam NF = MH / PE;
  localparam SF = MW / SIMD;
  localparam WDEPTH = NF * SF;
  localparam NFB = (NF > 1) ? $clog2(NF) : 1;
  localparam SFB = (SF > 1) ? $clog2(SF) : 1;
  localparam WAB = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
  localparam XW = SIMD * IBITS;
  localparam WW = PE * SIMD * WBITS;
  localparam [NFB-1:0] NF_LAST = NFB'(NF - 1);
  localparam [SFB-1:0] SF_LAST = SFB'(SF - 1);
  localparam [WAB-1:0] WA_LAST = WAB'(WDEPTH - 1);

  // ---------------------------------------------------------------- memories
  // The weights and thresholds are ROMs, which Vivado places by rom_style. Yosys has no LUT-RAM
  // cell for a ROM (its LUT RAMs need a write port): there a distributed ROM is built as logic,
  // in LUTs, as Vivado builds it. Only attributes read ROM_STYLE, and Verilator reads none.
`ifdef YOSYS
  localparam ROM_STYLE = (RAM_STYLE == "distributed") ? "logic" : RAM_STYLE;
`else
  /* verilator lint_off UNUSEDPARAM */
  localparam ROM_STYLE = RAM_STYLE;
  /* verilator lint_on UNUSEDPARAM */
`endif
  (* rom_style = ROM_STYLE *) reg [WW-1:0] wmem[0:WDEPTH-1];
  generate
    if (WEIGHT_FILE != "") begin : g_winit
      initial $readmemh(WEIGHT_FILE, wmem);
    end
  endgenerate

  // ---------------------------------------------------------------- control
  // A counter whose range is a power of two wraps by itself; with SF a power of two (or 1) the
  // weight address is {nf, sf} and needs no counter of its own.
  localparam NF_WRAPS = (1 << NFB) == NF;
  localparam SF_WRAPS = (1 << SFB) == SF;
  wire en;  // pipeline advance: the output slice can accept
  reg [NFB-1:0] nf;
  reg [SFB-1:0] sf;
  wire [WAB-1:0] waddr;
  wire nf_first = (nf == {NFB{1'b0}});  // the input vector arrives during the first fold
  wire step = en && (!nf_first || s_axis_tvalid);
  assign s_axis_tready = en && nf_first;

  always @(posedge ap_clk) begin
    if (rst) begin
      nf <= {NFB{1'b0}};
      sf <= {SFB{1'b0}};
    end else if (step) begin
      if (SF_WRAPS || sf != SF_LAST) sf <= sf + 1'b1;
      else sf <= {SFB{1'b0}};
      if (sf == SF_LAST) nf <= (NF_WRAPS || nf != NF_LAST) ? nf + 1'b1 : {NFB{1'b0}};
    end
  end
  generate
    if (SF == 1) begin : g_waddr_nf
      assign waddr = WAB'(nf);
    end else if (SF_WRAPS) begin : g_waddr_cat
      assign waddr = WAB'({nf, sf});
    end else begin : g_waddr_count
      reg [WAB-1:0] wcount;
      always @(posedge ap_clk) begin
        if (rst) wcount <= {WAB{1'b0}};
        else if (step) wcount <= (wcount == WA_LAST) ? {WAB{1'b0}} : wcount + 1'b1;
      end
      assign waddr = wcount;
    end
  endgenerate

  // ---------------------------------------------------------------- stage 0: buffer
  // NF > 1: every word of the input vector is written into the buffer during the first fold
  // and read one cycle later, for every fold, so no multiplexer chooses between the stream and
  // the buffer, and a read never meets a write to its address in the same cycle (the buffer
  // needs no bypass); the step's position waits with it. The buffer is LUT RAM at any SF (left
  // to itself, a synthesis tool may put a long one into block RAM). NF = 1: each word is used
  // once and goes straight to the fetch stage.
  wire           v0;
  wire [NFB-1:0] nf0;
  wire [SFB-1:0] sf0;
  wire [WAB-1:0] waddr0;
  wire [ XW-1:0] x0;
  generate
    if (NF > 1) begin : g_buffered
      (* ram_style = "distributed" *) reg [XW-1:0] ibuf[0:SF-1];
      reg           v_r;
      reg [NFB-1:0] nf_r;
      reg [SFB-1:0] sf_r;
      reg [WAB-1:0] waddr_r;
      always @(posedge ap_clk) begin
        if (step && nf_first) ibuf[sf] <= s_axis_tdata;
        if (rst) v_r <= 1'b0;
        else if (en) v_r <= step;
        if (step) begin
          nf_r    <= nf;
          sf_r    <= sf;
          waddr_r <= waddr;
        end
      end
      assign {v0, nf0, sf0, waddr0} = {v_r, nf_r, sf_r, waddr_r};
      assign x0 = ibuf[sf0];
    end else begin : g_direct
      assign {v0, nf0, sf0, waddr0} = {step, nf, sf, waddr};
      assign x0 = s_axis_tdata;
    end
  endgenerate

  // ---------------------------------------------------------------- stage 1: fetch
  reg           v1;
  reg           first1, last1;
  reg [NFB-1:0] nf1;
  reg [ XW-1:0] x1;  // the input word: shared by all PE
  reg [ WW-1:0] w1;
  always @(posedge ap_clk) begin
    if (rst) v1 <= 1'b0;
    else if (en) v1 <= v0;
    if (en && v0) begin
      w1     <= wmem[waddr0];
      x1     <= x0;
      nf1    <= nf0;
      first1 <= (sf0 == {SFB{1'b0}});
      last1  <= (sf0 == SF_LAST);
    end
  end

  // ---------------------------------------------------------------- stage 2: dot products
  // pipelined; the fold's position and, with thresholds, its neuron fold travel with the data as
  // the side-band tag
  wire [PE*ABITS-1:0] dot2;
  wire v2, first2, last2;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [NFB-1:0] nf2;  // read with thresholds only
  /* verilator lint_on UNUSEDSIGNAL */
  generate
    if (RES_TYPE == "dsp") begin : g_dsp
      finnflow_dotp_dsp #(
          .SIMD    (SIMD),
          .PE      (PE),
          .IBITS   (IBITS),
          .ISIGNED (ISIGNED),
          .WBITS   (WBITS),
          .WSIGNED (WSIGNED),
          .WBIPOLAR(WBIPOLAR),
          .OBITS   (ABITS),
          .TAGW    (NFB + 3)
      ) u_dot (
          .ap_clk  (ap_clk),
          .ap_rst_n(ap_rst_n),
          .en      (en),
          .x       (x1),
          .w       (w1),
          .tag_in  ({nf1, last1, first1, v1}),
          .y       (dot2),
          .tag_out ({nf2, last2, first2, v2})
      );
    end else begin : g_lut
      finnflow_dotp #(
          .SIMD       (SIMD),
          .PE         (PE),
          .IBITS      (IBITS),
          .ISIGNED    (ISIGNED),
          .WBITS      (WBITS),
          .WSIGNED    (WSIGNED),
          .WBIPOLAR   (WBIPOLAR),
          .BINARY_XNOR(BINARY_XNOR),
          .OBITS      (ABITS),
          .TAGW       (NFB + 3)
      ) u_dot (
          .ap_clk  (ap_clk),
          .ap_rst_n(ap_rst_n),
          .en      (en),
          .x       (x1),
          .w       (w1),
          .tag_in  ({nf1, last1, first1, v1}),
          .y       (dot2),
          .tag_out ({nf2, last2, first2, v2})
      );
    end
  endgenerate

  // ---------------------------------------------------------------- stage 3: accumulate
  reg                v3;
  reg [PE*ABITS-1:0] acc3;
  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_acc
      always @(posedge ap_clk) begin
        if (en && v2)
          acc3[p*ABITS+:ABITS] <= (first2 ? {ABITS{1'b0}} : acc3[p*ABITS+:ABITS])
                                  + dot2[p*ABITS+:ABITS];
      end
    end
  endgenerate
  always @(posedge ap_clk) begin
    if (rst) v3 <= 1'b0;
    else if (en) v3 <= v2 && last2;
  end

  // ---------------------------------------------------------------- stage 4: activation
  wire [PE*OBITS-1:0] act_c;
  generate
    if (N_THRES > 0) begin : g_thr
      localparam TW = PE * N_THRES * ABITS;
      (* rom_style = ROM_STYLE *) reg [TW-1:0] tmem[0:NF-1];
      if (THRESH_FILE != "") begin : g_tinit
        initial $readmemh(THRESH_FILE, tmem);
      end
      reg [TW-1:0] t3;  // thresholds of the fold in acc3
      always @(posedge ap_clk) begin
        if (en && v2 && last2) t3 <= tmem[nf2];
      end
      finnflow_thresh_act #(
          .PE(PE),
          .VBITS(ABITS),
          .VSIGNED(1),
          .N_THRES(N_THRES),
          .OBITS(OBITS),
          .ACT_VAL(ACT_VAL)
      ) u_act (
          .v  (acc3),
          .thr(t3),
          .o  (act_c)
      );
    end else begin : g_nothr
      for (p = 0; p < PE; p = p + 1) begin : g_lane
        assign act_c[p*OBITS+:OBITS] = acc3[p*ABITS+:OBITS];
      end
    end
  endgenerate

  // ---------------------------------------------------------------- output
  // with SF > 1 a result leaves at most every other step: the slice needs no skid register
  finnflow_skid #(
      .WIDTH (PE * OBITS),
      .IN_REG(1),
      .SPACED(SF > 1 ? 1 : 0)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (act_c),
      .s_axis_tvalid(v3),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
