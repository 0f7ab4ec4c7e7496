"""The DMA shell around finnflow_top: lint clean with the real generated design, and (in Icarus,
with a small stand-in for finnflow_top) TLAST on exactly the last output word of each DMA
transfer, for transfers of 1 to 5 frames sent back to back under random gaps and back-pressure,
with the padding bits ignored on the input and zero on the output."""

import os
import re
import subprocess

import pytest

from finnflow.deploy.shell import SHELL_FILE, dma_stream_bits, shell_params
from finnflow.errors import ConfigError
from finnflow.rtl import LIB_DIR, StitchedDesign


def test_dma_stream_widths():
    ports = (1, 8, 16, 24, 64, 72, 1024)
    assert [dma_stream_bits(b) for b in ports] == [8, 8, 16, 32, 64, 128, 1024]
    with pytest.raises(ConfigError, match="wider than the AXI DMA's 1024 bits"):
        dma_stream_bits(1032)


@pytest.mark.parametrize("widen", [False, True])
def test_shell_lints_clean_with_the_design(finished_build, verilator_tool, widen):
    rtl = finished_build / "rtl"
    params = shell_params(StitchedDesign.load(rtl))
    if widen:
        params["IN_DMA_WIDTH"] *= 2
        params["OUT_DMA_WIDTH"] *= 4
    exe, env = verilator_tool
    proc = subprocess.run(
        [exe, "--lint-only", "-Wall", "--top-module", "finnflow_dma_shell", str(SHELL_FILE)]
        + sorted(str(p) for p in rtl.glob("*.sv"))
        + [str(rtl / "finnflow_top.v")]
        + [f"-G{k}={v}" for k, v in params.items()],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=rtl,
    )
    assert proc.returncode == 0 and "%Warning" not in proc.stdout + proc.stderr, proc.stderr


# finnflow_top stand-in: takes every input word at once, and for each frame of IN_WORDS = 3
# words sends OUT_WORDS = 2 words {frame number, word number}, frames numbered from 0, so that
# the input runs ahead of a slow output and fills the shell's queue of transfers
STUB = """
module finnflow_top (
    input  wire ap_clk, input wire ap_rst_n,
    input  wire [15:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,
    output wire [7:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready
);
  reg [7:0] in_frames, frame; reg [1:0] iw; reg ow;
  assign s_axis_tready = 1'b1;
  assign m_axis_tvalid = (frame != in_frames);
  assign m_axis_tdata = {frame[6:0], ow};
  always @(posedge ap_clk)
    if (!ap_rst_n) begin in_frames <= 0; frame <= 0; iw <= 0; ow <= 0; end
    else begin
      if (s_axis_tvalid) begin
        if (s_axis_tdata[15:8] != 8'h5a) $display("FAIL input data %h", s_axis_tdata);
        if (iw == 2) begin iw <= 0; in_frames <= in_frames + 1; end else iw <= iw + 1;
      end
      if (m_axis_tvalid && m_axis_tready) begin
        if (ow) begin ow <= 0; frame <= frame + 1; end else ow <= 1;
      end
    end
endmodule
"""

