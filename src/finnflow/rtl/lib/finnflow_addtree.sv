// finnflow_addtree: the sum of N unsigned W-bit terms (N <= 2**DEPTH), as a balanced tree.
//
// Term i is v[i*W +: W]. Level d adds two (W+d-1)-bit sums into W+d bits, so widths grow only
// as the sums need; the left subtree of each node is full, and a node whose right subtree has no
// terms passes its left sum on. With PIPE > 0 the output of every level d with d % PIPE == 0 is
// registered (advancing on en), on every path alike; finnflow_dotp and finnflow_dotp_dsp count
// these registers to delay their side-band to match. CHAIN = 1 builds each adder as a carry
// chain of Xilinx primitives (finnflow_carry, one LUT per bit for the propagate), which synthesis
// keeps as written: left to itself, Yosys merges unregistered adder levels into multi-operand
// adders that it maps to wide LUT logic instead of carry chains.
module finnflow_addtree #(
    parameter DEPTH = 0,           // height of this subtree (0: a single term)
    parameter W     = 1,           // term width
    parameter PIPE  = 3,           // register every PIPE levels (0: none)
    parameter N     = 1 << DEPTH,  // terms present
    parameter CHAIN = 0            // 1: adders as carry-chain primitives
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire             ap_clk,  // unused where a subtree registers nothing
    input  wire             en,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [  W*N-1:0] v,
    output wire [W+DEPTH-1:0] s
);
  localparam REG = DEPTH > 0 && PIPE > 0 && DEPTH % PIPE == 0;
  localparam HALF = (DEPTH > 0) ? 1 << (DEPTH - 1) : 1;
  localparam NL = (N < HALF) ? N : HALF;  // terms of the left subtree
  localparam NR = N - NL;  // and of the right one

  generate
    if (N < 1 || N > (1 << DEPTH)) begin : g_chk_n
      finnflow_param_error #(.MSG("finnflow_addtree: N must be 1 to 2**DEPTH")) u_error ();
    end
    if (DEPTH == 0) begin : g_term
      assign s = v[W-1:0];
    end else begin : g_node
      wire [W+DEPTH-2:0] lo;
      wire [W+DEPTH-1:0] sum;
      finnflow_addtree #(
          .DEPTH(DEPTH - 1),
          .W    (W),
          .PIPE (PIPE),
          .N    (NL),
          .CHAIN(CHAIN)
      ) u_lo (
          .ap_clk(ap_clk),
          .en    (en),
          .v     (v[W*NL-1:0]),
          .s     (lo)
      );
      if (NR > 0) begin : g_pair
        wire [W+DEPTH-2:0] hi;
        finnflow_addtree #(
            .DEPTH(DEPTH - 1),
            .W    (W),
            .PIPE (PIPE),
            .N    (NR),
            .CHAIN(CHAIN)
        ) u_hi (
            .ap_clk(ap_clk),
            .en    (en),
            .v     (v[W*N-1:W*NL]),
            .s     (hi)
        );
        if (CHAIN != 0) begin : g_chain
          finnflow_carry #(
              .N(W + DEPTH - 1)
          ) u_add (
              .s (lo ^ hi),
              .di(lo),
              .o (sum[W+DEPTH-2:0]),
              .co(sum[W+DEPTH-1])
          );
        end else begin : g_logic
          assign sum = {1'b0, lo} + {1'b0, hi};
        end
      end else begin : g_pass
        assign sum = {1'b0, lo};
      end
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
