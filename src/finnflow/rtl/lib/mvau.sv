// mvau: matrix-vector-activation unit (streaming, folded).
//
// Computes y = act(W x) for an MH x MW matrix W, folded as NF = MH/PE neuron folds and
// SF = MW/SIMD synapse folds. One (nf, sf) step per cycle; the input vector (SF words of
// SIMD*IBITS bits, lane s in bits [s*IBITS +: IBITS]) is read once, during nf = 0, buffered,
// and reused for nf > 0. Output: NF words of PE*OBITS bits per vector, lane p = row nf*PE+p.
//
// Weight memory: depth NF*SF, word PE*SIMD*WBITS at address nf*SF+sf, with
// bits [(p*SIMD+s)*WBITS +: WBITS] = W[nf*PE+p][sf*SIMD+s].
// Threshold memory (N_THRES > 0): depth NF, word PE*N_THRES*ABITS,
// bits [(p*N_THRES+t)*ABITS +: ABITS] = T[nf*PE+p][t] (signed, ascending in t).
// Encodings: WBIPOLAR: w bit 1 -> +1, 0 -> -1. BINARY_XNOR: product = XNOR(x, w) in {0, 1}.
// Output: N_THRES = 0 -> accumulator (OBITS = ABITS); else ACT_VAL + #{t : acc >= T[t]}.
//
// Pipeline: fetch (memory read) -> dot product -> accumulate -> activation -> skid buffer.
// All stages advance together on the skid buffer's (registered) ready.
/* verilator lint_off WIDTH */
(* use_dsp = "no" *)
module mvau #(
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
    parameter RAM_STYLE   = "distributed"
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
  localparam NF = MH / PE;
  localparam SF = MW / SIMD;
  localparam WDEPTH = NF * SF;
  localparam NFB = (NF > 1) ? $clog2(NF) : 1;
  localparam SFB = (SF > 1) ? $clog2(SF) : 1;
  localparam WAB = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
  localparam XW = SIMD * IBITS;
  localparam WW = PE * SIMD * WBITS;
  localparam TW = (N_THRES > 0) ? PE * N_THRES * ABITS : 1;
  localparam PB = IBITS + WBITS + 2;  // product width (signed, with headroom)
  localparam [NFB-1:0] NF_LAST = NF - 1;
  localparam [SFB-1:0] SF_LAST = SF - 1;
  localparam [WAB-1:0] WA_LAST = WDEPTH - 1;

  // ---------------------------------------------------------------- memories
  (* ram_style = RAM_STYLE *) reg [WW-1:0] wmem[0:WDEPTH-1];
  generate
    if (WEIGHT_FILE != "") begin : g_winit
      initial $readmemh(WEIGHT_FILE, wmem);
    end
  endgenerate

  reg [XW-1:0] ibuf[0:SF-1];  // input vector buffer, reused for nf > 0

  // ---------------------------------------------------------------- control
  wire en;  // pipeline advance (output skid buffer can accept)
  reg [NFB-1:0] nf;
  reg [SFB-1:0] sf;
  reg [WAB-1:0] waddr;
  wire nf0 = (nf == 0);
  wire step = en && (!nf0 || s_axis_tvalid);
  assign s_axis_tready = en && nf0;

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      nf    <= 0;
      sf    <= 0;
      waddr <= 0;
    end else if (step) begin
      if (sf == SF_LAST) begin
        sf <= 0;
        nf <= (nf == NF_LAST) ? {NFB{1'b0}} : nf + 1'b1;
      end else begin
        sf <= sf + 1'b1;
      end
      waddr <= (waddr == WA_LAST) ? {WAB{1'b0}} : waddr + 1'b1;
    end
  end

  always @(posedge ap_clk) begin
    if (step && nf0) ibuf[sf] <= s_axis_tdata;
  end

  // ---------------------------------------------------------------- stage 1: fetch
  reg          v1;
  reg          first1, last1, sel1;
  reg [NFB-1:0] nf1;
  reg [ XW-1:0] xin1, xbuf1;
  reg [ WW-1:0] w1;
  always @(posedge ap_clk) begin
    if (!ap_rst_n) v1 <= 1'b0;
    else if (en) v1 <= step;
    if (step) begin
      w1     <= wmem[waddr];
      xbuf1  <= ibuf[sf];
      xin1   <= s_axis_tdata;
      sel1   <= nf0;
      first1 <= (sf == 0);
      last1  <= (sf == SF_LAST);
      nf1    <= nf;
    end
  end
  wire [XW-1:0] x1 = sel1 ? xin1 : xbuf1;

  // ---------------------------------------------------------------- stage 2: dot products
  wire [PE*ABITS-1:0] dot_c;
  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_dot
      reg signed [ABITS-1:0] sum;
      reg signed [IBITS:0] xs;
      reg signed [WBITS:0] ws;
      reg signed [PB-1:0] pr, xp;
      integer s;
      always @* begin
        sum = {ABITS{1'b0}};
        for (s = 0; s < SIMD; s = s + 1) begin
          xs = ISIGNED ? {x1[s*IBITS+IBITS-1], x1[s*IBITS+:IBITS]} : {1'b0, x1[s*IBITS+:IBITS]};
          ws = WSIGNED ? {w1[(p*SIMD+s)*WBITS+WBITS-1], w1[(p*SIMD+s)*WBITS+:WBITS]}
                       : {1'b0, w1[(p*SIMD+s)*WBITS+:WBITS]};
          xp = xs;  // sign-extend to the product width
          if (BINARY_XNOR) pr = {{(PB - 1) {1'b0}}, ~(x1[s*IBITS] ^ w1[(p*SIMD+s)*WBITS])};
          else if (WBIPOLAR) pr = w1[(p*SIMD+s)*WBITS] ? xp : -xp;
          else pr = xs * ws;
          sum = sum + pr;
        end
      end
      assign dot_c[p*ABITS+:ABITS] = sum;
    end
  endgenerate

  reg                v2, first2, last2;
  reg [   NFB-1:0]   nf2;
  reg [PE*ABITS-1:0] dot2;
  always @(posedge ap_clk) begin
    if (!ap_rst_n) v2 <= 1'b0;
    else if (en) v2 <= v1;
    if (en && v1) begin
      dot2   <= dot_c;
      first2 <= first1;
      last2  <= last1;
      nf2    <= nf1;
    end
  end

  // ---------------------------------------------------------------- stage 3: accumulate
  reg                v3;
  reg [PE*ABITS-1:0] acc3;
  reg [    TW-1:0]   t3;
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
    if (!ap_rst_n) v3 <= 1'b0;
    else if (en) v3 <= v2 && last2;
  end

  // ---------------------------------------------------------------- stage 4: activation
  reg                v4;
  reg [PE*OBITS-1:0] out4;
  wire [PE*OBITS-1:0] act_c;
  generate
    if (N_THRES > 0) begin : g_thr
      (* ram_style = RAM_STYLE *) reg [TW-1:0] tmem[0:NF-1];
      if (THRESH_FILE != "") begin : g_tinit
        initial $readmemh(THRESH_FILE, tmem);
      end
      always @(posedge ap_clk) begin
        if (en && v2 && last2) t3 <= tmem[nf2];
      end
      thresh_act #(
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
      always @(posedge ap_clk) t3 <= 1'b0;
      assign act_c = acc3;
    end
  endgenerate

  always @(posedge ap_clk) begin
    if (!ap_rst_n) v4 <= 1'b0;
    else if (en) v4 <= v3;
    if (en && v3) out4 <= act_c;
  end

  // ---------------------------------------------------------------- output
  skid #(
      .WIDTH(PE * OBITS)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (out4),
      .s_axis_tvalid(v4),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
/* verilator lint_on WIDTH */
