// finnflow_dotp_dsp: PE dot products of one SIMD-lane input vector, the products in DSP slices
// (FINN's resType "dsp"), PACK products in each.
//
// y[p] = sum_k x'[k] * w[p][k] modulo 2**OBITS (two's complement), where x' = x for unsigned
// inputs and x' = x + 2**(IBITS-1) (the sign bit inverted) for signed ones: there y exceeds the
// dot product by 2**(IBITS-1) * sum_k w[p][k], a constant per row over a whole input vector that
// finnflow_mvau's user moves into the thresholds. The products are of non-negative weights w':
// signed weights arrive as w' = w + 2**(WBITS-1) (their sign bit inverted, in the weight memory,
// so no logic inverts it), bipolar ones (the bit b for 2b - 1) as w' = 2b + 1 in WB = 2 bits, so
// that with B = 2**(WB-1) for signed and bipolar weights, else 0,
//   y[p] = sum_k x'[k] * w'[p][k] - B * sum_k x'[k],
// the second sum shared by all PE. The products of up to PACK rows with one input lane are
// fields of F = IBITS + WB bits of one multiplication, x'[k] * {..., w'[d+ND][k], w'[d][k]} for
// DSP d of ND (rows dealt out in turn, so the DSPs hold PE/ND rows each, give or take one), with
// the w' spaced F bits apart: no field carries into the next and unpacking is wiring. The packed
// operand stays within 24 unsigned bits (the 25 x 18 signed multiplier of a DSP48E1; DSP48E2 is
// wider), the input within 17. Each multiplier registers its product and output (the DSP's MREG
// and PREG, advancing on en; x and w come from registers); the fields of a row are summed over
// the lanes by an adder tree (finnflow_addtree) registered every PIPE levels (by default by the
// tree's width, as in finnflow_dotp), its adders carry chains of primitives (CHAIN), one LUT per
// bit, which Yosys would otherwise merge into wide LUT logic. tag_in leaves at tag_out with the
// data; ap_rst_n clears the tags.
module finnflow_dotp_dsp #(
    parameter SIMD     = 1,
    parameter PE       = 1,
    parameter IBITS    = 4,
    parameter ISIGNED  = 0,
    parameter WBITS    = 4,
    parameter WSIGNED  = 1,
    parameter WBIPOLAR = 0,
    parameter OBITS    = 16,
    parameter TAGW     = 1,
    parameter PIPE     = -1  // adder-tree levels per register; -1: by width (TREE_PIPE)
) (
    input  wire                     ap_clk,
    input  wire                     ap_rst_n,  // clears the side-band (valid bits) only
    input  wire                     en,
    input  wire [   SIMD*IBITS-1:0] x,
    input  wire [PE*SIMD*WBITS-1:0] w,
    input  wire [         TAGW-1:0] tag_in,
    output wire [     PE*OBITS-1:0] y,
    output wire [         TAGW-1:0] tag_out
);
  function automatic integer clog2(input integer n);
    clog2 = 0;
    while ((1 << clog2) < n) clog2 = clog2 + 1;
  endfunction

  function automatic integer at_regs(input integer d, input integer pipe);
    integer l;
    at_regs = 0;
    for (l = 1; l <= d; l = l + 1) if (pipe > 0 && l % pipe == 0) at_regs = at_regs + 1;
  endfunction

  localparam WB = (WBIPOLAR != 0) ? 2 : WBITS;  // bits of w'
  localparam OFFSET = (WBIPOLAR != 0 || WSIGNED != 0);  // y subtracts 2**(WB-1) * sum x
  localparam F = IBITS + WB;  // a product field
  localparam PACK_MAX = (24 - WB) / F + 1;  // fields the multiplier's wide operand holds
  localparam ND = (PE + PACK_MAX - 1) / PACK_MAX;  // DSPs per input lane
  localparam PACK = (PE + ND - 1) / ND;  // products per DSP, at most
  localparam AW = (PACK - 1) * F + WB;  // packed operand
  localparam D = clog2(SIMD);  // adder tree height
  localparam SW = F + D + 1;  // signed width of the exact dot product
  localparam TREE_PIPE = (PIPE >= 0) ? PIPE : (F + D > 16) ? 1 : (F + D > 12) ? 2 : 3;
  localparam MUL_LATENCY = 2;
  localparam LATENCY = MUL_LATENCY + at_regs(D, TREE_PIPE) + 1;

  generate
    if (IBITS > 17 || AW > 24) begin : g_chk_width
      finnflow_param_error #(
          .MSG("finnflow_dotp_dsp: IBITS must be at most 17 and the weights at most 24 bits")
      ) u_error ();
    end
  endgenerate

  finnflow_delay #(
      .W      (TAGW),
      .LATENCY(LATENCY)
  ) u_tag (
      .ap_clk  (ap_clk),
      .ap_rst_n(ap_rst_n),
      .en      (en),
      .i       (tag_in),
      .o       (tag_out)
  );

  // ---------------------------------------------------------------- unsigned inputs x'
  localparam [IBITS-1:0] XSIGN = (ISIGNED != 0) ? IBITS'(1) << (IBITS - 1) : {IBITS{1'b0}};
  reg [SIMD*IBITS-1:0] xu;
  integer i;
  always @* for (i = 0; i < SIMD; i = i + 1) xu[i*IBITS+:IBITS] = x[i*IBITS+:IBITS] ^ XSIGN;

  // ---------------------------------------------------------------- packed multiplications
  // product of lane k and DSP d: fields j = 0 .. PACK-1 hold x[k] * w'[j*ND+d][k]
  /* verilator lint_off UNUSEDSIGNAL */
  wire [ND*SIMD*PACK*F-1:0] prod;  // fields past row PE-1 are zero
  /* verilator lint_on UNUSEDSIGNAL */
  genvar k, d, j, p;
  generate
    for (d = 0; d < ND; d = d + 1) begin : g_dsp
      for (k = 0; k < SIMD; k = k + 1) begin : g_lane
        wire [AW-1:0] a;
        for (j = 0; j < PACK; j = j + 1) begin : g_field
          localparam ROW = j * ND + d;
          if (ROW < PE) begin : g_row
            // w': bipolar {b, 1} (2b + 1); otherwise as stored
            wire [WBITS-1:0] wr = w[(ROW*SIMD+k)*WBITS+:WBITS];
            wire [WB-1:0] wj;
            if (WBIPOLAR != 0) begin : g_bipolar
              assign wj = {wr, 1'b1};
            end else begin : g_stored
              assign wj = wr;
            end
            if (j < PACK - 1) begin : g_gap
              assign a[j*F+:F] = {{(F - WB) {1'b0}}, wj};
            end else begin : g_top
              assign a[j*F+:WB] = wj;
            end
          end else if (j < PACK - 1) begin : g_none
            assign a[j*F+:F] = {F{1'b0}};
          end else begin : g_none_top
            assign a[j*F+:WB] = {WB{1'b0}};
          end
        end
        wire [AW+IBITS-1:0] m;  // PACK fields of F bits
        finnflow_dsp_mul #(
            .AW(AW),
            .BW(IBITS)
        ) u_mul (
            .ap_clk(ap_clk),
            .en    (en),
            .a     (a),
            .b     (xu[k*IBITS+:IBITS]),
            .p     (m)
        );
        assign prod[(d*SIMD+k)*PACK*F+:PACK*F] = m;
      end
    end
  endgenerate

  // ---------------------------------------------------------------- the shared input sum
  wire [IBITS+D-1:0] xsum;
  generate
    if (OFFSET) begin : g_xsum
      wire [IBITS+D-1:0] xs;
      finnflow_addtree #(
          .DEPTH(D),
          .W    (IBITS),
          .PIPE (TREE_PIPE),
          .N    (SIMD),
          .CHAIN(1)
      ) u_xsum (
          .ap_clk(ap_clk),
          .en    (en),
          .v     (xu),
          .s     (xs)
      );
      finnflow_delay #(
          .W      (IBITS + D),
          .LATENCY(MUL_LATENCY)
      ) u_xdelay (
          .ap_clk  (ap_clk),
          .ap_rst_n(1'b1),
          .en      (en),
          .i       (xs),
          .o       (xsum)
      );
    end else begin : g_noxsum
      assign xsum = {(IBITS + D) {1'b0}};
    end
  endgenerate

  // ---------------------------------------------------------------- per output lane
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
      localparam DP = p % ND, JP = p / ND;
      wire [F*SIMD-1:0] terms;
      for (k = 0; k < SIMD; k = k + 1) begin : g_term
        assign terms[k*F+:F] = prod[((DP*SIMD+k)*PACK+JP)*F+:F];
      end
      /* verilator lint_off UNUSEDSIGNAL */
      wire [F+D-1:0] s;  // the upper bits are unused when OBITS wraps
      /* verilator lint_on UNUSEDSIGNAL */
      finnflow_addtree #(
          .DEPTH(D),
          .W    (F),
          .PIPE (TREE_PIPE),
          .N    (SIMD),
          .CHAIN(1)
      ) u_sum (
          .ap_clk(ap_clk),
          .en    (en),
          .v     (terms),
          .s     (s)
      );
      // the exact sum, sign-extended to OBITS or wrapped modulo 2**OBITS
      wire [OBITS-1:0] dot;
      if (OBITS > SW) begin : g_ext
        wire signed [SW-1:0] diff = SW'(s) - (SW'(xsum) << (WB - 1));
        assign dot = OBITS'(diff);
      end else begin : g_wrap
        assign dot = OBITS'(s) - (OBITS'(xsum) << (WB - 1));
      end
      reg [OBITS-1:0] yr;
      always @(posedge ap_clk) if (en) yr <= dot;
      assign y[p*OBITS+:OBITS] = yr;
    end
  endgenerate
endmodule

