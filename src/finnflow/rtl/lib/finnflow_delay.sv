// finnflow_delay: o is i of LATENCY advances of en ago (LATENCY = 0: a wire); a side-band
// (valid, first, last) travelling beside a pipelined datapath. ap_rst_n clears the stages.
module finnflow_delay #(
    parameter W       = 1,
    parameter LATENCY = 1
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire         ap_clk,  // unused with LATENCY = 0
    input  wire         ap_rst_n,
    input  wire         en,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [W-1:0] i,
    output wire [W-1:0] o
);
  generate
    if (LATENCY == 0) begin : g_wire
      assign o = i;
    end else begin : g_regs
      reg [W-1:0] r[0:LATENCY-1];
      integer l;
      always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
          for (l = 0; l < LATENCY; l = l + 1) r[l] <= {W{1'b0}};
        end else if (en) begin
          r[0] <= i;
          for (l = 1; l < LATENCY; l = l + 1) r[l] <= r[l-1];
        end
      end
      assign o = r[LATENCY-1];
    end
  endgenerate
endmodule
