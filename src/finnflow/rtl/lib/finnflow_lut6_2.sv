// finnflow_lut6_2: one 6-input LUT site with two outputs (Xilinx LUT6_2).
//
// o6 = INIT[i]; o5 = INIT[i[4:0]] (tie i[5] to 1 to use both outputs as two functions of
// i[4:0]). Synthesis gets the primitive itself, so the pairing of two functions in one site
// is fixed in the netlist and counted as one LUT; the simulators without the Xilinx library
// (Verilator, Icarus) get the same function as logic.
module finnflow_lut6_2 #(
    parameter [63:0] INIT = 64'h0
) (
    input  wire [5:0] i,
    output wire       o6,
    output wire       o5
);
`ifdef VERILATOR
  assign o6 = INIT[i];
  assign o5 = INIT[{1'b0, i[4:0]}];
`elsif __ICARUS__
  assign o6 = INIT[i];
  assign o5 = INIT[{1'b0, i[4:0]}];
`else
  LUT6_2 #(
      .INIT(INIT)
  ) u_lut (
      .I0(i[0]),
      .I1(i[1]),
      .I2(i[2]),
      .I3(i[3]),
      .I4(i[4]),
      .I5(i[5]),
      .O6(o6),
      .O5(o5)
  );
`endif
endmodule
