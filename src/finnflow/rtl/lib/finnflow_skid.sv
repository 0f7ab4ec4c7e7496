// finnflow_skid: AXI-Stream register slice, the output tail of every finnflow stream module.
// An optional input register (IN_REG = 1: one pipeline stage that loads whenever the slice is
// ready) feeds a two-entry skid buffer (output register + skid register). Full throughput;
// m_axis_tvalid, m_axis_tdata and s_axis_tready are all registered, so no combinational path
// crosses the slice. A module's pipeline advances on this slice's s_axis_tready.
// Latency: 1 cycle (IN_REG = 0) or 2 cycles (IN_REG = 1); capacity 2 or 3 words.
// SPACED = 1 (with IN_REG = 1) is for a producer that never offers a word in the cycle after a
// transfer (an MVAU with SF > 1 emits at most every other step): the input register feeds the
// output register directly, with no skid register and no multiplexer; s_axis_tready is low
// while both hold a word (and is registered, as above). Any producer is served correctly; one
// that offers a word every cycle gets two cycles in three.
module finnflow_skid #(
    parameter WIDTH  = 8,
    parameter IN_REG = 0,
    parameter SPACED = 0
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
    if (SPACED != 0 && (SPACED != 1 || IN_REG != 1)) begin : g_chk_spaced
      finnflow_param_error #(
          .MSG("finnflow_skid: SPACED must be 0, or 1 with IN_REG = 1")
      ) u_error ();
    end
  endgenerate

  reg [WIDTH-1:0] dout;  // output register
  reg             dvalid;
  wire            take = !dvalid || m_axis_tready;  // the output register loads
  assign m_axis_tvalid = dvalid;
  assign m_axis_tdata  = dout;

  generate
    if (SPACED != 0) begin : g_spaced
      reg [WIDTH-1:0] rdata;
      reg             rvalid;
      reg             ready;  // not both registers full: a register, as the pipeline's enable
      // ready with a word in rdata means dout is empty, so that word moves on
      wire            rvalid_n = ready ? s_axis_tvalid : (rvalid && !take);
      wire            dvalid_n = take ? rvalid : dvalid;
      assign s_axis_tready = ready;
      always @(posedge ap_clk) begin
        if (rst) begin
          rvalid <= 1'b0;
          dvalid <= 1'b0;
          ready  <= 1'b1;
        end else begin
          rvalid <= rvalid_n;
          dvalid <= dvalid_n;
          ready  <= !(rvalid_n && dvalid_n);
        end
        if (ready && s_axis_tvalid) rdata <= s_axis_tdata;
        if (take) dout <= rdata;
      end
    end else begin : g_skid
      reg [WIDTH-1:0] sbuf;  // skid register, filled when the output stalls
      reg             ready;  // the skid register is empty; kept positive, as the clock enable
                              // of every pipeline register behind the slice
      assign s_axis_tready = ready;

      wire [WIDTH-1:0] in_data;
      wire             in_valid;
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

      always @(posedge ap_clk) begin
        if (rst) begin
          dvalid <= 1'b0;
          ready  <= 1'b1;
        end else if (take) begin
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
    end
  endgenerate
endmodule
