"""Stand-in for pynq.ps: the fabric clock the driver sets."""


class Clocks:
    fclk0_mhz = 0.0
