// finnflow_fifo: AXI-Stream FIFO with a synchronous-read memory (DEPTH >= 2 entries) plus a
// registered output stage (total capacity DEPTH + 1). Full throughput; the first word appears
// 2 cycles after it is accepted. RAM_STYLE ("distributed", "block", ...) is passed to the memory.
// With FINNFLOW_FIFO_MONITOR defined (FIFO sizing runs only, finnflow.sim.fifo_sizing), a run may
// lower the capacity of the memory to L words (2 <= L <= DEPTH) with the plusarg
// +FINNFLOW_FIFO_DEPTH_<instance path>=L, so that one build tries many depths, and the FIFO prints
// "FINNFLOW_FIFO_PEAK <instance path> <n>" when the simulation ends: n is the smallest DEPTH that
// accepts every word written in the run.
module finnflow_fifo #(
    parameter WIDTH     = 8,
    parameter DEPTH     = 16,
    // used only in a ram_style attribute, which Verilator does not read
    /* verilator lint_off UNUSEDPARAM */
    parameter RAM_STYLE = "distributed"
    /* verilator lint_on UNUSEDPARAM */
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
      finnflow_param_error #(.MSG("finnflow_fifo: WIDTH must be at least 1")) u_error ();
    end
    if (DEPTH < 2) begin : g_chk_depth
      finnflow_param_error #(.MSG("finnflow_fifo: DEPTH must be at least 2")) u_error ();
    end
  endgenerate

  localparam AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam CB = $clog2(DEPTH + 1);
  localparam [AB-1:0] A_LAST = AB'(DEPTH - 1);
  localparam [CB-1:0] C_FULL = CB'(DEPTH);

  (* ram_style = RAM_STYLE *) reg [WIDTH-1:0] mem[0:DEPTH-1];
  reg [AB-1:0] wptr, rptr;
  reg [CB-1:0] count;  // words held in mem
  reg [WIDTH-1:0] dout;
  reg dvalid;

  wire wr = s_axis_tvalid && s_axis_tready;
  wire rd = (count != {CB{1'b0}}) && (!dvalid || m_axis_tready);

`ifdef FINNFLOW_FIFO_MONITOR
  reg [CB-1:0] full_at;  // the capacity of this run
  initial
    if (!$value$plusargs($sformatf("FINNFLOW_FIFO_DEPTH_%m=%%d"), full_at)) full_at = C_FULL;
  assign s_axis_tready = (count != full_at);
`else
  assign s_axis_tready = (count != C_FULL);
`endif
  assign m_axis_tvalid = dvalid;
  assign m_axis_tdata  = dout;

  always @(posedge ap_clk) begin
    if (wr) mem[wptr] <= s_axis_tdata;
    if (rd) dout <= mem[rptr];
  end

  always @(posedge ap_clk) begin
    if (rst) begin
      wptr   <= {AB{1'b0}};
      rptr   <= {AB{1'b0}};
      count  <= {CB{1'b0}};
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

`ifdef FINNFLOW_FIFO_MONITOR
  // a write is accepted while count != DEPTH, a read in the same cycle notwithstanding: a
  // memory of DEPTH words takes the writes of a run iff DEPTH > count at every write
  wire [CB-1:0] held = count + 1'b1;  // words in mem, the one written counted
  reg  [CB-1:0] peak;
  always @(posedge ap_clk) begin
    if (rst) peak <= {CB{1'b0}};
    else if (wr && held > peak) peak <= held;
  end
  final $display("FINNFLOW_FIFO_PEAK %m %0d", peak);
`endif
endmodule
