// finnflow_addtree: the sum of 2**DEPTH unsigned W-bit terms, as a balanced tree.
//
// Term i is v[i*W +: W]. Level d adds two (W+d-1)-bit sums into W+d bits, so widths grow only
// as the sums need. With PIPE > 0 the output of every level d with d % PIPE == 0 is registered
// (advancing on en); finnflow_dotp counts these registers to delay its side-band to match.
module finnflow_addtree #(
    parameter DEPTH = 0,  // height of this subtree (0: a single term)
    parameter W     = 1,  // term width
    parameter PIPE  = 3   // register every PIPE levels (0: none)
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                    ap_clk,  // unused where a subtree registers nothing
    input  wire                    en,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [(W<<DEPTH)-1:0] v,
    output wire [     W+DEPTH-1:0] s
);
  localparam REG = DEPTH > 0 && PIPE > 0 && DEPTH % PIPE == 0;

  generate
    if (DEPTH == 0) begin : g_term
      assign s = v;
    end else begin : g_node
      wire [W+DEPTH-2:0] lo, hi;
      wire [W+DEPTH-1:0] sum = {1'b0, lo} + {1'b0, hi};
      finnflow_addtree #(
          .DEPTH(DEPTH - 1),
          .W    (W),
          .PIPE (PIPE)
      ) u_lo (
          .ap_clk(ap_clk),
          .en    (en),
          .v     (v[(W<<DEPTH)/2-1:0]),
          .s     (lo)
      );
      finnflow_addtree #(
          .DEPTH(DEPTH - 1),
          .W    (W),
          .PIPE (PIPE)
      ) u_hi (
          .ap_clk(ap_clk),
          .en    (en),
          .v     (v[(W<<DEPTH)-1:(W<<DEPTH)/2]),
          .s     (hi)
      );
      if (REG) begin : g_reg
        reg [W+DEPTH-1:0] r;
        always @(posedge ap_clk) if (en) r <= sum;
        assign s = r;
      end else begin : g_comb
        assign s = sum;
      end
    end
  endgenerate
endmodule
