// finnflow_dwc: AXI-Stream data-width converter, IN_WIDTH -> OUT_WIDTH where one divides the
// other. Lane 0 is in the LSBs: when widening, the first input word lands in the output's LSBs;
// when narrowing, the input's LSBs are emitted first. Full throughput at the narrow side's rate
// (one word per cycle); output through finnflow_skid (registered handshakes).
module finnflow_dwc #(
    parameter IN_WIDTH  = 8,
    parameter OUT_WIDTH = 32
) (
    input  wire                 ap_clk,
    input  wire                 ap_rst_n,
    input  wire [ IN_WIDTH-1:0] s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    output wire [OUT_WIDTH-1:0] m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready
);
  // parameter rules: each broken one stops elaboration (finnflow_param_error)
  generate
    if (IN_WIDTH < 1 || OUT_WIDTH < 1) begin : g_chk_width
      finnflow_param_error #(
          .MSG("finnflow_dwc: IN_WIDTH and OUT_WIDTH must be at least 1")
      ) u_error ();
    end else if (IN_WIDTH % OUT_WIDTH != 0 && OUT_WIDTH % IN_WIDTH != 0) begin : g_chk_ratio
      finnflow_param_error #(
          .MSG("finnflow_dwc: one of IN_WIDTH and OUT_WIDTH must divide the other")
      ) u_error ();
    end
  endgenerate

  wire                 en;  // the output slice can accept
  wire [OUT_WIDTH-1:0] o_data;
  wire                 o_valid;

  generate
    if (OUT_WIDTH > IN_WIDTH) begin : g_up
      localparam K = OUT_WIDTH / IN_WIDTH;
      localparam KB = $clog2(K);
      localparam [KB-1:0] K_LAST = KB'(K - 1);
      wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high
      reg [KB-1:0] cnt;
      reg [OUT_WIDTH-IN_WIDTH-1:0] sr;  // earlier words of the output word, shifted in at the top
      wire step = en && s_axis_tvalid;
      assign s_axis_tready = en;
      assign o_data = {s_axis_tdata, sr};
      assign o_valid = s_axis_tvalid && (cnt == K_LAST);
      always @(posedge ap_clk) begin
        if (rst) cnt <= {KB{1'b0}};
        else if (step) cnt <= (cnt == K_LAST) ? {KB{1'b0}} : cnt + 1'b1;
        if (step) sr <= o_data[OUT_WIDTH-1:IN_WIDTH];
      end
    end else if (OUT_WIDTH < IN_WIDTH) begin : g_down
      localparam K = IN_WIDTH / OUT_WIDTH;
      localparam KB = $clog2(K);
      localparam [KB-1:0] K_LAST = KB'(K - 1);
      wire rst = !ap_rst_n;  // one inverter for all: the registers' resets are active high
      reg [KB-1:0] cnt;
      reg last;  // cnt == K_LAST, as a register: every bit of sr reads it, and a comparison
                 // there would be folded into each bit's logic
      reg [IN_WIDTH-1:0] sr;  // current word, shifted right as pieces leave
      reg full;
      wire take = en && full;  // a piece moves into the output slice
      wire done = !full || (take && last);
      assign s_axis_tready = en && done;
      assign o_data = sr[OUT_WIDTH-1:0];
      assign o_valid = full;
      always @(posedge ap_clk) begin
        if (rst) begin
          cnt  <= {KB{1'b0}};
          last <= 1'b0;
          full <= 1'b0;
        end else if (en) begin
          if (done) begin
            full <= s_axis_tvalid;
            cnt  <= {KB{1'b0}};
            last <= 1'b0;  // K >= 2
          end else begin
            cnt  <= cnt + 1'b1;
            last <= (cnt + 1'b1 == K_LAST);
          end
        end
        if (en) begin
          if (done) sr <= s_axis_tdata;
          else sr <= sr >> OUT_WIDTH;
        end
      end
    end else begin : g_pass
      assign s_axis_tready = en;
      assign o_data = s_axis_tdata;
      assign o_valid = s_axis_tvalid;
    end
  endgenerate

  finnflow_skid #(
      .WIDTH(OUT_WIDTH)
  ) u_out (
      .ap_clk       (ap_clk),
      .ap_rst_n     (ap_rst_n),
      .s_axis_tdata (o_data),
      .s_axis_tvalid(o_valid),
      .s_axis_tready(en),
      .m_axis_tdata (m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
