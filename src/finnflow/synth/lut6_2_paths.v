// Yosys techmap for the logic-depth measurement only (after the cells are counted): a LUT6_2 as
// its two functions, O6 of I0..I5 and O5 of I0..I4, so that opt_lut drops the inputs each output
// does not depend on and ltp follows only real paths (a ternary adder's LUTs pass the column
// majority to O6 of the next column, never through O5).
module LUT6_2 #(
    parameter [63:0] INIT = 64'h0
) (
    input  I0,
    input  I1,
    input  I2,
    input  I3,
    input  I4,
    input  I5,
    output O6,
    output O5
);
  \$lut #(
      .WIDTH(6),
      .LUT  (INIT)
  ) o6 (
      .A({I5, I4, I3, I2, I1, I0}),
      .Y(O6)
  );
  \$lut #(
      .WIDTH(5),
      .LUT  (INIT[31:0])
  ) o5 (
      .A({I4, I3, I2, I1, I0}),
      .Y(O5)
  );
endmodule
