// finnflow_dotp: PE dot products of one SIMD-lane input vector, as bit-plane popcounts.
//
// y[p] = sum_k x[k] * w[p][k] modulo 2**OBITS (two's complement). Lane k of x is
// x[k*IBITS +: IBITS]; w holds each row's weights as bit planes: bit j of w[p][k] is
// w[(p*WBITS+j)*SIMD + k] (the weight memory is written so: a simulator then needs no bit
// gather per cycle). Encodings as in finnflow_mvau: WBIPOLAR (w bit 1 -> +1, 0 -> -1),
// BINARY_XNOR (product XNOR(x, w) in {0, 1}).
//
// A product of an IBITS- and a WBITS-bit number is a signed sum of bit products
// x[i] & w[j] * 2**(i+j) (the two's-complement MSB weighs -2**(IBITS-1)), so a dot product is a
// signed sum of popcounts over the lanes, one per bit plane (i, j):
//   plain:   planes x[i] & w[j], weight +-2**(i+j);
//   bipolar: (w ? x : -x) = (w ? x : ~x) + !w, so planes XNOR(x[i], w), weight +-2**i, and a
//            plane !w of weight 1 (an unsigned x takes a sign bit 0: weight 1 - 2**IBITS);
//   XNOR:    one plane XNOR(x, w) of weight 1.
// Each popcount is a bit-heap compressor generated for the design (finnflow_popcount, see
// finnflow.rtl.popcount); the positively and negatively weighted counts are summed by two adder
// trees (finnflow_addtree) and subtracted. Widths grow only as the sums need, no lane is
// sign-extended to the accumulator width, and no multiplier is inferred (LUTs only, no DSP).
// The popcounts register their own stages, the adder trees every PIPE levels (by default as
// their width allows: see TREE_PIPE); tag_in (for example valid, first, last) leaves at tag_out
// with the data, travelling through the first popcount's registers and then a delay line as
// long as the rest; ap_rst_n clears the tags.
(* use_dsp = "no" *)
module finnflow_dotp #(
    parameter SIMD        = 1,
    parameter PE          = 1,
    parameter IBITS       = 4,
    parameter ISIGNED     = 1,
    parameter WBITS       = 4,
    parameter WSIGNED     = 1,
    parameter WBIPOLAR    = 0,
    parameter BINARY_XNOR = 0,
    parameter OBITS       = 16,
    parameter TAGW        = 1,
    parameter PIPE        = -1  // adder-tree levels per register; -1: by width (see TREE_PIPE)
) (
    input  wire                       ap_clk,
    input  wire                       ap_rst_n,  // clears the side-band (valid bits) only
    input  wire                       en,
    input  wire [     SIMD*IBITS-1:0] x,
    input  wire [PE*SIMD*WBITS-1:0] w,
    input  wire [           TAGW-1:0] tag_in,
    output wire [       PE*OBITS-1:0] y,
    output wire [           TAGW-1:0] tag_out
);
  // ---------------------------------------------------------------- planes and terms
  localparam NPL = (BINARY_XNOR != 0) ? 1 : (WBIPOLAR != 0) ? IBITS + 1 : IBITS * WBITS;
  localparam NT = (BINARY_XNOR != 0) ? 1 : (WBIPOLAR != 0) ? IBITS + 1 + ((ISIGNED == 0) ? 1 : 0) : NPL;

  function automatic integer term_plane(input integer t);
    term_plane = (WBIPOLAR != 0 && BINARY_XNOR == 0 && t > IBITS) ? IBITS : t;
  endfunction

  function automatic integer term_shift(input integer t);
    if (BINARY_XNOR != 0) term_shift = 0;
    else if (WBIPOLAR != 0) term_shift = (t < IBITS) ? t : (t == IBITS) ? 0 : IBITS;
    else term_shift = t / WBITS + t % WBITS;
  endfunction

  function automatic integer term_neg(input integer t);
    if (BINARY_XNOR != 0) term_neg = 0;
    else if (WBIPOLAR != 0)
      term_neg = ((t < IBITS) ? (ISIGNED != 0 && t == IBITS - 1) : (t > IBITS)) ? 1 : 0;
    else
      term_neg = ((ISIGNED != 0 && t / WBITS == IBITS - 1)
                  != (WSIGNED != 0 && t % WBITS == WBITS - 1)) ? 1 : 0;
  endfunction

  function automatic integer clog2(input integer n);
    clog2 = 0;
    while ((1 << clog2) < n) clog2 = clog2 + 1;
  endfunction

  function automatic integer at_regs(input integer d, input integer pipe);
    integer l;
    at_regs = 0;
    for (l = 1; l <= d; l = l + 1) if (pipe > 0 && l % pipe == 0) at_regs = at_regs + 1;
  endfunction

  // negatively weighted terms: the sign-bit plane of bipolar weights' inputs (or, for unsigned
  // inputs, the second term of the weight plane); plain: the planes of exactly one sign bit
  localparam NNEG = (BINARY_XNOR != 0) ? 0 : (WBIPOLAR != 0) ? 1 :
      (ISIGNED != 0 && WSIGNED != 0) ? IBITS + WBITS - 2 :
      (ISIGNED != 0) ? WBITS : (WSIGNED != 0) ? IBITS : 0;
  localparam CW = clog2(SIMD + 1);  // popcount width
  localparam SMAX = IBITS + WBITS;  // above every term's shift
  localparam EW = CW + SMAX;  // term width
  localparam DA = clog2(NT);  // adder tree height: term t in slot t of the tree of its sign
  localparam SW = EW + DA + 1;  // signed width of the exact dot product
  // A stage of p chained ripple adders of up to W bits spans about 1 + W/4 + 2(p-1) primitives
  // (a LUT, the CARRY4 blocks, then a LUT and a CARRY4 per further adder): the trees register
  // every 3, 2 or 1 levels as that stays within 8 for their widest sum, with a LUT level of
  // margin for the adders Yosys merges.
  localparam TREE_PIPE = (PIPE >= 0) ? PIPE : (EW + DA > 16) ? 1 : (EW + DA > 12) ? 2 : 3;
  localparam LATENCY = at_regs(DA, TREE_PIPE) + 1;  // after the popcounts

  // ---------------------------------------------------------------- side-band
  // through the popcount of lane 0's first plane, then the adder trees and the output register
  wire [TAGW-1:0] tag_pc;
  finnflow_delay #(
      .W      (TAGW),
      .LATENCY(LATENCY)
  ) u_tag (
      .ap_clk  (ap_clk),
      .ap_rst_n(ap_rst_n),
      .en      (en),
      .i       (tag_pc),
      .o       (tag_out)
  );

  // ---------------------------------------------------------------- bit planes
  // plane i of the input (bit i of every lane), shared by all PE. The planes are wired with
  // generate loops: Verilator leaves a procedural loop over more than 64 bits rolled and runs
  // it bit by bit every cycle
  wire [IBITS*SIMD-1:0] xpl;
  genvar i, k;
  generate
    for (i = 0; i < IBITS; i = i + 1) begin : g_xplane
      for (k = 0; k < SIMD; k = k + 1) begin : g_xlane
        assign xpl[i*SIMD+k] = x[k*IBITS+i];
      end
    end
  endgenerate

  // ---------------------------------------------------------------- per output lane
  genvar p, q, t;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
      wire [WBITS*SIMD-1:0] wpl = w[p*WBITS*SIMD+:WBITS*SIMD];  // plane j: bits [j*SIMD +: SIMD]

      wire [NPL*CW-1:0] cnt;
      for (q = 0; q < NPL; q = q + 1) begin : g_plane
        // the plane's operands and op: XNOR(x, w), x & w, or !w (bipolar weights' plane)
        localparam OP = (BINARY_XNOR != 0 || (WBIPOLAR != 0 && q < IBITS)) ? 1 :
            (WBIPOLAR != 0) ? 2 : 0;
        localparam XQ = (WBIPOLAR != 0 || BINARY_XNOR != 0) ? ((q < IBITS) ? q : 0) : q / WBITS;
        localparam WQ = (WBIPOLAR != 0 || BINARY_XNOR != 0) ? 0 : q % WBITS;
        localparam FIRST = (p == 0 && q == 0);
        /* verilator lint_off UNUSEDSIGNAL */
        wire [TAGW-1:0] tq;  // read from the first popcount only
        /* verilator lint_on UNUSEDSIGNAL */
        finnflow_popcount #(
            .N   (SIMD),
            .OP  (OP),
            .TAGW(TAGW)
        ) u_count (
            .ap_clk  (ap_clk),
            .ap_rst_n(ap_rst_n),
            .en      (en),
            .x       (xpl[XQ*SIMD+:SIMD]),
            .w       (wpl[WQ*SIMD+:SIMD]),
            .tag_in  (FIRST ? tag_in : {TAGW{1'b0}}),
            .tag_out (tq),
            .c       (cnt[q*CW+:CW])
        );
        if (FIRST) begin : g_tag
          assign tag_pc = tq;
        end
      end

      // terms: each count shifted to its weight, in slot t of the tree of its sign (0 in the
      // other tree and in the padding slots: synthesis removes the adders of constant 0)
      wire [(EW<<DA)-1:0] pos_terms, neg_terms;
      for (t = 0; t < (1 << DA); t = t + 1) begin : g_term
        if (t >= NT) begin : g_pad
          assign pos_terms[t*EW+:EW] = {EW{1'b0}};
          assign neg_terms[t*EW+:EW] = {EW{1'b0}};
        end else begin : g_count
          wire [EW-1:0] term = EW'(cnt[term_plane(t)*CW+:CW]) << term_shift(t);
          wire neg = term_neg(t) != 0;
          assign pos_terms[t*EW+:EW] = neg ? {EW{1'b0}} : term;
          assign neg_terms[t*EW+:EW] = neg ? term : {EW{1'b0}};
        end
      end

      /* verilator lint_off UNUSEDSIGNAL */
      wire [EW+DA-1:0] pos_sum, neg_sum;  // the upper bits are unused when OBITS wraps
      /* verilator lint_on UNUSEDSIGNAL */
      finnflow_addtree #(
          .DEPTH(DA),
          .W    (EW),
          .PIPE (TREE_PIPE)
      ) u_pos (
          .ap_clk(ap_clk),
          .en    (en),
          .v     (pos_terms),
          .s     (pos_sum)
      );
      if (NNEG > 0) begin : g_negsum
        finnflow_addtree #(
            .DEPTH(DA),
            .W    (EW),
            .PIPE (TREE_PIPE)
        ) u_neg (
            .ap_clk(ap_clk),
            .en    (en),
            .v     (neg_terms),
            .s     (neg_sum)
        );
      end else begin : g_noneg
        assign neg_sum = {(EW + DA) {1'b0}};
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused_neg = &neg_terms;
        /* verilator lint_on UNUSEDSIGNAL */
      end

      // the exact sum, sign-extended to OBITS or wrapped modulo 2**OBITS
      wire [OBITS-1:0] dot;
      if (OBITS > SW) begin : g_ext
        wire signed [SW-1:0] diff = SW'(pos_sum) - SW'(neg_sum);
        assign dot = OBITS'(diff);
      end else begin : g_wrap
        assign dot = OBITS'(pos_sum) - OBITS'(neg_sum);
      end
      reg [OBITS-1:0] yr;
      always @(posedge ap_clk) if (en) yr <= dot;
      assign y[p*OBITS+:OBITS] = yr;
    end
  endgenerate
endmodule
