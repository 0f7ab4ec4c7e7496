"""Deployment: the package a board runs (``package``: driver, processing as data, sample, RTL,
bitstream), the standalone driver with its PYNQ and virtual-board backends (``driver``,
``virtual_board``), the DMA shell around the design (``shell``) and the finished build they are
made from (``source``). The Vivado bitstream itself is made in :mod:`finnflow.synth.vivado`."""
