"""Reference testbench for gray_codec: exhaustive combinational check, registered path with gaps in
in_valid, both directions, and reset mid-run."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, Timer


def to_gray(b):
    return b ^ (b >> 1)


def from_gray(g):
    b = 0
    while g:
        b ^= g
        g >>= 1
    return b


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.dout = 0

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.din.value = 0
        d.dir.value = 0
        d.in_valid.value = 0
        await ClockCycles(d.clk, 2)
        await FallingEdge(d.clk)
        d.rst_n.value = 1
        self.dout = 0

    def drive(self, din, dir_, valid):
        self.dut.din.value = din
        self.dut.dir.value = dir_
        self.dut.in_valid.value = valid

    async def step(self, din, dir_, valid):
        """Drive one cycle after a falling edge, check comb outputs, then the registered ones."""
        d = self.dut
        self.drive(din, dir_, valid)
        await Timer(1, unit="ns")
        assert int(d.gray_of_din.value) == to_gray(din)
        assert int(d.bin_of_din.value) == from_gray(din)
        await FallingEdge(d.clk)
        if valid:
            self.dout = from_gray(din) if dir_ else to_gray(din)
        assert int(d.dout_valid.value) == valid
        assert int(d.dout.value) == self.dout, f"dout {int(d.dout.value):02x} != {self.dout:02x}"


@cocotb.test()
async def test_exhaustive(dut):
    """All 256 words, both directions, through the register; round trip and one-bit-step property."""
    tb = TB(dut)
    await tb.reset()
    for dir_ in (0, 1):
        for v in range(256):
            await tb.step(v, dir_, 1)
    for v in range(256):
        assert from_gray(to_gray(v)) == v
        assert bin(to_gray(v) ^ to_gray((v + 1) % 256)).count("1") == 1


@cocotb.test()
async def test_valid_gaps_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(0x6A7)
    for i in range(300):
        await tb.step(rng.randrange(256), rng.randrange(2), int(rng.random() < 0.6))
        if i == 150:
            await tb.step(0xFF, 0, 1)
            dut.rst_n.value = 0
            await FallingEdge(dut.clk)
            assert int(dut.dout.value) == 0 and int(dut.dout_valid.value) == 0
            dut.rst_n.value = 1
            tb.dout = 0
