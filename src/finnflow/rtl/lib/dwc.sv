// dwc: AXI-Stream data-width converter, IN_WIDTH -> OUT_WIDTH where one divides the other.
// Lane 0 is in the LSBs: when widening, the first input word lands in the output's LSBs;
// when narrowing, the input's LSBs are emitted first. Full throughput on the wider side's
// rate; output goes through a skid buffer (registered handshakes).
/* verilator lint_off WIDTH */
module dwc #(
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
  wire                 en;  // skid buffer can accept
  wire [OUT_WIDTH-1:0] o_data;
  wire                 o_valid;

  generate
    if (OUT_WIDTH > IN_WIDTH) begin : g_up
      localparam K = OUT_WIDTH / IN_WIDTH;
      localparam KB = $clog2(K);
      localparam [KB-1:0] K_LAST = K - 1;
      reg [KB-1:0] cnt;
      reg [OUT_WIDTH-1:0] sr;  // words shift in from the top
      wire step = en && s_axis_tvalid;
      assign s_axis_tready = en;
      assign o_data = {s_axis_tdata, sr[OUT_WIDTH-1:IN_WIDTH]};
      assign o_valid = s_axis_tvalid && (cnt == K_LAST);
      always @(posedge ap_clk) begin
        if (!ap_rst_n) cnt <= 0;
        else if (step) cnt <= (cnt == K_LAST) ? {KB{1'b0}} : cnt + 1'b1;
        if (step) sr <= o_data;
      end
    end else if (OUT_WIDTH < IN_WIDTH) begin : g_down
      localparam K = IN_WIDTH / OUT_WIDTH;
      localparam KB = $clog2(K);
      localparam [KB-1:0] K_LAST = K - 1;
      reg [KB-1:0] cnt;
      reg [IN_WIDTH-1:0] sr;  // current word, shifted right as pieces leave
      reg full;
      wire take = en && full;  // a piece moves into the skid buffer
      wire done = !full || (take && cnt == K_LAST);
      assign s_axis_tready = en && done;
      assign o_data = sr[OUT_WIDTH-1:0];
      assign o_valid = full;
      always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
          cnt  <= 0;
          full <= 1'b0;
        end else if (en) begin
          if (done) begin
            full <= s_axis_tvalid;
            cnt  <= 0;
          end else begin
            cnt <= cnt + 1'b1;
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

  skid #(
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
/* verilator lint_on WIDTH */
