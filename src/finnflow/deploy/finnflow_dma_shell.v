// finnflow_dma_shell: finnflow_top as an AXI DMA in simple mode sees it, the accelerator of the
// bitstream's block design.
//  - Stream widths: the DMA's stream ports are a power of two of 8 to 1024 bits wide, so the
//    ports here are IN_DMA_WIDTH / OUT_DMA_WIDTH wide; the input's bits above IN_WIDTH are
//    ignored, the output's above OUT_WIDTH are zero (tkeep is all ones).
//  - TLAST: the S2MM channel ends a transfer only on TLAST, which finnflow_top does not make. A
//    transfer of N whole frames into s_axis (ended by the MM2S channel's TLAST) ends on m_axis
//    with TLAST on the last word of its N-th output frame. Up to 4 transfers may be in flight;
//    the TLAST word of a fifth waits until the output of the oldest has ended.
// Data and handshakes pass through without a register, so the shell adds no cycle.
module finnflow_dma_shell #(
    parameter IN_WIDTH      = 8,  // finnflow_top's port widths
    parameter OUT_WIDTH     = 8,
    parameter IN_DMA_WIDTH  = 8,  // the DMA's stream widths
    parameter OUT_DMA_WIDTH = 8,
    parameter IN_WORDS      = 1,  // words per frame on finnflow_top's ports
    parameter OUT_WORDS     = 1
) (
    input  wire                       ap_clk,
    input  wire                       ap_rst_n,
    input  wire [ IN_DMA_WIDTH-1:0]   s_axis_tdata,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,
    input  wire                       s_axis_tlast,
    output wire [OUT_DMA_WIDTH-1:0]   m_axis_tdata,
    output wire [OUT_DMA_WIDTH/8-1:0] m_axis_tkeep,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready,
    output wire                       m_axis_tlast
);
  wire rst = !ap_rst_n;

  generate
    if (IN_DMA_WIDTH < IN_WIDTH || OUT_DMA_WIDTH < OUT_WIDTH) begin : g_chk_width
      finnflow_param_error #(
          .MSG("finnflow_dma_shell: the DMA widths must hold finnflow_top's ports")
      ) u_error ();
    end
    if (OUT_DMA_WIDTH % 8 != 0) begin : g_chk_bytes
      finnflow_param_error #(.MSG("finnflow_dma_shell: OUT_DMA_WIDTH must be whole bytes")) u_error ();
    end
    if (IN_WORDS < 1 || OUT_WORDS < 1) begin : g_chk_words
      finnflow_param_error #(.MSG("finnflow_dma_shell: IN_WORDS and OUT_WORDS must be >= 1")) u_error ();
    end
  endgenerate

  // frames per transfer, oldest first
  reg [31:0] batch[0:3];
  reg [1:0] q_rd, q_wr;
  reg [2:0] q_count;
  wire q_full = (q_count == 3'd4);
  wire q_empty = (q_count == 3'd0);

  // input: a TLAST word enters only when the queue has room for its transfer
  wire hold = s_axis_tlast && q_full;
  wire top_s_tready;
  wire in_fire = s_axis_tvalid && s_axis_tready;
  assign s_axis_tready = top_s_tready && !hold;

  reg [31:0] in_word;  // words of the current frame accepted
  reg [31:0] in_frames;  // whole frames of the current transfer accepted
  wire in_frame_end = (in_word == IN_WORDS - 1);
  wire push = in_fire && s_axis_tlast;

  // output: TLAST on the last word of the oldest transfer's last frame
  wire [OUT_WIDTH-1:0] top_m_tdata;
  wire top_m_tvalid;
  reg [31:0] out_word;  // words of the current frame sent
  reg [31:0] out_frames;  // whole frames of the current transfer sent
  wire out_frame_end = (out_word == OUT_WORDS - 1);
  wire out_fire = top_m_tvalid && m_axis_tready;
  wire last = !q_empty && out_frame_end && (out_frames + 1 == batch[q_rd]);
  wire pop = out_fire && last;

  assign m_axis_tvalid = top_m_tvalid;
  assign m_axis_tlast = last;
  assign m_axis_tkeep = {(OUT_DMA_WIDTH / 8) {1'b1}};
  generate
    if (OUT_DMA_WIDTH > OUT_WIDTH) begin : g_out_pad
      assign m_axis_tdata = {{(OUT_DMA_WIDTH - OUT_WIDTH) {1'b0}}, top_m_tdata};
    end else begin : g_out_full
      assign m_axis_tdata = top_m_tdata;
    end
    if (IN_DMA_WIDTH > IN_WIDTH) begin : g_in_pad
      /* verilator lint_off UNUSED */
      wire [IN_DMA_WIDTH-IN_WIDTH-1:0] s_axis_pad = s_axis_tdata[IN_DMA_WIDTH-1:IN_WIDTH];
      /* verilator lint_on UNUSED */
    end
  endgenerate

  always @(posedge ap_clk) begin
    if (rst) begin
      in_word <= 32'd0;
      in_frames <= 32'd0;
      out_word <= 32'd0;
      out_frames <= 32'd0;
      q_rd <= 2'd0;
      q_wr <= 2'd0;
      q_count <= 3'd0;
    end else begin
      if (in_fire) begin
        in_word <= in_frame_end ? 32'd0 : in_word + 32'd1;
        if (push) in_frames <= 32'd0;
        else if (in_frame_end) in_frames <= in_frames + 32'd1;
      end
      if (push) begin
        batch[q_wr] <= in_frames + {31'd0, in_frame_end};
        q_wr <= q_wr + 2'd1;
      end
      if (out_fire) begin
        out_word <= out_frame_end ? 32'd0 : out_word + 32'd1;
        if (pop) out_frames <= 32'd0;
        else if (out_frame_end) out_frames <= out_frames + 32'd1;
      end
      if (pop) q_rd <= q_rd + 2'd1;
      if (push && !pop) q_count <= q_count + 3'd1;
      else if (pop && !push) q_count <= q_count - 3'd1;
    end
  end

  finnflow_top u_top (
      .ap_clk(ap_clk),
      .ap_rst_n(ap_rst_n),
      .s_axis_tdata(s_axis_tdata[IN_WIDTH-1:0]),
      .s_axis_tvalid(s_axis_tvalid && !hold),
      .s_axis_tready(top_s_tready),
      .m_axis_tdata(top_m_tdata),
      .m_axis_tvalid(top_m_tvalid),
      .m_axis_tready(m_axis_tready)
  );
endmodule
