// skid: two-entry AXI-Stream register slice (skid buffer).
// Full throughput; all outputs (m_axis_tvalid, m_axis_tdata, s_axis_tready) are registered,
// so no combinational path crosses the slice. Used by all finnflow stream modules.
module skid #(
    parameter WIDTH = 8
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
  reg [WIDTH-1:0] dout;  // output register
  reg             dvalid;
  reg [WIDTH-1:0] sbuf;  // skid register, filled when the output stalls
  reg             sfull;

  assign s_axis_tready = !sfull;
  assign m_axis_tvalid = dvalid;
  assign m_axis_tdata  = dout;

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      dvalid <= 1'b0;
      sfull  <= 1'b0;
    end else if (!dvalid || m_axis_tready) begin
      // output register is free (or being emptied): refill it
      if (sfull) begin
        dout   <= sbuf;
        dvalid <= 1'b1;
        sfull  <= 1'b0;
      end else begin
        dout   <= s_axis_tdata;
        dvalid <= s_axis_tvalid;
      end
    end else if (s_axis_tvalid && !sfull) begin
      // output stalled but we were ready: park the word in the skid register
      sbuf  <= s_axis_tdata;
      sfull <= 1'b1;
    end
  end
endmodule
