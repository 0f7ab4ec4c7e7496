// finnflow_carry: an N-position carry chain (Xilinx CARRY4 blocks), carry in 0.
//
// Position k: o[k] = s[k] ^ c[k], c[k+1] = s[k] ? c[k] : di[k]; co = c[N]. With s[k] the
// propagate (a XOR b) and di[k] the generate (a or b) this adds a + b. Synthesis gets the
// primitives, the simulators without the Xilinx library the same function as one addition.
module finnflow_carry #(
    parameter N = 4
) (
    input  wire [N-1:0] s,
    input  wire [N-1:0] di,
    output wire [N-1:0] o,
    output wire         co
);
`ifdef VERILATOR
  `define FINNFLOW_CARRY_SUM
`elsif __ICARUS__
  `define FINNFLOW_CARRY_SUM
`endif
`ifdef FINNFLOW_CARRY_SUM
  `undef FINNFLOW_CARRY_SUM
  // the chain adds di + (s ^ di): where s[k] is 1 the operands' bits differ and the carry
  // passes, where it is 0 both are di[k], which is then the carry out; one addition simulates
  // the N positions at once (tests/rtl/test_yosys.py proves it equal to the CARRY4 chain)
  assign {co, o} = {1'b0, di} + {1'b0, s ^ di};
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