# transfers of 1, 4, 2, 3, 1 and 5 frames (16 frames, 48 input words) sent back to back; signals
# change at the falling edge, handshakes are taken at the rising edge
TESTBENCH = """
module tb;
  reg clk = 0, rst_n = 0;
  always #1 clk = !clk;
  reg [31:0] s_data = 0; reg s_valid = 0, s_last = 0; wire s_ready;
  wire [15:0] m_data; wire [1:0] m_keep; wire m_valid, m_last; reg m_ready = 0;
  finnflow_dma_shell #(.IN_WIDTH(16), .OUT_WIDTH(8), .IN_DMA_WIDTH(32), .OUT_DMA_WIDTH(16),
                       .IN_WORDS(3), .OUT_WORDS(2)) dut (
      .ap_clk(clk), .ap_rst_n(rst_n),
      .s_axis_tdata(s_data), .s_axis_tvalid(s_valid), .s_axis_tready(s_ready),
      .s_axis_tlast(s_last),
      .m_axis_tdata(m_data), .m_axis_tkeep(m_keep), .m_axis_tvalid(m_valid),
      .m_axis_tready(m_ready), .m_axis_tlast(m_last));
  integer batches [0:5];
  integer boundary [0:5];  // frames sent when transfer k ends
  reg word_last [0:47];
  integer k, w, sent = 0, seed = 7;
  initial begin
    batches[0] = 1; batches[1] = 4; batches[2] = 2; batches[3] = 3; batches[4] = 1;
    batches[5] = 5;
    w = 0;
    for (k = 0; k < 6; k = k + 1) begin
      w = w + 3 * batches[k];
      boundary[k] = w / 3;
    end
    for (w = 0; w < 48; w = w + 1) word_last[w] = 0;
    for (k = 0; k < 6; k = k + 1) word_last[3 * boundary[k] - 1] = 1;
    repeat (3) @(negedge clk);
    rst_n = 1;
  end

  // input: gaps in tvalid; a word is held until it is taken
  reg in_fired = 0;
  always @(negedge clk) if (rst_n) begin
    if (in_fired) begin s_valid = 0; sent = sent + 1; end
    if (!s_valid && sent < 48 && $unsigned($random(seed)) % 4 != 0) begin
      s_valid = 1; s_last = word_last[sent]; s_data = {16'hA55A, 8'h5a, sent[7:0]};
    end
    m_ready = ($unsigned($random(seed)) % 8 == 0);  // a slow output: the input runs ahead
  end

  integer beats = 0, frames_out = 0, ends = 0, errors = 0, held_tlast = 0;
  reg was_stalled = 0; reg [16:0] held = 0;
  always @(posedge clk) begin
    in_fired <= s_valid && s_ready;
    if (s_valid && s_last && !s_ready) held_tlast = held_tlast + 1;
    if (was_stalled && m_valid && {m_last, m_data} != held) begin
      $display("FAIL output changed while stalled"); errors = errors + 1;
    end
    was_stalled = m_valid && !m_ready;
    held = {m_last, m_data};
    if (m_valid && m_ready) begin
      if (m_data[15:8] != 0 || m_keep != 2'b11) begin
        $display("FAIL padding %h keep %b", m_data, m_keep); errors = errors + 1;
      end
      if (m_data[0] != beats % 2 || m_data[7:1] != frames_out) begin
        $display("FAIL data %h at beat %0d", m_data, beats); errors = errors + 1;
      end
      if (m_last != (m_data[0] == 1 && frames_out + 1 == boundary[ends])) begin
        $display("FAIL tlast %b at frame %0d", m_last, frames_out); errors = errors + 1;
      end
      if (m_last) ends = ends + 1;
      beats = beats + 1;
      if (m_data[0]) frames_out = frames_out + 1;
      if (frames_out == 16) begin
        if (errors == 0 && ends == 6)
          $display("PASS %0d beats, %0d transfers, %0d cycles of a held TLAST", beats, ends,
                   held_tlast);
        else $display("FAIL %0d errors, %0d transfers ended", errors, ends);
        $finish;
      end
    end
  end
  initial begin #100000 $display("FAIL timeout"); $finish; end
endmodule
"""


def test_tlast_ends_each_dma_transfer(tmp_path, iverilog_tool):
    iverilog, vvp = iverilog_tool
    (tmp_path / "stub.v").write_text(STUB)
    (tmp_path / "tb.v").write_text(TESTBENCH)
    sources = [SHELL_FILE, LIB_DIR / "finnflow_param_error.sv", tmp_path / "stub.v"]
    binary = tmp_path / "tb.vvp"
    cmd = [iverilog, "-g2012", "-o", str(binary), "-s", "tb", *map(str, sources)]
    build = subprocess.run([*cmd, str(tmp_path / "tb.v")], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([vvp, "-n", str(binary)], capture_output=True, text=True)
    assert "FAIL" not in run.stdout, run.stdout
    passed = re.search(r"PASS 32 beats, 6 transfers, (\d+) cycles of a held TLAST", run.stdout)
    assert passed, run.stdout
    assert int(passed.group(1)) > 0, "the queue of transfers never filled"
