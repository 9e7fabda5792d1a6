"""Reference testbench for bin2bcd: conversions checked digit by digit, handshake timing, start while busy,
back-to-back starts, and reset mid-conversion."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

LATENCY = 12


def digits(v):
    return (v // 1000, (v // 100) % 10, (v // 10) % 10, v % 10)


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.last = (0, 0, 0, 0)

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.start.value = 0
        d.bin.value = 0
        await ClockCycles(d.clk, 2)
        await FallingEdge(d.clk)
        d.rst_n.value = 1
        self.last = (0, 0, 0, 0)
        self.check_idle()

    def outputs(self):
        d = self.dut
        return (int(d.thousands.value), int(d.hundreds.value), int(d.tens.value), int(d.ones.value))

    def check_idle(self):
        assert int(self.dut.busy.value) == 0 and int(self.dut.done.value) == 0
        assert self.outputs() == self.last, f"digits {self.outputs()} changed from {self.last} while idle"

    async def convert(self, value, noise=None):
        """Start a conversion (at a falling edge) and check busy/done/digits cycle by cycle.
        `noise` drives start/bin with junk while busy to show it is ignored."""
        d = self.dut
        d.bin.value = value
        d.start.value = 1
        await FallingEdge(d.clk)
        d.start.value = 0
        for cycle in range(1, LATENCY + 1):
            if noise is not None:
                d.start.value = noise.randrange(2)
                d.bin.value = noise.randrange(4096)
            assert int(d.busy.value) == 1, f"busy low at cycle {cycle}"
            assert int(d.done.value) == 0
            assert self.outputs() == self.last, "digits changed before done"
            await FallingEdge(d.clk)
        d.start.value = 0
        assert int(d.done.value) == 1, "done not pulsed after 12 cycles"
        assert int(d.busy.value) == 0
        self.last = digits(value)
        assert self.outputs() == self.last, f"{value}: got {self.outputs()} exp {self.last}"
        await FallingEdge(d.clk)
        self.check_idle()


@cocotb.test()
async def test_directed(dut):
    tb = TB(dut)
    await tb.reset()
    for v in (0, 1, 5, 9, 10, 99, 100, 999, 1000, 1999, 2047, 2048, 3999, 4000, 4095, 0, 4095, 2730, 1365, 0):
        await tb.convert(v)
    # start held low: nothing happens
    await ClockCycles(dut.clk, 5)
    await FallingEdge(dut.clk)
    tb.check_idle()


@cocotb.test()
async def test_random_and_ignored_start(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(0xBCD)
    for _ in range(60):
        await tb.convert(rng.randrange(4096), noise=rng)
        for _ in range(rng.randrange(3)):
            await FallingEdge(dut.clk)
            tb.check_idle()


@cocotb.test()
async def test_back_to_back(dut):
    """start held high: a new conversion starts the cycle done is shown."""
    tb = TB(dut)
    await tb.reset()
    vals = [4095, 1234, 0, 987]
    await FallingEdge(dut.clk)
    dut.start.value = 1
    dut.bin.value = vals[0]
    for i, v in enumerate(vals):
        await FallingEdge(dut.clk)  # start sampled
        dut.bin.value = vals[i + 1] if i + 1 < len(vals) else 0
        if i + 1 == len(vals):
            dut.start.value = 0
        await ClockCycles(dut.clk, LATENCY)
        await FallingEdge(dut.clk)
        assert int(dut.done.value) == 1
        assert int(dut.busy.value) == 0
        assert tb.outputs() == digits(v), f"{v}: {tb.outputs()}"
        # start is still high: the next edge begins the next conversion (13-cycle period)
    await FallingEdge(dut.clk)
    assert int(dut.busy.value) == 0 and int(dut.done.value) == 0


@cocotb.test()
async def test_reset_mid_conversion(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.convert(3579)
    dut.bin.value = 2468
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    await ClockCycles(dut.clk, 5)
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.busy.value) == 0 and int(dut.done.value) == 0
    assert tb.outputs() == (0, 0, 0, 0)
    dut.rst_n.value = 1
    tb.last = (0, 0, 0, 0)
    await FallingEdge(dut.clk)
    tb.check_idle()
    await tb.convert(2468)
