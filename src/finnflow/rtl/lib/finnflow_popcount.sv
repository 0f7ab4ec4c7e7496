// finnflow_popcount: the number of set bits among 3 * 2**DEPTH bits, as a balanced tree.
//
// The leaves are full adders (3 bits -> a 2-bit count), so a leaf and the logic that forms its
// bits (an AND or XNOR of two operands) fit one 6-input LUT per output bit. Level d adds two
// (d+1)-bit counts into d+2 bits: widths grow only as the counts need. The output of level d is
// registered (advancing on en) at the root (d = TOP) and, with PIPE > 0, where (d+1) % PIPE == 0;
// finnflow_dotp counts these registers to delay its side-band by the same latency.
module finnflow_popcount #(
    parameter DEPTH = 0,      // height of this subtree (0: a leaf)
    parameter TOP   = DEPTH,  // height of the whole tree
    parameter PIPE  = 3       // register every PIPE levels (0: at the root only)
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                      ap_clk,  // unused where a subtree registers nothing
    input  wire                      en,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [(3<<DEPTH)-1:0] b,
    output wire [         DEPTH+1:0] c
);
  localparam REG = (DEPTH == TOP) || (PIPE > 0 && (DEPTH + 1) % PIPE == 0);

  wire [DEPTH+1:0] s;
  generate
    if (DEPTH == 0) begin : g_leaf
      assign s = {(b[0] & b[1]) | (b[2] & (b[0] ^ b[1])), b[0] ^ b[1] ^ b[2]};
    end else begin : g_node
      wire [DEPTH:0] lo, hi;
      finnflow_popcount #(
          .DEPTH(DEPTH - 1),
          .TOP  (TOP),
          .PIPE (PIPE)
      ) u_lo (
          .ap_clk(ap_clk),
          .en    (en),
          .b     (b[(3<<DEPTH)/2-1:0]),
          .c     (lo)
      );
      finnflow_popcount #(
          .DEPTH(DEPTH - 1),
          .TOP  (TOP),
          .PIPE (PIPE)
      ) u_hi (
          .ap_clk(ap_clk),
          .en    (en),
          .b     (b[(3<<DEPTH)-1:(3<<DEPTH)/2]),
          .c     (hi)
      );
      assign s = {1'b0, lo} + {1'b0, hi};
    end
    if (REG) begin : g_reg
      reg [DEPTH+1:0] r;
      always @(posedge ap_clk) if (en) r <= s;
      assign c = r;
    end else begin : g_comb
      assign c = s;
    end
  endgenerate
endmodule
