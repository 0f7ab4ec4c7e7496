// fifo: AXI-Stream FIFO with a synchronous-read memory (DEPTH >= 2 entries) plus a registered
// output stage (total capacity DEPTH + 1). Full throughput; first word appears 2 cycles after
// it is accepted. RAM_STYLE ("distributed", "block", ...) is passed to the memory.
/* verilator lint_off WIDTH */
module fifo #(
    parameter WIDTH     = 8,
    parameter DEPTH     = 16,
    parameter RAM_STYLE = "distributed"
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
  localparam AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam CB = $clog2(DEPTH + 1);
  localparam [AB-1:0] A_LAST = DEPTH - 1;
  localparam [CB-1:0] C_FULL = DEPTH;

  (* ram_style = RAM_STYLE *) reg [WIDTH-1:0] mem[0:DEPTH-1];
  reg [AB-1:0] wptr, rptr;
  reg [CB-1:0] count;  // words held in mem
  reg [WIDTH-1:0] dout;
  reg dvalid;

  wire wr = s_axis_tvalid && s_axis_tready;
  wire rd = (count != 0) && (!dvalid || m_axis_tready);

  assign s_axis_tready = (count != C_FULL);
  assign m_axis_tvalid = dvalid;
  assign m_axis_tdata  = dout;

  always @(posedge ap_clk) begin
    if (wr) mem[wptr] <= s_axis_tdata;
    if (rd) dout <= mem[rptr];
  end

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      wptr   <= 0;
      rptr   <= 0;
      count  <= 0;
      dvalid <= 1'b0;
    end else begin
      if (wr) wptr <= (wptr == A_LAST) ? {AB{1'b0}} : wptr + 1'b1;
      if (rd) rptr <= (rptr == A_LAST) ? {AB{1'b0}} : rptr + 1'b1;
      if (wr && !rd) count <= count + 1'b1;
      else if (rd && !wr) count <= count - 1'b1;
      if (rd) dvalid <= 1'b1;
      else if (m_axis_tready) dvalid <= 1'b0;
    end
  end
endmodule
/* verilator lint_on WIDTH */
