// finnflow_param_error: stops elaboration with message MSG ("<module>: <rule>"). A library
// module instantiates it inside a generate-if whose condition is a broken parameter rule, so a
// wrong instantiation fails loudly in every tool; with the default MSG = "" it does nothing.
// How each tool is stopped:
//  - Yosys: elaboration-time $error.
//  - Icarus: $fatal at time 0 (Icarus 11 has no elaboration-time $error).
//  - In Verilator an elaboration-time $error is only a warning (USERERROR), which -Wno-fatal lets
//    through; instead a constant function runs $error, which prints MSG and then fails the
//    build with a hard error ("$stop executed during function constification").
module finnflow_param_error #(
    parameter MSG = ""
) ();
  generate
    if (MSG != "") begin : g_error
`ifdef __ICARUS__
      initial $fatal(1, "%0s", MSG);
`elsif VERILATOR
      localparam integer STOPPED = stop_elaboration(0);
`else
      $error(MSG);
`endif
    end
  endgenerate

`ifdef VERILATOR
  function automatic integer stop_elaboration(input integer code);
    begin
      $error("%s", MSG);
      stop_elaboration = code;
    end
  endfunction
`endif
endmodule
