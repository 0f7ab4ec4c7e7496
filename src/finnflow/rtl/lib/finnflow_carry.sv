// finnflow_carry: an N-position carry chain (Xilinx CARRY4 blocks), carry in 0.
//
// Position k: o[k] = s[k] ^ c[k], c[k+1] = s[k] ? c[k] : di[k]; co = c[N]. With s[k] the
// propagate (a XOR b) and di[k] the generate (a or b) this adds a + b. Synthesis gets the
// primitives, the simulators without the Xilinx library the same logic.
module finnflow_carry #(
    parameter N = 4
) (
    input  wire [N-1:0] s,
    input  wire [N-1:0] di,
    output wire [N-1:0] o,
    output wire         co
);
`ifdef VERILATOR
  `define FINNFLOW_CARRY_LOGIC
`elsif __ICARUS__
  `define FINNFLOW_CARRY_LOGIC
`endif
`ifdef FINNFLOW_CARRY_LOGIC
  `undef FINNFLOW_CARRY_LOGIC
  wire [N:0] c  /* verilator split_var */;  // each position from the one below
  assign c[0] = 1'b0;
  genvar k;
  generate
    for (k = 0; k < N; k = k + 1) begin : g_pos
      assign o[k]   = s[k] ^ c[k];
      assign c[k+1] = s[k] ? c[k] : di[k];
    end
  endgenerate
  assign co = c[N];
`else
  localparam NB = (N + 3) / 4;  // CARRY4 blocks
  wire [4*NB-1:0] sp = {{(4 * NB - N) {1'b0}}, s};
  wire [4*NB-1:0] dp = {{(4 * NB - N) {1'b0}}, di};
  wire [4*NB-1:0] op, cop;
  genvar b;
  generate
    for (b = 0; b < NB; b = b + 1) begin : g_blk
      CARRY4 u_c4 (
          .CI    (b == 0 ? 1'b0 : cop[4*b-1]),
          .CYINIT(1'b0),
          .DI    (dp[4*b+:4]),
          .S     (sp[4*b+:4]),
          .O     (op[4*b+:4]),
          .CO    (cop[4*b+:4])
      );
    end
  endgenerate
  assign o  = op[N-1:0];
  assign co = cop[N-1];
`endif
endmodule
