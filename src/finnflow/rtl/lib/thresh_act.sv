// thresh_act: combinational multi-threshold activation for PE lanes.
// out[p] = ACT_VAL + #{t : v[p] >= T[p][t]}, written as OBITS bits.
// v lanes are VBITS wide (signed if VSIGNED); thresholds are TBITS wide (signed if TSIGNED,
// by default as v), lane p threshold t at bits [(p*N_THRES+t)*TBITS +: TBITS].
/* verilator lint_off WIDTH */
module thresh_act #(
    parameter PE      = 1,
    parameter VBITS   = 8,
    parameter VSIGNED = 1,
    parameter N_THRES = 1,
    parameter OBITS   = 1,
    parameter ACT_VAL = 0,
    parameter TBITS   = VBITS,
    parameter TSIGNED = VSIGNED
) (
    input  wire [      PE*VBITS-1:0] v,
    input  wire [PE*N_THRES*TBITS-1:0] thr,
    output wire [      PE*OBITS-1:0] o
);
  localparam CBITS = $clog2(N_THRES + 1) + 1;  // count width
  localparam EB = ((VBITS > TBITS) ? VBITS : TBITS) + 1;  // common signed compare width

  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
      reg signed [EB-1:0] ve;
      reg signed [EB-1:0] te;
      reg [CBITS-1:0] cnt;
      reg signed [31:0] res;
      integer t;
      always @* begin
        ve  = {{(EB - VBITS) {VSIGNED ? v[p*VBITS+VBITS-1] : 1'b0}}, v[p*VBITS+:VBITS]};
        cnt = {CBITS{1'b0}};
        for (t = 0; t < N_THRES; t = t + 1) begin
          te = {{(EB - TBITS) {TSIGNED ? thr[(p*N_THRES+t)*TBITS+TBITS-1] : 1'b0}},
                thr[(p*N_THRES+t)*TBITS+:TBITS]};
          if (ve >= te) cnt = cnt + 1'b1;
        end
        res = ACT_VAL + $signed({{(32 - CBITS) {1'b0}}, cnt});
      end
      assign o[p*OBITS+:OBITS] = res[OBITS-1:0];
    end
  endgenerate
endmodule
/* verilator lint_on WIDTH */
