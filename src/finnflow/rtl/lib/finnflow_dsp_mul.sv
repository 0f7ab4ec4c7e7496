// finnflow_dsp_mul: p = a * b (unsigned) with product and output registers advancing on en, the
// form synthesis maps to one DSP slice (MREG, PREG) when a and b fit it. The operands come from
// the caller's registers (in finnflow_mvau the fetch stage's), not from AREG/BREG: an operand
// with constant bits, such as packed weights with gaps between them, keeps Yosys from moving
// its register into the slice.
(* use_dsp = "yes" *)
module finnflow_dsp_mul #(
    parameter AW = 18,
    parameter BW = 18
) (
    input  wire             ap_clk,
    input  wire             en,
    input  wire [   AW-1:0] a,
    input  wire [   BW-1:0] b,
    output wire [AW+BW-1:0] p
);
  reg [AW+BW-1:0] m_r, p_r;
  always @(posedge ap_clk) begin
    if (en) begin
      m_r <= a * b;
      p_r <= m_r;
    end
  end
  assign p = p_r;
endmodule
