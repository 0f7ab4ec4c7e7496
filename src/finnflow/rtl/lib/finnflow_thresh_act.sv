// finnflow_thresh_act: combinational multi-threshold activation for PE lanes.
// out[p] = ACT_VAL + #{t : v[p] >= T[p][t]}, written as OBITS bits (two's complement when
// ACT_VAL < 0, else unsigned; the range ACT_VAL .. ACT_VAL + N_THRES must fit).
// Lane p of v is bits [p*VBITS +: VBITS] (signed if VSIGNED). Thresholds are TBITS wide (signed
// if TSIGNED, by default as v): lane p threshold t at bits [(p*N_THRES+t)*TBITS +: TBITS].
module finnflow_thresh_act #(
    parameter PE      = 1,
    parameter VBITS   = 8,
    parameter VSIGNED = 1,
    parameter N_THRES = 1,
    parameter OBITS   = 1,
    parameter ACT_VAL = 0,
    parameter TBITS   = VBITS,
    parameter TSIGNED = VSIGNED
) (
    input  wire [        PE*VBITS-1:0] v,
    input  wire [PE*N_THRES*TBITS-1:0] thr,
    output wire [        PE*OBITS-1:0] o
);
  localparam EB = ((VBITS > TBITS) ? VBITS : TBITS) + 1;  // common signed compare width
  localparam HI = ACT_VAL + N_THRES;  // largest output value
  localparam OUT_FITS = (OBITS >= 31) ||
      ((ACT_VAL < 0) ? (ACT_VAL >= -(1 << (OBITS - 1)) && HI < (1 << (OBITS - 1)))
                     : (HI < (1 << OBITS)));

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (PE < 1) begin : g_chk_pe
      finnflow_param_error #(.MSG("finnflow_thresh_act: PE must be at least 1")) u_error ();
    end
    if (VBITS < 1 || TBITS < 1 || OBITS < 1) begin : g_chk_width
      finnflow_param_error #(
          .MSG("finnflow_thresh_act: VBITS, TBITS and OBITS must be at least 1")
      ) u_error ();
    end
    if (N_THRES < 1) begin : g_chk_n_thres
      finnflow_param_error #(.MSG("finnflow_thresh_act: N_THRES must be at least 1")) u_error ();
    end
    if (!OUT_FITS) begin : g_chk_range
      finnflow_param_error #(
          .MSG("finnflow_thresh_act: outputs ACT_VAL .. ACT_VAL + N_THRES must fit in OBITS")
      ) u_error ();
    end
  endgenerate

  localparam [OBITS-1:0] ACT_O = OBITS'(ACT_VAL);  // ACT_VAL modulo 2**OBITS

  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
      wire [VBITS-1:0] vl = v[p*VBITS+:VBITS];
      wire signed [EB-1:0] ve = {{(EB - VBITS) {VSIGNED != 0 && vl[VBITS-1]}}, vl};
      reg [TBITS-1:0] tl;
      reg signed [EB-1:0] te;
      reg [OBITS-1:0] res;
      integer t;
      always @* begin
        res = ACT_O;
        for (t = 0; t < N_THRES; t = t + 1) begin
          tl = thr[(p*N_THRES+t)*TBITS+:TBITS];
          te = {{(EB - TBITS) {TSIGNED != 0 && tl[TBITS-1]}}, tl};
          if (ve >= te) res = res + 1'b1;
        end
      end
      assign o[p*OBITS+:OBITS] = res;
    end
  endgenerate
endmodule
