// finnflow_skid: AXI-Stream register slice, the output tail of every finnflow stream module.
// An optional input register (IN_REG = 1: one pipeline stage that loads whenever the slice is
// ready) feeds a two-entry skid buffer (output register + skid register). Full throughput;
// m_axis_tvalid, m_axis_tdata and s_axis_tready are all registered, so no combinational path
// crosses the slice. A module's pipeline advances on this slice's s_axis_tready.
// Latency: 1 cycle (IN_REG = 0) or 2 cycles (IN_REG = 1); capacity 2 or 3 words.
module finnflow_skid #(
    parameter WIDTH  = 8,
    parameter IN_REG = 0
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [WIDTH-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
  wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high

  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (WIDTH < 1) begin : g_chk_width
      finnflow_param_error #(.MSG("finnflow_skid: WIDTH must be at least 1")) u_error ();
    end
    if (IN_REG != 0 && IN_REG != 1) begin : g_chk_in_reg
      finnflow_param_error #(.MSG("finnflow_skid: IN_REG must be 0 or 1")) u_error ();
    end
  endgenerate

  reg [WIDTH-1:0] dout;  // output register
  reg             dvalid;
  reg [WIDTH-1:0] sbuf;  // skid register, filled when the output stalls
  reg             ready;  // the skid register is empty; kept positive, as the clock enable
                          // of every pipeline register behind the slice

  assign s_axis_tready = ready;
  assign m_axis_tvalid = dvalid;
  assign m_axis_tdata  = dout;

  wire [WIDTH-1:0] in_data;
  wire             in_valid;
  generate
    if (IN_REG != 0) begin : g_in_reg
      reg [WIDTH-1:0] rdata;
      reg             rvalid;
      always @(posedge ap_clk) begin
        if (rst) rvalid <= 1'b0;
        else if (ready) rvalid <= s_axis_tvalid;
        if (ready && s_axis_tvalid) rdata <= s_axis_tdata;
      end
      assign in_data  = rdata;
      assign in_valid = rvalid;
    end else begin : g_no_in_reg
      assign in_data  = s_axis_tdata;
      assign in_valid = s_axis_tvalid;
    end
  endgenerate

  always @(posedge ap_clk) begin
    if (rst) begin
      dvalid <= 1'b0;
      ready  <= 1'b1;
    end else if (!dvalid || m_axis_tready) begin
      // output register free or being emptied: refill it, from the skid register first
      if (!ready) begin
        dout   <= sbuf;
        dvalid <= 1'b1;
        ready  <= 1'b1;
      end else begin
        dout   <= in_data;
        dvalid <= in_valid;
      end
    end else if (in_valid && ready) begin
      // output stalled while we were ready: park the word in the skid register
      sbuf  <= in_data;
      ready <= 1'b0;
    end
  end
endmodule
